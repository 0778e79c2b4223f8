use crate::{errors::StakingError, events::Slashed, in_place::ProviderBond, state::Pool};
use anchor_lang::prelude::*;

/// A slash of part of a bond, optionally releasing the rest of it in the same call.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct SlashArgs {
    /// Tokens taken from `locked` for the pool treasury (> 0; swept by `sweep_slashed`).
    pub amount: u64,
    /// Tokens of the same bond released back to free stake afterwards (may be 0).
    pub release: u64,
}

#[derive(Accounts)]
pub struct Slash<'info> {
    /// The pool's slasher (jobs program PDA, via CPI).
    pub slasher: Signer<'info>,

    #[account(mut, has_one = slasher @ StakingError::NotSlasher)]
    pub pool: Account<'info, Pool>,

    /// The provider of `pool` whose bond changes, read and written in place (`in_place::ProviderBond`).
    /// CHECK: `ProviderBond::load` checks the owner, discriminator and pool (`WrongPool`).
    #[account(mut)]
    pub provider: UncheckedAccount<'info>,
}

impl Slash<'_> {
    pub fn validate(&self, args: &SlashArgs) -> Result<()> {
        require!(args.amount > 0, StakingError::ZeroAmount);
        Ok(())
    }

    /// Specification: slash
    /// - Preconditions: signed by `pool.slasher`; provider in this pool;
    ///   `0 < amount` and `amount + release <= locked` (only bonded stake can be slashed, never
    ///   free or unbonding stake). Allowed while paused.
    /// - Effects: `locked -= amount + release`, `staked -= amount`, `jobs_slashed += 1`,
    ///   `total_slashed += amount` (provider and pool), `pool.total_staked -= amount`,
    ///   `pool.pending_slashed += amount` (the tokens stay in the vault until `sweep_slashed`
    ///   sends them to the pool treasury, their only destination, so vault =
    ///   `total_staked + pending_slashed` holds without a transfer); checks the provider
    ///   invariant; emits `Slashed`.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: SlashArgs) -> Result<()> {
        let mut provider = ProviderBond::load(&ctx.accounts.provider, &ctx.accounts.pool.key())?;
        let mut ledger = provider.ledger();
        let before = ledger;
        ledger.slash(args.amount).map_err(StakingError::from)?;
        if args.release > 0 {
            ledger.unlock(args.release).map_err(StakingError::from)?;
        }
        provider.set_ledger(ledger)?;
        provider.record_slash(args.amount)?;
        drop(provider);

        let pool = &mut ctx.accounts.pool;
        pool.record_slash(args.amount)?;

        emit!(Slashed {
            pool: pool.key(),
            provider: ctx.accounts.provider.key(),
            amount: args.amount,
            released: args.release,
            locked_before: before.locked,
            locked_after: ledger.locked,
            staked_before: before.staked,
            staked_after: ledger.staked,
            pool_total_staked: pool.total_staked,
            pool_pending_slashed: pool.pending_slashed,
        });
        Ok(())
    }
}
