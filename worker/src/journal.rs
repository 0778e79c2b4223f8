//! The durable journal: one record per job the worker has tried to claim, written (and fsynced
//! by redb's commit) *before* each transaction that depends on it.
//!
//! The chain holds everything public (who holds which slot, commitments, reveals); the journal
//! holds what only this worker knows and must not lose: the salt behind a commitment, the
//! result hash and where its output blob is, and the intent to claim. On start the worker
//! replays every unfinished record against the chain's view of the job and carries on from
//! there, so a kill -9 at any instant loses nothing: the salt is on disk before the commitment
//! is sent, and every step is idempotent against the chain.
//!
//! Writes are **group commits**: records written while a commit is under way wait for it and
//! then go to disk together in the next one (one fsync for all of them). Each writer still
//! returns only once its own record is durable, so the write-before-send rule is unchanged;
//! what changes is that forty drivers journalling at once cost a few fsyncs, not forty.

use std::{
    path::Path,
    sync::{Arc, Condvar, Mutex},
    time::Duration,
};

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use depin_core::hash::Hash32;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

const JOBS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jobs");
const META: TableDefinition<&str, u32> = TableDefinition::new("meta");

/// The journal's schema version. 1: the first (no `meta` table); 2: adds the `meta` table
/// and `giving_back` (records read the same: 32-byte values are hex strings on disk, new
/// fields default). Each later version adds a step to [`migrate`].
pub const SCHEMA: u32 = 2;

/// Bring a journal at `from` to [`SCHEMA`], one version at a time, in the write transaction
/// that then records the new version.
fn migrate(from: u32, _tx: &redb::WriteTransaction) -> Result<()> {
    match from {
        // v1 -> v2: no record changes (new fields have defaults).
        1 | 2 => Ok(()),
        newer => anyhow::bail!(
            "the journal's schema {newer} is newer than this worker's {SCHEMA}: run a newer \
             depin-worker (downgrading could misread records that hold commitment salts)"
        ),
    }
}

/// `Option<[u8; 32]>` as a hex string (or null) in the journal's JSON records.
mod hex32 {
    use depin_core::hash::Hash32;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Hash32>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(bytes) => s.serialize_str(&depin_client::manifest::hex(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Hash32>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => depin_client::manifest::parse_hex32(&text)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not 32 hex bytes"))),
        }
    }
}

/// Where a job stands from this worker's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// About to send (or sent) `claim_job`.
    Claiming,
    /// Holding a slot; executing.
    Claimed,
    /// Result computed, salt chosen, output blob stored; about to commit (or submit).
    Executed,
    /// Commitment on chain; waiting for the reveal window.
    Committed,
    /// Revealed (or submitted); waiting for settlement and release.
    Revealed,
    /// Finished: paid, slashed, released or closed. Terminal.
    Done,
    /// Gave the slot back or never got one. Terminal.
    Dropped,
}

impl Phase {
    /// Whether nothing is left to do.
    pub fn terminal(self) -> bool {
        matches!(self, Phase::Done | Phase::Dropped)
    }
}

