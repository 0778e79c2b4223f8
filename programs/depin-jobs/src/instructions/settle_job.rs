use anchor_lang::prelude::*;

use crate::{
    errors::JobsError,
    events::JobSettled,
    state::{job_status, Job},
};

/// Record a job's outcome (permissionless).
#[derive(Accounts)]
pub struct SettleJob<'info> {
    #[account(mut)]
    pub job: AccountLoader<'info, Job>,
}

impl SettleJob<'_> {
    /// Specification: settle_job (permissionless crank)
    /// - Preconditions: job open; it did not end short of the quorum (that is `expire_job`);
    ///   no reveal can still come: every replica revealed, or the claim window is over and
    ///   every held slot revealed, or the reveal deadline passed.
    /// - Effects: tallies the revealed hashes; the group reaching the quorum (unique, since
    ///   `2 * quorum > replicas`) is agreed, otherwise the outcome is no quorum; records
    ///   `outcome`, `agreed_hash`, `winners`, `settled_at`; status settled; emits
    ///   `JobSettled`. Payouts, slashes and the refund follow through `release_slot` (one per
    ///   held slot) and `close_job`, so no instruction carries more than one bond CPI.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let mut job = ctx.accounts.job.load_mut()?;
        require!(job.status == job_status::OPEN, JobsError::JobNotOpen);
        require!(!job.expirable(now), JobsError::JobExpirable);
        require!(job.settle_ready(now), JobsError::SettleTooEarly);
        let t = job.tally();
        job.status = job_status::SETTLED;
        job.outcome = t.outcome;
        job.agreed_hash = t.agreed_hash;
        job.winners = t.winners;
        job.settled_at = now;
        emit!(JobSettled {
            job: ctx.accounts.job.key(),
            outcome: t.outcome,
            agreed_hash: t.agreed_hash,
            winners: t.winners,
            held: job.claimed,
            revealed: job.revealed,
        });
        Ok(())
    }
}
