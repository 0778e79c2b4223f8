//! The accounts every instruction that locks, releases or slashes a provider's bond needs, as
//! one composite `#[derive(Accounts)]` shared by `claim_job`, `abandon_job`, `reclaim_slot` and
//! `release_slot`.

use anchor_lang::prelude::*;
use depin_staking::{in_place::PoolView, program::DepinStaking};

use crate::{errors::JobsError, provider, staking_cpi, state::Market};

/// A provider's bond in the market's staking pool, and everything a `depin_staking` unlock or
/// slash CPI needs. `staking_pool` needs to be writable only when a penalty is due (a slash
/// updates the pool's totals); a plain release leaves it read-only so settlements of different
/// jobs do not contend on the pool.
#[derive(Accounts)]
pub struct SlotBond<'info> {
    pub market: Box<Account<'info, Market>>,

    /// The market's staking pool, read in place (`depin_staking::in_place::PoolView`).
    /// CHECK: address checked; `PoolView::read` checks the owner and the discriminator.
    #[account(address = market.staking_pool @ JobsError::WrongStakingPool)]
    pub staking_pool: UncheckedAccount<'info>,

    /// CHECK: the `depin_staking` provider account whose bond is released (read in place by
    /// `crate::provider`; written and fully re-validated by the CPI).
    #[account(
        mut,
        constraint = provider::pool_of(&provider)? == market.staking_pool @ JobsError::WrongStakingPool,
    )]
    pub provider: UncheckedAccount<'info>,

    /// CHECK: this program's `["slasher"]` PDA; signs the CPI.
    // The pool's slasher is this program's PDA (checked when the market was created), so the
    // address comparison replaces a `create_program_address` (about 1.5k CU); signing with the
    // stored bump would fail for any other account anyway.
    #[account(constraint = slasher.key() == PoolView::read(&staking_pool)?.slasher @ JobsError::WrongSlasher)]
    pub slasher: UncheckedAccount<'info>,

    pub staking_program: Program<'info, DepinStaking>,
}

impl<'info> SlotBond<'info> {
    fn slasher_accounts(&self) -> staking_cpi::SlasherAccounts<'info> {
        staking_cpi::SlasherAccounts {
            staking_program: self.staking_program.to_account_info(),
            slasher: self.slasher.to_account_info(),
            pool: self.staking_pool.to_account_info(),
            provider: self.provider.to_account_info(),
        }
    }

    /// Lock `bond` of the provider's free stake (the `lock` CPI).
    pub fn lock(&self, bond: u64) -> Result<()> {
        staking_cpi::lock(&self.slasher_accounts(), self.market.slasher_bump, bond)
    }

    /// Release `bond` of another provider of the same pool (`other`, e.g. a holder displaced
    /// by a better-ranked claim) in full; `depin_staking` re-validates the account.
    pub fn release_other(&self, other: &AccountInfo<'info>, bond: u64) -> Result<()> {
        require_keys_eq!(
            provider::pool_of(other)?,
            self.market.staking_pool,
            JobsError::WrongStakingPool
        );
        let accounts = staking_cpi::SlasherAccounts {
            provider: other.clone(),
            ..self.slasher_accounts()
        };
        staking_cpi::settle_bond(&accounts, self.market.slasher_bump, bond, 0, false)
    }

    /// Release `bond`, slashing `penalty` of it (for the pool treasury) first when non-zero (one
    /// CPI either way); `completed` counts the job as completed for the provider.
    pub fn settle(&self, bond: u64, penalty: u64, completed: bool) -> Result<()> {
        let bump = self.market.slasher_bump;
        staking_cpi::settle_bond(&self.slasher_accounts(), bump, bond, penalty, completed)
    }
}
