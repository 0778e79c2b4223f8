#!/usr/bin/env bash
# Build the on-chain programs as SBF: target/deploy/depin_staking.so and depin_jobs.so.
#
# Route selection (DEPIN_SBF_ROUTE):
#   auto      (default) official `cargo build-sbf` when it is on PATH, else upstream
#   official  Solana platform-tools (`cargo build-sbf`), the same thing `anchor build` runs
#   upstream  Debian's Rust 1.96 / LLVM 22 + patched sbpf-linker (scripts/sbf/bootstrap.sh),
#             for machines that cannot download platform-tools
#
# On the upstream route the build fails if the linker reports one of the known silent
# miscompilations of upstream LLVM's BPF backend in our code (see docs/sbf-toolchain.md).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEPLOY="$ROOT/target/deploy"
# DEPIN_SBF_PROGRAMS narrows the build to some of the programs (space-separated package names).
read -r -a PROGRAMS <<<"${DEPIN_SBF_PROGRAMS:-depin-staking depin-jobs}"
ROUTE=${DEPIN_SBF_ROUTE:-auto}
log() { printf '[build-sbf] %s\n' "$*" >&2; }

if [[ $ROUTE == auto ]]; then
  if command -v cargo-build-sbf >/dev/null 2>&1; then ROUTE=official; else ROUTE=upstream; fi
fi
mkdir -p "$DEPLOY"
for p in "${PROGRAMS[@]}"; do
  kp="$ROOT/keys/${p//-/_}-keypair.json"
  [[ -f "$DEPLOY/$(basename "$kp")" ]] || cp "$kp" "$DEPLOY/"
done

case $ROUTE in
official)
  for p in "${PROGRAMS[@]}"; do
    log "cargo build-sbf $p"
    cargo build-sbf --manifest-path "$ROOT/programs/$p/Cargo.toml" --sbf-out-dir "$DEPLOY"
  done
  ;;
upstream)
  SBF_HOME=$("$ROOT/scripts/sbf/bootstrap.sh")
  TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/sbf"
  LOG="$TARGET_DIR/build.log"
  mkdir -p "$TARGET_DIR"
  : >"$LOG"
  # One cargo invocation and one target dir per program. Built together, cargo would unify
  # features, and depin-jobs' dependency on depin-staking (feature `cpi`, which implies
  # `no-entrypoint`) would strip the staking program's entrypoint. Sharing a target dir is not
  # safe either: a cdylib's file name carries no hash, so building depin-jobs rewrites
  # depin_staking.so (without entrypoint) while cargo still thinks the staking build is fresh.
  for p in "${PROGRAMS[@]}"; do
    log "cargo build (upstream LLVM 22, profile sbf) $p"
    (
      # shellcheck disable=SC1091
      source "$SBF_HOME/env.sh"
      # --deploy=false: sbpf-linker would otherwise copy every cdylib it links into
      # ./target/deploy, including depin-staking built as depin-jobs' dependency (without
      # entrypoint), over the real program. This script alone writes target/deploy.
      # -Os (the linker runs the whole-program LTO pipeline): every function with more than 5
      # parameters must be inlined on this route, and Anchor's per-instruction dispatchers
      # (sret + 5 slice words) and `try_accounts` are such functions, so all of them land in
      # `entrypoint`. At -O2 that function outgrew SBF's 16-bit branch offsets once depin-jobs
      # had 14 instructions ("Branch target out of insn range"); -Os keeps it in range
      # (docs/sbf-toolchain.md has the figures).
      export RUSTFLAGS="-C linker=sbpf-linker -C panic=abort -C relocation-model=static \
-C link-arg=--llvm-args=-bpf-stack-size=4096 -C link-arg=--arch=v0 \
-C link-arg=--fatal-errors=false -C link-arg=--deploy=false -C link-arg=-Os \
-W linker-messages"
      cd "$ROOT"
      set +e
      cargo build --locked --profile sbf --target "$SBF_HOME/bpfel-solana-solana.json" \
        -Zjson-target-spec -Zbuild-std=std,panic_abort -Zbuild-std-features=compiler-builtins-mem \
        --target-dir "$TARGET_DIR/$p" -p "$p" --features upstream-sbf \
        2>&1 | tee -a "$LOG" | grep -vE 'ERROR llvm|^ *= note|^ *[|]? *$|^warning: (linker stderr|`depin)' >&2
      rc=${PIPESTATUS[0]}
      exit "$rc"
    )
    name=${p//-/_}
    so=""
    for cand in "$TARGET_DIR/$p/bpfel-solana-solana/sbf/$name.so" "$TARGET_DIR/$p/bpfel-solana-solana/sbf/lib$name.so"; do
      [[ -f $cand ]] && so=$cand && break
    done
    [[ -n "$so" ]] || { log "error: no .so produced for $p"; exit 1; }
    cp "$so" "$DEPLOY/$name.so"
  done
  "$ROOT/scripts/sbf/check-linker-log.sh" "$LOG"
  ;;
*)
  log "error: DEPIN_SBF_ROUTE must be auto, official or upstream (got '$ROUTE')"
  exit 2
  ;;
esac

for p in "${PROGRAMS[@]}"; do
  so="$DEPLOY/${p//-/_}.so"
  head -c 4 "$so" | grep -q $'\x7fELF' || { log "error: $so is not an ELF file"; exit 1; }
  # A program built with `no-entrypoint` (feature unification) still links, but exports nothing.
  if command -v readelf >/dev/null && ! readelf --dyn-syms -W "$so" | grep -qw entrypoint; then
    log "error: $so does not export 'entrypoint' (built with the no-entrypoint feature?)"; exit 1
  fi
  log "$(basename "$so"): $(stat -c %s "$so") bytes"
done
