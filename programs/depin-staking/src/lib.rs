//! # depin_staking
//!
//! Provider collateral for the depin-compute marketplace: a pool per stake mint, provider
//! accounts that stake into the pool's vault, an unbonding delay on the way out, and per-job
//! bond locks that only the jobs program's `["slasher"]` PDA may lock, unlock or slash.
//!
//! Invariants (checked at the end of every handler that moves stake):
//! `locked + unbonding <= staked` for each provider, and vault balance >=
//! `pool.total_staked + pool.pending_slashed`, with `pool.total_staked` = Σ `provider.staked`
//! (the vault may hold more: anyone can send tokens to it; `sweep_slashed` moves the surplus
//! to the treasury). Only the config authority, set by the upgrade authority, creates pools.

use anchor_lang::prelude::*;

#[cfg(all(target_os = "solana", feature = "upstream-sbf"))]
use solana_compiler_builtins as _;

pub mod errors;
pub mod events;
pub mod in_place;
pub mod instructions;
pub mod pda_account;
pub mod state;

pub use errors::StakingError;
use instructions::*;

#[cfg(not(feature = "no-entrypoint"))]
solana_security_txt::security_txt! {
    name: "depin-compute staking",
    project_url: "https://depin-compute.dev",
    contacts: "email:security@depin-compute.dev",
    policy: "https://depin-compute.dev/SECURITY.md",
    preferred_languages: "en",
    source_code: "https://depin-compute.dev/source",
    auditors: "None"
}

declare_id!("2rLAoiorbQfSjaSxBiBVK6n7anzdH6TAuLrGAPNwe1Qt");

#[program]
pub mod depin_staking {
    use super::*;

    /// Record who may create pools (signed by this program's upgrade authority, once).
    pub fn initialize_config(
        ctx: Context<InitializeConfig>,
        args: InitializeConfigArgs,
    ) -> Result<()> {
        InitializeConfig::handle(ctx, args)
    }

    /// Hand the config authority over (the new authority co-signs).
    pub fn set_config_authority(ctx: Context<SetConfigAuthority>) -> Result<()> {
        SetConfigAuthority::handle(ctx)
    }

    /// Create the staking pool of a stake mint, with its vault (config authority only).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn initialize_pool(ctx: Context<InitializePool>, args: InitializePoolArgs) -> Result<()> {
        InitializePool::handle(ctx, args)
    }

    /// Open a provider account in a pool.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn register_provider(
        ctx: Context<RegisterProvider>,
        args: RegisterProviderArgs,
    ) -> Result<()> {
        RegisterProvider::handle(ctx, args)
    }

    /// Change the key a provider's worker signs with (authority only).
    pub fn set_operator(ctx: Context<SetOperator>) -> Result<()> {
        SetOperator::handle(ctx)
    }

    /// Publish the policy the provider's worker accepts jobs by (operator or authority).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn set_policy(ctx: Context<SetPolicy>, args: SetPolicyArgs) -> Result<()> {
        SetPolicy::handle(ctx, args)
    }

    /// Change a pool's admin, treasury, unbonding delay or paused flag.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn update_pool(ctx: Context<UpdatePool>, args: UpdatePoolArgs) -> Result<()> {
        UpdatePool::handle(ctx, args)
    }

    /// Deposit stake from the provider authority's token account into the pool vault.
    #[access_control(ctx.accounts.validate(amount))]
    pub fn stake(ctx: Context<Stake>, amount: u64) -> Result<()> {
        Stake::handle(ctx, amount)
    }

    /// Start unbonding free stake.
    #[access_control(ctx.accounts.validate(amount))]
    pub fn request_unstake(ctx: Context<RequestUnstake>, amount: u64) -> Result<()> {
        RequestUnstake::handle(ctx, amount)
    }

    /// Withdraw everything unbonding once the delay has passed.
    pub fn withdraw(ctx: Context<Withdraw>) -> Result<()> {
        Withdraw::handle(ctx)
    }

    /// Bond free stake to a job (slasher only).
    #[access_control(ctx.accounts.validate(amount))]
    pub fn lock(ctx: Context<Lock>, amount: u64) -> Result<()> {
        Lock::handle(ctx, amount)
    }

    /// Release a job bond (slasher only).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn unlock(ctx: Context<Unlock>, args: UnlockArgs) -> Result<()> {
        Unlock::handle(ctx, args)
    }

    /// Slash part of a bond to the treasury and release the rest (slasher only).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn slash(ctx: Context<Slash>, args: SlashArgs) -> Result<()> {
        Slash::handle(ctx, args)
    }

    /// Move slashed stake and any vault surplus to the pool treasury; permissionless.
    pub fn sweep_slashed(ctx: Context<SweepSlashed>) -> Result<()> {
        SweepSlashed::handle(ctx)
    }

    /// Close an empty provider account.
    pub fn close_provider(ctx: Context<CloseProvider>) -> Result<()> {
        CloseProvider::handle(ctx)
    }
}
