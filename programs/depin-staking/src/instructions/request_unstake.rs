use anchor_lang::prelude::*;
use depin_core::math;

use crate::{
    errors::StakingError,
    events::UnstakeRequested,
    state::{Pool, Provider},
};

#[derive(Accounts)]
pub struct RequestUnstake<'info> {
    /// The provider's authority (cold key).
    pub authority: Signer<'info>,

    pub pool: Account<'info, Pool>,

    #[account(
        mut,
        has_one = authority @ StakingError::NotProviderAuthority,
        has_one = pool @ StakingError::WrongPool,
    )]
    pub provider: Account<'info, Provider>,
}

impl RequestUnstake<'_> {
    pub fn validate(&self, amount: u64) -> Result<()> {
        require!(amount > 0, StakingError::ZeroAmount);
        Ok(())
    }

    /// Specification: request_unstake
    /// - Preconditions: signer owns the provider; `0 < amount <= staked - locked - unbonding`
    ///   (locked bonds and tokens already unbonding cannot be unstaked). Allowed while paused.
    /// - Effects: `unbonding += amount`; `unbond_at = now + pool.unbonding_seconds` (a new
    ///   request restarts the delay for everything unbonding); emits `UnstakeRequested`.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, amount: u64) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let unbond_at = math::add_seconds(now, ctx.accounts.pool.unbonding_seconds)
            .map_err(StakingError::from)?;
        let provider = &mut ctx.accounts.provider;
        let mut ledger = provider.ledger();
        let unbonding_before = ledger.unbonding;
        ledger.request_unstake(amount).map_err(StakingError::from)?;
        ledger.check().map_err(StakingError::from)?;
        provider.set_ledger(ledger);
        provider.unbond_at = unbond_at;

        emit!(UnstakeRequested {
            pool: provider.pool,
            provider: provider.key(),
            amount,
            unbonding_before,
            unbonding_after: ledger.unbonding,
            unbond_at,
        });
        Ok(())
    }
}
