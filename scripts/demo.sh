#!/usr/bin/env bash
# The demo (the README's main command): build both programs as SBF and the example jobs as
# wasm32-wasip1 from source, then `depin demo`: an embedded local chain with the programs,
# migrations, a funded requester and providers, in-process workers (one scripted to lie), a
# batch of example jobs with progress bars, and the final table. Extra arguments go to
# `depin demo` (see `--help`: --providers, --dishonest, --jobs, --replicas, --output json).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
scripts/setup.sh
scripts/build-sbf.sh
scripts/build-examples.sh
cargo build --quiet --locked -p depin-cli --bin depin
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/depin"
exec "$BIN" demo "$@"
