//! # depin_jobs
//!
//! Markets, job escrow, claims, commit-reveal, settlement, payout and refunds of the
//! depin-compute marketplace. Provider bonds live in `depin_staking`; this program locks,
//! unlocks and slashes them by CPI, signing as its `["slasher"]` PDA.

use anchor_lang::prelude::*;

#[cfg(all(target_os = "solana", feature = "upstream-sbf"))]
use solana_compiler_builtins as _;

pub mod errors;
pub mod events;
pub mod instructions;
pub mod staking_cpi;
pub mod state;

pub use errors::JobsError;
use instructions::*;

declare_id!("AvzVCdj4Yt3mg4JUre26R8eXcVYKBXsVXfLRuYvYURaS");

#[program]
pub mod depin_jobs {
    use super::*;

    /// Create a market for one payment mint, linked to a staking pool.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn initialize_market(ctx: Context<InitializeMarket>, args: MarketConfig) -> Result<()> {
        InitializeMarket::handle(ctx, args)
    }

    /// Change a market's settings, treasury, admin or paused flag.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn update_market(ctx: Context<UpdateMarket>, args: UpdateMarketArgs) -> Result<()> {
        UpdateMarket::handle(ctx, args)
    }

    /// Post a job and escrow its reward.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn post_job(ctx: Context<PostJob>, args: PostJobArgs) -> Result<()> {
        PostJob::handle(ctx, args)
    }

    /// Take a free slot of a job; locks the provider's bond by CPI.
    pub fn claim_job(ctx: Context<ClaimJob>) -> Result<()> {
        ClaimJob::handle(ctx)
    }

    /// Give a claimed slot back before committing (small penalty, rest of the bond released).
    pub fn abandon_job(ctx: Context<AbandonJob>) -> Result<()> {
        AbandonJob::handle(ctx)
    }

    /// Commit to a result: `sha256("depin-commit-v1" ‖ job ‖ provider ‖ result_hash ‖ salt)`.
    #[access_control(ctx.accounts.validate(&commitment))]
    pub fn commit_result(ctx: Context<CommitResult>, commitment: [u8; 32]) -> Result<()> {
        CommitResult::handle(ctx, commitment)
    }

    /// Reveal a committed result.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn reveal_result(ctx: Context<RevealResult>, args: RevealArgs) -> Result<()> {
        RevealResult::handle(ctx, args)
    }

    /// Cancel a job nobody holds a slot of; refund the escrow.
    pub fn cancel_job(ctx: Context<CancelJob>) -> Result<()> {
        CancelJob::handle(ctx)
    }
}
