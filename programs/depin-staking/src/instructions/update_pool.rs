use anchor_lang::prelude::*;
use anchor_spl::token::TokenAccount;
use depin_core::limits;

use crate::{errors::StakingError, events::PoolUpdated, state::Pool};

/// Changes to a pool; `None` leaves a field as it is. The slasher cannot be changed: whoever
/// holds it can take every locked bond, so a new jobs program means a new pool.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdatePoolArgs {
    /// New unbonding delay in seconds (applies to later `request_unstake` calls).
    pub unbonding_seconds: Option<i64>,
    /// Pause or resume the pool.
    pub paused: Option<bool>,
}

#[derive(Accounts)]
pub struct UpdatePool<'info> {
    /// The current admin.
    pub admin: Signer<'info>,

    #[account(mut, has_one = admin @ StakingError::NotPoolAdmin)]
    pub pool: Account<'info, Pool>,

    /// New receiver of slashed stake, if it changes (a token account of the stake mint other
    /// than the vault).
    #[account(
        constraint = new_treasury.mint == pool.stake_mint && new_treasury.key() != pool.vault
            @ StakingError::WrongTreasury,
    )]
    pub new_treasury: Option<Account<'info, TokenAccount>>,

    /// New admin, if it changes; must sign so that a typo cannot lock the pool's settings.
    pub new_admin: Option<Signer<'info>>,
}

impl UpdatePool<'_> {
    pub fn validate(&self, args: &UpdatePoolArgs) -> Result<()> {
        if let Some(s) = args.unbonding_seconds {
            require!(
                (0..=limits::MAX_UNBONDING_SECONDS).contains(&s),
                StakingError::InvalidUnbondingPeriod
            );
        }
        require!(
            args.unbonding_seconds.is_some()
                || args.paused.is_some()
                || self.new_treasury.is_some()
                || self.new_admin.is_some(),
            StakingError::NothingToUpdate
        );
        Ok(())
    }

    /// Specification: update_pool
    /// - Preconditions: signer is `pool.admin`; a new treasury holds the stake mint and is not
    ///   the vault; a new admin
    ///   signs; a new unbonding delay is within 0 ..= 1 year; at least one change.
    /// - Effects: applies the given changes (never `slasher`, `stake_mint`, `vault` or totals);
    ///   emits `PoolUpdated` with the resulting settings.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: UpdatePoolArgs) -> Result<()> {
        let pool = &mut ctx.accounts.pool;
        if let Some(s) = args.unbonding_seconds {
            pool.unbonding_seconds = s;
        }
        if let Some(p) = args.paused {
            pool.paused = p;
        }
        if let Some(t) = &ctx.accounts.new_treasury {
            pool.treasury = t.key();
        }
        if let Some(a) = &ctx.accounts.new_admin {
            pool.admin = a.key();
        }
        emit!(PoolUpdated {
            pool: pool.key(),
            admin: pool.admin,
            treasury: pool.treasury,
            unbonding_seconds: pool.unbonding_seconds,
            paused: pool.paused,
        });
        Ok(())
    }
}
