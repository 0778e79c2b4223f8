//! Where a provider stands in a job's slot assignment (`depin_core::sortition`), computed off
//! chain with the program's own arithmetic, so a worker sends a claim only when it can land
//! and nobody races for a slot it cannot keep.
//!
//! Every worker can compute every provider's score for a job (the seed is public, stakes are
//! accounts), so each one knows the ranking the program would end up with. A worker therefore
//! claims in the ranked phase only when it is among the `replicas` best eligible scores (holders
//! included), displacing the worst holder of a full job; the others stay out, and the claims of
//! the best few do not collide. In the open phase the free slots go to the best-ranked
//! providers without a slot first: the provider `p` places behind the head of the queue (after
//! the free slots) waits `p × OPEN_STAGGER_SLOTS` slots after the phase opens, so a provider that does not show up
//! (offline, busy) delays the next one by a bounded stagger and never blocks the job.

use anchor_lang::prelude::Pubkey;
use depin_core::{hash::Hash32, sortition};
use depin_jobs::state::{job_status, slot_state, Job};
use depin_staking::state::Provider;

/// Slots each place in the open-phase queue waits for the places before it: time for a claim
/// to land and be seen by the next in line (0.3 s with the local chain's 100 ms slots, 1.2 s on
/// mainnet, where a claim is confirmed within about two slots).
pub const OPEN_STAGGER_SLOTS: u64 = 3;

/// A provider as the lottery sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contender {
    /// The provider account.
    pub provider: Pubkey,
    /// Its free stake (`staked - locked - unbonding`).
    pub free: u64,
    /// Its `last_staked_at` (stake added at or after a posting does not count).
    pub last_staked_at: i64,
}

impl Contender {
    /// The contender of provider account `address`.
    pub fn of(address: Pubkey, p: &Provider) -> Self {
        Contender {
            provider: address,
            free: p.ledger().free().unwrap_or(0),
            last_staked_at: p.last_staked_at,
        }
    }
}

/// What a plan is computed from besides the job: the pool's total stake, the providers
/// expected to claim (the planner's own entry among them; a missing provider counts as having
/// no stake) and the spacing of the open-phase queue.
#[derive(Clone, Copy, Debug)]
pub struct Field<'a> {
    /// The pool's `total_staked`.
    pub total: u64,
    /// The pool's providers.
    pub contenders: &'a [Contender],
    /// Slots between two places of the open-phase queue: at least [`OPEN_STAGGER_SLOTS`]; a
    /// worker raises it to the time its claims take to confirm, so the next in line sees the
    /// claim before its turn.
    pub stagger_slots: u64,
}

impl<'a> Field<'a> {
    /// A field with the default stagger.
    pub fn new(total: u64, contenders: &'a [Contender]) -> Self {
        Field {
            total,
            contenders,
            stagger_slots: OPEN_STAGGER_SLOTS,
        }
    }
}

/// What a provider should do about a job now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimPlan {
    /// The seed slot has not been recorded yet: claims open after `seed_slot`.
    WaitForSeed {
        /// The job's seed slot.
        seed_slot: u64,
    },
    /// Send `claim_job`, naming `displaced` when the claim takes a full job's worst slot.
    Claim {
        /// The holder to displace (ranked phase, full job), if any.
        displaced: Option<Pubkey>,
        /// This provider's score (`sortition::OPEN_SCORE` in the open phase).
        score: u64,
    },
    /// Not among the best eligible scores in the ranked phase: a slot still free at
    /// `open_slot` may be taken then.
    WaitForOpenPhase {
        /// The job's `ranked_until_slot`.
        open_slot: u64,
    },
    /// Open phase, behind better-ranked providers without a slot: claim at `slot` if a slot is
    /// still free then.
    WaitForTurn {
        /// The slot from which this provider claims.
        slot: u64,
    },
    /// Nothing to gain: already holding a slot, every slot held by better-ranked providers,
    /// the job full in the open phase, or not open for claims.
    Stay,
}

