use anchor_lang::prelude::*;
use anchor_spl::token::{self, CloseAccount, Mint, Token, TokenAccount, TransferChecked};
use depin_core::seeds;

use crate::{
    errors::JobsError,
    events::JobCancelled,
    state::{job_status, Job},
};

#[derive(Accounts)]
pub struct CancelJob<'info> {
    /// The requester; receives the refund and the rent.
    #[account(mut)]
    pub requester: Signer<'info>,

    #[account(mut, close = requester, has_one = requester @ JobsError::NotRequester)]
    pub job: AccountLoader<'info, Job>,

    #[account(mut, seeds = [seeds::ESCROW, job.key().as_ref()], bump)]
    pub escrow: Account<'info, TokenAccount>,

    #[account(address = escrow.mint @ JobsError::WrongMint)]
    pub payment_mint: Account<'info, Mint>,

    /// Any token account of the payment mint chosen by the requester.
    #[account(mut, constraint = refund_to.mint == escrow.mint @ JobsError::WrongMint)]
    pub refund_to: Account<'info, TokenAccount>,

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
        let job_key = ctx.accounts.job.key();
        let (market, requester, nonce, bump) = {
            let job = ctx.accounts.job.load()?;
            require!(job.status == job_status::OPEN, JobsError::JobNotOpen);
            require!(job.claimed == 0, JobsError::JobHasClaims);
            (job.market, job.requester, job.nonce, job.bump)
        };
        let refund = ctx.accounts.escrow.amount;
        let nonce_le = nonce.to_le_bytes();
        let bump = [bump];
        let signer: &[&[u8]] = &[
            seeds::JOB,
            market.as_ref(),
            requester.as_ref(),
            &nonce_le,
            &bump,
        ];
        let program = ctx.accounts.token_program.key();
        if refund > 0 {
            token::transfer_checked(
                CpiContext::new_with_signer(
                    program,
                    TransferChecked {
                        from: ctx.accounts.escrow.to_account_info(),
                        mint: ctx.accounts.payment_mint.to_account_info(),
                        to: ctx.accounts.refund_to.to_account_info(),
                        authority: ctx.accounts.job.to_account_info(),
                    },
                    &[signer],
                ),
                refund,
                ctx.accounts.payment_mint.decimals,
            )?;
        }
        token::close_account(CpiContext::new_with_signer(
            program,
            CloseAccount {
                account: ctx.accounts.escrow.to_account_info(),
                destination: ctx.accounts.requester.to_account_info(),
                authority: ctx.accounts.job.to_account_info(),
            },
            &[signer],
        ))?;
        emit!(JobCancelled {
            job: job_key,
            requester,
            refund
        });
        Ok(())
    }
}
