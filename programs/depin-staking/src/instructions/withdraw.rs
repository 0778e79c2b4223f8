use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use depin_core::math;

use crate::{
    errors::StakingError,
    events::Withdrawn,
    state::{Pool, Provider},
};

#[derive(Accounts)]
pub struct Withdraw<'info> {
    /// The provider's authority (cold key).
    pub authority: Signer<'info>,

    #[account(mut)]
    pub pool: Account<'info, Pool>,

    #[account(
        mut,
        has_one = authority @ StakingError::NotProviderAuthority,
        has_one = pool @ StakingError::WrongPool,
    )]
    pub provider: Account<'info, Provider>,

    #[account(address = pool.stake_mint @ StakingError::WrongMint)]
    pub stake_mint: Account<'info, Mint>,

    #[account(mut, address = pool.vault @ StakingError::WrongVault)]
    pub vault: Account<'info, TokenAccount>,

    /// Any token account of the stake mint chosen by the authority (Anchor rejects the vault
    /// itself as a duplicate mutable account).
    #[account(mut, constraint = destination.mint == pool.stake_mint @ StakingError::WrongMint)]
    pub destination: Account<'info, TokenAccount>,

    pub token_program: Program<'info, Token>,
}

impl Withdraw<'_> {
    /// Specification: withdraw
    /// - Preconditions: signer is the provider's authority; `unbonding > 0`; `now >= unbond_at`;
    ///   destination holds the stake mint. Allowed while paused.
    /// - Effects: moves all `unbonding` tokens from the vault to `destination` (signed by the
    ///   pool PDA); `staked -= amount`, `unbonding = 0`, `pool.total_staked -= amount`; checks
    ///   both invariants; emits `Withdrawn`.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let provider = &mut ctx.accounts.provider;
        require!(provider.unbonding > 0, StakingError::NothingUnbonding);
        require!(now >= provider.unbond_at, StakingError::UnbondingNotElapsed);
        let mut ledger = provider.ledger();
        let staked_before = ledger.staked;
        let amount = ledger.withdraw().map_err(StakingError::from)?;
        provider.set_ledger(ledger);
        let pool = &mut ctx.accounts.pool;
        pool.total_staked = math::sub(pool.total_staked, amount).map_err(StakingError::from)?;

        super::pay_from_vault(
            pool,
            &ctx.accounts.vault,
            &ctx.accounts.stake_mint,
            ctx.accounts.destination.to_account_info(),
            &ctx.accounts.token_program,
            amount,
        )?;
        ledger.check().map_err(StakingError::from)?;
        super::check_vault_invariant(pool, &mut ctx.accounts.vault)?;

        emit!(Withdrawn {
            pool: pool.key(),
            provider: provider.key(),
            destination: ctx.accounts.destination.key(),
            amount,
            staked_before,
            staked_after: ledger.staked,
            pool_total_staked: pool.total_staked,
        });
        Ok(())
    }
}
