use anchor_lang::prelude::*;
use depin_core::settle::outcome;

use crate::{
    errors::JobsError,
    events::JobExpired,
    state::{job_status, Job},
};

/// End a job whose claim window closed short of the quorum (permissionless).
#[derive(Accounts)]
pub struct ExpireJob<'info> {
    #[account(mut)]
    pub job: AccountLoader<'info, Job>,
}

impl ExpireJob<'_> {
    /// Specification: expire_job (permissionless crank)
    /// - Preconditions: job open; the claim window is over; fewer slots held than the quorum.
    /// - Effects: outcome expired, status settled, `settled_at = now`; emits `JobExpired`.
    ///   `release_slot` then returns each claimant's bond in full (nobody is at fault: the job
    ///   could never have reached a quorum) and `close_job` refunds everything.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let mut job = ctx.accounts.job.load_mut()?;
        require!(job.status == job_status::OPEN, JobsError::JobNotOpen);
        require!(job.expirable(now), JobsError::NotExpirable);
        job.status = job_status::SETTLED;
        job.outcome = outcome::EXPIRED;
        job.settled_at = now;
        emit!(JobExpired {
            job: ctx.accounts.job.key(),
            held: job.claimed,
            quorum: job.quorum,
        });
        Ok(())
    }
}
