use anchor_lang::prelude::*;
use depin_core::math;

// Glob import: Anchor's derive for a composite field needs the field type's generated modules.
use crate::bond::*;
use crate::{errors::JobsError, events::JobAbandoned, provider, state::Job};

#[derive(Accounts)]
pub struct AbandonJob<'info> {
    /// The provider's operator (the hot key its worker signs with).
    pub operator: Signer<'info>,

    #[account(
        mut,
        constraint = job.load()?.market == bond.market.key() @ JobsError::WrongMarket,
    )]
    pub job: AccountLoader<'info, Job>,

    /// The provider's bond (pool writable when a penalty is due).
    #[account(constraint = provider::operator_of(&bond.provider)? == operator.key() @ JobsError::NotProviderOperator)]
    pub bond: SlotBond<'info>,
}

impl AbandonJob<'_> {
    /// Specification: abandon_job
    /// - Preconditions: job of this market, open, before `commit_deadline` and before the
    ///   slot's own deadline (claim time + execution window); signer is the operator of `provider`, which
    ///   holds a slot of the job that is claimed but not committed.
    /// - Effects: `penalty = floor(bond * rate / 10000)` is slashed (for the pool treasury) and
    ///   the rest of the bond released (one CPI; a plain unlock when the penalty is 0), where
    ///   `rate` is `abandon_penalty_bps` while the claim window is open and within the grace
    ///   period after the claim (`depin_core::settle::abandon_grace_secs`), `slash_noshow_bps`
    ///   after (`Job::abandon_rate`); and 0 for a private job's holder whose key did not arrive
    ///   by its key deadline, or that gives back within the key window after its key arrived
    ///   (a key that does not open or does not match the job's key commitment: the chain
    ///   cannot tell, so refusing is free but possible only once per job and provider) — such
    ///   a free give-back counts in `key_failures`; the slot becomes free (claimable again while the claim
    ///   window is open, but never by this provider); `claimed -= 1`; emits `JobAbandoned`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let provider_key = ctx.accounts.bond.provider.key();
        let (slot, bond, penalty) = {
            let mut job = ctx.accounts.job.load_mut()?;
            let slot = job.uncommitted_slot_of(&provider_key, now)?;
            let rate = job.abandon_rate(slot, now);
            if job.key_withheld(slot, now) || job.key_refusable(slot, now) {
                job.count_key_failure();
            }
            let penalty = math::bps_floor(job.bond, rate).map_err(JobsError::from)?;
            job.give_back(slot);
            (slot, job.bond, penalty)
        };
        ctx.accounts.bond.settle(bond, penalty, false)?;
        emit!(JobAbandoned {
            job: ctx.accounts.job.key(),
            provider: provider_key,
            slot: slot as u8,
            penalty,
            released: bond - penalty,
        });
        Ok(())
    }
}
