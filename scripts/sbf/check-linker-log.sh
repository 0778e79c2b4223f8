#!/usr/bin/env bash
# Fail when the SBF link log shows one of upstream LLVM's silent BPF miscompilations in code
# our programs run. Usage: check-linker-log.sh <cargo build log>. See docs/sbf-toolchain.md.
set -euo pipefail
LOG=$1
# Wrong code wherever it appears: dropped arguments, stack arguments, frames over 4 KB.
ALWAYS='too many arguments|stack arguments|[Ss]tack limit|exceeded the maximum stack'
# 128-bit / overflow-checked arithmetic lowered to calls whose result becomes 0.
WIDE="__multi3|__muloti4|__udivti3|__divti3|__umodti3|__modti3|__ashlti3|__lshrti3|__ashrti3"
# Where our code lives after fat LTO: `entrypoint` (everything inlined) and our crates' symbols.
OURS='in function (entrypoint|[^ ]*(depin_staking|depin_jobs|depin_core))'

bad=$( { grep -E "$ALWAYS" "$LOG" || true; grep -E "$WIDE" "$LOG" | grep -E "$OURS" || true; } | sed 's/^ *//' | sort -u)
if [[ -n "$bad" ]]; then
  echo "[build-sbf] error: the SBF linker reported a known miscompilation in our programs:" >&2
  echo "$bad" >&2
  echo "[build-sbf] rules: no u128, no checked/overflowing mul, <= 5 arguments (docs/sbf-toolchain.md)" >&2
  exit 1
fi
other=$(grep -cE "$WIDE" "$LOG" || true)
echo "[build-sbf] linker check passed (none in entrypoint or our crates; $other 128-bit builtin messages in other library functions)" >&2
