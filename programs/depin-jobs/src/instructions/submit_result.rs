use anchor_lang::prelude::*;
use depin_core::limits;

use crate::{
    errors::JobsError,
    events::ResultSubmitted,
    provider,
    state::{slot_state, Job},
};

/// A single-replica result: the hash of the exit status and output, and where it is published.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct SubmitArgs {
    /// `depin_core::hash::result_hash` of the exit status and output.
    pub result_hash: [u8; 32],
    /// Where the output blob can be fetched (at most 128 bytes).
    pub result_uri: String,
}

#[derive(Accounts)]
pub struct SubmitResult<'info> {
    /// The provider's operator (the hot key its worker signs with).
    pub operator: Signer<'info>,

    #[account(mut)]
    pub job: AccountLoader<'info, Job>,

    /// CHECK: The provider account holding the job's only slot. (read in place by `crate::provider`).
    #[account(constraint = provider::operator_of(&provider)? == operator.key() @ JobsError::NotProviderOperator)]
    pub provider: UncheckedAccount<'info>,
}

impl SubmitResult<'_> {
    pub fn validate(&self, args: &SubmitArgs) -> Result<()> {
        require!(
            args.result_uri.len() <= limits::MAX_URI_LEN,
            JobsError::UriTooLong
        );
        Ok(())
    }

    /// Specification: submit_result (the replicas = 1 fast path)
    /// - Preconditions: job open with one replica; signer is the operator of `provider`, which holds the slot,
    ///   claimed and not committed, before the slot's deadline; the ranked claim phase is over
    ///   (chain slot >= `ranked_until_slot`).
    /// - Effects: stores the result hash and URI directly (no commit-reveal: with one replica
    ///   there is nobody to copy from); slot revealed; `committed = revealed = 1`, so the job can
    ///   be settled at once; emits `ResultSubmitted`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: SubmitArgs) -> Result<()> {
        let clock = Clock::get()?;
        let provider_key = ctx.accounts.provider.key();
        let mut job = ctx.accounts.job.load_mut()?;
        require!(job.replicas == 1, JobsError::NotSingleReplica);
        let slot = job.uncommitted_slot_of(&provider_key, clock.unix_timestamp)?;
        require!(!job.ranked_phase(clock.slot), JobsError::RankingOpen);
        let s = &mut job.slots[slot];
        s.result_hash = args.result_hash;
        s.result_uri_len = args.result_uri.len() as u8;
        s.result_uri[..args.result_uri.len()].copy_from_slice(args.result_uri.as_bytes());
        s.state = slot_state::REVEALED;
        job.committed = 1;
        job.revealed = 1;
        emit!(ResultSubmitted {
            job: ctx.accounts.job.key(),
            provider: provider_key,
            result_hash: args.result_hash,
            result_uri: args.result_uri,
        });
        Ok(())
    }
}
