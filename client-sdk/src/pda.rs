//! Program-derived addresses of both programs, from the seeds in [`depin_core::seeds`].

use anchor_lang::prelude::Pubkey;
use depin_core::seeds;

use crate::{JOBS_PROGRAM_ID, STAKING_PROGRAM_ID};

/// Staking pool of `stake_mint`.
pub fn pool(stake_mint: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::POOL, stake_mint.as_ref()], &STAKING_PROGRAM_ID)
}

/// Stake vault of `pool`.
pub fn vault(pool: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::VAULT, pool.as_ref()], &STAKING_PROGRAM_ID)
}

/// Provider account of `owner` in `pool`.
pub fn provider(pool: &Pubkey, owner: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::PROVIDER, pool.as_ref(), owner.as_ref()],
        &STAKING_PROGRAM_ID,
    )
}

/// The jobs program's slasher PDA (the `slasher` every pool used by a market must name).
pub fn slasher() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::SLASHER], &JOBS_PROGRAM_ID)
}

/// Market `market_id` of `payment_mint`.
pub fn market(payment_mint: &Pubkey, market_id: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[
            seeds::MARKET,
            payment_mint.as_ref(),
            &market_id.to_le_bytes(),
        ],
        &JOBS_PROGRAM_ID,
    )
}

/// Job `nonce` of `requester` in `market`.
pub fn job(market: &Pubkey, requester: &Pubkey, nonce: u64) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[
            seeds::JOB,
            market.as_ref(),
            requester.as_ref(),
            &nonce.to_le_bytes(),
        ],
        &JOBS_PROGRAM_ID,
    )
}

/// Escrow token account of `job`.
pub fn escrow(job: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::ESCROW, job.as_ref()], &JOBS_PROGRAM_ID)
}
