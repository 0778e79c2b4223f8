#!/usr/bin/env bash
# Build the example jobs (examples/wasm) as wasm32-wasip1 commands into target/wasm/.
#
# Route: the rustup toolchain here ships no wasm32 standard library and none can be downloaded.
# The jobs are `no_std` + `alloc` (examples/kernels), so they need only `core`/`alloc`, which
# Debian's Rust 1.96 (the one scripts/sbf/bootstrap.sh unpacks, with its `rust-web-src`
# sources) builds for wasm32-wasip1 with -Zbuild-std; rustup's own `rust-lld` links them.
# With an official wasm32-wasip1 target installed (`rustup target add wasm32-wasip1`), set
# DEPIN_WASM_ROUTE=rustup to use it instead.
#
# Idempotent: cargo rebuilds only what changed (about 15 s cold).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/target/wasm"
ROUTE=${DEPIN_WASM_ROUTE:-debian}
JOBS=(heat_diffusion kmer_count monte_carlo_pi)
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/wasm-build"
log() { printf '[build-examples] %s\n' "$*" >&2; }
mkdir -p "$OUT"

case $ROUTE in
rustup)
  cargo build --release --locked --manifest-path "$ROOT/examples/wasm/Cargo.toml" \
    --target wasm32-wasip1 --target-dir "$TARGET_DIR" --bins
  ;;
debian)
  SBF_HOME=$("$ROOT/scripts/sbf/bootstrap.sh")
  LLD="$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"
  [[ -x $LLD ]] || { log "rust-lld not found at $LLD (rustup's rustc component ships it)"; exit 1; }
  (
    # shellcheck disable=SC1091
    source "$SBF_HOME/env.sh"
    unset RUSTFLAGS
    export CARGO_TARGET_WASM32_WASIP1_LINKER="$LLD"
    export CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="-C link-self-contained=no -C target-feature=+simd128"
    cargo build --release --locked --manifest-path "$ROOT/examples/wasm/Cargo.toml" \
      --target wasm32-wasip1 --target-dir "$TARGET_DIR" --bins \
      -Zbuild-std=core,alloc 2>&1 | grep -v "^\s*$" >&2
  )
  ;;
*)
  log "unknown DEPIN_WASM_ROUTE=$ROUTE (debian or rustup)"
  exit 1
  ;;
esac
for j in "${JOBS[@]}"; do
  cp "$TARGET_DIR/wasm32-wasip1/release/$j.wasm" "$OUT/$j.wasm"
done
log "$(cd "$OUT" && ls -l "${JOBS[@]/%/.wasm}" | awk '{print $NF": "$5" bytes"}' | paste -sd' ')"
