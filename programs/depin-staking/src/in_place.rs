//! `Pool` and `Provider` fields read and written in place, at their fixed Borsh offsets.
//!
//! The bond instructions (`lock`, `unlock`, `slash`) run inside every claim and every release
//! of the jobs program. Decoding a whole `Provider` with Borsh (its metadata `String`
//! included) and encoding it back on exit cost about 3.4k compute units of the 7.4k a `lock`
//! took; decoding a `Pool` about 1.2k more. Every field before `Provider::uri` has a fixed
//! size, and `Pool` has no variable-size field at all, so those fields sit at fixed offsets:
//! [`provider_layout`] and [`pool_layout`] name them (one source, used by `depin_jobs` as
//! well), and a test pins them to the Borsh encoding.
//!
//! Every view checks what Anchor's `Account` checks: the owner is this program and the data
//! starts with the type's discriminator and is long enough, with the errors Anchor gives for
//! each fault.

use core::cell::RefMut;

use anchor_lang::{error::ErrorCode, prelude::*, Discriminator};
use depin_core::{math, StakeLedger};

use crate::{
    errors::StakingError,
    state::{Pool, Provider},
};

/// Byte offsets of `Provider`'s fixed-size fields in the account data (after the 8-byte
/// discriminator).
pub mod provider_layout {
    /// `Provider::pool`.
    pub const POOL: usize = 8;
    /// `Provider::authority`.
    pub const AUTHORITY: usize = POOL + 32;
    /// `Provider::operator`.
    pub const OPERATOR: usize = AUTHORITY + 32;
    /// `Provider::staked`.
    pub const STAKED: usize = OPERATOR + 32;
    /// `Provider::locked`.
    pub const LOCKED: usize = STAKED + 8;
    /// `Provider::unbonding`.
    pub const UNBONDING: usize = LOCKED + 8;
    /// `Provider::unbond_at`.
    pub const UNBOND_AT: usize = UNBONDING + 8;
    /// `Provider::jobs_completed`.
    pub const JOBS_COMPLETED: usize = UNBOND_AT + 8;
    /// `Provider::jobs_slashed`.
    pub const JOBS_SLASHED: usize = JOBS_COMPLETED + 8;
    /// `Provider::total_slashed`.
    pub const TOTAL_SLASHED: usize = JOBS_SLASHED + 8;
    /// `Provider::registered_at`.
    pub const REGISTERED_AT: usize = TOTAL_SLASHED + 8;
    /// `Provider::last_staked_at`.
    pub const LAST_STAKED_AT: usize = REGISTERED_AT + 8;
    /// End of the fixed-size prefix (`Provider::uri` starts here).
    pub const FIXED_END: usize = LAST_STAKED_AT + 8;
}

/// Byte offsets of `Pool`'s fields in the account data (after the 8-byte discriminator).
pub mod pool_layout {
    /// `Pool::slasher`.
    pub const SLASHER: usize = 8 + 3 * 32;
    /// `Pool::total_staked`.
    pub const TOTAL_STAKED: usize = SLASHER + 2 * 32 + 8;
    /// `Pool::paused`.
    pub const PAUSED: usize = TOTAL_STAKED + 4 * 8;
    /// End of the fields read in place.
    pub const END: usize = PAUSED + 1;
}

/// Check that `info` (whose data is `data`) holds an account of type `T` owned by `program`
/// and at least `len` bytes long, with the errors `Account::<T>::try_from` gives for the same
/// faults. The one check of every in-place view, in both programs.
pub fn check_account<T: Discriminator>(
    info: &AccountInfo,
    data: &[u8],
    len: usize,
    program: &Pubkey,
) -> Result<()> {
    if *info.owner == anchor_lang::system_program::ID && info.lamports() == 0 {
        return Err(ErrorCode::AccountNotInitialized.into());
    }
    if info.owner != program {
        return Err(ErrorCode::AccountOwnedByWrongProgram.into());
    }
    if data.len() < T::DISCRIMINATOR.len() {
        return Err(ErrorCode::AccountDiscriminatorNotFound.into());
    }
    if !data.starts_with(T::DISCRIMINATOR) {
        return Err(ErrorCode::AccountDiscriminatorMismatch.into());
    }
    if data.len() < len {
        return Err(ErrorCode::AccountDidNotDeserialize.into());
    }
    Ok(())
}

fn check<T: Discriminator>(info: &AccountInfo, data: &[u8], len: usize) -> Result<()> {
    check_account::<T>(info, data, len, &crate::ID)
}

/// The little-endian `u64` at byte `at` of `data` (an in-place field read; both programs).
pub fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&data[at..at + 8]);
    u64::from_le_bytes(b)
}

/// The little-endian `i64` at byte `at` of `data`.
pub fn i64_at(data: &[u8], at: usize) -> i64 {
    u64_at(data, at) as i64
}

