//! # depin-core
//!
//! The protocol facts that the on-chain programs, the client SDK and the worker must agree on,
//! written once: PDA seeds and their derivation, limits, account sizes, hash domains, and the pure arithmetic of
//! staking and settlement.
//!
//! Everything here compiles both for the host and for SBF. Arithmetic is written for the
//! upstream-LLVM SBF route this project builds with (see `docs/sbf-toolchain.md`): no `u128`,
//! no `checked_mul`/`overflowing_mul` (both silently become 0 on that route). Overflow is
//! detected by division first and the multiply itself is a plain wrapping `u64` multiply.
//! Every helper is tested on the host at the `u64` edges.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod exec;
pub mod governance;
pub mod hash;
pub mod limits;
pub mod math;
#[cfg(not(target_os = "solana"))]
pub mod montecarlo;
pub mod pda;
pub mod seeds;
pub mod settle;
pub mod sortition;
pub mod stake;

pub use math::MathError;
pub use stake::{StakeError, StakeLedger};
