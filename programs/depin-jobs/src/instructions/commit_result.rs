use anchor_lang::prelude::*;

use crate::{
    errors::JobsError,
    events::ResultCommitted,
    provider,
    state::{slot_state, Job},
};

#[derive(Accounts)]
pub struct CommitResult<'info> {
    /// The provider's operator (the hot key its worker signs with).
    pub operator: Signer<'info>,

    #[account(mut)]
    pub job: AccountLoader<'info, Job>,

    /// CHECK: The provider account holding a slot of the job. (read in place by `crate::provider`).
    #[account(constraint = provider::operator_of(&provider)? == operator.key() @ JobsError::NotProviderOperator)]
    pub provider: UncheckedAccount<'info>,
}

impl CommitResult<'_> {
    pub fn validate(&self, commitment: &[u8; 32]) -> Result<()> {
        require!(*commitment != [0; 32], JobsError::ZeroCommitment);
        Ok(())
    }

    /// Specification: commit_result
    /// - Preconditions: job open, before `commit_deadline` and the slot's own deadline; the
    ///   ranked claim phase is over (chain slot >= `ranked_until_slot`, so no holder commits to
    ///   a slot it could still lose); signer is the operator of `provider`, which holds a
    ///   claimed, not yet committed slot; `commitment` is non-zero. Equal commitments of
    ///   different slots are allowed: a commitment binds the provider's key, so a copied one
    ///   could never be revealed, and refusing duplicates would let anyone who saw a pending
    ///   commitment front-run it and lock its author out.
    /// - Effects: stores `commitment =
    ///   sha256("depin-commit-v1" ‖ job ‖ provider ‖ result_hash ‖ salt)`; slot committed;
    ///   `committed += 1`; emits `ResultCommitted`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, commitment: [u8; 32]) -> Result<()> {
        let clock = Clock::get()?;
        let provider_key = ctx.accounts.provider.key();
        let mut job = ctx.accounts.job.load_mut()?;
        let slot = job.uncommitted_slot_of(&provider_key, clock.unix_timestamp)?;
        require!(!job.ranked_phase(clock.slot), JobsError::RankingOpen);
        job.slots[slot].commitment = commitment;
        job.slots[slot].state = slot_state::COMMITTED;
        job.committed += 1; // at most the number of held slots
        emit!(ResultCommitted {
            job: ctx.accounts.job.key(),
            provider: provider_key,
            slot: slot as u8,
            commitment,
        });
        Ok(())
    }
}
