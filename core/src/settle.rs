//! Settlement rules of a job, as pure functions shared by the jobs program (on-chain), the SDK
//! and the worker (to predict outcomes) and the tests (as the reference model).
//!
//! The market, not the requester, sets the quorum: a strict majority ([`quorum_for`]) of an
//! odd number of replicas ([`replicas_allowed`]). With an odd count, a job can fail to agree
//! only when the providers outside the largest group of equal results hold a majority of the
//! slots, the same coalition that could have captured the verdict, so paying revealers of a
//! failed job creates no new profitable deviation (docs/decisions.md).
//!
//! A job settles in one of three ways:
//! - **Agreed**: the largest group of equal revealed hashes has at least `quorum` members.
//!   Because `2 * quorum > replicas`, at most one group can reach quorum, so the winner is
//!   unique. Winners are paid `reward - fee` (fee rounded up) and their bond is released;
//!   a provider that revealed another hash loses `slash_wrong_bps` of its bond; one that
//!   committed but never revealed loses the larger of the two slash rates (withholding a
//!   reveal is never cheaper than revealing a wrong result); one that held a slot but never
//!   committed loses `slash_noshow_bps`.
//! - **No quorum** (the job once had a quorum of claimants, but no group of equal results
//!   reached it): every revealer did the work and is paid like a winner, nobody who revealed is
//!   slashed (the chain cannot tell who is right), withholders and no-shows are slashed as
//!   above, and the requester gets the rest back. A requester who makes its own job fail
//!   therefore still pays for every result it can read.
//! - **Expired**: the claim window ended and the job never had `quorum` claimants at once;
//!   every bond is released without penalty and the requester gets everything back.
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
    /// Settled without a quorum of equal results: revealers paid, the rest refunded.
    pub const NO_QUORUM: u8 = 2;
    /// The claim window ended without the job ever having a quorum of claimants: full refund,
    /// no penalties.
    pub const EXPIRED: u8 = 3;
}

/// The quorum of a job of `replicas`: a strict majority.
pub fn quorum_for(replicas: u8) -> u8 {
    replicas / 2 + 1
}

/// Whether a job may ask for `replicas` in a market allowing at most `max`: an odd number
/// from 1 to `max`. An even count adds no fault tolerance over the odd count below it (a
/// 4-replica job, like a 3-replica one, survives one bad result) but lets half the slots block
/// a verdict.
pub fn replicas_allowed(replicas: u8, max: u8) -> bool {
    replicas >= 1 && replicas <= max && replicas % 2 == 1
}

/// How long after its claim a slot may still be abandoned at the (low) abandon rate: a tenth
/// of the execution window, at least one second. Later, or once the claim window has closed,
/// abandoning costs the no-show rate, so holding a slot and giving it back is never a cheap
/// way to keep a job from running.
pub fn abandon_grace_secs(execution_window: i64) -> i64 {
    // Unsigned on purpose: the upstream-LLVM SBF route miscompiles a signed 64-bit division
    // by a constant (300 / 10 gave 3 518 437 209; docs/sbf-toolchain.md).
    (window_secs(execution_window) / 10).max(1) as i64
}

/// A window length as `u64` (0 for a negative one), so that dividing it stays unsigned.
fn window_secs(window: i64) -> u64 {
    u64::try_from(window).unwrap_or(0)
}

/// How long the requester of a private job has, from a claim, to deliver the claimant's key
/// envelope: a quarter of the execution window. A key can never arrive later, so a claimant
/// always has at least three quarters of the window to run; a claimant whose key has not
/// arrived by then gives the slot back without penalty, and one still waiting at settlement is
/// never slashed (`Progress::Unkeyed`).
pub fn key_window_secs(execution_window: i64) -> i64 {
    (window_secs(execution_window) / 4).max(1) as i64
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
    /// Held the slot but never committed: `slash_noshow_bps` of the bond.
    NoShow = 2,
    /// Bond released in full, nothing paid (expiry).
    Released = 3,
    /// Committed but never revealed: the larger of `slash_wrong_bps` and `slash_noshow_bps`,
    /// so hiding a losing result never costs less than revealing it.
    Withheld = 4,
    /// Revealed in a job that reached no quorum: paid like a winner, not slashed.
    Unresolved = 5,
}

/// How far the holder of a slot got before settlement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress<'a> {
    /// Claimed, never committed.
    Claimed,
    /// Claimed a private job whose requester never delivered the key: nothing could be run,
    /// so nothing is owed either way.
    Unkeyed,
    /// Committed, never revealed.
    Committed,
    /// Revealed this result hash.
    Revealed(&'a [u8; 32]),
}

impl Verdict {
    /// The verdict for a held slot of a job that ended with `outcome`, given how far its
    /// holder got.
    pub fn of(outcome: u8, agreed_hash: &[u8; 32], progress: Progress) -> Verdict {
        match (outcome, progress) {
            (outcome::EXPIRED, _) | (_, Progress::Unkeyed) => Verdict::Released,
            (_, Progress::Claimed) => Verdict::NoShow,
            (_, Progress::Committed) => Verdict::Withheld,
            (outcome::AGREED, Progress::Revealed(h)) if h == agreed_hash => Verdict::Winner,
            (outcome::AGREED, Progress::Revealed(_)) => Verdict::Wrong,
            (_, Progress::Revealed(_)) => Verdict::Unresolved,
        }
    }