/// One job's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The job account.
    pub job: String,
    /// Its market.
    pub market: String,
    /// Phase.
    pub phase: Phase,
    /// Salt of the commitment, chosen before the commit is sent (hex on disk).
    #[serde(default, with = "hex32")]
    pub salt: Option<Hash32>,
    /// Result hash committed to (hex on disk).
    #[serde(default, with = "hex32")]
    pub result_hash: Option<Hash32>,
    /// Exit code of the execution.
    pub exit_code: Option<i32>,
    /// URI of the published result blob.
    pub result_uri: Option<String>,
    /// Why the run failed in a way that is not a result (wall clock, host failure), once it
    /// did: the slot is then given back, never run again.
    #[serde(default)]
    pub giving_back: Option<String>,
    /// How the job ended for this worker (`paid 9750`, `slashed`, `abandoned: ...`).
    pub outcome: Option<String>,
    /// Unix milliseconds when the worker first saw the job (the notification or reconcile that
    /// showed it open).
    pub seen_ms: u64,
    /// The slot of that first view.
    #[serde(default)]
    pub seen_slot: Option<u64>,
    /// Unix milliseconds when the claim was sent.
    pub claim_sent_ms: Option<u64>,
    /// Unix milliseconds of the last update.
    pub updated_ms: u64,
}

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Entry {
    /// A fresh record in phase [`Phase::Claiming`].
    pub fn new(job: &Pubkey, market: &Pubkey) -> Self {
        let now = now_ms();
        Entry {
            job: job.to_string(),
            market: market.to_string(),
            phase: Phase::Claiming,
            salt: None,
            result_hash: None,
            exit_code: None,
            result_uri: None,
            giving_back: None,
            outcome: None,
            seen_ms: now,
            seen_slot: None,
            claim_sent_ms: None,
            updated_ms: now,
        }
    }
}

/// A record, or an error naming it: an unreadable record is never skipped (it may hold the
/// salt of a commitment), the worker stops and says which one.
fn decode(key: &[u8], value: &[u8]) -> Result<Entry> {
    serde_json::from_slice(value).with_context(|| {
        format!(
            "journal record `{}` is unreadable (restore the journal from a backup, or move it \
             aside and start with --recover)",
            String::from_utf8_lossy(key)
        )
    })
}

/// One change a writer queued.
enum Op {
    Put(String, Vec<u8>),
    Remove(String),
}

/// How one group commit ended, shared by the writers whose records it carried.
#[derive(Default)]
struct Outcome(Mutex<Option<Result<(), String>>>);

impl Outcome {
    fn get(&self) -> Option<Result<(), String>> {
        self.0.lock().expect("lock").clone()
    }
}

/// The records waiting for the next commit, and whether a writer is committing now.
#[derive(Default)]
struct Pending {
    ops: Vec<Op>,
    /// The commit the queued records will go in.
    batch: Arc<Outcome>,
    /// A writer is committing (the others queue behind it).
    leader: bool,
}

/// A writer's lead of one commit: when dropped (after the commit, or while unwinding from a
/// panic in it) it publishes the outcome to the batch's writers and steps down.
struct Lead<'a> {
    journal: &'a Journal,
    batch: Arc<Outcome>,
    outcome: Result<(), String>,
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        let outcome = std::mem::replace(&mut self.outcome, Ok(()));
        *self.batch.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
        let mut pending = self
            .journal
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        pending.leader = false;
        self.journal.committed.notify_all();
    }
}

/// The journal file.
pub struct Journal {
    db: Database,
    pending: Mutex<Pending>,
    committed: Condvar,
    /// How long a committing writer waits for others to join before it commits (zero: no
    /// wait, only records that arrive during a commit share the next one).
    linger: Duration,
    /// Told of every commit (`depin_worker_journal_commits_total`, `..._records_total`).
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl Journal {
    /// Open (or create) the journal at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let db = Database::create(path)
            .with_context(|| format!("opening journal {}", path.display()))?;
        let tx = db.begin_write()?;
        let had_records = !tx.open_table(JOBS)?.is_empty()?;
        {
            let mut meta = tx.open_table(META)?;
            let found = meta.get("schema")?.map(|v| v.value());
            // A journal without a version is a version-1 one if it has records, else new.
            let from = found.unwrap_or(if had_records { 1 } else { SCHEMA });
            migrate(from, &tx).with_context(|| format!("journal {}", path.display()))?;
            meta.insert("schema", SCHEMA)?;
        }
        tx.commit()?;
        Ok(Journal {
            db,
            pending: Mutex::new(Pending::default()),
            committed: Condvar::new(),
            linger: Duration::ZERO,
            metrics: None,
        })
    }

