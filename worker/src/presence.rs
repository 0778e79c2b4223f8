//! Which providers a worker expects to claim what their scores give them.
//!
//! A worker claims in a job's ranked phase only among the best scores (docs/sortition.md), so
//! a staked provider that runs no worker, or whose worker is full, keeps leaving the slots it
//! ranks for to the open phase. A worker therefore notes *no-shows*: providers the ranked phase
//! called (eligible, among the best scores) that hold no slot once it is over. A provider that
//! missed [`MISSES`] different jobs without claiming any slot since is left out of this
//! worker's plans for [`ABSENT_FOR`]; a slot it claimed at most [`SLACK_SECS`] before its last
//! miss, or later, brings it back at once (views lag under load, so a claim that landed just
//! before the miss was noticed counts; a slot held for longer does not: holding one
//! long-running job proves nothing).
//! Several misses, not one, because under load a claim can still be in flight when the phase
//! ends. Only this worker's choice of when to claim depends on it: the program ranks everyone.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;

/// Jobs a provider must miss before it is left out.
pub const MISSES: usize = 3;
/// How long a provider that missed [`MISSES`] jobs is left out (unless seen holding a slot).
pub const ABSENT_FOR: Duration = Duration::from_secs(600);
/// How much earlier than a miss a claim may have been made and still prove presence.
pub const SLACK_SECS: i64 = 60;
/// Providers tracked at most (the oldest records are dropped beyond it).
const MAX_TRACKED: usize = 100_000;

#[derive(Debug)]
struct Misses {
    jobs: Vec<Pubkey>,
    last: Instant,
    /// Cluster time of the last miss.
    last_at: i64,
}

/// The no-show record of a worker.
#[derive(Debug, Default)]
pub struct Presence {
    misses: HashMap<Pubkey, Misses>,
}

impl Presence {
    /// `provider` holds a slot it claimed at cluster time `claimed_at`: present, unless that
    /// was more than [`SLACK_SECS`] before its last miss.
    pub fn seen(&mut self, provider: &Pubkey, claimed_at: i64) {
        if self
            .misses
            .get(provider)
            .is_some_and(|m| claimed_at.saturating_add(SLACK_SECS) >= m.last_at)
        {
            self.misses.remove(provider);
        }
    }

    /// `provider` was called by `job`'s ranked phase and holds no slot once it is over (noticed
    /// at cluster time `at`).
    pub fn missed(&mut self, provider: &Pubkey, job: &Pubkey, at: i64) {
        let now = Instant::now();
        let m = self.misses.entry(*provider).or_insert_with(|| Misses {
            jobs: Vec::new(),
            last: now,
            last_at: at,
        });
        if m.last.elapsed() >= ABSENT_FOR {
            m.jobs.clear(); // an old absence has run out: count afresh
        }
        if !m.jobs.contains(job) && m.jobs.len() < MISSES {
            m.jobs.push(*job);
        }
        m.last = now;
        m.last_at = m.last_at.max(at);
        if self.misses.len() > MAX_TRACKED {
            self.misses.retain(|_, m| m.last.elapsed() < ABSENT_FOR);
        }
    }

    /// Whether plans should expect `provider` to claim.
    pub fn expected(&self, provider: &Pubkey) -> bool {
        self.misses
            .get(provider)
            .is_none_or(|m| m.jobs.len() < MISSES || m.last.elapsed() >= ABSENT_FOR)
    }

    /// Providers left out now.
    pub fn absent(&self) -> usize {
        self.misses.keys().filter(|p| !self.expected(p)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u8) -> Pubkey {
        Pubkey::new_from_array([i; 32])
    }

    #[test]
    fn absent_after_three_different_jobs_back_when_seen() {
        let mut p = Presence::default();
        let (a, b) = (key(1), key(2));
        assert!(p.expected(&a));
        // The same job noticed by many plans counts once.
        for _ in 0..5 {
            p.missed(&a, &key(10), 100);
        }
        p.missed(&a, &key(11), 101);
        assert!(p.expected(&a), "two jobs missed");
        p.missed(&a, &key(12), 102);
        assert!(!p.expected(&a), "three jobs missed");
        assert!(p.expected(&b), "others unaffected");
        assert_eq!(p.absent(), 1);
        // A slot claimed long before the last miss (a long-running job) proves nothing...
        p.seen(&a, 102 - SLACK_SECS - 1);
        assert!(!p.expected(&a));
        // ...a claim since then (or just before it was noticed) does.
        p.seen(&a, 100);
        assert!(p.expected(&a), "claimed a slot after its last miss");
        // Claiming in between resets the count.
        p.missed(&b, &key(10), 100);
        p.missed(&b, &key(11), 101);
        p.seen(&b, 105);
        p.missed(&b, &key(12), 106);
        assert!(p.expected(&b));
    }
}