/// The key at byte `at` of `data`.
pub fn key_at(data: &[u8], at: usize) -> Pubkey {
    let mut b = [0u8; 32];
    b.copy_from_slice(&data[at..at + 32]);
    Pubkey::new_from_array(b)
}

/// The fields of a pool account that the bond instructions read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolView {
    /// `Pool::slasher`.
    pub slasher: Pubkey,
    /// `Pool::total_staked`.
    pub total_staked: u64,
    /// `Pool::paused`.
    pub paused: bool,
}

impl PoolView {
    /// Read pool account `info` (owner and discriminator checked).
    pub fn read(info: &AccountInfo) -> Result<Self> {
        let data = info.try_borrow_data()?;
        check::<Pool>(info, &data, pool_layout::END)?;
        Ok(PoolView {
            slasher: key_at(&data, pool_layout::SLASHER),
            total_staked: u64_at(&data, pool_layout::TOTAL_STAKED),
            paused: data[pool_layout::PAUSED] != 0,
        })
    }
}

/// A provider account's stake fields, borrowed mutably in place; the state type of the bond
/// instructions, owning their checked mutators.
pub struct ProviderBond<'a, 'info> {
    data: RefMut<'a, &'info mut [u8]>,
}

impl<'a, 'info> ProviderBond<'a, 'info> {
    /// Borrow provider account `info` (writable, owner and discriminator checked), which must
    /// belong to `pool` (`StakingError::WrongPool`).
    pub fn load(info: &'a AccountInfo<'info>, pool: &Pubkey) -> Result<Self> {
        require!(info.is_writable, ErrorCode::ConstraintMut);
        let data = info.try_borrow_mut_data()?;
        check::<Provider>(info, &data, provider_layout::FIXED_END)?;
        require_keys_eq!(
            key_at(&data, provider_layout::POOL),
            *pool,
            StakingError::WrongPool
        );
        Ok(ProviderBond { data })
    }

    /// `Provider::pool`.
    pub fn pool(&self) -> Pubkey {
        key_at(&self.data, provider_layout::POOL)
    }

    /// The stake amounts as a `depin_core` ledger.
    pub fn ledger(&self) -> StakeLedger {
        StakeLedger {
            staked: u64_at(&self.data, provider_layout::STAKED),
            locked: u64_at(&self.data, provider_layout::LOCKED),
            unbonding: u64_at(&self.data, provider_layout::UNBONDING),
        }
    }

