//! The `monte_carlo_pi` example job (see examples/README.md).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;

#[path = "../rt.rs"]
mod rt;

#[no_mangle]
pub extern "C" fn _start() {
    rt::main(|args: &[String], input: &[u8]| {
        let _ = args;
        depin_kernels::pi::run(input)
    })
}