/// The plan of `provider` for `job` at `address`, at chain slot `slot`, given the job's seed
/// if the SlotHashes sysvar has it (in the open phase, a seed no longer in the sysvar means
/// first come).
pub fn plan(
    job: &Job,
    address: &Pubkey,
    provider: &Pubkey,
    field: Field<'_>,
    slot: u64,
    seed: Option<&Hash32>,
) -> ClaimPlan {
    if job.status != job_status::OPEN
        || job.slot_of(provider).is_some()
        || job.abandoned_by(provider)
    {
        return ClaimPlan::Stay;
    }
    // Without free stake for the bond the claim would be refused (the bond is locked from it).
    if field
        .contenders
        .iter()
        .find(|c| c.provider == *provider)
        .is_none_or(|c| c.free < job.bond)
    {
        return ClaimPlan::Stay;
    }
    let ranked = job.ranked_phase(slot);
    let free_slots = job.slots[..job.replicas as usize]
        .iter()
        .filter(|s| s.state == slot_state::FREE)
        .count();
    if !ranked && free_slots == 0 {
        return ClaimPlan::Stay;
    }
    let Some(seed) = seed else {
        return if ranked {
            ClaimPlan::WaitForSeed {
                seed_slot: job.seed_slot,
            }
        } else {
            open_claim()
        };
    };
    let ranking = Ranking::new(job, address, seed, field);
    let mine = ranking.score_of(provider);
    // Rivals without a slot that rank before this provider (ties go to the lower address).
    let ahead = |only_eligible: bool| {
        ranking
            .rivals(job, provider)
            .filter(|&(s, p)| {
                (!only_eligible || sortition::eligible(s)) && (s, p) < (mine, *provider)
            })
            .count()
    };
    if !ranked {
        let place = ahead(false);
        if place < free_slots {
            return open_claim();
        }
        let stagger = field.stagger_slots.max(OPEN_STAGGER_SLOTS);
        let turn = job
            .ranked_until_slot
            .saturating_add(((place + 1 - free_slots) as u64).saturating_mul(stagger));
        return if slot >= turn {
            open_claim()
        } else {
            ClaimPlan::WaitForTurn { slot: turn }
        };
    }
    if !sortition::eligible(mine) {
        return ClaimPlan::WaitForOpenPhase {
            open_slot: job.ranked_until_slot,
        };
    }
    let held = &job.slots[..job.replicas as usize];
    let holders_ahead = held
        .iter()
        .filter(|s| s.state != slot_state::FREE && s.score < mine)
        .count();
    if holders_ahead >= job.replicas as usize {
        return ClaimPlan::Stay;
    }
    if holders_ahead + ahead(true) >= job.replicas as usize {
        return ClaimPlan::WaitForOpenPhase {
            open_slot: job.ranked_until_slot,
        };
    }
    if free_slots > 0 {
        return ClaimPlan::Claim {
            displaced: None,
            score: mine,
        };
    }
    match job.worst_ranked_slot() {
        Some(w) if mine < job.slots[w].score => ClaimPlan::Claim {
            displaced: Some(job.slots[w].provider),
            score: mine,
        },
        _ => ClaimPlan::Stay,
    }
}

/// The providers of `field` that the ranked phase of `job` called and that did not come: in
/// the open phase (at chain slot `slot`), the eligible providers without a slot that rank among
/// the `replicas` best eligible scores, holders included. Empty during the ranked phase. A
/// worker stops expecting such providers for a while (they run no worker, or a full one), so
/// its next plans do not leave their slots to the open phase.
pub fn no_shows(
    job: &Job,
    address: &Pubkey,
    field: Field<'_>,
    slot: u64,
    seed: &Hash32,
) -> Vec<Pubkey> {
    if job.status != job_status::OPEN || job.ranked_phase(slot) {
        return Vec::new();
    }
    let ranking = Ranking::new(job, address, seed, field);
    let mut eligible: Vec<(u64, Pubkey)> = job.slots[..job.replicas as usize]
        .iter()
        .filter(|s| s.state != slot_state::FREE && sortition::eligible(s.score))
        .map(|s| (s.score, s.provider))
        .chain(ranking.scores.iter().copied().filter(|(s, p)| {
            sortition::eligible(*s) && job.slot_of(p).is_none() && !job.abandoned_by(p)
        }))
        .collect();
    eligible.sort();
    eligible
        .into_iter()
        .take(job.replicas as usize)
        .filter(|(_, p)| job.slot_of(p).is_none())
        .map(|(_, p)| p)
        .collect()
}

fn open_claim() -> ClaimPlan {
    ClaimPlan::Claim {
        displaced: None,
        score: sortition::OPEN_SCORE,
    }
}

/// Every contender's score for one job.
struct Ranking {
    scores: Vec<(u64, Pubkey)>,
}

impl Ranking {
    /// Contenders that cannot pay the job's bond from their free stake are left out: their
    /// claims would be refused.
    fn new(job: &Job, address: &Pubkey, seed: &Hash32, field: Field<'_>) -> Self {
        let scores = field
            .contenders
            .iter()
            .filter(|c| c.free >= job.bond)
            .map(|c| {
                let stake = sortition::lottery_stake(c.free, c.last_staked_at, job.created_at);
                let weight = sortition::weight(stake, field.total, job.replicas);
                let ticket = sortition::ticket(seed, address, &c.provider);
                (sortition::score(ticket, weight), c.provider)
            })
            .collect();
        Ranking { scores }
    }

