use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use depin_core::{limits, pda, seeds};

use crate::{
    errors::StakingError,
    events::PoolInitialized,
    pda_account::{NewAccount, TokenAccountOf},
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

    /// The new pool, created by the handler (not `init`: see `crate::pda_account`).
    /// CHECK: the canonical PDA `["pool", stake_mint]` (checked by the handler) and still an
    /// empty system account (`PoolExists` otherwise).
    #[account(mut, constraint = NewAccount::unused(&pool) @ StakingError::PoolExists)]
    pub pool: UncheckedAccount<'info>,

    /// The pool's stake vault, a token account of `stake_mint` whose authority is the pool,
    /// created by the handler.
    /// CHECK: the canonical PDA `["vault", pool]` (checked by the handler).
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,

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
    ///   `stake_mint` (`PoolExists`); `treasury` holds `stake_mint`;
    ///   `0 <= unbonding_seconds <= 1 year`.
    ///   `pool` and `vault` are the canonical PDAs `["pool", stake_mint]` and
    ///   `["vault", pool]` (`WrongPoolAddress`, `WrongVaultAddress`).
    /// - Effects: creates `Pool` and its vault token account (authority = pool PDA) with zero
    ///   totals, not paused, canonical bumps stored; emits `PoolInitialized`. Lamports sent to
    ///   either address beforehand are kept (the rent is topped up).
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF's 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: InitializePoolArgs) -> Result<()> {
        let a = &ctx.accounts;
        let (mint, pool_key, vault_key) = (a.stake_mint.key(), a.pool.key(), a.vault.key());
        let bump = pda::canonical_bump(&[seeds::POOL, mint.as_ref()], &crate::ID, &pool_key)
            .ok_or(StakingError::WrongPoolAddress)?;
        let vault_bump =
            pda::canonical_bump(&[seeds::VAULT, pool_key.as_ref()], &crate::ID, &vault_key)
                .ok_or(StakingError::WrongVaultAddress)?;
        let (pool_info, vault_info) = (a.pool.to_account_info(), a.vault.to_account_info());
        let (payer, system) = (
            a.admin.to_account_info(),
            a.system_program.to_account_info(),
        );
        let new = |account| NewAccount {
            payer: &payer,
            account,
            system_program: &system,
        };
        new(&pool_info).create(
            &[seeds::POOL, mint.as_ref(), &[bump]],
            limits::DISCRIMINATOR_LEN + Pool::INIT_SPACE,
            &crate::ID,
        )?;
        new(&vault_info).create_token_account(
            &[seeds::VAULT, pool_key.as_ref(), &[vault_bump]],
            &TokenAccountOf {
                mint: &a.stake_mint.to_account_info(),
                authority: &pool_info,
                token_program: &a.token_program.to_account_info(),
            },
        )?;

        let pool = Pool {
            admin: a.admin.key(),
            stake_mint: mint,
            vault: vault_key,
            slasher: args.slasher,
            treasury: a.treasury.key(),
            unbonding_seconds: args.unbonding_seconds,
            total_staked: 0,
            total_slashed: 0,
            pending_slashed: 0,
            provider_count: 0,
            paused: false,
            bump,
            vault_bump,
        };
        pool.try_serialize(&mut &mut pool_info.try_borrow_mut_data()?[..])?;

        emit!(PoolInitialized {
            pool: pool_key,
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
