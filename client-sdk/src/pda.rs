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

/// Published policy of provider account `provider`: `["policy", provider]`.
pub fn policy(provider: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::POLICY, provider.as_ref()], &STAKING_PROGRAM_ID)
}

/// Provider account of `authority` in `pool`: `["provider", pool, authority]`.
pub fn provider(pool: &Pubkey, authority: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::PROVIDER, pool.as_ref(), authority.as_ref()],
        &STAKING_PROGRAM_ID,
    )
}

/// The staking program's config (who may create pools).
pub fn staking_config() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::CONFIG], &STAKING_PROGRAM_ID)
}

/// The jobs program's config (who may create markets).
pub fn jobs_config() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::CONFIG], &JOBS_PROGRAM_ID)
}

/// The upgradeable loader's ProgramData account of `program_id`.
pub fn program_data(program_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[program_id.as_ref()],
        &anchor_lang::solana_program::bpf_loader_upgradeable::ID,
    )
}

/// Fee vault of `market`.
pub fn fee_vault(market: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[seeds::FEE_VAULT, market.as_ref()], &JOBS_PROGRAM_ID)
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

/// The first nonce at or after `from` (wrapping) whose job address has bump 255, so that
/// `post_job` finds the address in one try: each lower bump costs the post one more
/// `create_program_address` (1 500 compute units). Half of all nonces qualify; the search
/// takes two tries on average.
pub fn job_nonce(market: &Pubkey, requester: &Pubkey, from: u64) -> u64 {
    let mut nonce = from;
    while job(market, requester, nonce).1 != u8::MAX {
        nonce = nonce.wrapping_add(1);
    }
    nonce
}

/// `provider`'s accreditation in allow-listed `market`.
pub fn accreditation(market: &Pubkey, provider: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[seeds::ACCREDITED, market.as_ref(), provider.as_ref()],
        &JOBS_PROGRAM_ID,
    )
}
