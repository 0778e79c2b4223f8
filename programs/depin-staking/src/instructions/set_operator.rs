use anchor_lang::prelude::*;

use crate::{errors::StakingError, events::OperatorChanged, state::Provider};

#[derive(Accounts)]
pub struct SetOperator<'info> {
    /// The provider's authority (cold key).
    pub authority: Signer<'info>,

    #[account(mut, has_one = authority @ StakingError::NotProviderAuthority)]
    pub provider: Account<'info, Provider>,

    /// The new operator; co-signs (nobody can be named operator without consent).
    pub operator: Signer<'info>,
}

impl SetOperator<'_> {
    /// Specification: set_operator
    /// - Preconditions: signer is the provider's authority; the new operator co-signs. Allowed
    ///   while the pool is paused
    ///   (rotating a leaked hot key must always be possible).
    /// - Effects: `provider.operator = operator` (jobs already claimed keep their slots; the
    ///   new key signs their next steps); emits `OperatorChanged`.
    // Kept out of line: see docs/sbf-toolchain.md (branch range).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>) -> Result<()> {
        let operator = ctx.accounts.operator.key();
        let provider = &mut ctx.accounts.provider;
        let previous = provider.operator;
        provider.operator = operator;
        emit!(OperatorChanged {
            pool: provider.pool,
            provider: provider.key(),
            previous,
            operator,
        });
        Ok(())
    }
}
