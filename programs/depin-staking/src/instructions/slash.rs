use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use depin_core::math;

use crate::{
    errors::StakingError,
    events::Slashed,
    state::{Pool, Provider},
};

/// A slash of part of a bond, optionally releasing the rest of it in the same call.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct SlashArgs {
    /// Tokens taken from `locked` and sent to the pool treasury (> 0).
    pub amount: u64,
    /// Tokens of the same bond released back to free stake afterwards (may be 0).
    pub release: u64,
}

#[derive(Accounts)]
pub struct Slash<'info> {
    /// The pool's slasher (jobs program PDA, via CPI).
    pub slasher: Signer<'info>,

    #[account(mut, has_one = slasher @ StakingError::NotSlasher)]
    pub pool: Account<'info, Pool>,

    #[account(mut, has_one = pool @ StakingError::WrongPool)]
    pub provider: Account<'info, Provider>,

    #[account(address = pool.stake_mint @ StakingError::WrongMint)]
    pub stake_mint: Account<'info, Mint>,

    #[account(mut, address = pool.vault @ StakingError::WrongVault)]
    pub vault: Account<'info, TokenAccount>,

    /// The pool treasury: slashed stake goes nowhere else.
    #[account(mut, address = pool.treasury @ StakingError::WrongDestination)]
    pub destination: Account<'info, TokenAccount>,

    pub token_program: Program<'info, Token>,
}

impl Slash<'_> {
    pub fn validate(&self, args: &SlashArgs) -> Result<()> {
        require!(args.amount > 0, StakingError::ZeroAmount);
        Ok(())
    }

    /// Specification: slash
    /// - Preconditions: signed by `pool.slasher`; provider in this pool;
    ///   `0 < amount` and `amount + release <= locked` (only bonded stake can be slashed, never
    ///   free or unbonding stake). Allowed while paused.
    /// - Effects: `locked -= amount + release`, `staked -= amount`, `jobs_slashed += 1`,
    ///   `total_slashed += amount` (provider and pool), `pool.total_staked -= amount`; moves
    ///   `amount` from the vault to the treasury; checks both invariants; emits `Slashed`.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: SlashArgs) -> Result<()> {
        let provider = &mut ctx.accounts.provider;
        let mut ledger = provider.ledger();
        let before = ledger;
        ledger.slash(args.amount).map_err(StakingError::from)?;
        if args.release > 0 {
            ledger.unlock(args.release).map_err(StakingError::from)?;
        }
        ledger.check().map_err(StakingError::from)?;
        provider.set_ledger(ledger);
        provider.jobs_slashed = math::add(provider.jobs_slashed, 1).map_err(StakingError::from)?;
        provider.total_slashed =
            math::add(provider.total_slashed, args.amount).map_err(StakingError::from)?;

        let pool = &mut ctx.accounts.pool;
        pool.total_staked =
            math::sub(pool.total_staked, args.amount).map_err(StakingError::from)?;
        pool.total_slashed =
            math::add(pool.total_slashed, args.amount).map_err(StakingError::from)?;
        super::pay_from_vault(
            pool,
            &ctx.accounts.vault,
            &ctx.accounts.stake_mint,
            ctx.accounts.destination.to_account_info(),
            &ctx.accounts.token_program,
            args.amount,
        )?;
        super::check_vault_invariant(pool, &mut ctx.accounts.vault)?;

        emit!(Slashed {
            pool: pool.key(),
            provider: provider.key(),
            destination: ctx.accounts.destination.key(),
            amount: args.amount,
            released: args.release,
            locked_before: before.locked,
            locked_after: ledger.locked,
            staked_before: before.staked,
            staked_after: ledger.staked,
            pool_total_staked: pool.total_staked,
        });
        Ok(())
    }
}
