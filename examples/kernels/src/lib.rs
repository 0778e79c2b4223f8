//! Example job kernels, shared by the WebAssembly jobs (`examples/wasm`) and native code (the
//! WASM-vs-native benchmark, tests). `no_std` + `alloc`, no dependencies, no floating-point
//! functions beyond IEEE add/mul/div (bit-identical on every platform), no hashing with random
//! seeds: the same input gives the same bytes everywhere.
//!
//! Each kernel maps `(args, input bytes)` to output bytes or an error message; the WASI entry
//! points turn an error into exit code 2 with the message on stderr.

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

pub mod heat;
pub mod kmer;
pub mod pi;

use alloc::string::String;

/// A kernel's failure: a message for stderr (exit code 2).
pub type KernelResult = Result<alloc::vec::Vec<u8>, String>;

/// Whitespace-separated unsigned integers of a text input.
pub(crate) fn parse_numbers<const N: usize>(input: &[u8], what: &str) -> Result<[u64; N], String> {
    let text =
        core::str::from_utf8(input).map_err(|_| alloc::format!("{what}: input is not UTF-8"))?;
    let mut out = [0u64; N];
    let mut it = text.split_ascii_whitespace();
    for slot in out.iter_mut() {
        let word = it
            .next()
            .ok_or_else(|| alloc::format!("{what}: expected {N} numbers in the input"))?;
        *slot = word
            .parse()
            .map_err(|_| alloc::format!("{what}: `{word}` is not an unsigned integer"))?;
    }
    if it.next().is_some() {
        return Err(alloc::format!(
            "{what}: expected exactly {N} numbers in the input"
        ));
    }
    Ok(out)
}
