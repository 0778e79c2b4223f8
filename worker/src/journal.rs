//! The durable journal: one record per job the worker has tried to claim, written (and fsynced
//! by redb's commit) *before* each transaction that depends on it.
//!
//! The chain holds everything public (who holds which slot, commitments, reveals); the journal
//! holds what only this worker knows and must not lose: the salt behind a commitment, the
//! result hash and where its output blob is, and the intent to claim. On start the worker
//! replays every unfinished record against the chain's view of the job and carries on from
//! there, so a kill -9 at any instant loses nothing: the salt is on disk before the commitment
//! is sent, and every step is idempotent against the chain.

use std::path::Path;

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

const JOBS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jobs");

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
    /// Salt of the commitment (hex), chosen before the commit is sent.
    pub salt: Option<String>,
    /// Result hash committed to (hex).
    pub result_hash: Option<String>,
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

/// The journal file.
pub struct Journal {
    db: Database,
}

impl Journal {
    /// Open (or create) the journal at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let db = Database::create(path)
            .with_context(|| format!("opening journal {}", path.display()))?;
        let tx = db.begin_write()?;
        tx.open_table(JOBS)?;
        tx.commit()?;
        Ok(Journal { db })
    }

    /// Write `entry` durably (returns once it is on disk).
    pub fn put(&self, entry: &Entry) -> Result<()> {
        let mut entry = entry.clone();
        entry.updated_ms = now_ms();
        let value = serde_json::to_vec(&entry)?;
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(JOBS)?;
            t.insert(entry.job.as_bytes(), value.as_slice())?;
        }
        tx.commit().context("journal commit")?;
        Ok(())
    }

    /// Forget the record of `job` (a finished one, past its retention).
    pub fn remove(&self, job: &str) -> Result<()> {
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(JOBS)?;
            t.remove(job.as_bytes())?;
        }
        tx.commit().context("journal commit")?;
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
            e.salt = Some("ab".repeat(32));
            j.put(&e).unwrap();
            let mut done = Entry::new(&Pubkey::new_unique(), &market);
            done.phase = Phase::Done;
            j.put(&done).unwrap();
        }
        let j = Journal::open(&path).unwrap();
        let e = j.get(&job).unwrap().unwrap();
        assert_eq!(
            (e.phase, e.salt.as_deref()),
            (Phase::Executed, Some(&*"ab".repeat(32)))
        );
        assert_eq!(j.all().unwrap().len(), 2);
        assert_eq!(j.unfinished().unwrap().len(), 1);
        assert!(j.get(&Pubkey::new_unique()).unwrap().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
