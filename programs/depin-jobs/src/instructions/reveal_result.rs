use anchor_lang::prelude::*;
use depin_core::{hash, limits};

use crate::{
    errors::JobsError,
    events::ResultRevealed,
    provider,
    state::{job_status, slot_state, Job},
};

/// A reveal: the committed result hash, its salt, and where the output is published.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct RevealArgs {
    /// `depin_core::hash::result_hash` of the exit status and output.
    pub result_hash: [u8; 32],
    /// The 32-byte salt used in the commitment.
    pub salt: [u8; 32],
    /// Where the output blob can be fetched (at most 128 bytes).
    pub result_uri: String,
}

#[derive(Accounts)]
pub struct RevealResult<'info> {
    /// The provider's operator (the hot key its worker signs with).
    pub operator: Signer<'info>,

    #[account(mut)]
    pub job: AccountLoader<'info, Job>,

    /// CHECK: The provider account holding a committed slot of the job. (read in place by `crate::provider`).
    #[account(constraint = provider::operator_of(&provider)? == operator.key() @ JobsError::NotProviderOperator)]
    pub provider: UncheckedAccount<'info>,
}

impl RevealResult<'_> {
    pub fn validate(&self, args: &RevealArgs) -> Result<()> {
        require!(
            args.result_uri.len() <= limits::MAX_URI_LEN,
            JobsError::UriTooLong
        );
        Ok(())
    }

    /// Specification: reveal_result
    /// - Preconditions: job open; reveals open (every replica committed, or the claim window is
    ///   over and every held slot committed, or the commit deadline passed) and before
    ///   `reveal_deadline`; signer is the operator of `provider`, which holds a committed slot;
    ///   `commitment(job, provider, result_hash, salt)` equals the stored commitment.
    /// - Effects: stores the result hash and URI; slot revealed; `revealed += 1`; emits
    ///   `ResultRevealed`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: RevealArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let job_key = ctx.accounts.job.key();
        let provider_key = ctx.accounts.provider.key();
        let mut job = ctx.accounts.job.load_mut()?;
        require!(job.status == job_status::OPEN, JobsError::JobNotOpen);
        require!(now < job.reveal_deadline, JobsError::RevealWindowClosed);
        require!(job.reveal_open(now), JobsError::RevealNotOpen);
        let slot = job.slot_of(&provider_key).ok_or(JobsError::NotSlotHolder)?;
        match job.slots[slot].state {
            slot_state::COMMITTED => {}
            slot_state::REVEALED => return err!(JobsError::AlreadyRevealed),
            _ => return err!(JobsError::NotCommitted),
        }
        let expected = hash::commitment(&job_key, &provider_key, &args.result_hash, &args.salt);
        require!(
            expected == job.slots[slot].commitment,
            JobsError::CommitmentMismatch
        );
        let s = &mut job.slots[slot];
        s.result_hash = args.result_hash;
        s.result_uri_len = args.result_uri.len() as u8;
        s.result_uri[..args.result_uri.len()].copy_from_slice(args.result_uri.as_bytes());
        s.state = slot_state::REVEALED;
        job.revealed += 1; // at most the number of committed slots
        emit!(ResultRevealed {
            job: job_key,
            provider: provider_key,
            slot: slot as u8,
            result_hash: args.result_hash,
            result_uri: args.result_uri,
        });
        Ok(())
    }
}