    /// `provider`'s score (`u64::MAX`, i.e. never eligible, when it is not in the field).
    fn score_of(&self, provider: &Pubkey) -> u64 {
        self.scores
            .iter()
            .find(|(_, p)| p == provider)
            .map_or(u64::MAX, |(s, _)| *s)
    }

    /// Contenders other than `me` that may still claim `job`: no slot, never gave one back.
    fn rivals<'a>(
        &'a self,
        job: &'a Job,
        me: &'a Pubkey,
    ) -> impl Iterator<Item = (u64, Pubkey)> + 'a {
        self.scores
            .iter()
            .copied()
            .filter(move |(_, p)| p != me && job.slot_of(p).is_none() && !job.abandoned_by(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: Hash32 = [7; 32];
    const OPEN: u64 = 110;

    fn key(i: u8) -> Pubkey {
        Pubkey::new_from_array([i; 32])
    }

    fn job(replicas: u8) -> (Pubkey, Job) {
        let mut j: Job = bytemuck::Zeroable::zeroed();
        j.status = job_status::OPEN;
        j.replicas = replicas;
        j.created_at = 100;
        j.seed_slot = 102;
        j.ranked_until_slot = OPEN;
        (key(200), j)
    }

    /// `n` providers with equal stake, certain eligibility for 3 replicas (9 × 1/n ≥ 1).
    fn field(n: u8) -> Vec<Contender> {
        (1..=n)
            .map(|i| Contender {
                provider: key(i),
                free: 100,
                last_staked_at: 50,
            })
            .collect()
    }

    /// Contenders sorted by their score for the job (best first).
    fn ranked(job: &Job, address: &Pubkey, cs: &[Contender]) -> Vec<(u64, Pubkey)> {
        let total = cs.iter().map(|c| c.free).sum();
        let r = Ranking::new(job, address, &SEED, Field::new(total, cs));
        let mut s = r.scores;
        s.sort();
        s
    }

    fn plan_of(job: &Job, address: &Pubkey, cs: &[Contender], me: &Pubkey, slot: u64) -> ClaimPlan {
        let total = cs.iter().map(|c| c.free).sum();
        let f = Field::new(total, cs);
        plan(job, address, me, f, slot, Some(&SEED))
    }

    fn hold(job: &mut Job, i: usize, provider: Pubkey, score: u64) {
        job.slots[i].provider = provider;
        job.slots[i].state = slot_state::CLAIMED;
        job.slots[i].score = score;
        job.claimed += 1;
    }

    #[test]
    fn only_the_best_scores_claim_in_the_ranked_phase() {
        let (a, j) = job(3);
        let cs = field(8);
        let order = ranked(&j, &a, &cs);
        let claiming: Vec<Pubkey> = cs
            .iter()
            .filter(|c| {
                matches!(
                    plan_of(&j, &a, &cs, &c.provider, 105),
                    ClaimPlan::Claim { .. }
                )
            })
            .map(|c| c.provider)
            .collect();
        let mut best: Vec<Pubkey> = order[..3].iter().map(|(_, p)| *p).collect();
        let mut got = claiming.clone();
        best.sort();
        got.sort();
        assert_eq!(got, best, "exactly the three best scores claim");
        let fourth = order[3].1;
        assert_eq!(
            plan_of(&j, &a, &cs, &fourth, 105),
            ClaimPlan::WaitForOpenPhase { open_slot: OPEN }
        );
    }

    #[test]
    fn before_the_seed_everyone_waits() {
        let (a, j) = job(3);
        let cs = field(8);
        let f = Field::new(800, &cs);
        assert_eq!(
            plan(&j, &a, &key(1), f, 102, None),
            ClaimPlan::WaitForSeed { seed_slot: 102 }
        );
    }

    #[test]
    fn a_better_score_displaces_the_worst_holder() {
        let (a, mut j) = job(3);
        let cs = field(8);
        let order = ranked(&j, &a, &cs);
        // The three worst hold (an attacker that claimed first): the best displaces the worst.
        for (i, (s, p)) in order[5..].iter().enumerate() {
            hold(&mut j, i, *p, *s);
        }
        let worst = order[7].1;
        assert_eq!(
            plan_of(&j, &a, &cs, &order[0].1, 105),
            ClaimPlan::Claim {
                displaced: Some(worst),
                score: order[0].0
            }
        );
        // Fourth place waits: the best three will take the job.
        assert_eq!(
            plan_of(&j, &a, &cs, &order[3].1, 105),
            ClaimPlan::WaitForOpenPhase { open_slot: OPEN }
        );
        // Holders outrank a provider entirely: nothing to gain.
        let (_, mut full) = job(3);
        for (i, (s, p)) in order[..3].iter().enumerate() {
            hold(&mut full, i, *p, *s);
        }
        assert_eq!(plan_of(&full, &a, &cs, &order[3].1, 105), ClaimPlan::Stay);
        assert_eq!(
            plan_of(&full, &a, &cs, &order[0].1, 105),
            ClaimPlan::Stay,
            "holds"
        );
    }

    #[test]
    fn ineligible_and_late_stake_wait_for_the_open_phase() {
        let (a, j) = job(1);
        let mut cs = field(100); // 3 × 1/100: eligible with probability 3 %
        cs[0].last_staked_at = 100; // staked in the posting second: no weight
        assert_eq!(
            plan_of(&j, &a, &cs, &key(1), 105),
            ClaimPlan::WaitForOpenPhase { open_slot: OPEN }
        );
        assert_eq!(
            plan_of(&j, &a, &cs, &key(250), 105),
            ClaimPlan::Stay,
            "unknown provider: no stake"
        );
        // A bond above the free stake: the claim would be refused, so none is planned, and
        // such providers do not hold places in the ranking.
        let (_, mut dear) = job(3);
        dear.bond = 101;
        assert_eq!(plan_of(&dear, &a, &cs, &key(2), OPEN), ClaimPlan::Stay);
        let mut rich = field(8);
        rich[0].free = 1_000;
        let order = ranked(&dear, &a, &rich);
        assert_eq!(
            order.len(),
            1,
            "only the provider that can pay the bond ranks"
        );
        assert!(matches!(
            plan_of(&dear, &a, &rich, &key(1), OPEN),
            ClaimPlan::Claim { .. }
        ));
    }

    #[test]
    fn no_shows_are_the_called_providers_without_a_slot() {
        let (a, mut j) = job(3);
        let cs = field(8);
        let order = ranked(&j, &a, &cs);
        let f = Field::new(800, &cs);
        hold(&mut j, 0, order[1].1, order[1].0);
        assert!(no_shows(&j, &a, f, 105, &SEED).is_empty(), "ranked phase");
        let mut absent = no_shows(&j, &a, f, OPEN, &SEED);
        absent.sort();
        let mut expected = vec![order[0].1, order[2].1];
        expected.sort();
        assert_eq!(
            absent, expected,
            "first and third were called and did not come"
        );
        // A provider that gave its slot back is not a no-show; the next best is called.
        j.slots[1].abandoned_by = order[0].1;
        let mut absent = no_shows(&j, &a, f, OPEN, &SEED);
        absent.sort();
        let mut expected = vec![order[2].1, order[3].1];
        expected.sort();
        assert_eq!(absent, expected);
    }

    #[test]
    fn the_open_phase_is_a_queue_by_score() {
        let (a, mut j) = job(3);
        let cs = field(8);
        let order = ranked(&j, &a, &cs);
        // Only the best claimed in the ranked phase; two slots are free at the open phase.
        hold(&mut j, 0, order[0].1, order[0].0);
        let p = |j: &Job, i: usize, slot| plan_of(j, &a, &cs, &order[i].1, slot);
        assert!(matches!(
            p(&j, 1, OPEN),
            ClaimPlan::Claim {
                displaced: None,
                ..
            }
        ));
        assert!(matches!(
            p(&j, 2, OPEN),
            ClaimPlan::Claim {
                displaced: None,
                ..
            }
        ));
        assert_eq!(
            p(&j, 3, OPEN),
            ClaimPlan::WaitForTurn {
                slot: OPEN + OPEN_STAGGER_SLOTS
            }
        );
        assert_eq!(
            p(&j, 7, OPEN),
            ClaimPlan::WaitForTurn {
                slot: OPEN + 5 * OPEN_STAGGER_SLOTS
            }
        );
        // Second and third place never showed up: fourth claims at its turn.
        assert!(matches!(
            p(&j, 3, OPEN + OPEN_STAGGER_SLOTS),
            ClaimPlan::Claim {
                displaced: None,
                score: sortition::OPEN_SCORE
            }
        ));
        // A holder that gave its slot back is out of the queue.
        j.slots[1].abandoned_by = order[1].1;
        assert_eq!(p(&j, 1, OPEN), ClaimPlan::Stay);
        assert!(
            matches!(p(&j, 3, OPEN), ClaimPlan::Claim { .. }),
            "moved up"
        );
        // Full: nothing to do; without a seed: first come.
        hold(&mut j, 1, order[2].1, sortition::OPEN_SCORE);
        hold(&mut j, 2, order[3].1, sortition::OPEN_SCORE);
        assert_eq!(p(&j, 4, OPEN + 100), ClaimPlan::Stay);
        let (_, fresh) = job(3);
        let f = Field::new(800, &cs);
        assert!(matches!(
            plan(&fresh, &a, &key(1), f, OPEN, None),
            ClaimPlan::Claim {
                displaced: None,
                ..
            }
        ));
    }
}
