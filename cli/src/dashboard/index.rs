//! What the dashboard knows: every job event of the watched markets, read once from the jobs
//! program's transactions (`getSignaturesForAddress` on the program id, then only what is newer
//! than the last signature seen), so a job's timeline survives the closing of its account and
//! each transaction is fetched once. Bounded: the newest `cap` jobs are kept.

use std::collections::{HashMap, HashSet, VecDeque};

use anchor_lang::prelude::Pubkey;
use depin_client::{history::JobEventKind, rpc::DepinRpc, ClientError, JOBS_PROGRAM_ID};
use solana_sdk::signature::Signature;

/// Events kept per job.
const MAX_STEPS: usize = 256;

/// One event of a job's timeline.
#[derive(Clone, Debug)]
pub struct Step {
    /// Slot it landed in.
    pub slot: u64,
    /// Unix time of that block, when known.
    pub time: Option<i64>,
    /// What happened.
    pub kind: JobEventKind,
}

/// A job as the dashboard shows it.
#[derive(Clone, Debug)]
pub struct JobRow {
    /// The job's address.
    pub job: Pubkey,
    /// Its market.
    pub market: Pubkey,
    /// Who posted it.
    pub requester: Pubkey,
    /// Replicas.
    pub replicas: u8,
    /// Reward per replica.
    pub reward: u64,
    /// Its timeline, oldest first.
    pub steps: Vec<Step>,
}

impl JobRow {
    /// `open`, `settled` or `closed`, and the outcome's name once there is one.
    pub fn status(&self) -> (&'static str, Option<&'static str>) {
        let mut status = "open";
        let mut outcome = None;
        for s in &self.steps {
            match s.kind {
                JobEventKind::Settled { outcome: o, .. } => {
                    status = "settled";
                    outcome = Some(depin_client::ops::outcome_name(o));
                }
                JobEventKind::Expired => {
                    status = "settled";
                    outcome = Some("expired");
                }
                JobEventKind::Closed { .. } => status = "closed",
                JobEventKind::Cancelled { .. } => {
                    status = "closed";
                    outcome = Some("cancelled");
                }
                _ => {}
            }
        }
        (status, outcome)
    }
}

/// Paid and slashed amounts of one provider account, from `SlotReleased` events.
#[derive(Clone, Copy, Debug, Default)]
pub struct Earned {
    /// Payment tokens paid.
    pub paid: u64,
    /// Stake slashed.
    pub slashed: u64,
    /// Slots released.
    pub slots: u64,
}

/// The index.
pub struct Index {
    markets: HashSet<Pubkey>,
    jobs: HashMap<Pubkey, JobRow>,
    /// Jobs in posting order, oldest first.
    order: VecDeque<Pubkey>,
    /// Earnings by provider account, over the jobs of the watched markets.
    pub earned: HashMap<Pubkey, Earned>,
    cursor: Cursor,
    cap: usize,
    /// Transactions read so far.
    pub transactions: u64,
}

impl Index {
    /// An empty index of `markets`, keeping at most `cap` jobs.
    pub fn new(markets: impl IntoIterator<Item = Pubkey>, cap: usize) -> Index {
        Index {
            markets: markets.into_iter().collect(),
            jobs: HashMap::new(),
            order: VecDeque::new(),
            earned: HashMap::new(),
            cursor: Cursor::default(),
            cap: cap.max(1),
            transactions: 0,
        }
    }

    /// Record one event. Jobs of other markets, and events of jobs posted before the index's
    /// horizon, are ignored.
    pub fn apply(&mut self, slot: u64, time: Option<i64>, job: Pubkey, kind: JobEventKind) {
        if let JobEventKind::Posted {
            market,
            requester,
            replicas,
            reward_per_replica,
            ..
        } = &kind
        {
            if !self.markets.contains(market) || self.jobs.contains_key(&job) {
                return;
            }
            self.jobs.insert(
                job,
                JobRow {
                    job,
                    market: *market,
                    requester: *requester,
                    replicas: *replicas,
                    reward: *reward_per_replica,
                    steps: Vec::new(),
                },
            );
            self.order.push_back(job);
            while self.order.len() > self.cap {
                if let Some(old) = self.order.pop_front() {
                    self.jobs.remove(&old);
                }
            }
        }
        let Some(row) = self.jobs.get_mut(&job) else {
            return;
        };
        if let JobEventKind::Released {
            provider,
            payout,
            penalty,
            ..
        } = &kind
        {
            let e = self.earned.entry(*provider).or_default();
            e.paid = e.paid.saturating_add(*payout);
            e.slashed = e.slashed.saturating_add(*penalty);
            e.slots += 1;
        }
        // A real job has at most a few dozen events; the cap bounds memory whatever happens.
        if row.steps.len() < MAX_STEPS {
            row.steps.push(Step { slot, time, kind });
        }
    }

    /// The newest `n` jobs, newest first.
    pub fn recent(&self, n: usize) -> Vec<JobRow> {
        self.order
            .iter()
            .rev()
            .take(n)
            .filter_map(|j| self.jobs.get(j).cloned())
            .collect()
    }

