use anchor_lang::prelude::*;
use depin_core::math;

use crate::{
    errors::StakingError,
    events::Unlocked,
    state::{Pool, Provider},
};

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

    #[account(has_one = slasher @ StakingError::NotSlasher)]
    pub pool: Account<'info, Pool>,

    #[account(mut, has_one = pool @ StakingError::WrongPool)]
    pub provider: Account<'info, Provider>,
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
        let provider = &mut ctx.accounts.provider;
        let mut ledger = provider.ledger();
        let locked_before = ledger.locked;
        ledger.unlock(args.amount).map_err(StakingError::from)?;
        ledger.check().map_err(StakingError::from)?;
        provider.set_ledger(ledger);
        if args.completed {
            provider.jobs_completed =
                math::add(provider.jobs_completed, 1).map_err(StakingError::from)?;
        }
        emit!(Unlocked {
            pool: provider.pool,
            provider: provider.key(),
            amount: args.amount,
            locked_before,
            locked_after: ledger.locked,
            completed: args.completed,
        });
        Ok(())
    }
}
