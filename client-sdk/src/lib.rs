//! # depin-client
//!
//! The Rust SDK of depin-compute: program addresses, PDAs derived from the seeds in
//! [`depin_core::seeds`], typed instruction builders for both programs, typed account
//! decoding, and [`rpc`], the async layer over solana-client's nonblocking RPC and pubsub
//! clients (sending with retries and named program errors, `getProgramAccounts` queries,
//! waiting for settlement).
//!
//! ```
//! use depin_client::{pda, ix};
//! use anchor_lang::prelude::Pubkey;
//!
//! let mint = Pubkey::new_unique();
//! let (pool, _bump) = pda::pool(&mint);
//! let authority = Pubkey::new_unique(); // cold key: controls the stake
//! let operator = Pubkey::new_unique(); // hot key: what the worker signs with
//! let register =
//!     ix::staking::register_provider(&authority, &pool, &operator, "https://worker.example");
//! assert_eq!(register.program_id, depin_client::STAKING_PROGRAM_ID);
//! assert_eq!(register.accounts[3].pubkey, pda::provider(&pool, &authority).0);
//! ```

#![deny(missing_docs)]

pub use depin_core as core;
pub use depin_jobs::{
    self as jobs_program,
    state::{Job, Market, Slot},
};
pub use depin_staking::{
    self as staking_program,
    state::{Pool, Provider},
};

use anchor_lang::prelude::Pubkey;

/// Program id of `depin_staking`.
pub const STAKING_PROGRAM_ID: Pubkey = depin_staking::ID;
/// Program id of `depin_jobs`.
pub const JOBS_PROGRAM_ID: Pubkey = depin_jobs::ID;

pub mod accounts;
pub mod assign;
pub mod blob;
pub mod crank;
pub mod error;
pub mod events;
pub mod history;
pub mod ix;
pub mod live;
pub mod manifest;
pub mod netguard;
pub mod ops;
pub mod pda;
pub mod policy;
pub mod privacy;
pub mod private;
pub mod rpc;

pub use error::ClientError;
