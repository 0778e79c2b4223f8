use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::{
    errors::JobsError,
    escrow::{Escrow, JobSigner},
    events::JobCancelled,
    state::{job_status, Job},
};

#[derive(Accounts)]
pub struct CancelJob<'info> {
    /// The requester; receives the refund and the rent.
    #[account(mut)]
    pub requester: Signer<'info>,

    #[account(
        mut,
        close = requester,
        has_one = requester @ JobsError::NotRequester,
        has_one = escrow @ JobsError::WrongEscrow,
    )]
    pub job: AccountLoader<'info, Job>,

    #[account(mut)]
    pub escrow: Box<Account<'info, TokenAccount>>,

    /// Any token account of the payment mint chosen by the requester.
    #[account(mut, constraint = refund_to.mint == escrow.mint @ JobsError::WrongMint)]
    pub refund_to: Box<Account<'info, TokenAccount>>,

    pub token_program: Program<'info, Token>,
}

impl CancelJob<'_> {
    /// Specification: cancel_job
    /// - Preconditions: signer is the job's requester; job open; no slot is held (nobody has
    ///   claimed it, or every claimant has given the slot back).
    /// - Effects: refunds the whole escrow balance to `refund_to`, closes the escrow and the
    ///   job (rent to the requester); emits `JobCancelled`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let (requester, signer) = {
            let job = ctx.accounts.job.load()?;
            require!(job.status == job_status::OPEN, JobsError::JobNotOpen);
            require!(job.claimed == 0, JobsError::JobHasClaims);
            (job.requester, JobSigner::of(&job))
        };
        let refund = ctx.accounts.escrow.amount;
        let escrow = Escrow {
            token_program: &ctx.accounts.token_program.to_account_info(),
            escrow: &ctx.accounts.escrow.to_account_info(),
            job: &ctx.accounts.job.to_account_info(),
        };
        escrow.transfer(&signer, &ctx.accounts.refund_to.to_account_info(), refund)?;
        escrow.close(&signer, &ctx.accounts.requester.to_account_info())?;
        emit!(JobCancelled {
            job: ctx.accounts.job.key(),
            requester,
            refund
        });
        Ok(())
    }
}
