use anchor_lang::prelude::*;
use depin_core::{limits, seeds};
use depin_staking::pda_account::NewAccount;

use crate::{
    errors::JobsError,
    events::{AccreditationRevoked, ProviderAccredited},
    provider,
    state::{Accreditation, Market},
};

/// Admit a provider to an allow-listed market, or end its admission. One instruction for both
/// (the account is created or closed by the handler rather than by `init` / `close`): the jobs
/// program's entrypoint is near the SBF branch-range limit (docs/sbf-toolchain.md), and two
/// more account structs did not fit.
#[derive(Accounts)]
pub struct SetAccreditation<'info> {
    /// The market's admin; pays the accreditation's rent and gets it back on revocation.
    #[account(mut)]
    pub admin: Signer<'info>,

    #[account(has_one = admin @ JobsError::NotMarketAdmin)]
    pub market: Account<'info, Market>,

    /// CHECK: a `depin_staking` provider account of the market's staking pool (read in place
    /// by `crate::provider`, which checks owner and discriminator).
    #[account(constraint = provider::pool_of(&provider)? == market.staking_pool @ JobsError::WrongStakingPool)]
    pub provider: UncheckedAccount<'info>,

    /// CHECK: the PDA `["accredited", market, provider]`, created or closed by the handler.
    #[account(
        mut,
        seeds = [seeds::ACCREDITED, market.key().as_ref(), provider.key().as_ref()],
        bump,
    )]
    pub accreditation: UncheckedAccount<'info>,

    pub system_program: Program<'info, System>,
}

impl SetAccreditation<'_> {
    /// Specification: set_accreditation (market admin)
    /// - Preconditions: signer is the market's admin; `provider` is a provider account of the
    ///   market's staking pool; to accredit, the provider is not accredited yet (the PDA holds
    ///   no program account; lamports a stranger sent it beforehand are kept and topped up,
    ///   so a donation cannot block the creation); to revoke, it is.
    /// - Effects: accredit: creates `Accreditation ["accredited", market, provider]` (admin
    ///   pays the rent), which lets the provider claim the market's allow-listed jobs; emits
    ///   `ProviderAccredited`. Revoke: closes it (every lamport to the admin): the provider can
    ///   no longer claim allow-listed jobs, while slots it holds run to their end under the
    ///   usual rules (revocation never slashes or unseats anyone); emits
    ///   `AccreditationRevoked`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, accredited: bool) -> Result<()> {
        if accredited {
            ctx.accounts.create(ctx.bumps.accreditation)
        } else {
            ctx.accounts.close()
        }
    }

    #[inline(never)]
    fn create(&self, bump: u8) -> Result<()> {
        let acc = self.accreditation.to_account_info();
        require!(NewAccount::unused(&acc), JobsError::AlreadyAccredited);
        let space = limits::DISCRIMINATOR_LEN + limits::ACCREDITATION_SIZE;
        let (market, provider) = (self.market.key(), self.provider.key());
        NewAccount {
            payer: &self.admin.to_account_info(),
            account: &acc,
            system_program: &self.system_program.to_account_info(),
        }
        .create(
            &[
                seeds::ACCREDITED,
                market.as_ref(),
                provider.as_ref(),
                &[bump],
            ],
            space,
            &crate::ID,
        )?;
        let now = Clock::get()?.unix_timestamp;
        let record = Accreditation {
            market,
            provider,
            accredited_at: now,
            bump,
        };
        record.try_serialize(&mut &mut acc.try_borrow_mut_data()?[..])?;
        emit!(ProviderAccredited {
            market,
            provider,
            accredited_at: now,
        });
        Ok(())
    }

    #[inline(never)]
    fn close(&self) -> Result<()> {
        let acc = self.accreditation.to_account_info();
        require!(*acc.owner == crate::ID, JobsError::NotAccredited);
        let admin = self.admin.to_account_info();
        let lamports = acc.lamports();
        **admin.try_borrow_mut_lamports()? = admin
            .lamports()
            .checked_add(lamports)
            .ok_or(JobsError::MathOverflow)?;
        **acc.try_borrow_mut_lamports()? = 0;
        acc.assign(&system_program::ID);
        acc.resize(0)?;
        emit!(AccreditationRevoked {
            market: self.market.key(),
            provider: self.provider.key(),
        });
        Ok(())
    }
}
