//! Where a provider stands in a job's slot assignment (`depin_core::sortition`), computed off
//! chain with the program's own arithmetic, so a worker sends a claim only when it can land:
//! it waits for the seed, claims when eligible (displacing the worst-ranked holder of a full
//! job when it ranks better), waits for the open phase when it is not, and stays away when the
//! job is out of reach.

use anchor_lang::prelude::Pubkey;
use depin_core::{hash::Hash32, sortition};
use depin_jobs::state::{job_status, Job};

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
    /// Not eligible in the ranked phase: a slot still free at `open_slot` may be taken then.
    WaitForOpenPhase {
        /// The job's `ranked_until_slot`.
        open_slot: u64,
    },
    /// Nothing to gain: already holding a slot, every slot held by better-ranked providers,
    /// the job full in the open phase, or not open for claims.
    Stay,
}

/// The plan of `provider` (free stake `free` in a pool of `total`) for `job` at `address`, at
/// chain slot `slot`, given the job's seed if the SlotHashes sysvar already has it.
pub fn plan(
    job: &Job,
    address: &Pubkey,
    provider: &Pubkey,
    (free, total): (u64, u64),
    slot: u64,
    seed: Option<&Hash32>,
) -> ClaimPlan {
    if job.status != job_status::OPEN || job.slot_of(provider).is_some() {
        return ClaimPlan::Stay;
    }
    if job.abandoned_by(provider) {
        return ClaimPlan::Stay;
    }
    if !job.ranked_phase(slot) {
        return match job.free_slot() {
            Some(_) => ClaimPlan::Claim {
                displaced: None,
                score: sortition::OPEN_SCORE,
            },
            None => ClaimPlan::Stay,
        };
    }
    let Some(seed) = seed else {
        return ClaimPlan::WaitForSeed {
            seed_slot: job.seed_slot,
        };
    };
    let ticket = sortition::ticket(seed, address, provider);
    let score = sortition::score(ticket, sortition::weight(free, total, job.replicas));
    if !sortition::eligible(score) {
        return ClaimPlan::WaitForOpenPhase {
            open_slot: job.ranked_until_slot,
        };
    }
    if job.free_slot().is_some() {
        return ClaimPlan::Claim {
            displaced: None,
            score,
        };
    }
    match job.worst_ranked_slot() {
        Some(w) if score < job.slots[w].score => ClaimPlan::Claim {
            displaced: Some(job.slots[w].provider),
            score,
        },
        _ => ClaimPlan::Stay,
    }
}
