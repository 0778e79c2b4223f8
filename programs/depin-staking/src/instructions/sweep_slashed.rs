use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::{errors::StakingError, events::SlashedSwept, state::Pool};

/// Send slashed stake from the vault to the pool treasury (permissionless).
#[derive(Accounts)]
pub struct SweepSlashed<'info> {
    #[account(mut)]
    pub pool: Account<'info, Pool>,

    #[account(address = pool.stake_mint @ StakingError::WrongMint)]
    pub stake_mint: Account<'info, Mint>,

    #[account(mut, address = pool.vault @ StakingError::WrongVault)]
    pub vault: Account<'info, TokenAccount>,

    /// The pool treasury: slashed stake goes nowhere else.
    #[account(mut, address = pool.treasury @ StakingError::WrongDestination)]
    pub treasury: Account<'info, TokenAccount>,

    pub token_program: Program<'info, Token>,
}

impl SweepSlashed<'_> {
    /// Specification: sweep_slashed (permissionless crank)
    /// - Preconditions: `pool.pending_slashed > 0`; `treasury` is the pool's treasury.
    /// - Effects: moves `pending_slashed` from the vault to the treasury, `pending_slashed = 0`;
    ///   checks vault = `total_staked`; emits `SlashedSwept`. Allowed while paused.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let pool = &mut ctx.accounts.pool;
        let amount = pool.pending_slashed;
        require!(amount > 0, StakingError::NothingToSweep);
        pool.pending_slashed = 0;
        super::pay_from_vault(
            pool,
            &ctx.accounts.vault,
            &ctx.accounts.stake_mint,
            ctx.accounts.treasury.to_account_info(),
            &ctx.accounts.token_program,
            amount,
        )?;
        super::check_vault_invariant(pool, &mut ctx.accounts.vault)?;
        emit!(SlashedSwept {
            pool: pool.key(),
            treasury: ctx.accounts.treasury.key(),
            amount,
            pool_total_slashed: pool.total_slashed,
        });
        Ok(())
    }
}
