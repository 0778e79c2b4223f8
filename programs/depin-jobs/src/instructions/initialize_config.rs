use anchor_lang::prelude::*;
use anchor_lang::solana_program::bpf_loader_upgradeable;
use depin_core::{governance, limits, seeds};

use crate::{errors::JobsError, events::ConfigInitialized, state::Config};

/// Who will be allowed to create markets.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct InitializeConfigArgs {
    /// The config authority (may differ from the upgrade authority, e.g. a multisig).
    pub authority: Pubkey,
}

#[derive(Accounts)]
pub struct InitializeConfig<'info> {
    /// This program's upgrade authority; pays rent.
    #[account(mut)]
    pub upgrade_authority: Signer<'info>,

    #[account(
        init,
        payer = upgrade_authority,
        space = limits::DISCRIMINATOR_LEN + Config::INIT_SPACE,
        seeds = [seeds::CONFIG],
        bump,
    )]
    pub config: Account<'info, Config>,

    /// CHECK: this program's ProgramData account (address derived from the loader, owner
    /// checked, upgrade authority read in place by `depin_core::governance`).
    #[account(
        seeds = [crate::ID.as_ref()],
        bump,
        seeds::program = bpf_loader_upgradeable::ID,
        owner = bpf_loader_upgradeable::ID @ JobsError::NotUpgradeAuthority,
        constraint = governance::upgrade_authority(&program_data.try_borrow_data()?)
            == Some(upgrade_authority.key().to_bytes()) @ JobsError::NotUpgradeAuthority,
    )]
    pub program_data: UncheckedAccount<'info>,

    pub system_program: Program<'info, System>,
}

impl InitializeConfig<'_> {
    /// Specification: initialize_config
    /// - Preconditions: no config yet (PDA `init`); the signer is the upgrade authority recorded
    ///   in this program's ProgramData (a stranger cannot be, so nobody can front-run it).
    /// - Effects: creates `Config { authority }` with its canonical bump; emits
    ///   `ConfigInitialized`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: InitializeConfigArgs) -> Result<()> {
        let config = &mut ctx.accounts.config;
        config.authority = args.authority;
        config.bump = ctx.bumps.config;
        emit!(ConfigInitialized {
            config: config.key(),
            authority: config.authority,
        });
        Ok(())
    }
}