    fn set_u64(&mut self, at: usize, v: u64) {
        self.data[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }

    /// Store a ledger back, after checking its invariant (`locked + unbonding <= staked`).
    pub fn set_ledger(&mut self, l: StakeLedger) -> Result<()> {
        l.check().map_err(StakingError::from)?;
        self.set_u64(provider_layout::STAKED, l.staked);
        self.set_u64(provider_layout::LOCKED, l.locked);
        self.set_u64(provider_layout::UNBONDING, l.unbonding);
        Ok(())
    }

    /// `jobs_completed += 1`.
    pub fn record_completed(&mut self) -> Result<()> {
        let n = u64_at(&self.data, provider_layout::JOBS_COMPLETED);
        let n = math::add(n, 1).map_err(StakingError::from)?;
        self.set_u64(provider_layout::JOBS_COMPLETED, n);
        Ok(())
    }

    /// `jobs_slashed += 1`, `total_slashed += amount`.
    pub fn record_slash(&mut self, amount: u64) -> Result<()> {
        let jobs = u64_at(&self.data, provider_layout::JOBS_SLASHED);
        let total = u64_at(&self.data, provider_layout::TOTAL_SLASHED);
        let jobs = math::add(jobs, 1).map_err(StakingError::from)?;
        let total = math::add(total, amount).map_err(StakingError::from)?;
        self.set_u64(provider_layout::JOBS_SLASHED, jobs);
        self.set_u64(provider_layout::TOTAL_SLASHED, total);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::AccountSerialize;

    fn provider() -> Provider {
        Provider {
            pool: Pubkey::new_unique(),
            authority: Pubkey::new_unique(),
            operator: Pubkey::new_unique(),
            staked: 1_000,
            locked: 300,
            unbonding: 200,
            unbond_at: 11,
            jobs_completed: 12,
            jobs_slashed: 13,
            total_slashed: 14,
            registered_at: 15,
            last_staked_at: -7,
            uri: "https://x".into(),
            bump: 255,
        }
    }

    #[test]
    fn provider_offsets_match_the_borsh_layout() {
        use provider_layout::*;
        let p = provider();
        let mut data = Vec::new();
        p.try_serialize(&mut data).unwrap();
        let key = |at| key_at(&data, at);
        assert_eq!(
            (key(POOL), key(AUTHORITY), key(OPERATOR)),
            (p.pool, p.authority, p.operator)
        );
        let at = |o| u64_at(&data, o);
        assert_eq!(
            [
                at(STAKED),
                at(LOCKED),
                at(UNBONDING),
                at(UNBOND_AT),
                at(JOBS_COMPLETED),
                at(JOBS_SLASHED),
                at(TOTAL_SLASHED),
                at(REGISTERED_AT),
                at(LAST_STAKED_AT)
            ],
            [1_000, 300, 200, 11, 12, 13, 14, 15, (-7i64) as u64]
        );
        // `uri` (length-prefixed) starts right after the fixed prefix.
        assert_eq!(&data[FIXED_END..FIXED_END + 4], &9u32.to_le_bytes());
    }

    #[test]
    fn pool_offsets_match_the_borsh_layout() {
        let pool = Pool {
            admin: Pubkey::new_unique(),
            stake_mint: Pubkey::new_unique(),
            vault: Pubkey::new_unique(),
            slasher: Pubkey::new_unique(),
            treasury: Pubkey::new_unique(),
            unbonding_seconds: 5,
            total_staked: 77,
            total_slashed: 1,
            pending_slashed: 2,
            provider_count: 3,
            paused: true,
            bump: 254,
            vault_bump: 253,
        };
        let mut data = Vec::new();
        pool.try_serialize(&mut data).unwrap();
        assert_eq!(key_at(&data, pool_layout::SLASHER), pool.slasher);
        assert_eq!(u64_at(&data, pool_layout::TOTAL_STAKED), 77);
        assert_eq!(data[pool_layout::PAUSED], 1);
        assert_eq!(data[pool_layout::END], 254);
    }

    #[test]
    fn views_refuse_foreign_or_short_accounts() {
        let p = provider();
        let mut data = Vec::new();
        p.try_serialize(&mut data).unwrap();
        let key = Pubkey::new_unique();
        let mut lamports = 0;
        let owner = crate::ID;
        let info = AccountInfo::new(&key, false, true, &mut lamports, &mut data, &owner, false);
        let mut bond = ProviderBond::load(&info, &p.pool).unwrap();
        assert_eq!(bond.ledger().locked, 300);
        bond.set_ledger(StakeLedger {
            staked: 1_000,
            locked: 400,
            unbonding: 200,
        })
        .unwrap();
        bond.record_completed().unwrap();
        bond.record_slash(5).unwrap();
        let over = StakeLedger {
            staked: 100,
            locked: 90,
            unbonding: 20,
        };
        assert!(bond.set_ledger(over).is_err(), "the invariant is checked");
        drop(bond);
        let back = Provider::try_deserialize(&mut &data[..]).unwrap();
        assert_eq!(
            (
                back.locked,
                back.jobs_completed,
                back.jobs_slashed,
                back.total_slashed
            ),
            (400, 13, 14, 19)
        );
        assert_eq!(back.uri, p.uri);

        let mut lamports = 0;
        let info = AccountInfo::new(&key, false, true, &mut lamports, &mut data, &owner, false);
        let wrong_pool = ProviderBond::load(&info, &Pubkey::new_unique())
            .err()
            .unwrap();
        assert_eq!(wrong_pool, StakingError::WrongPool.into());
        assert!(PoolView::read(&info).is_err(), "a provider is not a pool");
        let stranger = Pubkey::new_unique();
        let mut lamports = 0;
        let info = AccountInfo::new(
            &key,
            false,
            true,
            &mut lamports,
            &mut data,
            &stranger,
            false,
        );
        let err = ProviderBond::load(&info, &p.pool).err().unwrap();
        assert_eq!(err, ErrorCode::AccountOwnedByWrongProgram.into());
        let mut short = data[..provider_layout::FIXED_END - 1].to_vec();
        let mut lamports = 0;
        let info = AccountInfo::new(&key, false, true, &mut lamports, &mut short, &owner, false);
        let err = ProviderBond::load(&info, &p.pool).err().unwrap();
        assert_eq!(err, ErrorCode::AccountDidNotDeserialize.into());
        let mut lamports = 0;
        let info = AccountInfo::new(&key, false, false, &mut lamports, &mut data, &owner, false);
        let err = ProviderBond::load(&info, &p.pool).err().unwrap();
        assert_eq!(err, ErrorCode::ConstraintMut.into(), "read-only is refused");
        let (mut lamports, mut empty) = (0, Vec::new());
        let system = anchor_lang::system_program::ID;
        let info = AccountInfo::new(&key, false, true, &mut lamports, &mut empty, &system, false);
        let err = ProviderBond::load(&info, &p.pool).err().unwrap();
        assert_eq!(
            err,
            ErrorCode::AccountNotInitialized.into(),
            "a closed account"
        );
    }
}
