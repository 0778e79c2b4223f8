use anchor_lang::prelude::*;

use crate::{
    errors::StakingError,
    events::Locked,
    in_place::{provider_pool_of, PoolView, ProviderBond},
};

#[derive(Accounts)]
pub struct Lock<'info> {
    /// The pool's slasher: the jobs program's `["slasher"]` PDA, signing through CPI.
    pub slasher: Signer<'info>,

    /// The pool, read in place (`in_place::PoolView`).
    /// CHECK: `PoolView::read` checks the owner and the discriminator.
    #[account(
        constraint = PoolView::read(&pool)?.slasher == slasher.key() @ StakingError::NotSlasher,
        constraint = !PoolView::read(&pool)?.paused @ StakingError::PoolPaused,
    )]
    pub pool: UncheckedAccount<'info>,

    /// The provider of `pool` whose bond changes, read and written in place (`in_place::ProviderBond`).
    /// CHECK: `provider_pool_of` and `ProviderBond::load` check the owner, discriminator and pool.
    #[account(mut, constraint = provider_pool_of(&provider)? == pool.key() @ StakingError::WrongPool)]
    pub provider: UncheckedAccount<'info>,
}

impl Lock<'_> {
    pub fn validate(&self, amount: u64) -> Result<()> {
        require!(amount > 0, StakingError::ZeroAmount);
        Ok(())
    }

    /// Specification: lock
    /// - Preconditions: signed by `pool.slasher`; pool not paused; provider in this pool;
    ///   `0 < amount <= free stake` (so an unstake request made earlier wins over a lock).
    /// - Effects: `locked += amount` (the pool account is not written, so locks of different
    ///   providers never contend); emits `Locked`.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, amount: u64) -> Result<()> {
        let pool = ctx.accounts.pool.key();
        let mut provider = ProviderBond::load(&ctx.accounts.provider, &pool)?;
        let mut ledger = provider.ledger();
        let locked_before = ledger.locked;
        ledger.lock(amount).map_err(StakingError::from)?;
        provider.set_ledger(ledger)?;
        emit!(Locked {
            pool,
            provider: ctx.accounts.provider.key(),
            amount,
            locked_before,
            locked_after: ledger.locked,
        });
        Ok(())
    }
}
