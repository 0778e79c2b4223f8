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
  features=() pkgs=()
  for p in "${PROGRAMS[@]}"; do pkgs+=(-p "$p"); features+=("$p/upstream-sbf"); done
  log "cargo build (upstream LLVM 22, profile sbf) ${PROGRAMS[*]}"
  (
    # shellcheck disable=SC1091
    source "$SBF_HOME/env.sh"
    export RUSTFLAGS="-C linker=sbpf-linker -C panic=abort -C relocation-model=static \
-C link-arg=--llvm-args=-bpf-stack-size=4096 -C link-arg=--arch=v0 \
-C link-arg=--fatal-errors=false -C link-arg=--ignore-inline-never -W linker-messages"
    cd "$ROOT"
    cargo build --locked --profile sbf --target "$SBF_HOME/bpfel-solana-solana.json" \
      -Zjson-target-spec -Zbuild-std=std,panic_abort -Zbuild-std-features=compiler-builtins-mem \
      --target-dir "$TARGET_DIR" "${pkgs[@]}" --features "$(IFS=,; echo "${features[*]}")" \
      2>&1 | tee "$LOG" >&2
    exit "${PIPESTATUS[0]}"
  )
  "$ROOT/scripts/sbf/check-linker-log.sh" "$LOG"
  for p in "${PROGRAMS[@]}"; do
    name=${p//-/_}
    so=$(ls "$TARGET_DIR"/bpfel-solana-solana/sbf/{lib,}"$name".so 2>/dev/null | head -1)
    [[ -n "$so" ]] || { log "error: no .so produced for $p"; exit 1; }
    cp "$so" "$DEPLOY/$name.so"
  done
  ;;
*)
  log "error: DEPIN_SBF_ROUTE must be auto, official or upstream (got '$ROUTE')"
  exit 2
  ;;
esac

for p in "${PROGRAMS[@]}"; do
  so="$DEPLOY/${p//-/_}.so"
  head -c 4 "$so" | grep -q $'\x7fELF' || { log "error: $so is not an ELF file"; exit 1; }
  log "$(basename "$so"): $(stat -c %s "$so") bytes"
done
