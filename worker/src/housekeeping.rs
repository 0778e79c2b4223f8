//! Bounded growth over months: the download cache has a byte quota (oldest files evicted
//! first; a file evicted before its run is simply downloaded again, since every read checks
//! the digest), finished journal records and the result blobs nobody needs any more are
//! pruned after a retention period, and unfinished work is never touched.
//!
//! Without it a stream of cheap jobs with big inputs fills the disk, after which every blob
//! write fails and every job is abandoned.

use std::{
    collections::HashSet,
    path::Path,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, SystemTime},
};

use anyhow::Result;

use crate::journal::{now_ms, Journal};

/// What housekeeping removed in one pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Journal records of finished jobs.
    pub records: usize,
    /// Files removed (cache, pending and served blobs).
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// Files of `dir` (name, size, modification time), oldest first.
fn files_by_age(dir: &Path) -> std::io::Result<Vec<(String, u64, SystemTime)>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let meta = e.metadata()?;
        if !meta.is_file() {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        out.push((
            name,
            meta.len(),
            meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        ));
    }
    out.sort_by_key(|(_, _, t)| *t);
    Ok(out)
}

/// Total bytes of the files in `dir`.
pub fn folder_bytes(dir: &Path) -> u64 {
    files_by_age(dir)
        .map(|f| f.iter().map(|(_, len, _)| *len).sum())
        .unwrap_or(0)
}

/// A folder with a byte quota, evicting its oldest files first.
#[derive(Debug)]
pub struct Quota {
    max_bytes: u64,
    used: AtomicU64,
}

impl Quota {
    /// A quota of `max_bytes` for `dir`, whose current size is read now.
    pub fn new(dir: &Path, max_bytes: u64) -> Self {
        Quota {
            max_bytes,
            used: AtomicU64::new(folder_bytes(dir)),
        }
    }

    /// `bytes` were added to `dir`: evict the oldest files (never one named in `keep`) until
    /// the folder fits the quota again.
    pub fn added(&self, dir: &Path, bytes: u64, keep: &str) -> Pruned {
        let used = self.used.fetch_add(bytes, Ordering::SeqCst) + bytes;
        if used <= self.max_bytes {
            return Pruned::default();
        }
        let mut pruned = Pruned::default();
        let Ok(files) = files_by_age(dir) else {
            return pruned;
        };
        let mut total: u64 = files.iter().map(|(_, len, _)| *len).sum();
        for (name, len, _) in files {
            if total <= self.max_bytes {
                break;
            }
            if name == keep || name.contains(".tmp-") {
                continue;
            }
            if std::fs::remove_file(dir.join(&name)).is_ok() {
                total -= len;
                pruned.files += 1;
                pruned.bytes += len;
            }
        }
        self.used.store(total, Ordering::SeqCst);
        pruned
    }
}

/// Remove the files of `dir` older than `retention` whose names are not in `keep`.
pub fn prune_folder(dir: &Path, retention: Duration, keep: &HashSet<String>) -> Pruned {
    let mut pruned = Pruned::default();
    let Ok(files) = files_by_age(dir) else {
        return pruned;
    };
    let now = SystemTime::now();
    for (name, len, modified) in files {
        let age = now.duration_since(modified).unwrap_or_default();
        if age < retention || keep.contains(&name) {
            continue;
        }
        if std::fs::remove_file(dir.join(&name)).is_ok() {
            pruned.files += 1;
            pruned.bytes += len;
        }
    }
    pruned
}

/// One pass: finished journal records older than `retention` are removed, and so are the
/// files of `pending/` and `blobs/` older than it that no unfinished record names.
pub fn prune(journal: &Journal, data_dir: &Path, retention: Duration) -> Result<Pruned> {
    let cutoff = now_ms().saturating_sub(retention.as_millis() as u64);
    let mut keep = HashSet::new();
    let mut pruned = Pruned::default();
    for e in journal.all()? {
        if e.phase.terminal() && e.updated_ms < cutoff {
            journal.remove(&e.job)?;
            pruned.records += 1;
        } else if !e.phase.terminal() {
            if let Some(name) = e.result_uri.as_deref().and_then(|u| u.rsplit('/').next()) {
                keep.insert(name.to_string());
            }
        }
    }
    for folder in ["pending", "blobs"] {
        let p = prune_folder(&data_dir.join(folder), retention, &keep);
        pruned.files += p.files;
        pruned.bytes += p.bytes;
    }
    Ok(pruned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Entry, Phase};
    use anchor_lang::prelude::Pubkey;

    fn temp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("depin-hk-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn age(path: &Path, secs: u64) {
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(secs))
            .unwrap();
    }

    #[test]
    fn the_cache_quota_evicts_the_oldest_first() {
        let dir = temp("quota");
        for (i, name) in ["a", "b", "c"].iter().enumerate() {
            std::fs::write(dir.join(name), vec![0u8; 400]).unwrap();
            age(&dir.join(name), 100 - i as u64 * 10);
        }
        let q = Quota::new(&dir, 1000);
        std::fs::write(dir.join("d"), vec![0u8; 400]).unwrap();
        // 1 600 bytes for a 1 000-byte quota: the two oldest go.
        let p = q.added(&dir, 400, "d");
        assert_eq!((p.files, p.bytes), (2, 800));
        assert!(!dir.join("a").exists() && !dir.join("b").exists());
        assert!(dir.join("c").exists() && dir.join("d").exists());
        // Under the quota: nothing is touched.
        assert_eq!(q.added(&dir, 0, ""), Pruned::default());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn finished_records_and_unneeded_blobs_go_after_the_retention() {
        let dir = temp("prune");
        let journal = Journal::open(&dir.join("journal.redb")).unwrap();
        let market = Pubkey::new_unique();
        let mut done = Entry::new(&Pubkey::new_unique(), &market);
        done.phase = Phase::Done;
        done.result_uri = Some("http://w/blobs/old".into());
        journal.put(&done).unwrap();
        let mut open = Entry::new(&Pubkey::new_unique(), &market);
        open.phase = Phase::Committed;
        open.result_uri = Some("http://w/blobs/needed".into());
        journal.put(&open).unwrap();
        for folder in ["pending", "blobs"] {
            std::fs::create_dir_all(dir.join(folder)).unwrap();
        }
        for (folder, name) in [("blobs", "old"), ("pending", "needed"), ("blobs", "recent")] {
            std::fs::write(dir.join(folder).join(name), b"x").unwrap();
        }
        age(&dir.join("blobs/old"), 7200);
        age(&dir.join("pending/needed"), 7200);
        // Nothing is old enough yet for a week's retention.
        let week = Duration::from_secs(7 * 24 * 3600);
        assert_eq!(prune(&journal, &dir, week).unwrap(), Pruned::default());
        // With one hour: the finished record only if it is older (it is not), the old
        // unreferenced blob; never the blob an unfinished record needs, nor a recent one.
        let p = prune(&journal, &dir, Duration::from_secs(3600)).unwrap();
        assert_eq!((p.records, p.files), (0, 1));
        assert!(!dir.join("blobs/old").exists());
        assert!(dir.join("pending/needed").exists() && dir.join("blobs/recent").exists());
        let p = prune(&journal, &dir, Duration::ZERO).unwrap();
        assert_eq!(p.records, 1, "the finished record");
        assert_eq!(journal.all().unwrap().len(), 1);
        assert!(dir.join("pending/needed").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
