//! # depin_staking
//!
//! Provider collateral for the depin-compute marketplace: a pool per stake mint, provider
//! accounts that stake into the pool's vault, an unbonding delay on the way out, and per-job
//! bond locks that only the jobs program's `["slasher"]` PDA may lock, unlock or slash.
//!
//! Invariants (checked at the end of every handler that moves stake):
//! `locked + unbonding <= staked` for each provider, and vault balance = `pool.total_staked`
//! = Σ `provider.staked`.

use anchor_lang::prelude::*;

#[cfg(all(target_os = "solana", feature = "upstream-sbf"))]
use solana_compiler_builtins as _;

pub mod errors;
pub mod events;
pub mod instructions;
pub mod state;

pub use errors::StakingError;
use instructions::*;

declare_id!("2rLAoiorbQfSjaSxBiBVK6n7anzdH6TAuLrGAPNwe1Qt");

#[program]
pub mod depin_staking {
    use super::*;

    /// Create the staking pool of a stake mint, with its vault.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn initialize_pool(ctx: Context<InitializePool>, args: InitializePoolArgs) -> Result<()> {
        InitializePool::handle(ctx, args)
    }

    /// Open a provider account in a pool.
    #[access_control(ctx.accounts.validate(&uri))]
    pub fn register_provider(ctx: Context<RegisterProvider>, uri: String) -> Result<()> {
        RegisterProvider::handle(ctx, uri)
    }

    /// Deposit stake from the provider owner's token account into the pool vault.
    #[access_control(ctx.accounts.validate(amount))]
    pub fn stake(ctx: Context<Stake>, amount: u64) -> Result<()> {
        Stake::handle(ctx, amount)
    }
}
