//! The stake ledger of one provider: pure arithmetic shared by the staking program (which
//! stores it in the `Provider` account) and by off-chain code (SDK previews, worker decisions).
//!
//! Invariant after every operation: `locked + unbonding <= staked`. Free stake is
//! `staked - locked - unbonding`: it is what may be locked for a job or start unbonding.

use crate::math::{self, MathError};

/// Why a stake operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StakeError {
    /// Amounts must be positive.
    ZeroAmount,
    /// The operation needs more free stake than the provider has.
    InsufficientFreeStake,
    /// Unlock or slash of more than is locked.
    InsufficientLocked,
    /// Withdraw with nothing unbonding.
    NothingUnbonding,
    /// The ledger violates `locked + unbonding <= staked` (corrupt account).
    InvariantViolated,
    /// Arithmetic overflow or underflow.
    Math(MathError),
}

impl From<MathError> for StakeError {
    fn from(e: MathError) -> Self {
        StakeError::Math(e)
    }
}

impl core::fmt::Display for StakeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StakeError::ZeroAmount => f.write_str("amount must be positive"),
            StakeError::InsufficientFreeStake => f.write_str("not enough free stake"),
            StakeError::InsufficientLocked => f.write_str("not enough locked stake"),
            StakeError::NothingUnbonding => f.write_str("nothing is unbonding"),
            StakeError::InvariantViolated => f.write_str("stake invariant violated"),
            StakeError::Math(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StakeError {}

/// The three stake amounts of a provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StakeLedger {
    /// Tokens of this provider held in the pool vault.
    pub staked: u64,
    /// Part of `staked` bonded to running jobs.
    pub locked: u64,
    /// Part of `staked` waiting out the unbonding period.
    pub unbonding: u64,
}

impl StakeLedger {
    /// Check `locked + unbonding <= staked`.
    pub fn check(&self) -> Result<(), StakeError> {
        match self.locked.checked_add(self.unbonding) {
            Some(committed) if committed <= self.staked => Ok(()),
            _ => Err(StakeError::InvariantViolated),
        }
    }

    /// Stake that is neither locked nor unbonding.
    pub fn free(&self) -> Result<u64, StakeError> {
        self.check()?;
        Ok(self.staked - self.locked - self.unbonding)
    }

    fn positive(amount: u64) -> Result<(), StakeError> {
        if amount == 0 {
            Err(StakeError::ZeroAmount)
        } else {
            Ok(())
        }
    }

    /// Add `amount` deposited into the vault.
    pub fn stake(&mut self, amount: u64) -> Result<(), StakeError> {
        Self::positive(amount)?;
        self.check()?;
        self.staked = math::add(self.staked, amount)?;
        Ok(())
    }

    /// Move `amount` of free stake into unbonding.
    pub fn request_unstake(&mut self, amount: u64) -> Result<(), StakeError> {
        Self::positive(amount)?;
        if amount > self.free()? {
            return Err(StakeError::InsufficientFreeStake);
        }
        self.unbonding += amount; // <= staked by the check above
        Ok(())
    }

    /// Remove everything unbonding from the stake; returns the amount to pay out of the vault.
    pub fn withdraw(&mut self) -> Result<u64, StakeError> {
        self.check()?;
        let amount = self.unbonding;
        if amount == 0 {
            return Err(StakeError::NothingUnbonding);
        }
        self.staked -= amount;
        self.unbonding = 0;
        Ok(amount)
    }

    /// Bond `amount` of free stake to a job.
    pub fn lock(&mut self, amount: u64) -> Result<(), StakeError> {
        Self::positive(amount)?;
        if amount > self.free()? {
            return Err(StakeError::InsufficientFreeStake);
        }
        self.locked += amount;
        Ok(())
    }

    /// Release `amount` of a job bond back to free stake.
    pub fn unlock(&mut self, amount: u64) -> Result<(), StakeError> {
        Self::positive(amount)?;
        self.check()?;
        self.locked = math::sub(self.locked, amount).map_err(|_| StakeError::InsufficientLocked)?;
        Ok(())
    }

