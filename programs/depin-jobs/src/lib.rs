//! # depin_jobs
//!
//! Markets, job escrow, claims, commit-reveal, settlement, payout and refunds of the
//! depin-compute marketplace. Provider bonds live in `depin_staking`; this program locks,
//! unlocks and slashes them by CPI, signing as its `["slasher"]` PDA.

use anchor_lang::prelude::*;

#[cfg(all(target_os = "solana", feature = "upstream-sbf"))]
use solana_compiler_builtins as _;

pub mod bond;
pub mod errors;
pub mod escrow;
pub mod events;
pub mod instructions;
pub mod market_terms;
pub mod provider;
pub mod staking_cpi;
pub mod state;

pub use errors::JobsError;
use instructions::*;

#[cfg(not(feature = "no-entrypoint"))]
solana_security_txt::security_txt! {
    name: "depin-compute jobs",
    project_url: "https://depin-compute.dev",
    contacts: "email:security@depin-compute.dev",
    policy: "https://depin-compute.dev/SECURITY.md",
    preferred_languages: "en",
    source_code: "https://depin-compute.dev/source",
    auditors: "None"
}

declare_id!("AvzVCdj4Yt3mg4JUre26R8eXcVYKBXsVXfLRuYvYURaS");

#[program]
pub mod depin_jobs {
    use super::*;

    /// Record who may create markets (signed by this program's upgrade authority, once).
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

    /// Create a market for one payment mint, linked to a staking pool (config authority only).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn initialize_market(ctx: Context<InitializeMarket>, args: MarketConfig) -> Result<()> {
        InitializeMarket::handle(ctx, args)
    }

    /// Change a market's settings (rate increases after notice), admin or paused flag.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn update_market(ctx: Context<UpdateMarket>, args: UpdateMarketArgs) -> Result<()> {
        UpdateMarket::handle(ctx, args)
    }

    /// Move accrued fees out of the market's fee vault (admin only).
    pub fn withdraw_fees(ctx: Context<WithdrawFees>, amount: Option<u64>) -> Result<()> {
        WithdrawFees::handle(ctx, amount)
    }

    /// Post a job and escrow its reward. (`PostJob::handle` runs `validate` itself, with the
    /// market terms it read once.)
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

    /// Single-replica fast path: record the result directly (no commit-reveal).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn submit_result(ctx: Context<SubmitResult>, args: SubmitArgs) -> Result<()> {
        SubmitResult::handle(ctx, args)
    }

    /// Free a slot whose holder missed its deadline (no-show penalty); permissionless.
    pub fn reclaim_slot(ctx: Context<ReclaimSlot>) -> Result<()> {
        ReclaimSlot::handle(ctx)
    }

    /// Tally the reveals and record the outcome; permissionless.
    pub fn settle_job(ctx: Context<SettleJob>) -> Result<()> {
        SettleJob::handle(ctx)
    }

    /// End a job whose claim window closed short of the quorum; permissionless.
    pub fn expire_job(ctx: Context<ExpireJob>) -> Result<()> {
        ExpireJob::handle(ctx)
    }

    /// Pay, release or slash one held slot of a settled job; permissionless.
    pub fn release_slot(ctx: Context<ReleaseSlot>) -> Result<()> {
        ReleaseSlot::handle(ctx)
    }

    /// Move the fees to the fee vault, refund the rest, close escrow and job; permissionless.
    pub fn close_job(ctx: Context<CloseJob>) -> Result<()> {
        CloseJob::handle(ctx)
    }

    /// Admit a provider to an allow-listed market, or end its admission (market admin).
    pub fn set_accreditation(ctx: Context<SetAccreditation>, accredited: bool) -> Result<()> {
        SetAccreditation::handle(ctx, accredited)
    }

    /// Deliver one claimant's key envelope of a private job (requester).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn deliver_key(ctx: Context<DeliverKey>, args: DeliverKeyArgs) -> Result<()> {
        DeliverKey::handle(ctx, args)
    }

    /// Cancel a job nobody holds a slot of; refund the escrow.
    pub fn cancel_job(ctx: Context<CancelJob>) -> Result<()> {
        CancelJob::handle(ctx)
    }
}
