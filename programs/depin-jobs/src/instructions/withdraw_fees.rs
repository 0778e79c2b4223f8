use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};
use depin_core::seeds;

use crate::{errors::JobsError, events::FeesWithdrawn, state::Market};

#[derive(Accounts)]
pub struct WithdrawFees<'info> {
    /// The market admin.
    pub admin: Signer<'info>,

    #[account(has_one = admin @ JobsError::NotMarketAdmin, has_one = fee_vault @ JobsError::WrongFeeVault)]
    pub market: Account<'info, Market>,

    #[account(mut)]
    pub fee_vault: Account<'info, TokenAccount>,

    /// Any token account of the payment mint, chosen by the admin.
    #[account(mut, constraint = destination.mint == market.payment_mint @ JobsError::WrongMint)]
    pub destination: Account<'info, TokenAccount>,

    pub token_program: Program<'info, Token>,
}

impl WithdrawFees<'_> {
    /// Specification: withdraw_fees
    /// - Preconditions: signer is `market.admin`; `fee_vault` is the market's; `destination`
    ///   holds the payment mint; `amount` (all when `None`) is positive and at most the
    ///   vault's balance. Allowed while paused.
    /// - Effects: moves `amount` from the fee vault to `destination`, signed by the market PDA;
    ///   emits `FeesWithdrawn`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, amount: Option<u64>) -> Result<()> {
        let held = ctx.accounts.fee_vault.amount;
        let amount = amount.unwrap_or(held);
        require!(amount > 0 && amount <= held, JobsError::NothingToWithdraw);
        let m = &ctx.accounts.market;
        let id = m.config.market_id.to_le_bytes();
        let bump = [m.bump];
        let signer: &[&[u8]] = &[seeds::MARKET, m.payment_mint.as_ref(), &id, &bump];
        token::transfer(
            CpiContext::new_with_signer(
                ctx.accounts.token_program.key(),
                Transfer {
                    from: ctx.accounts.fee_vault.to_account_info(),
                    to: ctx.accounts.destination.to_account_info(),
                    authority: m.to_account_info(),
                },
                &[signer],
            ),
            amount,
        )?;
        emit!(FeesWithdrawn {
            market: m.key(),
            destination: ctx.accounts.destination.key(),
            amount,
            remaining: held - amount,
        });
        Ok(())
    }
}
