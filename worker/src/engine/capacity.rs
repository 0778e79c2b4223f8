//! What `policy.max_concurrent` and the claim queue allow: held and waiting drivers, reservations, and the claim latency the open-phase stagger is sized by.

use super::*;

impl Worker {
    /// Providers holding a slot of `job` are present.
    pub(super) fn saw_holders(&self, job: &Job) {
        let mut presence = self.presence.lock().expect("lock");
        for s in &job.slots[..(job.replicas as usize).min(job.slots.len())] {
            if s.state != slot_state::FREE {
                presence.seen(&s.provider, s.claimed_at);
            }
        }
    }

    /// Fold one claim's send → answer time into the moving average (weight 1/4).
    pub(super) fn observe_claim_latency(&self, took: Duration) {
        let mut l = self.claim_latency.lock().expect("lock");
        *l = Some(match *l {
            None => took,
            Some(avg) => (avg * 3 + took) / 4,
        });
        self.metrics.set(
            crate::metrics::CLAIM_LATENCY_MS,
            "",
            l.unwrap_or_default().as_millis() as f64,
        );
    }

    /// The moving average of claim latency (zero before any claim).
    pub(super) fn claim_latency(&self) -> Duration {
        self.claim_latency.lock().expect("lock").unwrap_or_default()
    }

    /// Slots between two places of the open-phase queue: the default doubled until it covers
    /// twice the claim latency this worker observes (a loaded cluster confirms claims slowly,
    /// and the next in line must see a claim before its turn comes). Powers of two of the
    /// default, so that workers whose estimates differ a little still agree on the spacing.
    pub(super) fn stagger_slots(&self) -> u64 {
        let latency = self.claim_latency();
        let slot = self.chain.slot_time().as_millis().max(1);
        let needed = (latency.as_millis() * 2).div_ceil(slot) as u64;
        let mut stagger = assign::OPEN_STAGGER_SLOTS;
        while stagger < needed && stagger < MAX_STAGGER_SLOTS {
            stagger *= 2;
        }
        stagger.min(MAX_STAGGER_SLOTS)
    }

    /// Jobs in which this worker holds or is claiming a slot: what `policy.max_concurrent`
    /// caps.
    pub(super) fn holding(&self) -> usize {
        self.held.lock().expect("lock").len()
    }

    /// Drivers waiting to claim (not holding a slot, not settling a job).
    pub(super) fn waiting(&self) -> usize {
        let settling = self.settling.lock().expect("lock").len();
        self.in_flight()
            .saturating_sub(self.holding())
            .saturating_sub(settling)
    }

    /// Reserve capacity for a claim of `job` (check and reservation under one lock, so
    /// concurrent drivers cannot all pass the check); `false` at capacity.
    pub(super) fn reserve(&self, job: &Pubkey) -> bool {
        let mut held = self.held.lock().expect("lock");
        if held.contains(job) {
            return true;
        }
        if held.len() >= self.cfg.policy.max_concurrent {
            return false;
        }
        held.insert(*job);
        true
    }

    /// Give back the capacity reserved for a claim of `job` that was not sent or lost a race.
    pub(super) fn release_reservation(&self, job: &Pubkey) {
        self.held.lock().expect("lock").remove(job);
    }

    /// How many drivers may wait for a claim at once (each polls the chain while it waits).
    pub(super) fn max_pending(&self) -> usize {
        (4 * self.cfg.policy.max_concurrent).max(16)
    }
}
