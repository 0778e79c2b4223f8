//! The `monte_carlo_pi` example job (see examples/README.md).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;

#[path = "../rt.rs"]
mod rt;

#[no_mangle]
pub extern "C" fn _start() {
    rt::main(|_args: &[String], input: &[u8]| {
        depin_kernels::pi::run(input)
    })
}
