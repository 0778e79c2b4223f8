//! Token movements out of a job's escrow, signed by the job PDA.

use anchor_lang::prelude::*;
use anchor_spl::token::{self, CloseAccount, Transfer};
use depin_core::seeds;

use crate::state::Job;

/// The job PDA's signer seeds, copied out of the job so the account can stay unborrowed
/// during the CPIs.
pub struct JobSigner {
    market: Pubkey,
    requester: Pubkey,
    nonce_le: [u8; 8],
    bump: [u8; 1],
}

impl JobSigner {
    /// The seeds of `job`'s address.
    pub fn of(job: &Job) -> Self {
        JobSigner {
            market: job.market,
            requester: job.requester,
            nonce_le: job.nonce.to_le_bytes(),
            bump: [job.bump],
        }
    }

    fn seeds(&self) -> [&[u8]; 5] {
        [
            seeds::JOB,
            self.market.as_ref(),
            self.requester.as_ref(),
            &self.nonce_le,
            &self.bump,
        ]
    }
}

/// The escrow, its authority (the job) and the token program.
pub struct Escrow<'a, 'info> {
    /// The SPL Token program.
    pub token_program: &'a AccountInfo<'info>,
    /// The job's escrow token account.
    pub escrow: &'a AccountInfo<'info>,
    /// The job account (the escrow's authority).
    pub job: &'a AccountInfo<'info>,
}

impl<'info> Escrow<'_, 'info> {
    /// Move `amount` from the escrow to `to` (nothing when `amount` is 0). The mint is fixed by
    /// the escrow itself (created for the market's payment mint), so the plain SPL `transfer`
    /// suffices and saves passing and decoding the mint.
    pub fn transfer(&self, signer: &JobSigner, to: &AccountInfo<'info>, amount: u64) -> Result<()> {
        if amount == 0 {
            return Ok(());
        }
        let seeds = signer.seeds();
        token::transfer(
            CpiContext::new_with_signer(
                self.token_program.key(),
                Transfer {
                    from: self.escrow.clone(),
                    to: to.clone(),
                    authority: self.job.clone(),
                },
                &[&seeds],
            ),
            amount,
        )
    }

    /// Close the (empty) escrow, its rent to `destination`.
    pub fn close(&self, signer: &JobSigner, destination: &AccountInfo<'info>) -> Result<()> {
        let seeds = signer.seeds();
        token::close_account(CpiContext::new_with_signer(
            self.token_program.key(),
            CloseAccount {
                account: self.escrow.clone(),
                destination: destination.clone(),
                authority: self.job.clone(),
            },
            &[&seeds],
        ))
    }
}
