#!/usr/bin/env python3
"""Teach Rust 1.96's std sources about target_os = "solana" so `-Zbuild-std=std` works for SBF.

Usage: patch_std.py <rust-src library dir>      (idempotent: every edit checks for itself)

Solana is treated like an "unsupported", single-threaded OS, with three Solana specifics:
  * the loader rejects writable statics (.data/.bss): no panic counters, no hook statics,
    no thread-local hash keys;
  * std's System allocator is never the heap (the program's #[global_allocator] is), so it
    always fails;
  * panics, OOM and aborts report through the sol_log_ / sol_panic_ syscalls.
"""
import pathlib
import sys

MARK = "depin-sbf"


class Std:
    def __init__(self, lib: pathlib.Path):
        self.root = lib / "std"

    def edit(self, rel: str, old: str, new: str, count: int = 1) -> None:
        path = self.root / rel
        text = path.read_text()
        if new in text:
            return
        found = text.count(old)
        assert found >= count, f"{rel}: anchor not found ({found}x): {old!r}"
        path.write_text(text.replace(old, new, count))


# The single place that reports a fatal condition on Solana; appended to std/src/panicking.rs.
REPORT_FN = f'''
/// {MARK}: report a panic, OOM or abort through the Solana syscalls. Touches no writable
/// static and allocates nothing (the message is truncated to 256 bytes).
#[cfg(target_os = "solana")]
#[cold]
#[inline(never)]
pub(crate) fn solana_fatal(msg: &dyn fmt::Display, loc: Option<&Location<'_>>) -> ! {{
    unsafe extern "C" {{
        fn sol_log_(message: *const u8, len: u64);
        fn sol_panic_(file: *const u8, len: u64, line: u64, column: u64) -> !;
    }}
    struct Buf {{
        bytes: [u8; 256],
        len: usize,
    }}
    impl fmt::Write for Buf {{
        fn write_str(&mut self, s: &str) -> fmt::Result {{
            let n = core::cmp::min(s.len(), self.bytes.len() - self.len);
            self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
            self.len += n;
            Ok(())
        }}
    }}
    let mut buf = Buf {{ bytes: [0; 256], len: 0 }};
    let _ = fmt::write(&mut buf, format_args!("{{}}", msg));
    unsafe {{
        sol_log_(buf.bytes.as_ptr(), buf.len as u64);
        match loc {{
            Some(l) => sol_panic_(l.file().as_ptr(), l.file().len() as u64, l.line() as u64, l.column() as u64),
            None => sol_panic_(buf.bytes.as_ptr(), buf.len as u64, 0, 0),
        }}
    }}
}}
'''

SOLANA_ALLOC = '''use crate::alloc::{GlobalAlloc, Layout, System};

// depin-sbf: Solana programs install their own #[global_allocator]; std's System allocator is
// never the real heap on this target, so it always reports out-of-memory.
#[stable(feature = "alloc_system_type", since = "1.28.0")]
unsafe impl GlobalAlloc for System {
    #[inline]
    unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
        crate::ptr::null_mut()
    }
    #[inline]
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}
'''


