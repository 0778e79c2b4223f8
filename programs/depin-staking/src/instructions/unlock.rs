use crate::{
    errors::StakingError,
    events::Unlocked,
    in_place::{PoolView, ProviderBond},
};
use anchor_lang::prelude::*;

/// Release of a job bond.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct UnlockArgs {
    /// Tokens to release from `locked`.
    pub amount: u64,
    /// Count the job as completed for the provider (`jobs_completed += 1`).
    pub completed: bool,
}

#[derive(Accounts)]
pub struct Unlock<'info> {
    /// The pool's slasher (jobs program PDA, via CPI).
    pub slasher: Signer<'info>,

    /// The pool, read in place (`in_place::PoolView`).
    /// CHECK: `PoolView::read` checks the owner and the discriminator.
    #[account(constraint = PoolView::read(&pool)?.slasher == slasher.key() @ StakingError::NotSlasher)]
    pub pool: UncheckedAccount<'info>,

    /// The provider of `pool` whose bond changes, read and written in place (`in_place::ProviderBond`).
    /// CHECK: `ProviderBond::load` checks the owner, discriminator and pool (`WrongPool`).
    #[account(mut)]
    pub provider: UncheckedAccount<'info>,
}

impl Unlock<'_> {
    pub fn validate(&self, args: &UnlockArgs) -> Result<()> {
        require!(args.amount > 0, StakingError::ZeroAmount);
        Ok(())
    }

    /// Specification: unlock
    /// - Preconditions: signed by `pool.slasher`; provider in this pool; `0 < amount <= locked`.
    ///   Allowed while paused (running jobs must be able to finish).
    /// - Effects: `locked -= amount`; `jobs_completed += 1` if `completed`; emits `Unlocked`.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: UnlockArgs) -> Result<()> {
        let pool = ctx.accounts.pool.key();
        let mut provider = ProviderBond::load(&ctx.accounts.provider, &pool)?;
        let mut ledger = provider.ledger();
        let locked_before = ledger.locked;
        ledger.unlock(args.amount).map_err(StakingError::from)?;
        provider.set_ledger(ledger)?;
        if args.completed {
            provider.record_completed()?;
        }
        emit!(Unlocked {
            pool,
            provider: ctx.accounts.provider.key(),
            amount: args.amount,
            locked_before,
            locked_after: ledger.locked,
            completed: args.completed,
        });
        Ok(())
    }
}
