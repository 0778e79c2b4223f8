use anchor_lang::prelude::*;
use anchor_spl::token::{self, Mint, Token, TokenAccount, TransferChecked};
use depin_core::math;

use crate::{
    errors::StakingError,
    events::Staked,
    state::{Pool, Provider},
};

#[derive(Accounts)]
pub struct Stake<'info> {
    /// The provider's authority (cold key), owner of `source`.
    pub authority: Signer<'info>,

    #[account(
        mut,
        constraint = !pool.paused @ StakingError::PoolPaused,
    )]
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

    /// The authority's token account the stake comes from.
    #[account(
        mut,
        constraint = source.mint == pool.stake_mint @ StakingError::WrongMint,
        constraint = source.owner == authority.key() @ StakingError::WrongTokenOwner,
    )]
    pub source: Account<'info, TokenAccount>,

    pub token_program: Program<'info, Token>,
}

impl Stake<'_> {
    pub fn validate(&self, amount: u64) -> Result<()> {
        require!(amount > 0, StakingError::ZeroAmount);
        Ok(())
    }
}

impl Stake<'_> {
    /// Specification: stake
    /// - Preconditions: pool not paused; signer is the provider's authority and owns `source`; `source`
    ///   and `vault` hold the pool's stake mint; `amount > 0`.
    /// - Effects: moves `amount` from `source` to the vault; `provider.staked += amount`,
    ///   `provider.last_staked_at = now`, `pool.total_staked += amount`; checks both invariants;
    ///   emits `Staked`.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, amount: u64) -> Result<()> {
        let provider = &mut ctx.accounts.provider;
        let mut ledger = provider.ledger();
        let staked_before = ledger.staked;
        ledger.stake(amount).map_err(StakingError::from)?;

        token::transfer_checked(
            CpiContext::new(
                ctx.accounts.token_program.key(),
                TransferChecked {
                    from: ctx.accounts.source.to_account_info(),
                    mint: ctx.accounts.stake_mint.to_account_info(),
                    to: ctx.accounts.vault.to_account_info(),
                    authority: ctx.accounts.authority.to_account_info(),
                },
            ),
            amount,
            ctx.accounts.stake_mint.decimals,
        )?;

        provider.set_ledger(ledger);
        provider.last_staked_at = Clock::get()?.unix_timestamp;
        let pool = &mut ctx.accounts.pool;
        pool.total_staked = math::add(pool.total_staked, amount).map_err(StakingError::from)?;

        ledger.check().map_err(StakingError::from)?;
        super::check_vault_invariant(pool, &mut ctx.accounts.vault)?;

        emit!(Staked {
            pool: pool.key(),
            provider: provider.key(),
            amount,
            staked_before,
            staked_after: ledger.staked,
            pool_total_staked: pool.total_staked,
        });
        Ok(())
    }
}
