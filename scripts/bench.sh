#!/usr/bin/env bash
# Every published figure, measured: compute units (SBF build in LiteSVM), the sandbox (example
# kernels WASM vs native, compile and start-up overhead) and the local chain with real workers
# (latency by replicas, throughput by workers). Writes docs/benchmarks.md and
# docs/benchmarks.json. `--quick` for a short smoke run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
scripts/setup.sh
scripts/build-sbf.sh
scripts/build-examples.sh
mkdir -p target/bench
cargo run --quiet --locked -p depin-tests --bin scenario-report -- --json >target/bench/compute-units.json
# Measured optimised, as deployments run (validators, worker daemons): the `bench-opt` profile
# is release without fat LTO (a cold build takes ~25 min on 2 cores, then minutes).
cargo build --quiet --locked --profile bench-opt -p depin-cli --bin depin -p depin-worker --bin depin-worker
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/bench-opt/depin"
exec "$BIN" bench --cu-json target/bench/compute-units.json "$@"
