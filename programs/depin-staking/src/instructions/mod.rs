//! One module per instruction.

pub mod initialize_pool;
pub mod register_provider;
pub mod stake;

pub use initialize_pool::*;
pub use register_provider::*;
pub use stake::*;

use anchor_lang::prelude::*;
use anchor_spl::token::TokenAccount;

use crate::{errors::StakingError, state::Pool};

/// Vault balance must equal the pool's total stake (Σ provider stake). Reloads the vault.
pub(crate) fn check_vault_invariant(pool: &Pool, vault: &mut Account<TokenAccount>) -> Result<()> {
    vault.reload()?;
    require_eq!(vault.amount, pool.total_staked, StakingError::VaultInvariantViolated);
    Ok(())
}
