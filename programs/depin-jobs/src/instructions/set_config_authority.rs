use anchor_lang::prelude::*;

use crate::{errors::JobsError, events::ConfigAuthorityChanged, state::Config};

#[derive(Accounts)]
pub struct SetConfigAuthority<'info> {
    /// The current config authority.
    pub authority: Signer<'info>,

    #[account(mut, has_one = authority @ JobsError::NotConfigAuthority)]
    pub config: Account<'info, Config>,

    /// The new authority; must sign, so a typo cannot orphan market creation.
    pub new_authority: Signer<'info>,
}

impl SetConfigAuthority<'_> {
    /// Specification: set_config_authority
    /// - Preconditions: signer is `config.authority`; the new authority signs.
    /// - Effects: `config.authority = new_authority`; emits `ConfigAuthorityChanged`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let config = &mut ctx.accounts.config;
        let previous = config.authority;
        config.authority = ctx.accounts.new_authority.key();
        emit!(ConfigAuthorityChanged {
            config: config.key(),
            previous,
            authority: config.authority,
        });
        Ok(())
    }
}
