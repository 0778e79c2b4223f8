use anchor_lang::prelude::*;
use depin_core::{limits, seeds};

use crate::{
    errors::StakingError,
    events::ProviderRegistered,
    state::{Pool, Provider},
};

/// A new provider account.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct RegisterProviderArgs {
    /// Metadata / endpoint URI (at most 128 bytes).
    pub uri: String,
}

#[derive(Accounts)]
pub struct RegisterProvider<'info> {
    /// The provider's authority (cold key: controls the stake); pays rent.
    #[account(mut)]
    pub authority: Signer<'info>,

    /// Key the worker will sign job transactions with (hot; may be the authority itself). It
    /// co-signs, so nobody can name another's key as their operator (a worker that found two
    /// providers naming its key could not tell which is its own).
    pub operator: Signer<'info>,

    #[account(
        mut,
        constraint = !pool.paused @ StakingError::PoolPaused,
    )]
    pub pool: Account<'info, Pool>,

    #[account(
        init,
        payer = authority,
        space = limits::DISCRIMINATOR_LEN + Provider::INIT_SPACE,
        seeds = [seeds::PROVIDER, pool.key().as_ref(), authority.key().as_ref()],
        bump,
    )]
    pub provider: Account<'info, Provider>,

    pub system_program: Program<'info, System>,
}

impl RegisterProvider<'_> {
    pub fn validate(&self, args: &RegisterProviderArgs) -> Result<()> {
        require!(
            args.uri.len() <= limits::MAX_PROVIDER_URI_LEN,
            StakingError::UriTooLong
        );
        Ok(())
    }
}

impl RegisterProvider<'_> {
    /// Specification: register_provider
    /// - Preconditions: pool not paused; no provider account for (pool, authority) yet; `uri` at
    ///   most 128 bytes.
    /// - Effects: creates `Provider` (authority and operator = the two signers) with zero stake and
    ///   counters, `registered_at` = now; increments
    ///   `pool.provider_count`; emits `ProviderRegistered`.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: RegisterProviderArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let pool = &mut ctx.accounts.pool;
        pool.provider_count =
            depin_core::math::add(pool.provider_count, 1).map_err(StakingError::from)?;

        let provider = &mut ctx.accounts.provider;
        provider.pool = pool.key();
        provider.authority = ctx.accounts.authority.key();
        provider.operator = ctx.accounts.operator.key();
        provider.staked = 0;
        provider.locked = 0;
        provider.unbonding = 0;
        provider.unbond_at = 0;
        provider.jobs_completed = 0;
        provider.jobs_slashed = 0;
        provider.total_slashed = 0;
        provider.registered_at = now;
        provider.last_staked_at = now;
        provider.uri = args.uri;
        provider.bump = ctx.bumps.provider;

        emit!(ProviderRegistered {
            pool: provider.pool,
            provider: provider.key(),
            authority: provider.authority,
            operator: provider.operator,
            uri: provider.uri.clone(),
        });
        Ok(())
    }
}
