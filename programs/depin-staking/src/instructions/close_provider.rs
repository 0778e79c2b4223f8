use anchor_lang::prelude::*;

use crate::{errors::StakingError, events::ProviderClosed, state::Provider};

#[derive(Accounts)]
pub struct CloseProvider<'info> {
    /// The provider's authority; receives the rent.
    #[account(mut)]
    pub authority: Signer<'info>,

    #[account(
        mut,
        close = authority,
        has_one = authority @ StakingError::NotProviderAuthority,
        constraint = provider.staked == 0 && provider.locked == 0 && provider.unbonding == 0
            @ StakingError::ProviderNotEmpty,
    )]
    pub provider: Account<'info, Provider>,
}

impl CloseProvider<'_> {
    /// Specification: close_provider
    /// - Preconditions: signer is the provider's authority; `staked`, `locked` and `unbonding` are all 0.
    /// - Effects: closes the account (rent to the authority; Anchor zeroes the data and its
    ///   discriminator, so it cannot be revived within the transaction); emits `ProviderClosed`.
    ///   The authority may register again later, starting from zero counters.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let p = &ctx.accounts.provider;
        emit!(ProviderClosed {
            pool: p.pool,
            provider: p.key(),
            authority: p.authority,
            jobs_completed: p.jobs_completed,
            jobs_slashed: p.jobs_slashed,
        });
        Ok(())
    }
}
