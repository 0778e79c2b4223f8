//! Private jobs on the worker's side: the key of a held slot, opened from the envelope the
//! requester stored on chain each time a run needs it (never journalled, never written
//! anywhere: a restarted worker reads the envelope again), checked against the job's key
//! commitment, and wiped when the run is over (`JobSecret` zeroizes on drop).

use depin_client::privacy::{self, BlobRole, JobSecret};

use super::*;

/// Where a held private slot stands with its key.
pub(super) enum SlotKey {
    /// Opened and matching the job's key commitment.
    Ready(JobSecret),
    /// Not delivered yet; the requester has until the slot's key deadline.
    Waiting(Duration),
    /// The slot is to be given back (free of penalty, `Job::abandon_rate`): the key did not
    /// come by its deadline, or what came does not open or is not the job's.
    GiveBack(String),
}

impl Worker {
    /// The key of this worker's private `slot` of `job` at chain time `now`.
    pub(super) fn slot_key(&self, job: &Job, slot: usize, now: i64) -> SlotKey {
        let s = &job.slots[slot];
        if s.key_at == 0 {
            let left = job.key_deadline(slot) - now;
            if left <= 0 {
                return SlotKey::GiveBack(
                    "the requester did not deliver the key by the slot's key deadline".into(),
                );
            }
            // A delivery changes the job, which wakes the driver sooner.
            return SlotKey::Waiting(Duration::from_secs(left as u64).min(MAX_WAIT));
        }
        match privacy::open_envelope(&self.me, &s.envelope, &job.key_commitment) {
            Ok(secret) => SlotKey::Ready(secret),
            Err(e) => SlotKey::GiveBack(format!("the delivered key is refused: {e}")),
        }
    }
}

/// `blob` as the sandbox needs it: opened with the job's key when the manifest marks it
/// sealed. A sealed blob without a key, or one that does not open, is an error (the slot is
/// given back; within the grace period after the key arrived that costs nothing).
pub(super) fn opened(
    blob: Vec<u8>,
    sealed: bool,
    role: BlobRole,
    job: &Pubkey,
    secret: Option<&JobSecret>,
) -> Result<Vec<u8>, String> {
    if !sealed {
        return Ok(blob);
    }
    let secret = secret.ok_or("a sealed blob in a job that is not private")?;
    secret
        .open_blob(job, role, &blob)
        .map(|plain| plain.to_vec())
        .map_err(|e| e.to_string())
}
