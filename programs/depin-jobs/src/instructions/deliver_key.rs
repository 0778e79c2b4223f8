use anchor_lang::prelude::*;
use depin_core::limits;

use crate::{
    errors::JobsError,
    events::KeyDelivered,
    state::{job_status, slot_state, Job},
};

/// One claimant's key envelope of a private job.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeliverKeyArgs {
    /// The slot.
    pub slot: u8,
    /// The provider account the envelope was sealed for: it must still hold the slot, so an
    /// envelope sealed for a holder that was displaced or gave the slot back is refused
    /// rather than left for its successor, who could not open it.
    pub provider: Pubkey,
    /// The job secret sealed to the holder's operator key (`depin_client::privacy`).
    pub envelope: [u8; limits::ENVELOPE_LEN],
}

#[derive(Accounts)]
pub struct DeliverKey<'info> {
    /// The job's requester, the only one who knows the secret.
    pub requester: Signer<'info>,

    #[account(mut, has_one = requester @ JobsError::NotRequester)]
    pub job: AccountLoader<'info, Job>,
}

impl DeliverKey<'_> {
    pub fn validate(&self, args: &DeliverKeyArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let job = self.job.load()?;
        require!(job.status == job_status::OPEN, JobsError::JobNotOpen);
        require!(job.is_private(), JobsError::NotPrivate);
        let slot = args.slot as usize;
        require!(slot < job.replicas as usize, JobsError::InvalidSlot);
        let s = &job.slots[slot];
        require!(
            s.state == slot_state::CLAIMED && s.provider == args.provider,
            JobsError::WrongSlotHolder
        );
        require!(s.key_at == 0, JobsError::KeyAlreadyDelivered);
        require!(now < job.key_deadline(slot), JobsError::KeyWindowClosed);
        require!(
            args.envelope != [0; limits::ENVELOPE_LEN],
            JobsError::EmptyEnvelope
        );
        Ok(())
    }

    /// Specification: deliver_key
    /// - Preconditions: signer is the job's requester; the job is open and private (non-zero
    ///   key commitment); `slot` is one of its replicas, claimed (not committed) by `provider`,
    ///   with no key delivered yet; `now` is before the slot's key deadline (claim time +
    ///   `depin_core::settle::key_window_secs(execution window)`); the envelope is not all
    ///   zero.
    /// - Effects: stores the envelope in the slot, `key_at = now` (delivery is thereby
    ///   provable: a holder without `key_at` past the key deadline gives its slot back without
    ///   penalty and is never slashed); emits `KeyDelivered`.
    pub fn handle(ctx: Context<Self>, args: DeliverKeyArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let mut job = ctx.accounts.job.load_mut()?;
        let s = &mut job.slots[args.slot as usize];
        s.envelope = args.envelope;
        s.key_at = now;
        emit!(KeyDelivered {
            job: ctx.accounts.job.key(),
            slot: args.slot,
            provider: args.provider,
            delivered_at: now,
        });
        Ok(())
    }
}
