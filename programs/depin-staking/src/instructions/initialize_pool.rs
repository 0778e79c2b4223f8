use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use depin_core::{limits, seeds};

use crate::{
    errors::StakingError,
    events::PoolInitialized,
    state::{Config, Pool},
};

/// Settings of a new pool.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct InitializePoolArgs {
    /// Delay between `request_unstake` and `withdraw`, in seconds (0 ..= one year).
    pub unbonding_seconds: i64,
    /// The only signer of lock / unlock / slash: the jobs program's `["slasher"]` PDA.
    pub slasher: Pubkey,
}

#[derive(Accounts)]
pub struct InitializePool<'info> {
    /// Becomes the pool admin; pays rent.
    #[account(mut)]
    pub admin: Signer<'info>,

    /// The program config's authority: only it may create pools, so a stranger cannot take
    /// a stake mint's pool first (may be the same key as `admin`).
    pub authority: Signer<'info>,

    #[account(has_one = authority @ StakingError::NotConfigAuthority)]
    pub config: Account<'info, Config>,

    /// Mint of the token providers stake.
    /// CHECK: the token program checks it is a mint when it initialises the vault.
    pub stake_mint: UncheckedAccount<'info>,

    #[account(
        init,
        payer = admin,
        space = limits::DISCRIMINATOR_LEN + Pool::INIT_SPACE,
        seeds = [seeds::POOL, stake_mint.key().as_ref()],
        bump,
    )]
    pub pool: Account<'info, Pool>,

    #[account(
        init,
        payer = admin,
        seeds = [seeds::VAULT, pool.key().as_ref()],
        bump,
        token::mint = stake_mint,
        token::authority = pool,
    )]
    pub vault: Account<'info, TokenAccount>,

    /// Receiver of slashed stake and vault surplus.
    #[account(
        constraint = treasury.mint == stake_mint.key() && treasury.key() != vault.key()
            @ StakingError::WrongTreasury,
    )]
    pub treasury: Account<'info, TokenAccount>,

    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl InitializePool<'_> {
    pub fn validate(&self, args: &InitializePoolArgs) -> Result<()> {
        require!(
            (0..=limits::MAX_UNBONDING_SECONDS).contains(&args.unbonding_seconds),
            StakingError::InvalidUnbondingPeriod
        );
        Ok(())
    }
}

impl InitializePool<'_> {
    /// Specification: initialize_pool
    /// - Preconditions: signed by the program config's authority; no pool exists for
    ///   `stake_mint` (PDA `init`); `treasury` holds `stake_mint`;
    ///   `0 <= unbonding_seconds <= 1 year`.
    /// - Effects: creates `Pool` and its vault token account (authority = pool PDA) with zero
    ///   totals, not paused, canonical bumps stored; emits `PoolInitialized`.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: InitializePoolArgs) -> Result<()> {
        let pool = &mut ctx.accounts.pool;
        pool.admin = ctx.accounts.admin.key();
        pool.stake_mint = ctx.accounts.stake_mint.key();
        pool.vault = ctx.accounts.vault.key();
        pool.slasher = args.slasher;
        pool.treasury = ctx.accounts.treasury.key();
        pool.unbonding_seconds = args.unbonding_seconds;
        pool.total_staked = 0;
        pool.total_slashed = 0;
        pool.provider_count = 0;
        pool.paused = false;
        pool.bump = ctx.bumps.pool;
        pool.vault_bump = ctx.bumps.vault;

        emit!(PoolInitialized {
            pool: pool.key(),
            admin: pool.admin,
            stake_mint: pool.stake_mint,
            vault: pool.vault,
            slasher: pool.slasher,
            treasury: pool.treasury,
            unbonding_seconds: pool.unbonding_seconds,
        });
        Ok(())
    }
}
