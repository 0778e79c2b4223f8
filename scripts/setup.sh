#!/usr/bin/env bash
# Install what the project needs on a fresh Debian 12 machine with rustup's Rust >= 1.95.
# Idempotent and quick when everything is there. Used by scripts/test.sh and .ci/run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '[setup] %s\n' "$*" >&2; }

command -v cargo >/dev/null || { log "error: cargo not found; install Rust >= 1.95 with rustup"; exit 1; }
command -v python3 >/dev/null || { log "error: python3 not found"; exit 1; }
# Host build prerequisites: a C toolchain (zstd, lz4 and sqlite sources in the dependency tree),
# pkg-config and OpenSSL headers (openssl-sys, via litesvm and surfpool-core).
# Chromium: the dashboard's test renders the page in a real headless browser.
HOST_DEBS=(build-essential pkg-config libssl-dev chromium)
if command -v dpkg >/dev/null; then
  missing=()
  for p in "${HOST_DEBS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
    log "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install --locked cargo-nextest
fi
# SBF toolchain (Debian Rust 1.96 / LLVM 22 + patched sbpf-linker), unless platform-tools exist.
if ! command -v cargo-build-sbf >/dev/null 2>&1 || [[ ${DEPIN_SBF_ROUTE:-auto} == upstream ]]; then
  "$ROOT/scripts/sbf/bootstrap.sh" >/dev/null
fi