    /// Take `amount` out of a locked bond: it leaves both `locked` and `staked` (the tokens go
    /// to the slash destination). Never touches free or unbonding stake.
    pub fn slash(&mut self, amount: u64) -> Result<(), StakeError> {
        Self::positive(amount)?;
        self.check()?;
        if amount > self.locked {
            return Err(StakeError::InsufficientLocked);
        }
        self.locked -= amount;
        self.staked -= amount;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lifecycle() {
        let mut l = StakeLedger::default();
        l.stake(100).unwrap();
        l.lock(30).unwrap();
        assert_eq!(
            l.request_unstake(71),
            Err(StakeError::InsufficientFreeStake)
        );
        l.request_unstake(70).unwrap();
        assert_eq!(l.free(), Ok(0));
        assert_eq!(l.lock(1), Err(StakeError::InsufficientFreeStake));
        l.slash(10).unwrap();
        assert_eq!(
            l,
            StakeLedger {
                staked: 90,
                locked: 20,
                unbonding: 70
            }
        );
        assert_eq!(l.slash(21), Err(StakeError::InsufficientLocked));
        l.unlock(20).unwrap();
        assert_eq!(l.withdraw(), Ok(70));
        assert_eq!(l.withdraw(), Err(StakeError::NothingUnbonding));
        assert_eq!(
            l,
            StakeLedger {
                staked: 20,
                locked: 0,
                unbonding: 0
            }
        );
    }

    #[test]
    fn edges() {
        let mut l = StakeLedger {
            staked: u64::MAX,
            locked: 0,
            unbonding: 0,
        };
        assert_eq!(l.stake(1), Err(StakeError::Math(MathError::Overflow)));
        l.lock(u64::MAX).unwrap();
        assert_eq!(l.free(), Ok(0));
        l.slash(u64::MAX).unwrap();
        assert_eq!(l, StakeLedger::default());
        assert_eq!(l.stake(0), Err(StakeError::ZeroAmount));
        let bad = StakeLedger {
            staked: 1,
            locked: u64::MAX,
            unbonding: 1,
        };
        assert_eq!(bad.check(), Err(StakeError::InvariantViolated));
        assert_eq!(bad.free(), Err(StakeError::InvariantViolated));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Stake(u64),
        Unstake(u64),
        Withdraw,
        Lock(u64),
        Unlock(u64),
        Slash(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        let amt = prop_oneof![
            0u64..1_000,
            Just(u64::MAX),
            Just(u64::MAX / 2),
            any::<u64>()
        ];
        prop_oneof![
            amt.clone().prop_map(Op::Stake),
            amt.clone().prop_map(Op::Unstake),
            Just(Op::Withdraw),
            amt.clone().prop_map(Op::Lock),
            amt.clone().prop_map(Op::Unlock),
            amt.prop_map(Op::Slash),
        ]
    }

    proptest! {
        /// Any sequence keeps the invariant, a refused operation changes nothing, and tokens are
        /// conserved: deposits = staked + withdrawn + slashed.
        #[test]
        fn random_sequences(ops in proptest::collection::vec(op(), 1..60)) {
            let mut l = StakeLedger::default();
            let (mut deposited, mut withdrawn, mut slashed) = (0u128, 0u128, 0u128);
            for op in ops {
                let before = l;
                let res = match op {
                    Op::Stake(a) => l.stake(a).map(|_| deposited += a as u128),
                    Op::Unstake(a) => l.request_unstake(a),
                    Op::Withdraw => l.withdraw().map(|a| withdrawn += a as u128),
                    Op::Lock(a) => l.lock(a),
                    Op::Unlock(a) => l.unlock(a),
                    Op::Slash(a) => l.slash(a).map(|_| slashed += a as u128),
                };
                if res.is_err() {
                    prop_assert_eq!(l, before);
                }
                prop_assert!(l.check().is_ok());
                prop_assert_eq!(deposited, l.staked as u128 + withdrawn + slashed);
            }
        }
    }
}
