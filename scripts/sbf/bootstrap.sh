#!/usr/bin/env bash
# Install the SBF toolchain used by scripts/build-sbf.sh, without Solana's platform-tools.
#
#   Debian bookworm-security's Rust 1.96 / LLVM 22 (unpacked privately, never installed: the
#   packages conflict with rustup), its std sources patched for target_os = "solana", and
#   sbpf-linker 0.2.6 + bpf-linker 0.13.0 from crates.io patched for LLVM 22.
#
# Idempotent and cached outside the repository in $DEPIN_SBF_HOME
# (default ~/.cache/depin-compute/sbf). A stamp holding the hash of this folder's recipe files
# makes a second run return at once; changing a patch or a pinned version redoes only that step.
# Needs: root or sudo for apt-get (libllvm22 and cargo's runtime libraries), python3, cargo.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SBF_HOME=${DEPIN_SBF_HOME:-$HOME/.cache/depin-compute/sbf}
RUST_VER=1.96.0
SBPF_LINKER_VER=0.2.6
BPF_LINKER_VER=0.13.0
DEB_RUNTIME=(libllvm22 libgit2-1.5 libssh2-1 libcurl4 libsqlite3-0)
DEB_UNPACK=(rustc-web cargo-web libstd-rust-web-1.96 libstd-rust-web-dev rust-web-src)

# Standard output carries one line, SBF_HOME, which build-sbf.sh captures; everything the
# steps print (apt-get, the patch scripts) goes to standard error.
exec 3>&1 1>&2

log() { printf '[sbf-bootstrap] %s\n' "$*" >&2; }
die() { printf '[sbf-bootstrap] error: %s\n' "$*" >&2; exit 1; }

# A step's stamp is the hash of its inputs: its patch file and the pinned versions.
stamp_of() { { cat "$HERE/$1"; echo "$RUST_VER $SBPF_LINKER_VER $BPF_LINKER_VER"; } | sha256sum | cut -c1-16; }
done_step() { [[ -f "$SBF_HOME/.stamp-$1" && "$(cat "$SBF_HOME/.stamp-$1")" == "$(stamp_of "$2")" ]]; }
mark_step() { stamp_of "$2" >"$SBF_HOME/.stamp-$1"; }

mkdir -p "$SBF_HOME"
command -v python3 >/dev/null || die "python3 is required"
command -v cargo >/dev/null || die "cargo (rustup stable >= 1.95) is required"

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo

# 1. Debian runtime libraries (installed) and the Rust 1.96 toolchain (unpacked only).
if ! done_step debs patch_std.py; then
  missing=()
  for p in "${DEB_RUNTIME[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  command -v apt-get >/dev/null || die "apt-get not found: this route needs Debian 12 (bookworm) packages; with Solana's official toolchain use 'anchor build' instead"
  have_debs=1
  for p in "${DEB_UNPACK[@]}"; do ls "$SBF_HOME/debs/${p}_${RUST_VER}"*.deb >/dev/null 2>&1 || have_debs=0; done
  if ((${#missing[@]})) || ((have_debs == 0)); then
    log "apt-get update"
    $SUDO apt-get update -qq
  fi
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  mkdir -p "$SBF_HOME/debs"
  ( cd "$SBF_HOME/debs"
    for p in "${DEB_UNPACK[@]}"; do
      ls "${p}"_"${RUST_VER}"*.deb >/dev/null 2>&1 || apt-get download -qq "$p" || die "apt-get download $p failed (bookworm-security must be in the apt sources)"
    done )
  log "unpacking Rust ${RUST_VER} into $SBF_HOME/rust"
  rm -rf "$SBF_HOME/rust" && mkdir -p "$SBF_HOME/rust"
  for d in "$SBF_HOME"/debs/*_"${RUST_VER}"*.deb; do dpkg -x "$d" "$SBF_HOME/rust"; done
  LIB="$SBF_HOME/rust/usr/src/rustc-${RUST_VER}/library"
  [[ -d "$LIB/std" ]] || die "std sources missing after unpack ($LIB)"
  python3 "$HERE/patch_std.py" "$LIB"
  mkdir -p "$SBF_HOME/llvm-lib"
  llvm_so=$(ls /usr/lib/x86_64-linux-gnu/libLLVM.so.22* 2>/dev/null | head -1)
  [[ -n "$llvm_so" ]] || die "libLLVM.so.22 not found after installing libllvm22"
  ln -sf "$llvm_so" "$SBF_HOME/llvm-lib/$(basename "$llvm_so")"
  mark_step debs patch_std.py
fi

# 2. sbpf-linker, re-targeted to LLVM 22 and patched (about 8 minutes on 2 cores, once).
if ! done_step linker patch_linker.py || [[ ! -x "$SBF_HOME/tools/bin/sbpf-linker" ]]; then
  log "building sbpf-linker ${SBPF_LINKER_VER} (bpf-linker ${BPF_LINKER_VER}, LLVM 22)"
  src="$SBF_HOME/src"; rm -rf "$src"; mkdir -p "$src/fetch/src"
  cat >"$src/fetch/Cargo.toml" <<TOML
[package]
name = "depin-sbf-fetch"
version = "0.0.0"
edition = "2021"
[dependencies]
sbpf-linker = "=${SBPF_LINKER_VER}"
bpf-linker = { version = "=${BPF_LINKER_VER}", default-features = false }
TOML
  touch "$src/fetch/src/lib.rs"
  (cd "$src/fetch" && cargo fetch -q)
  reg=$(cargo metadata --format-version 1 --manifest-path "$src/fetch/Cargo.toml" 2>/dev/null |
    python3 -c 'import json,sys,os; m=json.load(sys.stdin); print("\n".join(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"] in ("sbpf-linker","bpf-linker")))')
  for d in $reg; do
    case "$(basename "$d")" in
      sbpf-linker-*) cp -r "$d" "$src/sbpf-linker" ;;
      bpf-linker-*) cp -r "$d" "$src/bpf-linker" ;;
    esac
  done
  [[ -d "$src/sbpf-linker" && -d "$src/bpf-linker" ]] || die "could not locate linker sources in the cargo registry"
  python3 "$HERE/patch_linker.py" "$src/sbpf-linker" "$src/bpf-linker"
  (cd "$src/sbpf-linker" && CARGO_TARGET_DIR="$SBF_HOME/linker-target" \
    cargo install --quiet --locked --path . --root "$SBF_HOME/tools") ||
    (cd "$src/sbpf-linker" && CARGO_TARGET_DIR="$SBF_HOME/linker-target" \
      cargo install --quiet --path . --root "$SBF_HOME/tools")
  rm -rf "$SBF_HOME/linker-target"
  mark_step linker patch_linker.py
fi

# 3. Target spec and environment file (cheap; always refreshed).
cp "$HERE/bpfel-solana-solana.json" "$SBF_HOME/bpfel-solana-solana.json"
cat >"$SBF_HOME/env.sh" <<ENV
# Generated by depin-compute scripts/sbf/bootstrap.sh. Source it only in the SBF build's
# subshell: it points RUSTC at Debian's 1.96 and must never leak into host builds.
export DEPIN_SBF_HOME="$SBF_HOME"
export PATH="$SBF_HOME/tools/bin:$SBF_HOME/rust/usr/bin:\$PATH"
export LD_LIBRARY_PATH="$SBF_HOME/llvm-lib:$SBF_HOME/rust/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export RUSTC="$SBF_HOME/rust/usr/bin/rustc"
export RUSTDOC="$SBF_HOME/rust/usr/bin/rustdoc"
export RUSTC_BOOTSTRAP=1
ENV
echo "$SBF_HOME" >&3
