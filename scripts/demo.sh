#!/usr/bin/env bash
# Interim demo (until the local-network demo of issue #7 lands): build both programs as SBF,
# run every scenario against the .so files in an in-process LiteSVM, and print each transaction
# with its outcome and compute units.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
scripts/setup.sh
scripts/build-sbf.sh
cargo run --quiet --locked -p depin-tests --bin scenario-report -- --transactions "$@"