    /// Count commits and records in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Let a committing writer wait `linger` for others to join its commit.
    pub fn with_linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }

    /// Write `entry` durably (returns once it is on disk).
    pub fn put(&self, entry: &Entry) -> Result<()> {
        let mut entry = entry.clone();
        entry.updated_ms = now_ms();
        let value = serde_json::to_vec(&entry)?;
        self.write(Op::Put(entry.job, value))
    }

    /// Forget the record of `job` (a finished one, past its retention).
    pub fn remove(&self, job: &str) -> Result<()> {
        self.write(Op::Remove(job.to_string()))
    }

    /// Queue `op` and return once the commit that carries it is durable: the first writer to
    /// find no commit under way commits everything queued (its own record included); the
    /// others wait for the commit that carries theirs.
    fn write(&self, op: Op) -> Result<()> {
        let mut pending = self.pending.lock().expect("lock");
        pending.ops.push(op);
        let mine = pending.batch.clone();
        loop {
            if let Some(outcome) = mine.get() {
                return outcome.map_err(|e| anyhow::anyhow!("journal commit: {e}"));
            }
            if pending.leader {
                pending = self.committed.wait(pending).expect("lock");
                continue;
            }
            // No commit under way, and this writer's batch not taken: commit it.
            pending.leader = true;
            if !self.linger.is_zero() {
                drop(pending);
                std::thread::sleep(self.linger);
                pending = self.pending.lock().expect("lock");
            }
            let ops = std::mem::take(&mut pending.ops);
            let batch = std::mem::take(&mut pending.batch);
            drop(pending);
            // However the commit ends (a panic included), its writers are told and the next
            // writer may lead: a stuck `leader` would block every later write.
            let mut lead = Lead {
                journal: self,
                batch,
                outcome: Err("the committing writer panicked".into()),
            };
            lead.outcome = self.commit(&ops).map_err(|e| format!("{e:#}"));
            drop(lead);
            pending = self.pending.lock().expect("lock");
        }
    }

    /// One write transaction with `ops`, in order (a later record of a job replaces an
    /// earlier one), committed durably.
    fn commit(&self, ops: &[Op]) -> Result<()> {
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(JOBS)?;
            for op in ops {
                match op {
                    Op::Put(job, value) => {
                        t.insert(job.as_bytes(), value.as_slice())?;
                    }
                    Op::Remove(job) => {
                        t.remove(job.as_bytes())?;
                    }
                }
            }
        }
        tx.commit()?;
        if let Some(m) = &self.metrics {
            m.inc(crate::metrics::JOURNAL_COMMITS_TOTAL, "");
            m.add(crate::metrics::JOURNAL_RECORDS_TOTAL, "", ops.len() as f64);
        }
        Ok(())
    }

    /// The record of `job`.
    pub fn get(&self, job: &Pubkey) -> Result<Option<Entry>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(JOBS)?;
        let key = job.to_string();
        match t.get(key.as_bytes())? {
            Some(v) => Ok(Some(decode(key.as_bytes(), v.value())?)),
            None => Ok(None),
        }
    }

    /// Every record.
    pub fn all(&self) -> Result<Vec<Entry>> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(JOBS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            out.push(decode(k.value(), v.value())?);
        }
        Ok(out)
    }

    /// Records not yet finished.
    pub fn unfinished(&self) -> Result<Vec<Entry>> {
        Ok(self
            .all()?
            .into_iter()
            .filter(|e| !e.phase.terminal())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopen() {
        let dir = std::env::temp_dir().join(format!("depin-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.redb");
        let (job, market) = (Pubkey::new_unique(), Pubkey::new_unique());
        {
            let j = Journal::open(&path).unwrap();
            let mut e = Entry::new(&job, &market);
            j.put(&e).unwrap();
            e.phase = Phase::Executed;
            e.salt = Some([0xab; 32]);
            j.put(&e).unwrap();
            let mut done = Entry::new(&Pubkey::new_unique(), &market);
            done.phase = Phase::Done;
            j.put(&done).unwrap();
        }
        let j = Journal::open(&path).unwrap();
        let e = j.get(&job).unwrap().unwrap();
        assert_eq!((e.phase, e.salt), (Phase::Executed, Some([0xab; 32])));
        assert_eq!(j.all().unwrap().len(), 2);
        assert_eq!(j.unfinished().unwrap().len(), 1);
        assert!(j.get(&Pubkey::new_unique()).unwrap().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Writers that arrive while a commit is under way share the next one, and every record
    /// is durable when its writer returns (read back after reopening).
    #[test]
    fn concurrent_writers_share_commits_and_every_record_is_durable() {
        let dir = std::env::temp_dir().join(format!("depin-journal-g-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.redb");
        let market = Pubkey::new_unique();
        let jobs: Vec<Pubkey> = (0..16).map(|_| Pubkey::new_unique()).collect();
        {
            let metrics = Arc::new(crate::metrics::Metrics::default());
            let j = Arc::new(
                Journal::open(&path)
                    .unwrap()
                    .with_linger(Duration::from_millis(20))
                    .with_metrics(metrics.clone()),
            );
            let writers: Vec<_> = jobs
                .iter()
                .map(|job| {
                    let (j, job) = (j.clone(), *job);
                    std::thread::spawn(move || {
                        let mut e = Entry::new(&job, &market);
                        for phase in [Phase::Claiming, Phase::Claimed, Phase::Executed] {
                            e.phase = phase;
                            j.put(&e).unwrap();
                            // Read your write: durable (committed) when put returns.
                            assert_eq!(j.get(&job).unwrap().unwrap().phase, phase);
                        }
                    })
                })
                .collect();
            for w in writers {
                w.join().unwrap();
            }
            let commits = metrics.get(crate::metrics::JOURNAL_COMMITS_TOTAL, "");
            let records = metrics.get(crate::metrics::JOURNAL_RECORDS_TOTAL, "");
            assert_eq!(records, 48.0);
            assert!(
                commits < records,
                "no commit was shared: {commits} commits for {records} records"
            );
            j.remove(&jobs[0].to_string()).unwrap();
        }
        let j = Journal::open(&path).unwrap();
        let all = j.all().unwrap();
        assert_eq!(all.len(), 15);
        assert!(all.iter().all(|e| e.phase == Phase::Executed));
        assert!(j.get(&jobs[0]).unwrap().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_version_1_journal_is_migrated_and_a_newer_one_refused() {
        let dir = std::env::temp_dir().join(format!("depin-journal-v-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.redb");
        let job = Pubkey::new_unique();
        // A version-1 journal: no `meta` table, a record as version 1 wrote it.
        {
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            {
                let mut t = tx.open_table(JOBS).unwrap();
                let v1 = format!(
                    r#"{{"job":"{job}","market":"{}","phase":"committed","salt":"{}","result_hash":"{}","exit_code":0,"result_uri":"http://w/blobs/x","outcome":null,"seen_ms":1,"claim_sent_ms":2,"updated_ms":3}}"#,
                    Pubkey::new_unique(),
                    "ab".repeat(32),
                    "cd".repeat(32)
                );
                t.insert(job.to_string().as_bytes(), v1.as_bytes()).unwrap();
            }
            tx.commit().unwrap();
        }
        let j = Journal::open(&path).unwrap();
        let e = j.get(&job).unwrap().unwrap();
        assert_eq!(
            (e.phase, e.salt, e.result_hash, e.giving_back),
            (Phase::Committed, Some([0xab; 32]), Some([0xcd; 32]), None)
        );
        drop(j);
        // Stamped with a version this worker does not know: refused, named.
        {
            let db = Database::create(&path).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(META).unwrap().insert("schema", 99).unwrap();
            tx.commit().unwrap();
        }
        let err = Journal::open(&path).err().unwrap();
        assert!(format!("{err:#}").contains("schema 99"), "{err:#}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
