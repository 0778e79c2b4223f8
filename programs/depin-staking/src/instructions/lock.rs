use anchor_lang::prelude::*;

use crate::{
    errors::StakingError,
    events::Locked,
    state::{Pool, Provider},
};

#[derive(Accounts)]
pub struct Lock<'info> {
    /// The pool's slasher: the jobs program's `["slasher"]` PDA, signing through CPI.
    pub slasher: Signer<'info>,

    #[account(
        has_one = slasher @ StakingError::NotSlasher,
        constraint = !pool.paused @ StakingError::PoolPaused,
    )]
    pub pool: Account<'info, Pool>,

    #[account(mut, has_one = pool @ StakingError::WrongPool)]
    pub provider: Account<'info, Provider>,
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
        let provider = &mut ctx.accounts.provider;
        let mut ledger = provider.ledger();
        let locked_before = ledger.locked;
        ledger.lock(amount).map_err(StakingError::from)?;
        ledger.check().map_err(StakingError::from)?;
        provider.set_ledger(ledger);
        emit!(Locked {
            pool: provider.pool,
            provider: provider.key(),
            amount,
            locked_before,
            locked_after: ledger.locked,
        });
        Ok(())
    }
}