def main(lib: pathlib.Path) -> None:
    std = Std(lib)
    # Not a "restricted_std" target.
    std.edit("build.rs", '|| target_os == "vexos"\n', '|| target_os == "vexos"\n        || target_os == "solana"\n')
    # Random, io errors, thread locals: the generic / unsupported implementations.
    std.edit("src/sys/random/mod.rs", '        target_os = "vexos",\n    ) => {',
             '        target_os = "vexos",\n        target_os = "solana",\n    ) => {')
    std.edit("src/sys/random/mod.rs", '    target_os = "vexos",\n)))]',
             '    target_os = "vexos",\n    target_os = "solana",\n)))]')
    std.edit("src/sys/io/error/mod.rs", '        target_os = "vexos",\n        target_family = "wasm",',
             '        target_os = "vexos",\n        target_os = "solana",\n        target_family = "wasm",')
    tl = std.root / "src/sys/thread_local/mod.rs"
    if '"solana"' not in tl.read_text():
        tl.write_text(tl.read_text().replace('target_os = "vexos",', 'target_os = "vexos",\n        target_os = "solana",'))
    # Allocator: 8-byte MIN_ALIGN on bpf, and the always-failing System allocator.
    std.edit("src/sys/alloc/mod.rs", '    target_arch = "xtensa",\n)) {\n    8',
             '    target_arch = "xtensa",\n    target_arch = "bpf",\n)) {\n    8')
    std.edit("src/sys/alloc/mod.rs", '    target_os = "zkvm" => {\n        mod zkvm;\n    }\n',
             '    target_os = "zkvm" => {\n        mod zkvm;\n    }\n    target_os = "solana" => {\n        mod solana;\n    }\n')
    (std.root / "src/sys/alloc/solana.rs").write_text(SOLANA_ALLOC)
    # HashMap keys without the thread-local KEYS static.
    std.edit("src/hash/random.rs", "    pub fn new() -> RandomState {\n",
             "    #[allow(unreachable_code)]\n    pub fn new() -> RandomState {\n"
             "        #[cfg(target_os = \"solana\")]\n        {\n            return RandomState { k0: 0, k1: 0 };\n        }\n")
    # Panics: the immediate-abort panic counter (no statics) and one reporting function.
    p = std.root / "src/panicking.rs"
    text = p.read_text()
    if MARK not in text:
        ia, nia = '#[cfg(panic = "immediate-abort")]\n', '#[cfg(not(panic = "immediate-abort"))]\n'
        i, j = text.index(ia), text.index(nia)  # the first pair guards `mod panic_count`
        assert "pub mod panic_count" in text[i:i + 200] and "pub mod panic_count" in text[j:j + 200]
        text = (text[:i] + '#[cfg(any(panic = "immediate-abort", target_os = "solana"))]\n'
                + text[i + len(ia):j] + '#[cfg(not(any(panic = "immediate-abort", target_os = "solana")))]\n'
                + text[j + len(nia):])
        old = "pub fn panic_handler(info: &core::panic::PanicInfo<'_>) -> ! {\n"
        assert text.count(old) == 1
        text = text.replace(old, "#[allow(unreachable_code)]\n" + old +
                            "    #[cfg(target_os = \"solana\")]\n    {\n"
                            "        solana_fatal(&info.message(), info.location());\n    }\n")
        old = "    force_no_backtrace: bool,\n) -> ! {\n    let must_abort = panic_count::increase(true);\n"
        assert text.count(old) == 1
        text = text.replace(old, "    force_no_backtrace: bool,\n) -> ! {\n"
                            "    #[cfg(target_os = \"solana\")]\n    {\n"
                            "        let _ = (can_unwind, force_no_backtrace);\n"
                            "        solana_fatal(&*payload, Some(location));\n    }\n"
                            "    let must_abort = panic_count::increase(true);\n")
        text += REPORT_FN
        p.write_text(text)
    std.edit("src/alloc.rs", "pub fn rust_oom(layout: Layout) -> ! {\n",
             "#[allow(unreachable_code)]\npub fn rust_oom(layout: Layout) -> ! {\n"
             "    #[cfg(target_os = \"solana\")]\n    {\n"
             "        let _ = layout;\n"
             "        crate::panicking::solana_fatal(&\"memory allocation failed, out of memory\", None);\n    }\n")
    std.edit("src/sys/pal/unsupported/common.rs", "pub fn abort_internal() -> ! {\n",
             "#[allow(unreachable_code)]\npub fn abort_internal() -> ! {\n"
             "    #[cfg(target_os = \"solana\")]\n    {\n"
             "        crate::panicking::solana_fatal(&\"abort\", None);\n    }\n")
    print(f"patched std for target_os=solana in {lib}")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
