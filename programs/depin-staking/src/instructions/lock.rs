use anchor_lang::prelude::*;

use crate::{
    errors::StakingError,
    events::Locked,
    in_place::{PoolView, ProviderBond},
};

#[derive(Accounts)]
pub struct Lock<'info> {
    /// The pool's slasher: the jobs program's `["slasher"]` PDA, signing through CPI.
    pub slasher: Signer<'info>,

    /// The pool, read in place (`in_place::PoolView`, once, in `validate`: its slasher and
    /// pause flag).
    /// CHECK: `PoolView::read` checks the owner and the discriminator.
    pub pool: UncheckedAccount<'info>,

    /// The provider of `pool` whose bond changes, read and written in place (`in_place::ProviderBond`).
    /// CHECK: `ProviderBond::load` checks the owner, discriminator and pool (`WrongPool`).
    #[account(mut)]
    pub provider: UncheckedAccount<'info>,
}

impl Lock<'_> {
    /// The pool's checks, with one read of it (this runs inside every claim).
    pub fn validate(&self, amount: u64) -> Result<()> {
        let pool = PoolView::read(&self.pool)?;
        require_keys_eq!(pool.slasher, self.slasher.key(), StakingError::NotSlasher);
        require!(!pool.paused, StakingError::PoolPaused);
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
