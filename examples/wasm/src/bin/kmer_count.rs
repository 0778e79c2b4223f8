//! The `kmer_count` example job (see examples/README.md).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;

#[path = "../rt.rs"]
mod rt;

#[no_mangle]
pub extern "C" fn _start() {
    rt::main(|args: &[String], input: &[u8]| {
        depin_kernels::kmer::run(&args.iter().map(String::as_str).collect::<alloc::vec::Vec<_>>(), input)
    })
}
