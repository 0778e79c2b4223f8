use anchor_lang::prelude::*;

// Glob import: Anchor's derive for a composite field needs the field type's generated modules.
use crate::bond::*;
use crate::{
    errors::JobsError,
    events::SlotReclaimed,
    state::{job_status, slot_state, Job},
};

/// Free a slot whose holder let its deadline pass without committing (permissionless).
#[derive(Accounts)]
pub struct ReclaimSlot<'info> {
    #[account(
        mut,
        constraint = job.load()?.market == bond.market.key() @ JobsError::WrongMarket,
    )]
    pub job: AccountLoader<'info, Job>,

    /// The late holder's bond (pool writable when the no-show slash is non-zero).
    pub bond: SlotBond<'info>,
}

impl ReclaimSlot<'_> {
    /// Specification: reclaim_slot (permissionless crank)
    /// - Preconditions: job of this market, open; `provider` holds a slot that is claimed but
    ///   not committed, and the slot's deadline (claim time + execution window) has passed.
    /// - Effects: the no-show penalty `floor(bond * slash_noshow_bps / 10000)` is slashed to
    ///   the pool treasury and the rest released (one CPI) — nothing is slashed from the holder
    ///   of a private job whose key never arrived (`Job::late_verdict`; counted in
    ///   `key_failures`); the slot becomes free, so another
    ///   provider (never the late one) can claim it while the claim window is open;
    ///   `claimed -= 1` (which can also open reveals for the slots that did commit; it never
    ///   makes a job that had a quorum of claimants expire); emits `SlotReclaimed`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let provider_key = ctx.accounts.bond.provider.key();
        let (slot, bond, s) = {
            let mut job = ctx.accounts.job.load_mut()?;
            require!(job.status == job_status::OPEN, JobsError::JobNotOpen);
            let slot = job.slot_of(&provider_key).ok_or(JobsError::NotSlotHolder)?;
            require!(
                job.slots[slot].state == slot_state::CLAIMED,
                JobsError::AlreadyCommitted
            );
            require!(now >= job.slot_deadline(slot), JobsError::SlotNotLate);
            let verdict = job.late_verdict(slot);
            let s = job.terms().settle(verdict).map_err(JobsError::from)?;
            if verdict == depin_core::settle::Verdict::Released {
                job.count_key_failure();
            }
            job.give_back(slot);
            (slot, job.bond, s)
        };
        ctx.accounts.bond.settle(bond, s.penalty, false)?;
        emit!(SlotReclaimed {
            job: ctx.accounts.job.key(),
            provider: provider_key,
            slot: slot as u8,
            penalty: s.penalty,
            released: s.released,
        });
        Ok(())
    }
}
