//! Private jobs on the worker's side: the key of a held slot, opened from the envelope the
//! requester stored on chain each time a run needs it (never journalled, never written
//! anywhere: a restarted worker reads the envelope again), checked against the job's key
//! commitment, and wiped when the run is over (`JobSecret` zeroizes on drop).

use depin_client::privacy::{self, BlobRole, JobSecret};

use super::*;

/// Time kept between the end of a sealed module's compile budget and the end of the window in
/// which the slot can still be given back free (for the abandon transaction to land).
const REFUSAL_MARGIN: Duration = Duration::from_secs(3);

/// A private job's key, opened, and until when the slot can still be given back free.
pub(super) struct RunKey {
    /// The job secret.
    pub secret: JobSecret,
    /// Until when (on this machine's clock, less [`REFUSAL_MARGIN`]) a failure to open or
    /// compile can still be answered by a free give-back; `None` once committed.
    pub refuse_by: Option<Instant>,
}

impl RunKey {
    /// The compile budget of a sealed module: `budget`, cut to end before the free give-back
    /// window does (a module that cannot be compiled by then is given back while it is free).
    pub fn compile_budget(&self, budget: Duration) -> Duration {
        match self.refuse_by {
            Some(t) => budget.min(t.saturating_duration_since(Instant::now())),
            None => budget,
        }
    }
}

/// Where a held private slot stands with its key.
pub(super) enum SlotKey {
    /// Opened and matching the job's key commitment.
    Ready(RunKey),
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
            let left = job.key_deadline(slot).saturating_sub(now);
            if left <= 0 {
                return SlotKey::GiveBack(
                    "the requester did not deliver the key by the slot's key deadline".into(),
                );
            }
            // A delivery changes the job, which wakes the driver sooner.
            return SlotKey::Waiting(Duration::from_secs(left as u64).min(MAX_WAIT));
        }
        match privacy::open_envelope(&self.me, &s.envelope, &job.key_commitment) {
            Ok(secret) => {
                let window = depin_core::settle::key_window_secs(job.execution_window());
                let left = (s.key_at.saturating_add(window)).saturating_sub(now);
                let refuse_by = (s.state == slot_state::CLAIMED).then(|| {
                    let left = Duration::from_secs(u64::try_from(left).unwrap_or(0));
                    (Instant::now() + left)
                        .checked_sub(REFUSAL_MARGIN)
                        .unwrap_or_else(Instant::now)
                });
                SlotKey::Ready(RunKey { secret, refuse_by })
            }
            Err(e) => SlotKey::GiveBack(format!("the delivered key is refused: {e}")),
        }
    }
}

/// `blob` as the sandbox needs it: opened with the job's key when the manifest marks it
/// sealed. A sealed blob without a key, or one that does not open, is an error (the slot is
/// given back; within the key window after the key arrived that costs nothing).
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
    let mut plain = secret
        .open_blob(job, role, &blob)
        .map_err(|e| e.to_string())?;
    // Moved out, not copied: the caller wipes it after the run.
    Ok(std::mem::take(&mut *plain))
}

/// Wipe `buf` if this is its last reference (best effort: the sandbox's own copies are freed
/// with the run).
pub(super) fn wipe(buf: Arc<Vec<u8>>) {
    if let Ok(mut plain) = Arc::try_unwrap(buf) {
        zeroize::Zeroize::zeroize(&mut plain);
    }
}
