use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use depin_core::{math, settle::Verdict};

// Glob import: Anchor's derive for a composite field needs the field type's generated modules.
use crate::bond::*;
use crate::{
    errors::JobsError,
    escrow::{Escrow, JobSigner},
    events::SlotReleased,
    provider,
    state::{job_status, Job},
};

/// Pay, release or slash one held slot of a settled job (permissionless).
#[derive(Accounts)]
pub struct ReleaseSlot<'info> {
    #[account(
        mut,
        constraint = job.load()?.market == bond.market.key() @ JobsError::WrongMarket,
    )]
    pub job: AccountLoader<'info, Job>,

    /// CHECK: the job's escrow (address checked against the job; the token program checks the
    /// rest when it pays from it).
    #[account(mut, constraint = escrow.key() == job.load()?.escrow @ JobsError::WrongEscrow)]
    pub escrow: UncheckedAccount<'info>,

    /// The slot holder's bond (pool writable when a penalty is due).
    pub bond: SlotBond<'info>,

    pub token_program: Program<'info, Token>,

    /// Token account of the provider's authority for the payment mint; required for a winner.
    #[account(
        mut,
        constraint = payout_to.owner == provider::authority_of(&bond.provider)? @ JobsError::WrongTokenOwner,
        constraint = payout_to.mint == bond.market.payment_mint @ JobsError::WrongMint,
    )]
    pub payout_to: Option<Box<Account<'info, TokenAccount>>>,
}

impl ReleaseSlot<'_> {
    /// Specification: release_slot (permissionless crank)
    /// - Preconditions: job of this market, settled (or expired); `provider` holds a slot of it
    ///   that is not released yet; for a winner with a non-zero payout, `payout_to` is a
    ///   payment-mint account of the provider's authority.
    /// - Effects, by the slot's verdict (`depin_core::settle`): a winner, or a revealer of a
    ///   job without a quorum, is paid `reward - ceil(reward * fee_bps / 10000)` from escrow,
    ///   the fee accrues to `job.fees`, its bond is released (counted completed for a winner);
    ///   a wrong result loses `floor(bond * slash_wrong_bps / 10000)`, a no-show (never
    ///   committed) `floor(bond * slash_noshow_bps / 10000)`, a withheld reveal (committed,
    ///   never revealed) the larger of the two, to the pool treasury, the rest released; after
    ///   expiry the bond is released in full. Slot marked released, `released += 1`,
    ///   `paid += payout`; emits `SlotReleased`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let provider_key = ctx.accounts.bond.provider.key();
        let (slot, bond, verdict, s, signer) = {
            let mut job = ctx.accounts.job.load_mut()?;
            require!(job.status == job_status::SETTLED, JobsError::JobNotSettled);
            let slot = job.slot_of(&provider_key).ok_or(JobsError::NotSlotHolder)?;
            require!(
                job.slots[slot].released == 0,
                JobsError::SlotAlreadyReleased
            );
            let verdict = job.verdict(slot);
            let s = job.terms().settle(verdict).map_err(JobsError::from)?;
            job.slots[slot].released = 1;
            job.released += 1; // at most the number of held slots
            job.paid = math::add(job.paid, s.payout).map_err(JobsError::from)?;
            job.fees = math::add(job.fees, s.fee).map_err(JobsError::from)?;
            (slot, job.bond, verdict, s, JobSigner::of(&job))
        };
        if s.payout > 0 {
            let to = ctx
                .accounts
                .payout_to
                .as_ref()
                .ok_or(JobsError::MissingPayoutAccount)?;
            let escrow = Escrow {
                token_program: &ctx.accounts.token_program.to_account_info(),
                escrow: &ctx.accounts.escrow.to_account_info(),
                job: &ctx.accounts.job.to_account_info(),
            };
            escrow.transfer(&signer, &to.to_account_info(), s.payout)?;
        }
        let completed = verdict == Verdict::Winner;
        ctx.accounts.bond.settle(bond, s.penalty, completed)?;
        emit!(SlotReleased {
            job: ctx.accounts.job.key(),
            provider: provider_key,
            slot: slot as u8,
            verdict: verdict as u8,
            payout: s.payout,
            fee: s.fee,
            penalty: s.penalty,
            released: s.released,
        });
        Ok(())
    }
}
