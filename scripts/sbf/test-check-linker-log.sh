#!/usr/bin/env bash
# Self-test of check-linker-log.sh: it must reject a 128-bit builtin call inside `entrypoint`
# and accept the same call in library code.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if "$HERE/check-linker-log.sh" "$HERE/testdata/bad-link.log" 2>/dev/null; then
  echo "check-linker-log.sh accepted a miscompiled entrypoint" >&2; exit 1
fi
"$HERE/check-linker-log.sh" "$HERE/testdata/good-link.log" 2>/dev/null
echo "[build-sbf] linker check self-test passed" >&2
