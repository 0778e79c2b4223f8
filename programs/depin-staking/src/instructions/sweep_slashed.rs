use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use depin_core::math;

use crate::{errors::StakingError, events::SlashedSwept, state::Pool};

/// Send slashed stake, and any surplus donated to the vault, to the pool treasury
/// (permissionless).
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
    /// - Preconditions: the vault holds more than `total_staked` (slashed stake pending, or a
    ///   surplus sent by anyone); `treasury` is the pool's treasury.
    /// - Effects: moves `vault - total_staked` (= `pending_slashed` + surplus) from the vault to
    ///   the treasury, `pending_slashed = 0`; checks vault >= `total_staked`; emits
    ///   `SlashedSwept`. Allowed while paused.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let pool = &mut ctx.accounts.pool;
        let slashed = pool.pending_slashed;
        // The invariant guarantees vault >= total_staked + pending_slashed.
        let held = math::sub(ctx.accounts.vault.amount, pool.total_staked)
            .map_err(|_| StakingError::VaultInvariantViolated)?;
        let surplus = math::sub(held, slashed).map_err(|_| StakingError::VaultInvariantViolated)?;
        let amount = held;
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
            slashed,
            surplus,
            pool_total_slashed: pool.total_slashed,
        });
        Ok(())
    }
}
