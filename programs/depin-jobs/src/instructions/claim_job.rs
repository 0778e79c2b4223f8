use anchor_lang::prelude::*;

// Glob import: Anchor's derive for a composite field needs the field type's generated modules.
use crate::bond::*;
use crate::{
    errors::JobsError,
    events::JobClaimed,
    provider,
    state::{job_status, slot_state, Job},
};

#[derive(Accounts)]
pub struct ClaimJob<'info> {
    /// The provider's operator (the hot key its worker signs with).
    pub operator: Signer<'info>,

    #[account(
        mut,
        constraint = job.load()?.market == bond.market.key() @ JobsError::WrongMarket,
    )]
    pub job: AccountLoader<'info, Job>,

    /// The claimant's provider account in the market's staking pool, whose bond the `lock`
    /// CPI takes.
    #[account(
        constraint = !bond.market.paused @ JobsError::MarketPaused,
        constraint = provider::operator_of(&bond.provider)? == operator.key() @ JobsError::NotProviderOperator,
    )]
    pub bond: SlotBond<'info>,
}

impl ClaimJob<'_> {
    /// Specification: claim_job
    /// - Preconditions: market not paused; job of this market, open, before `claim_deadline`;
    ///   signer is the operator of `provider`, a provider of the market's staking pool that holds no slot of
    ///   this job; a free slot exists; the provider's free stake covers the bond (checked by
    ///   `depin_staking::lock`, which also refuses while the pool is paused).
    /// - Effects: the first free slot becomes claimed by `provider` at `now`; `claimed += 1`;
    ///   `lock(bond)` by CPI signed by the slasher PDA; emits `JobClaimed`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let provider_key = ctx.accounts.bond.provider.key();
        let (slot, bond) = {
            let mut job = ctx.accounts.job.load_mut()?;
            require!(job.status == job_status::OPEN, JobsError::JobNotOpen);
            require!(now < job.claim_deadline, JobsError::ClaimWindowClosed);
            require!(
                job.slot_of(&provider_key).is_none(),
                JobsError::AlreadyClaimed
            );
            let slot = job.free_slot().ok_or(JobsError::JobFull)?;
            let s = &mut job.slots[slot];
            s.provider = provider_key;
            s.state = slot_state::CLAIMED;
            s.claimed_at = now;
            job.claimed += 1; // at most `replicas` (<= 8): a free slot was found
            (slot, job.bond)
        };
        ctx.accounts.bond.lock(bond)?;
        emit!(JobClaimed {
            job: ctx.accounts.job.key(),
            provider: provider_key,
            operator: ctx.accounts.operator.key(),
            slot: slot as u8,
            bond,
        });
        Ok(())
    }
}
