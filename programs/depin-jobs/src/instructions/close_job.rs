use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use depin_core::math;

use crate::{
    errors::JobsError,
    escrow::{Escrow, JobSigner},
    events::JobClosed,
    state::{job_status, Job, Market},
};

/// Pay the fees, refund the rest and close a settled job (permissionless).
#[derive(Accounts)]
pub struct CloseJob<'info> {
    #[account(
        mut,
        close = requester,
        has_one = requester @ JobsError::WrongRequester,
        has_one = market @ JobsError::WrongMarket,
        has_one = escrow @ JobsError::WrongEscrow,
    )]
    pub job: AccountLoader<'info, Job>,

    /// CHECK: the job's requester (checked by `has_one`); receives the rent of job and escrow.
    #[account(mut)]
    pub requester: UncheckedAccount<'info>,

    pub market: Box<Account<'info, Market>>,

    #[account(mut)]
    pub escrow: Box<Account<'info, TokenAccount>>,

    /// A payment-mint token account of the requester; receives the refund.
    #[account(
        mut,
        constraint = refund_to.owner == requester.key() @ JobsError::WrongTokenOwner,
        constraint = refund_to.mint == escrow.mint @ JobsError::WrongMint,
    )]
    pub refund_to: Box<Account<'info, TokenAccount>>,

    /// CHECK: the market's fee vault (address checked; a PDA token account of the payment mint
    /// whose authority is the market, so nobody can close or redirect it).
    #[account(mut, address = market.fee_vault @ JobsError::WrongFeeVault)]
    pub fee_vault: UncheckedAccount<'info>,

    pub token_program: Program<'info, Token>,
}

impl CloseJob<'_> {
    /// Specification: close_job (permissionless crank)
    /// - Preconditions: job settled or expired; every held slot released; the escrow holds at
    ///   least `deposited - paid` (it always does; tokens sent to it by others are refunded).
    /// - Effects: `fees` to the market's fee vault; the rest of the escrow to `refund_to`, so
    ///   `deposited = paid + fees + refund` exactly; escrow and job closed, their rent to the
    ///   requester; emits `JobClosed`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let (outcome, paid, fees, signer) = {
            let job = ctx.accounts.job.load()?;
            require!(job.status == job_status::SETTLED, JobsError::JobNotSettled);
            require!(job.released == job.claimed, JobsError::SlotsNotReleased);
            let owed = math::sub(job.deposited, job.paid).map_err(JobsError::from)?;
            require!(
                ctx.accounts.escrow.amount >= owed,
                JobsError::EscrowMismatch
            );
            (job.outcome, job.paid, job.fees, JobSigner::of(&job))
        };
        let refund = math::sub(ctx.accounts.escrow.amount, fees).map_err(JobsError::from)?;
        let escrow = Escrow {
            token_program: &ctx.accounts.token_program.to_account_info(),
            escrow: &ctx.accounts.escrow.to_account_info(),
            job: &ctx.accounts.job.to_account_info(),
        };
        escrow.transfer(&signer, &ctx.accounts.fee_vault.to_account_info(), fees)?;
        escrow.transfer(&signer, &ctx.accounts.refund_to.to_account_info(), refund)?;
        escrow.close(&signer, &ctx.accounts.requester.to_account_info())?;
        emit!(JobClosed {
            job: ctx.accounts.job.key(),
            requester: ctx.accounts.requester.key(),
            outcome,
            paid,
            fees,
            refund,
        });
        Ok(())
    }
}
