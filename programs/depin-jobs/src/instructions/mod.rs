//! One module per instruction.

pub mod initialize_market;

pub use initialize_market::*;
