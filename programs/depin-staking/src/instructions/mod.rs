//! One module per instruction.
//!
//! Account checks: `Account<Pool>` / `Account<Provider>` are owner- and discriminator-checked,
//! and every `Provider` is tied to its pool and authority by `has_one` (each with its own error).
//! PDA seeds are verified where an account is created; elsewhere they add nothing that the
//! owner check and `has_one` do not already prove, and would cost ~1.5k CU each.

pub mod close_provider;
pub mod initialize_config;
pub mod initialize_pool;
pub mod lock;
pub mod register_provider;
pub mod request_unstake;
pub mod set_config_authority;
pub mod set_operator;
pub mod set_policy;
pub mod slash;
pub mod stake;
pub mod sweep_slashed;
pub mod unlock;
pub mod update_pool;
pub mod withdraw;

pub use close_provider::*;
pub use initialize_config::*;
pub use initialize_pool::*;
pub use lock::*;
pub use register_provider::*;
pub use request_unstake::*;
pub use set_config_authority::*;
pub use set_operator::*;
pub use set_policy::*;
pub use slash::*;
pub use stake::*;
pub use sweep_slashed::*;
pub use unlock::*;
pub use update_pool::*;
pub use withdraw::*;

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Mint, Token, TokenAccount, TransferChecked};
use depin_core::seeds;

use crate::{errors::StakingError, state::Pool};

/// The vault must hold at least the pool's total stake (Σ provider stake) plus the slashed
/// stake not yet swept to the treasury. More is allowed: anyone can send tokens to the vault,
/// and an equality check would let a one-unit donation freeze every provider's stake; the
/// surplus goes to the treasury with the next `sweep_slashed`. Reloads the vault.
#[inline(never)]
pub(crate) fn check_vault_invariant(pool: &Pool, vault: &mut Account<TokenAccount>) -> Result<()> {
    vault.reload()?;
    let expected = depin_core::math::add(pool.total_staked, pool.pending_slashed)
        .map_err(StakingError::from)?;
    require_gte!(vault.amount, expected, StakingError::VaultInvariantViolated);
    Ok(())
}

/// Move `amount` out of the vault, signed by the pool PDA.
#[inline(never)]
pub(crate) fn pay_from_vault<'info>(
    pool: &Account<'info, Pool>,
    vault: &Account<'info, TokenAccount>,
    mint: &Account<'info, Mint>,
    to: AccountInfo<'info>,
    token_program: &Program<'info, Token>,
    amount: u64,
) -> Result<()> {
    let bump = [pool.bump];
    let signer: &[&[u8]] = &[seeds::POOL, pool.stake_mint.as_ref(), &bump];
    token::transfer_checked(
        CpiContext::new_with_signer(
            token_program.key(),
            TransferChecked {
                from: vault.to_account_info(),
                mint: mint.to_account_info(),
                to,
                authority: pool.to_account_info(),
            },
            &[signer],
        ),
        amount,
        mint.decimals,
    )
}