    /// Whether the slot is paid `reward - fee`.
    pub fn paid(self) -> bool {
        matches!(self, Verdict::Winner | Verdict::Unresolved)
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
            Verdict::Winner | Verdict::Unresolved => {
                let fee = math::bps_ceil(self.reward, self.fee_bps)?;
                (math::sub(self.reward, fee)?, fee, 0)
            }
            Verdict::Wrong => (0, 0, math::bps_floor(self.bond, self.slash_wrong_bps)?),
            Verdict::NoShow => (0, 0, math::bps_floor(self.bond, self.slash_noshow_bps)?),
            Verdict::Withheld => {
                let bps = self.slash_wrong_bps.max(self.slash_noshow_bps);
                (0, 0, math::bps_floor(self.bond, bps)?)
            }
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
        use Progress::*;
        let a = [1; 32];
        let b = [2; 32];
        let z = [0; 32];
        assert_eq!(
            Verdict::of(outcome::AGREED, &a, Revealed(&a)),
            Verdict::Winner
        );
        assert_eq!(
            Verdict::of(outcome::AGREED, &a, Revealed(&b)),
            Verdict::Wrong
        );
        assert_eq!(
            Verdict::of(outcome::AGREED, &a, Committed),
            Verdict::Withheld
        );
        assert_eq!(Verdict::of(outcome::AGREED, &a, Claimed), Verdict::NoShow);
        assert_eq!(
            Verdict::of(outcome::NO_QUORUM, &z, Revealed(&b)),
            Verdict::Unresolved
        );
        assert_eq!(
            Verdict::of(outcome::NO_QUORUM, &z, Committed),
            Verdict::Withheld
        );
        assert_eq!(
            Verdict::of(outcome::NO_QUORUM, &z, Claimed),
            Verdict::NoShow
        );
        for p in [Claimed, Committed, Revealed(&a)] {
            assert_eq!(Verdict::of(outcome::EXPIRED, &z, p), Verdict::Released);
        }
        assert!(Verdict::Winner.paid() && Verdict::Unresolved.paid());
        assert!(!Verdict::Wrong.paid() && !Verdict::Withheld.paid());
    }

    #[test]
    fn quorum_and_replicas() {
        assert_eq!(
            (1..=7).map(quorum_for).collect::<Vec<_>>(),
            [1, 2, 2, 3, 3, 4, 4]
        );
        for r in 1..=7u8 {
            assert!(2 * quorum_for(r) > r && quorum_for(r) <= r);
        }
        assert!(replicas_allowed(1, 7) && replicas_allowed(3, 3) && replicas_allowed(7, 7));
        assert!(!replicas_allowed(0, 7) && !replicas_allowed(2, 7) && !replicas_allowed(5, 3));
        assert_eq!(abandon_grace_secs(300), 30);
        assert_eq!(abandon_grace_secs(5), 1);
        assert_eq!(abandon_grace_secs(-5), 1);
        assert_eq!(key_window_secs(300), 75);
        assert_eq!(key_window_secs(60), 15);
        assert_eq!(key_window_secs(2), 1);
    }

    /// Withholding a reveal never costs less than revealing a wrong result, nor than a no-show.
    #[test]
    fn withholding_is_never_cheaper() {
        for (wrong, noshow) in [(5_000, 2_000), (2_000, 5_000), (0, 0), (10_000, 10_000)] {
            let t = Terms {
                reward: 1_000,
                bond: 9_999,
                fee_bps: 0,
                slash_wrong_bps: wrong,
                slash_noshow_bps: noshow,
            };
            let withheld = t.settle(Verdict::Withheld).unwrap().penalty;
            assert!(withheld >= t.settle(Verdict::Wrong).unwrap().penalty);
            assert!(withheld >= t.settle(Verdict::NoShow).unwrap().penalty);
        }
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
        assert_eq!(t.settle(Verdict::Withheld).unwrap().penalty, 2_500);
        assert_eq!(
            t.settle(Verdict::Unresolved).unwrap(),
            t.settle(Verdict::Winner).unwrap()
        );
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
            committed_only in proptest::collection::vec(any::<bool>(), 8),
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
            for (i, r) in revealed.iter().enumerate() {
                let progress = match r {
                    Some(h) => Progress::Revealed(h),
                    None if committed_only[i] => Progress::Committed,
                    None => Progress::Claimed,
                };
                let v = Verdict::of(t.outcome, &t.agreed_hash, progress);
                let s = terms.settle(v).unwrap();
                prop_assert_eq!(s.penalty + s.released, bond);
                if v.paid() {
                    prop_assert_eq!(s.payout as u128 + s.fee as u128, reward as u128);
                } else {
                    prop_assert_eq!(s.payout + s.fee, 0);
                }
                if v == Verdict::Winner {
                    winners += 1;
                }
                paid += s.payout as u128;
                fees += s.fee as u128;
            }
            prop_assert_eq!(winners, t.winners);
            prop_assert!(paid + fees <= deposited);
        }
    }
}
