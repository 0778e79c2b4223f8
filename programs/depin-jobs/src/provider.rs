//! `depin_staking::state::Provider` fields read in place.
//!
//! The jobs program needs only a provider's pool, authority and operator, the first three fields.
//! Decoding the
//! whole account with Borsh would allocate its metadata `String`, and the generic growth path of
//! that allocation (`RawVecInner::finish_grow`) contains an overflow-checked multiply that the
//! upstream-LLVM SBF route miscompiles (the linker check flagged it; see
//! docs/sbf-toolchain.md). Reading 64 bytes in place is also far cheaper. The account must be
//! owned by `depin_staking` and carry `Provider`'s discriminator, so no other account type can
//! pass for one; `depin_staking` re-validates it completely in every CPI that changes a bond.

use anchor_lang::{prelude::*, Discriminator};
use depin_staking::state::Provider;

use crate::errors::JobsError;

/// Byte range of `Provider::pool` in the account data (after the discriminator).
const POOL: core::ops::Range<usize> = 8..40;
/// Byte range of `Provider::authority`.
const AUTHORITY: core::ops::Range<usize> = 40..72;
/// Byte range of `Provider::operator`.
const OPERATOR: core::ops::Range<usize> = 72..104;

fn field(info: &AccountInfo, range: core::ops::Range<usize>) -> Result<Pubkey> {
    require_keys_eq!(*info.owner, depin_staking::ID, JobsError::NotAProvider);
    let data = info.try_borrow_data()?;
    require!(
        data.len() >= OPERATOR.end && data[..8] == *Provider::DISCRIMINATOR,
        JobsError::NotAProvider
    );
    let mut key = [0u8; 32];
    key.copy_from_slice(&data[range]);
    Ok(Pubkey::new_from_array(key))
}

/// The staking pool of provider account `info`.
pub fn pool_of(info: &AccountInfo) -> Result<Pubkey> {
    field(info, POOL)
}

/// The authority (cold key; owner of payout accounts) of provider account `info`.
pub fn authority_of(info: &AccountInfo) -> Result<Pubkey> {
    field(info, AUTHORITY)
}

/// The operator (the key its worker signs job transactions with) of provider account `info`.
pub fn operator_of(info: &AccountInfo) -> Result<Pubkey> {
    field(info, OPERATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_match_the_borsh_layout() {
        let p = Provider {
            pool: Pubkey::new_unique(),
            authority: Pubkey::new_unique(),
            operator: Pubkey::new_unique(),
            staked: 1,
            locked: 0,
            unbonding: 0,
            unbond_at: 0,
            jobs_completed: 0,
            jobs_slashed: 0,
            total_slashed: 0,
            registered_at: 0,
            uri: "https://x".into(),
            bump: 255,
        };
        let mut data = Vec::new();
        p.try_serialize(&mut data).unwrap();
        assert_eq!(&data[POOL], p.pool.as_ref());
        assert_eq!(&data[AUTHORITY], p.authority.as_ref());
        assert_eq!(&data[OPERATOR], p.operator.as_ref());
    }
}
