//! The stderr of jobs running on this worker, as it is written, for `GET /logs/<job>`
//! (requester only: `depin_client::live`). Bounded: at most [`MAX_ENTRIES`] jobs, each at most
//! `MAX_LOG_BYTES`; finished entries are dropped after [`KEEP_FINISHED`].

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;

/// The growing stderr of one execution (the sandbox appends, the server reads).
pub type LiveBuf = Arc<Mutex<Vec<u8>>>;

/// Jobs tracked at once.
const MAX_ENTRIES: usize = 256;
/// How long a finished execution's live logs stay readable.
const KEEP_FINISHED: Duration = Duration::from_secs(600);

struct Entry {
    requester: Pubkey,
    buf: LiveBuf,
    finished: Option<Instant>,
}

/// The live logs of this worker's executions.
#[derive(Default)]
pub struct LiveLogs {
    entries: Mutex<HashMap<Pubkey, Entry>>,
}

/// What one read returns.
pub struct Read {
    /// The job's requester (who may read).
    pub requester: Pubkey,
    /// Bytes from the offset asked for.
    pub bytes: Vec<u8>,
    /// Whether the execution has ended.
    pub finished: bool,
}

impl LiveLogs {
    /// A new buffer for an execution of `job` posted by `requester` (replacing an earlier
    /// one, e.g. after a restart).
    pub fn start(&self, job: Pubkey, requester: Pubkey) -> LiveBuf {
        let buf = LiveBuf::default();
        let mut m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        m.retain(|_, e| e.finished.is_none_or(|t| t.elapsed() < KEEP_FINISHED));
        if m.len() >= MAX_ENTRIES && !m.contains_key(&job) {
            // Drop the oldest finished one, else any: never grow past the cap.
            let victim = m
                .iter()
                .filter_map(|(k, e)| e.finished.map(|t| (*k, t)))
                .min_by_key(|(_, t)| *t)
                .map(|(k, _)| k)
                .or_else(|| m.keys().next().copied());
            if let Some(v) = victim {
                m.remove(&v);
            }
        }
        m.insert(
            job,
            Entry {
                requester,
                buf: buf.clone(),
                finished: None,
            },
        );
        buf
    }

    /// The execution of `job` ended.
    pub fn finish(&self, job: &Pubkey) {
        let mut m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = m.get_mut(job) {
            e.finished = Some(Instant::now());
        }
    }

    /// `job`'s logs from byte `from` on, if it runs (or ran lately) here.
    pub fn read(&self, job: &Pubkey, from: usize) -> Option<Read> {
        let m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let e = m.get(job)?;
        let buf = e.buf.lock().unwrap_or_else(|e| e.into_inner());
        Some(Read {
            requester: e.requester,
            bytes: buf.get(from..).unwrap_or_default().to_vec(),
            finished: e.finished.is_some(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_from_an_offset_and_stays_bounded() {
        let logs = LiveLogs::default();
        let (job, requester) = (Pubkey::new_unique(), Pubkey::new_unique());
        let buf = logs.start(job, requester);
        buf.lock().unwrap().extend_from_slice(b"hello ");
        buf.lock().unwrap().extend_from_slice(b"world");
        let r = logs.read(&job, 6).unwrap();
        assert_eq!(
            (r.bytes.as_slice(), r.finished, r.requester),
            (&b"world"[..], false, requester)
        );
        logs.finish(&job);
        assert!(logs.read(&job, 0).unwrap().finished);
        assert!(logs.read(&job, 99).unwrap().bytes.is_empty());
        assert!(logs.read(&Pubkey::new_unique(), 0).is_none());
        for _ in 0..(MAX_ENTRIES + 10) {
            logs.start(Pubkey::new_unique(), requester);
        }
        assert!(logs.entries.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
