#!/usr/bin/env bash
# Run every test: build both programs as SBF, check the on-chain arithmetic rules and the IDL,
# then run all unit, property and scenario tests (each scenario on SBF and natively).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
T0=$SECONDS
step() { printf '\n==> %s  (t=%ds)\n' "$*" "$((SECONDS - T0))" >&2; }

step "setup";                       scripts/setup.sh
step "formatting";                  cargo fmt --all --check
step "on-chain arithmetic rules";   python3 scripts/check-onchain-math.py
step "SBF linker check self-test"; scripts/sbf/test-check-linker-log.sh
step "SBF build";                   scripts/build-sbf.sh
step "example jobs (wasm32-wasip1)"; scripts/build-examples.sh
step "IDL up to date";              cargo xtask idl --check
step "doc tests";                   cargo test --workspace --locked --doc --quiet
step "tests (nextest, workspace)";  cargo nextest run --workspace --locked --no-fail-fast "$@"