    /// (open, settled, closed) jobs of `market` in the index.
    pub fn counts(&self, market: &Pubkey) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for row in self.jobs.values().filter(|r| r.market == *market) {
            match row.status().0 {
                "open" => c.0 += 1,
                "settled" => c.1 += 1,
                _ => c.2 += 1,
            }
        }
        c
    }

    /// Read the jobs program's transactions not read yet (the newest `backfill` on the first
    /// call), oldest first, and record their events. Returns how many transactions were read.
    pub async fn poll(&mut self, rpc: &DepinRpc, backfill: usize) -> Result<usize, ClientError> {
        // After the first call, everything newer is read (up to a bound far above what a
        // refresh interval brings).
        let limit = if self.cursor.started {
            10_000
        } else {
            backfill
        };
        let mut sigs = rpc
            .signatures_since(&JOBS_PROGRAM_ID, self.cursor.until.map(|(s, _)| s), limit)
            .await?;
        sigs.reverse();
        let mut read = 0;
        for (sig, slot, time) in sigs {
            if self.cursor.applied.contains_key(&sig) {
                continue;
            }
            for (job, kind) in rpc.transaction_events(&sig).await? {
                self.apply(slot, time, job, kind);
            }
            // Recorded per transaction: a failure later in the batch re-reads only the rest.
            self.cursor.applied.insert(sig, slot);
            self.transactions += 1;
            read += 1;
        }
        self.cursor.started = true;
        self.cursor.advance();
        Ok(read)
    }
}

/// Where the next poll starts. A node may list the signatures of one slot in a different
/// order from one call to the next (surfpool-core does), so `until` = the newest signature
/// read would return some of that slot's transactions again (read twice: a job's timeline
/// showed four reveals of three) and could skip others. A poll therefore starts at a signature
/// of an older slot, complete when a newer one was seen, and skips what it has already read.
#[derive(Default)]
struct Cursor {
    /// The first poll is done.
    started: bool,
    /// `until` of the next poll and its slot: a signature of the newest slot older than the
    /// newest slot read.
    until: Option<(Signature, u64)>,
    /// Signatures read in `until`'s slot or later, with their slots.
    applied: HashMap<Signature, u64>,
}

impl Cursor {
    /// Move `until` to the newest complete slot and forget what lies before it.
    fn advance(&mut self) {
        let Some(&newest) = self.applied.values().max() else {
            return;
        };
        let complete = self
            .applied
            .iter()
            .filter(|(_, &slot)| slot < newest)
            .max_by_key(|(_, &slot)| slot)
            .map(|(sig, &slot)| (*sig, slot));
        if let Some((_, slot)) = complete {
            self.until = complete;
            self.applied.retain(|_, s| *s >= slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(market: Pubkey) -> JobEventKind {
        JobEventKind::Posted {
            market,
            requester: Pubkey::new_unique(),
            spec_uri: None,
            spec_hash: [0; 32],
            reward_per_replica: 7,
            replicas: 3,
            quorum: 2,
            bond: 1,
            deposited: 21,
            claim_deadline: 0,
        }
    }

    #[test]
    fn the_cursor_starts_at_a_complete_slot_and_keeps_what_it_read_there() {
        let sig = |b: u8| Signature::from([b; 64]);
        let mut c = Cursor::default();
        c.applied.insert(sig(1), 10);
        c.advance();
        assert_eq!(c.until, None, "one slot seen: none is known complete");
        c.applied.insert(sig(2), 11);
        c.applied.insert(sig(3), 12);
        c.applied.insert(sig(4), 12);
        c.advance();
        assert_eq!(c.until, Some((sig(2), 11)));
        // Slot 10 is forgotten; slot 11 (re-listed from `until` on) and 12 are remembered.
        let mut kept: Vec<u64> = c.applied.values().copied().collect();
        kept.sort();
        assert_eq!(kept, vec![11, 12, 12]);
    }

    #[test]
    fn other_markets_are_ignored_and_the_cap_holds() {
        let (m, other) = (Pubkey::new_unique(), Pubkey::new_unique());
        let mut ix = Index::new([m], 2);
        let jobs: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
        ix.apply(1, None, Pubkey::new_unique(), posted(other));
        for j in &jobs {
            ix.apply(2, None, *j, posted(m));
        }
        let recent = ix.recent(10);
        assert_eq!(recent.len(), 2);
        assert_eq!(recent[0].job, jobs[2]);
        assert_eq!(recent[1].job, jobs[1]);
        assert_eq!(ix.counts(&m), (2, 0, 0));
    }

    #[test]
    fn status_and_earnings_follow_the_events() {
        let m = Pubkey::new_unique();
        let (job, p) = (Pubkey::new_unique(), Pubkey::new_unique());
        let mut ix = Index::new([m], 10);
        // Events of a job posted before the horizon are ignored.
        ix.apply(0, None, Pubkey::new_unique(), JobEventKind::Expired);
        ix.apply(1, None, job, posted(m));
        ix.apply(
            5,
            None,
            job,
            JobEventKind::Settled {
                outcome: depin_core::settle::outcome::AGREED,
                agreed_hash: [1; 32],
                winners: 3,
            },
        );
        assert_eq!(ix.recent(1)[0].status(), ("settled", Some("agreed")));
        ix.apply(
            6,
            None,
            job,
            JobEventKind::Released {
                provider: p,
                slot: 0,
                payout: 195,
                fee: 5,
                penalty: 0,
            },
        );
        ix.apply(
            7,
            None,
            job,
            JobEventKind::Closed {
                outcome: depin_core::settle::outcome::AGREED,
                paid: 195,
                fees: 5,
                refund: 0,
            },
        );
        assert_eq!(ix.recent(1)[0].status(), ("closed", Some("agreed")));
        assert_eq!(ix.earned[&p].paid, 195);
        assert_eq!(ix.counts(&m), (0, 0, 1));
    }
}
