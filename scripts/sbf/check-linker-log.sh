#!/usr/bin/env bash
# Fail when the SBF link log shows one of upstream LLVM's silent BPF miscompilations in our code.
# Usage: check-linker-log.sh <cargo build log>
set -euo pipefail
LOG=$1
# Messages that mean generated code is wrong (not merely diagnosed): arguments beyond the fifth
# dropped, stack arguments, a frame over the 4 KB limit, and library calls for 128-bit or
# overflow-checked multiplies that the backend replaces by 0.
PATTERNS='too many arguments|stack arguments|[Ss]tack limit|exceeded the maximum stack|__multi3|__muloti4|__udivti3|__divti3|__umodti3|__modti3|__ashlti3|__lshrti3|__ashrti3'
# Our own crates: the programs and the core crate.
OURS='depin_staking|depin_jobs|depin_core|programs/depin-|core/src'
bad=$(grep -E "$PATTERNS" "$LOG" | grep -E "$OURS" || true)
if [[ -n "$bad" ]]; then
  echo "[build-sbf] error: the SBF linker reported a known miscompilation in our code:" >&2
  echo "$bad" >&2
  echo "[build-sbf] see docs/sbf-toolchain.md (no u128, no checked/overflowing mul, <= 5 args)" >&2
  exit 1
fi
other=$(grep -cE "$PATTERNS" "$LOG" || true)
echo "[build-sbf] linker check passed (${other} such messages outside our crates)" >&2
