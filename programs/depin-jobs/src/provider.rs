//! `depin_staking::state::Provider` fields read in place.
//!
//! The jobs program needs only a provider's pool, authority and operator, the first three
//! fields, and its free stake (the three amounts after them) for the assignment lottery.
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
/// Byte offsets of `Provider::staked`, `locked` and `unbonding` (`u64` LE each) and
/// `last_staked_at` (`i64` LE).
const STAKED: usize = 104;
const LOCKED: usize = 112;
const UNBONDING: usize = 120;
const LAST_STAKED_AT: usize = 168;

fn bytes<const N: usize>(info: &AccountInfo, at: usize) -> Result<[u8; N]> {
    require_keys_eq!(*info.owner, depin_staking::ID, JobsError::NotAProvider);
    let data = info.try_borrow_data()?;
    require!(
        data.len() >= LAST_STAKED_AT + 8 && data[..8] == *Provider::DISCRIMINATOR,
        JobsError::NotAProvider
    );
    let mut out = [0u8; N];
    out.copy_from_slice(&data[at..at + N]);
    Ok(out)
}

fn field(info: &AccountInfo, range: core::ops::Range<usize>) -> Result<Pubkey> {
    Ok(Pubkey::new_from_array(bytes::<32>(info, range.start)?))
}

/// The stake of provider account `info` that counts in the assignment lottery of a job posted
/// at `posted_at`: its free stake (`staked - locked - unbonding`, 0 if inconsistent), or 0 if
/// it staked (or registered) at or after the posting (`depin_core::sortition::lottery_stake`).
pub fn lottery_stake_of(info: &AccountInfo, posted_at: i64) -> Result<u64> {
    let amount = |at| -> Result<u64> { Ok(u64::from_le_bytes(bytes::<8>(info, at)?)) };
    let (staked, locked, unbonding) = (amount(STAKED)?, amount(LOCKED)?, amount(UNBONDING)?);
    let free = staked.saturating_sub(locked).saturating_sub(unbonding);
    let last_staked_at = i64::from_le_bytes(bytes::<8>(info, LAST_STAKED_AT)?);
    Ok(depin_core::sortition::lottery_stake(
        free,
        last_staked_at,
        posted_at,
    ))
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
            staked: 1_000,
            locked: 300,
            unbonding: 200,
            unbond_at: 0,
            jobs_completed: 0,
            jobs_slashed: 0,
            total_slashed: 0,
            registered_at: 0,
            last_staked_at: -7,
            uri: "https://x".into(),
            bump: 255,
        };
        let mut data = Vec::new();
        p.try_serialize(&mut data).unwrap();
        assert_eq!(&data[POOL], p.pool.as_ref());
        assert_eq!(&data[AUTHORITY], p.authority.as_ref());
        assert_eq!(&data[OPERATOR], p.operator.as_ref());
        let amount = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap());
        assert_eq!(
            (amount(STAKED), amount(LOCKED), amount(UNBONDING)),
            (1_000, 300, 200)
        );
        let at = i64::from_le_bytes(data[LAST_STAKED_AT..LAST_STAKED_AT + 8].try_into().unwrap());
        assert_eq!(at, -7);
    }
}
