//! The tiny runtime of the example jobs: a bump allocator on WebAssembly linear memory, WASI
//! preview 1 stdin/stdout/stderr/argv/exit, and the entry point glue. `no_std`, so the jobs
//! build with only `core` and `alloc` (no libc) and import nothing beyond five WASI calls.

use alloc::{string::String, vec::Vec};
use core::alloc::{GlobalAlloc, Layout};

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    fn fd_read(fd: u32, iovs: *const IoVec, n: usize, read: *mut usize) -> u16;
    fn fd_write(fd: u32, iovs: *const IoVec, n: usize, written: *mut usize) -> u16;
    fn args_sizes_get(count: *mut usize, size: *mut usize) -> u16;
    fn args_get(argv: *mut *mut u8, buf: *mut u8) -> u16;
    fn proc_exit(code: u32) -> !;
}

#[repr(C)]
struct IoVec {
    ptr: *const u8,
    len: usize,
}

/// Bump allocator: jobs are short-lived, memory is returned when the instance ends.
struct Bump;

static mut NEXT: usize = 0;
static mut END: usize = 0;

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let align = layout.align();
        let start = (NEXT + align - 1) & !(align - 1);
        let Some(end) = start.checked_add(layout.size()) else {
            return core::ptr::null_mut();
        };
        if end > END {
            let pages = (end - END).div_ceil(65536);
            let prev = core::arch::wasm32::memory_grow(0, pages);
            if prev == usize::MAX {
                return core::ptr::null_mut();
            }
            if END == 0 {
                // First allocation: start after the memory the module was given.
                let base = prev * 65536;
                NEXT = base;
                END = base + pages * 65536;
                return self.alloc(layout);
            }
            END += pages * 65536;
        }
        NEXT = end;
        start as *mut u8
    }

    unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
}

#[global_allocator]
static ALLOC: Bump = Bump;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut msg = String::new();
    let _ = core::fmt::write(&mut msg, format_args!("panic: {}\n", info.message()));
    write_all(2, msg.as_bytes());
    unsafe { proc_exit(101) }
}

/// All of stdin.
pub fn read_stdin() -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let iov = IoVec {
            ptr: buf.as_mut_ptr(),
            len: buf.len(),
        };
        let mut n = 0;
        if unsafe { fd_read(0, &iov, 1, &mut n) } != 0 || n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Write everything to `fd`.
pub fn write_all(fd: u32, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let iov = IoVec {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        };
        let mut n = 0;
        if unsafe { fd_write(fd, &iov, 1, &mut n) } != 0 || n == 0 {
            return;
        }
        bytes = &bytes[n..];
    }
}

/// argv[1..] as strings (arguments that are not UTF-8 are skipped).
pub fn args() -> Vec<String> {
    let (mut count, mut size) = (0usize, 0usize);
    if unsafe { args_sizes_get(&mut count, &mut size) } != 0 || count == 0 {
        return Vec::new();
    }
    let mut ptrs = alloc::vec![core::ptr::null_mut::<u8>(); count];
    let mut buf = alloc::vec![0u8; size];
    if unsafe { args_get(ptrs.as_mut_ptr(), buf.as_mut_ptr()) } != 0 {
        return Vec::new();
    }
    buf.split(|&b| b == 0)
        .skip(1)
        .take(count - 1)
        .filter_map(|a| core::str::from_utf8(a).ok().map(String::from))
        .collect()
}

/// Run a kernel: stdout on success, with one log line on stderr (logs are part of the agreed
/// result, so they are as deterministic as the output); on error the message on stderr and
/// exit code 2.
pub fn main(kernel: impl FnOnce(&[String], &[u8]) -> depin_kernels::KernelResult) -> ! {
    let args = args();
    let input = read_stdin();
    match kernel(&args, &input) {
        Ok(out) => {
            let log = alloc::format!(
                "read {} input bytes, {} arguments; wrote {} output bytes\n",
                input.len(),
                args.len(),
                out.len()
            );
            write_all(2, log.as_bytes());
            write_all(1, &out);
            unsafe { proc_exit(0) }
        }
        Err(msg) => {
            write_all(2, msg.as_bytes());
            write_all(2, b"\n");
            unsafe { proc_exit(2) }
        }
    }
}
