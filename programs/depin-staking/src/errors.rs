//! The staking program's errors.

use anchor_lang::prelude::*;
use depin_core::{MathError, StakeError};

/// Every way a staking instruction can be refused.
#[error_code]
pub enum StakingError {
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Unbonding period is negative or longer than one year")]
    InvalidUnbondingPeriod,
    #[msg("Provider URI is longer than 128 bytes")]
    UriTooLong,
    #[msg("Signer is not the pool admin")]
    NotPoolAdmin,
    #[msg("Signer is not the authority of this provider account")]
    NotProviderAuthority,
    #[msg("Provider account belongs to another pool")]
    WrongPool,
    #[msg("Token account or mint does not match the pool's stake mint")]
    WrongMint,
    #[msg("Vault is not this pool's vault")]
    WrongVault,
    #[msg("Token account is not owned by the signer")]
    WrongTokenOwner,
    #[msg("Treasury must be a token account of the stake mint")]
    WrongTreasury,
    #[msg("Pool is paused")]
    PoolPaused,
    #[msg("Not enough free stake (staked - locked - unbonding)")]
    InsufficientFreeStake,
    #[msg("Not enough locked stake")]
    InsufficientLocked,
    #[msg("Nothing is unbonding")]
    NothingUnbonding,
    #[msg("Stake invariant violated: locked + unbonding > staked")]
    StakeInvariantViolated,
    #[msg("Vault balance is below the pool's total stake plus pending slashes")]
    VaultInvariantViolated,
    #[msg("Signer is not the pool's slasher")]
    NotSlasher,
    #[msg("The unbonding period has not elapsed yet")]
    UnbondingNotElapsed,
    #[msg("Provider still holds stake, locks or unbonding tokens")]
    ProviderNotEmpty,
    #[msg("Destination must be the pool treasury")]
    WrongDestination,
    #[msg("The new admin must sign the hand-over")]
    NewAdminMustSign,
    #[msg("Nothing to update")]
    NothingToUpdate,
    #[msg("Arithmetic overflow")]
    MathOverflow,
    #[msg("Arithmetic underflow")]
    MathUnderflow,
    #[msg("No slashed stake or surplus is waiting to be swept")]
    NothingToSweep,
    #[msg("Signer is not this program's upgrade authority")]
    NotUpgradeAuthority,
    #[msg("Signer is not the program config's authority")]
    NotConfigAuthority,
    #[msg("Signer is neither the operator nor the authority of this provider account")]
    NotProviderOperator,
    #[msg("Policy flag allow_file_uris must be 0 or 1")]
    InvalidPolicy,
    #[msg("Pool account is not the PDA ['pool', stake_mint]")]
    WrongPoolAddress,
    #[msg("Vault account is not the PDA ['vault', pool]")]
    WrongVaultAddress,
    #[msg("A pool already exists for this stake mint")]
    PoolExists,
}

impl From<MathError> for StakingError {
    fn from(e: MathError) -> Self {
        match e {
            MathError::Underflow => StakingError::MathUnderflow,
            _ => StakingError::MathOverflow,
        }
    }
}

impl From<StakeError> for StakingError {
    fn from(e: StakeError) -> Self {
        match e {
            StakeError::ZeroAmount => StakingError::ZeroAmount,
            StakeError::InsufficientFreeStake => StakingError::InsufficientFreeStake,
            StakeError::InsufficientLocked => StakingError::InsufficientLocked,
            StakeError::NothingUnbonding => StakingError::NothingUnbonding,
            StakeError::InvariantViolated => StakingError::StakeInvariantViolated,
            StakeError::Math(m) => m.into(),
        }
    }
}
