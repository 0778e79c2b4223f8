//! Settlement rules of a job, as pure functions shared by the jobs program (on-chain), the SDK
//! and the worker (to predict outcomes) and the tests (as the reference model).
//!
//! A job settles in one of three ways:
//! - **Agreed**: the largest group of equal revealed hashes has at least `quorum` members.
//!   Because `2 * quorum > replicas`, at most one group can reach quorum, so the winner is
//!   unique. Winners are paid `reward - fee` (fee rounded up) and their bond is released;
//!   a provider that revealed another hash loses `slash_wrong_bps` of its bond; one that held a
//!   slot but never revealed loses `slash_noshow_bps`.
//! - **No quorum**: nobody is paid; only no-shows are slashed; the requester gets everything back.
//! - **Expired**: the claim window ended with fewer claims than the quorum; every bond is
//!   released without penalty and the requester gets everything back.
//!
//! Penalties round down (in the provider's favour), fees round up (in the protocol's), payouts
//! are `reward - fee`, so `deposited = Σ payouts + Σ fees + refund` holds exactly.

use crate::math::{self, MathError};

/// How a job ended (`Job::outcome`).
pub mod outcome {
    /// Not settled yet.
    pub const NONE: u8 = 0;
    /// A group of equal results reached the quorum.
    pub const AGREED: u8 = 1;
    /// Settled without a quorum: full refund.
    pub const NO_QUORUM: u8 = 2;
    /// The claim window ended short of the quorum: full refund, no penalties.
    pub const EXPIRED: u8 = 3;
}

/// Result of counting the revealed hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    /// [`outcome::AGREED`] or [`outcome::NO_QUORUM`].
    pub outcome: u8,
    /// The agreed hash (zero without a quorum).
    pub agreed_hash: [u8; 32],
    /// Members of the winning group (0 without a quorum).
    pub winners: u8,
}

/// Count the revealed hashes (`None` for a slot that did not reveal) and find the group that
/// reaches `quorum`. At most [`crate::limits::MAX_REPLICAS`] entries: quadratic is cheapest.
pub fn tally(revealed: &[Option<[u8; 32]>], quorum: u8) -> Tally {
    let mut best: Option<([u8; 32], u8)> = None;
    for (i, h) in revealed.iter().enumerate() {
        let Some(h) = h else { continue };
        let count = revealed[i..]
            .iter()
            .filter(|o| o.as_ref() == Some(h))
            .count() as u8;
        if best.map_or(true, |(_, c)| count > c) {
            best = Some((*h, count));
        }
    }
    match best {
        Some((agreed_hash, winners)) if quorum > 0 && winners >= quorum => Tally {
            outcome: outcome::AGREED,
            agreed_hash,
            winners,
        },
        _ => Tally {
            outcome: outcome::NO_QUORUM,
            agreed_hash: [0; 32],
            winners: 0,
        },
    }
}

/// What settlement does to one held slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Verdict {
    /// Revealed the agreed hash: paid, bond released, counted as completed.
    Winner = 0,
    /// Revealed another hash than the agreed one: `slash_wrong_bps` of the bond.
    Wrong = 1,
    /// Held the slot but never revealed: `slash_noshow_bps` of the bond.
    NoShow = 2,
    /// Bond released in full, nothing paid (no quorum with a reveal, or expiry).
    Released = 3,
}

impl Verdict {
    /// The verdict for a held slot of a job that ended with `outcome`, given the hash the slot
    /// revealed (`None` if it never did).
    pub fn of(outcome: u8, agreed_hash: &[u8; 32], revealed: Option<&[u8; 32]>) -> Verdict {
        match (outcome, revealed) {
            (outcome::EXPIRED, _) => Verdict::Released,
            (_, None) => Verdict::NoShow,
            (outcome::AGREED, Some(h)) if h == agreed_hash => Verdict::Winner,
            (outcome::AGREED, Some(_)) => Verdict::Wrong,
            (_, Some(_)) => Verdict::Released,
        }
    }
}

/// The terms a job was posted with that settlement needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terms {
    /// Reward per replica.
    pub reward: u64,
    /// Bond per claimant.
    pub bond: u64,
    /// Protocol fee on a payout, basis points.
    pub fee_bps: u16,
    /// Slash for a wrong result, basis points of the bond.
    pub slash_wrong_bps: u16,
    /// Slash for a no-show, basis points of the bond.
    pub slash_noshow_bps: u16,
}

/// Token movements for one slot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlotSettlement {
    /// Paid from escrow to the provider's owner (payment mint).
    pub payout: u64,
    /// Kept from escrow for the market treasury (payment mint).
    pub fee: u64,
    /// Slashed from the bond to the pool treasury (stake mint).
    pub penalty: u64,
    /// Returned from the bond to free stake (`bond - penalty`).
    pub released: u64,
}

