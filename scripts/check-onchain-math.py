#!/usr/bin/env python3
"""Refuse arithmetic that the upstream-LLVM SBF route silently miscompiles, in on-chain code.

Scans programs/*/src and core/src (everything that is compiled to SBF), skipping `#[cfg(test)]`
modules, for: u128/i128, checked_/overflowing_/saturating_ multiplies (they become 0 on that
route), and floating point (no soft-float in our own code). The one allowed multiply is the
division-guarded `wrapping_mul` inside core/src/math.rs. See docs/sbf-toolchain.md.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FORBIDDEN = [
    (re.compile(r"\b[ui]128\b"), "128-bit integers"),
    (re.compile(r"\.(checked|overflowing|saturating|strict)_mul\b"), "overflow-checked multiply"),
    (re.compile(r"\bf(32|64)\b"), "floating point"),
    (re.compile(r"\.wrapping_mul\b"), "raw wrapping multiply (use depin_core::math)"),
]
ALLOWED = {("core/src/math.rs", "raw wrapping multiply (use depin_core::math)")}
# Host-only modules of core (`#[cfg(not(target_os = "solana"))]` in core/src/lib.rs): never
# compiled to SBF, so floating point and plain multiplies are fine there.
HOST_ONLY = {"core/src/montecarlo.rs"}


def onchain_lines(path: pathlib.Path):
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip().startswith("#[cfg(test)]"):
            return  # test modules sit at the end of our files
        code = line.split("//", 1)[0]
        if code.strip():
            yield n, code


def main() -> int:
    files = sorted(ROOT.glob("programs/*/src/**/*.rs")) + sorted(ROOT.glob("core/src/**/*.rs"))
    bad = []
    for f in files:
        rel = str(f.relative_to(ROOT))
        if rel in HOST_ONLY:
            continue
        for n, code in onchain_lines(f):
            for rx, what in FORBIDDEN:
                if rx.search(code) and (rel, what) not in ALLOWED:
                    bad.append(f"{rel}:{n}: {what}: {code.strip()}")
    if bad:
        print("on-chain arithmetic check failed (see docs/sbf-toolchain.md):", file=sys.stderr)
        print("\n".join(bad), file=sys.stderr)
        return 1
    print(f"on-chain arithmetic check passed ({len(files)} files)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
