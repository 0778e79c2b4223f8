//! The jobs program's errors.

use anchor_lang::prelude::*;
use depin_core::MathError;

/// Every way a jobs instruction can be refused.
#[error_code]
pub enum JobsError {
    #[msg("Fee or slash rate above 10000 basis points")]
    InvalidBps,
    #[msg("max_replicas must be between 1 and 8")]
    InvalidMaxReplicas,
    #[msg("Claim, execution and reveal windows must be positive")]
    InvalidWindow,
    #[msg("Minimum bond must be greater than zero")]
    InvalidMinBond,
    #[msg("Token account or mint does not match the market's payment mint")]
    WrongMint,
    #[msg("Treasury must be a token account of the payment mint")]
    WrongTreasury,
    #[msg("Staking pool does not name this program's slasher PDA")]
    PoolSlasherMismatch,
    #[msg("Arithmetic overflow")]
    MathOverflow,
    #[msg("Arithmetic underflow")]
    MathUnderflow,
}

impl From<MathError> for JobsError {
    fn from(e: MathError) -> Self {
        match e {
            MathError::Underflow => JobsError::MathUnderflow,
            MathError::InvalidBps => JobsError::InvalidBps,
            _ => JobsError::MathOverflow,
        }
    }
}