impl Terms {
    /// Payout, fee, penalty and release for a slot with `verdict`.
    pub fn settle(&self, verdict: Verdict) -> Result<SlotSettlement, MathError> {
        let (payout, fee, penalty) = match verdict {
            Verdict::Winner => {
                let fee = math::bps_ceil(self.reward, self.fee_bps)?;
                (math::sub(self.reward, fee)?, fee, 0)
            }
            Verdict::Wrong => (0, 0, math::bps_floor(self.bond, self.slash_wrong_bps)?),
            Verdict::NoShow => (0, 0, math::bps_floor(self.bond, self.slash_noshow_bps)?),
            Verdict::Released => (0, 0, 0),
        };
        Ok(SlotSettlement {
            payout,
            fee,
            penalty,
            released: math::sub(self.bond, penalty)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(b: u8) -> Option<[u8; 32]> {
        Some([b; 32])
    }

    #[test]
    fn tally_examples() {
        assert_eq!(tally(&[h(1), h(1), h(2)], 2).agreed_hash, [1; 32]);
        assert_eq!(tally(&[h(1), h(1), h(2)], 2).winners, 2);
        assert_eq!(tally(&[h(1), h(2), h(3)], 2).outcome, outcome::NO_QUORUM);
        assert_eq!(tally(&[h(1), None, None], 2).outcome, outcome::NO_QUORUM);
        assert_eq!(tally(&[None, None, None], 2).outcome, outcome::NO_QUORUM);
        assert_eq!(tally(&[h(9)], 1).outcome, outcome::AGREED);
        // A deterministic failure is a result like any other.
        assert_eq!(tally(&[h(0), h(0), h(0)], 2).winners, 3);
        let t = tally(&[None, h(4), h(5), h(4), h(4)], 3);
        assert_eq!(
            (t.outcome, t.agreed_hash, t.winners),
            (outcome::AGREED, [4; 32], 3)
        );
    }

    #[test]
    fn verdicts() {
        let a = [1; 32];
        let b = [2; 32];
        assert_eq!(Verdict::of(outcome::AGREED, &a, Some(&a)), Verdict::Winner);
        assert_eq!(Verdict::of(outcome::AGREED, &a, Some(&b)), Verdict::Wrong);
        assert_eq!(Verdict::of(outcome::AGREED, &a, None), Verdict::NoShow);
        assert_eq!(
            Verdict::of(outcome::NO_QUORUM, &[0; 32], Some(&b)),
            Verdict::Released
        );
        assert_eq!(
            Verdict::of(outcome::NO_QUORUM, &[0; 32], None),
            Verdict::NoShow
        );
        assert_eq!(
            Verdict::of(outcome::EXPIRED, &[0; 32], None),
            Verdict::Released
        );
    }

    #[test]
    fn amounts() {
        let t = Terms {
            reward: 10_001,
            bond: 5_001,
            fee_bps: 250,
            slash_wrong_bps: 5_000,
            slash_noshow_bps: 2_000,
        };
        // fee = ceil(10001 * 0.025) = 251; penalty = floor(5001 * 0.5) = 2500.
        assert_eq!(t.settle(Verdict::Winner).unwrap().fee, 251);
        assert_eq!(t.settle(Verdict::Winner).unwrap().payout, 9_750);
        assert_eq!(t.settle(Verdict::Wrong).unwrap().penalty, 2_500);
        assert_eq!(t.settle(Verdict::Wrong).unwrap().released, 2_501);
        assert_eq!(t.settle(Verdict::NoShow).unwrap().penalty, 1_000);
        let edge = Terms {
            reward: u64::MAX,
            bond: u64::MAX,
            ..t
        };
        let w = edge.settle(Verdict::Winner).unwrap();
        assert_eq!(w.payout + w.fee, u64::MAX);
    }

    fn reference_tally(revealed: &[Option<[u8; 32]>], quorum: u8) -> (u8, [u8; 32], u8) {
        let mut groups: std::collections::BTreeMap<[u8; 32], u8> = Default::default();
        for h in revealed.iter().flatten() {
            *groups.entry(*h).or_default() += 1;
        }
        match groups.iter().max_by_key(|(_, c)| **c) {
            Some((h, c)) if *c >= quorum => (outcome::AGREED, *h, *c),
            _ => (outcome::NO_QUORUM, [0; 32], 0),
        }
    }

    proptest! {
        /// The tally agrees with a map-based reference for every quorum the program accepts,
        /// and the per-slot amounts conserve the escrow exactly.
        #[test]
        fn tally_and_conservation(
            slots in proptest::collection::vec(proptest::option::of(0u8..3), 1..=8),
            quorum_pick in any::<u8>(),
            reward in any::<u64>(),
            bond in any::<u64>(),
            fee_bps in 0u16..=10_000,
            wrong in 0u16..=10_000,
            noshow in 0u16..=10_000,
        ) {
            let replicas = slots.len() as u8;
            let min_q = replicas / 2 + 1;
            let quorum = min_q + quorum_pick % (replicas - min_q + 1);
            let revealed: Vec<Option<[u8; 32]>> = slots.iter().map(|o| o.map(|b| [b; 32])).collect();
            let t = tally(&revealed, quorum);
            prop_assert_eq!((t.outcome, t.agreed_hash, t.winners), reference_tally(&revealed, quorum));

            let terms = Terms { reward, bond, fee_bps, slash_wrong_bps: wrong, slash_noshow_bps: noshow };
            let deposited = reward as u128 * replicas as u128;
            let (mut paid, mut fees, mut winners) = (0u128, 0u128, 0u8);
            for r in &revealed {
                let s = terms.settle(Verdict::of(t.outcome, &t.agreed_hash, r.as_ref())).unwrap();
                prop_assert_eq!(s.penalty + s.released, bond);
                if s.payout + s.fee > 0 || Verdict::of(t.outcome, &t.agreed_hash, r.as_ref()) == Verdict::Winner {
                    winners += 1;
                    prop_assert_eq!(s.payout as u128 + s.fee as u128, reward as u128);
                }
                paid += s.payout as u128;
                fees += s.fee as u128;
            }
            prop_assert_eq!(winners, t.winners);
            prop_assert!(paid + fees <= deposited);
        }
    }
}
