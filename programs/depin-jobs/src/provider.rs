//! `depin_staking::state::Provider` fields read in place.
//!
//! The jobs program needs only a provider's pool, authority and operator, the first three
//! fields, and its free stake (the three amounts after them) for the assignment lottery.
//! Decoding the
//! whole account with Borsh would allocate its metadata `String`, and the generic growth path of
//! that allocation (`RawVecInner::finish_grow`) contains an overflow-checked multiply that the
//! upstream-LLVM SBF route miscompiles (the linker check flagged it; see
//! docs/sbf-toolchain.md). Reading 64 bytes in place is also far cheaper. The offsets are
//! `depin_staking::in_place::provider_layout` (pinned to the Borsh layout there). The account must be
//! owned by `depin_staking` and carry `Provider`'s discriminator, so no other account type can
//! pass for one; `depin_staking` re-validates it completely in every CPI that changes a bond.

use anchor_lang::prelude::*;
use depin_staking::{
    in_place::{
        check_account, i64_at, key_at,
        provider_layout::{
            AUTHORITY, FIXED_END, LAST_STAKED_AT, LOCKED, OPERATOR, POOL, STAKED, UNBONDING,
        },
        u64_at,
    },
    state::Provider,
};

use crate::errors::JobsError;

/// `f` applied to the data of provider account `info`, after one check (owned by
/// `depin_staking`, `Provider`'s discriminator, its fixed-size fields present; any fault is
/// `NotAProvider`).
fn with_data<T>(info: &AccountInfo, f: impl FnOnce(&[u8]) -> T) -> Result<T> {
    let data = info.try_borrow_data()?;
    check_account::<Provider>(info, &data, FIXED_END, &depin_staking::ID)
        .map_err(|_| error!(JobsError::NotAProvider))?;
    Ok(f(&data))
}

fn field(info: &AccountInfo, at: usize) -> Result<Pubkey> {
    with_data(info, |d| key_at(d, at))
}

/// The stake of provider account `info` that counts in the assignment lottery of a job posted
/// at `posted_at`: its free stake (`staked - locked - unbonding`, 0 if inconsistent), or 0 if
/// it staked (or registered) at or after the posting (`depin_core::sortition::lottery_stake`).
pub fn lottery_stake_of(info: &AccountInfo, posted_at: i64) -> Result<u64> {
    with_data(info, |d| {
        let free = u64_at(d, STAKED)
            .saturating_sub(u64_at(d, LOCKED))
            .saturating_sub(u64_at(d, UNBONDING));
        let last_staked_at = i64_at(d, LAST_STAKED_AT);
        depin_core::sortition::lottery_stake(free, last_staked_at, posted_at)
    })
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
    fn readers_return_the_fields_of_a_provider() {
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
        let (key, owner, mut lamports) = (Pubkey::new_unique(), depin_staking::ID, 0);
        let info = AccountInfo::new(&key, false, false, &mut lamports, &mut data, &owner, false);
        assert_eq!(pool_of(&info).unwrap(), p.pool);
        assert_eq!(authority_of(&info).unwrap(), p.authority);
        assert_eq!(operator_of(&info).unwrap(), p.operator);
        // Free stake 500, staked before the job was posted at 0.
        assert_eq!(
            lottery_stake_of(&info, 0).unwrap(),
            depin_core::sortition::lottery_stake(500, -7, 0)
        );
        let stranger = Pubkey::new_unique();
        let mut lamports = 0;
        let info = AccountInfo::new(
            &key,
            false,
            false,
            &mut lamports,
            &mut data,
            &stranger,
            false,
        );
        assert_eq!(pool_of(&info).unwrap_err(), JobsError::NotAProvider.into());
    }
}
