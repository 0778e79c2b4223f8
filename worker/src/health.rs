//! What `/health` reports: whether the worker is making progress, not merely whether its HTTP
//! server answers. Unhealthy (HTTP 503) when the run loop stopped on a fatal error, when the
//! chain has not been seen advancing for [`SLOT_STALE`] (every endpoint unreachable, or a
//! stalled cluster), or when a job driver has failed [`FAILING_STEPS`] steps in a row (a job
//! the worker holds is not moving). The body says which, with the figures behind it.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use serde_json::json;

/// Longest time without seeing the chain's slot advance.
pub const SLOT_STALE: Duration = Duration::from_secs(60);
/// Consecutive failed steps after which a driver counts as failing.
pub const FAILING_STEPS: u32 = 10;

/// The worker's progress, as the engine reports it.
#[derive(Debug)]
pub struct Health {
    started: Instant,
    fatal: Mutex<Option<String>>,
    /// When the chain's slot was last seen to advance, and that slot.
    slot: Mutex<Option<(Instant, u64)>>,
    /// The last transaction that landed: when and which instruction.
    landed: Mutex<Option<(Instant, String)>>,
    /// Consecutive failed steps of each driver that failed its last step.
    failing: Mutex<HashMap<Pubkey, u32>>,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            started: Instant::now(),
            fatal: Mutex::default(),
            slot: Mutex::default(),
            landed: Mutex::default(),
            failing: Mutex::default(),
        }
    }
}

/// A health report: whether healthy, and the JSON body.
pub struct Report {
    /// Healthy (HTTP 200) or not (503).
    pub ok: bool,
    /// What `/health` answers.
    pub body: serde_json::Value,
}

impl Health {
    /// The chain was read at `slot`.
    pub fn slot_seen(&self, slot: u64) {
        let mut s = self.slot.lock().expect("health lock");
        if s.is_none_or(|(_, seen)| slot > seen) {
            *s = Some((Instant::now(), slot));
        }
    }

    /// A transaction of `instruction` landed.
    pub fn landed(&self, instruction: &str) {
        *self.landed.lock().expect("health lock") = Some((Instant::now(), instruction.into()));
    }

    /// The driver of `job` failed a step (`failures` in a row).
    pub fn step_failed(&self, job: Pubkey, failures: u32) {
        self.failing
            .lock()
            .expect("health lock")
            .insert(job, failures);
    }

    /// The driver of `job` made progress, or stopped.
    pub fn step_ok(&self, job: &Pubkey) {
        self.failing.lock().expect("health lock").remove(job);
    }

    /// The run loop stopped: the worker does nothing any more.
    pub fn fatal(&self, why: impl Into<String>) {
        *self.fatal.lock().expect("health lock") = Some(why.into());
    }

    /// The report now.
    pub fn report(&self) -> Report {
        let now = Instant::now();
        let fatal = self.fatal.lock().expect("health lock").clone();
        let slot = *self.slot.lock().expect("health lock");
        let landed = self.landed.lock().expect("health lock").clone();
        let failing: Vec<String> = self
            .failing
            .lock()
            .expect("health lock")
            .iter()
            .filter(|(_, n)| **n >= FAILING_STEPS)
            .map(|(job, _)| job.to_string())
            .collect();
        // Before the first slot read, the start counts as the last sign of the chain.
        let since_slot = slot.map_or(now - self.started, |(at, _)| now - at);
        let mut problems = Vec::new();
        if let Some(why) = &fatal {
            problems.push(format!("stopped: {why}"));
        }
        if since_slot > SLOT_STALE {
            problems.push(format!(
                "the chain has not been seen advancing for {} s",
                since_slot.as_secs()
            ));
        }
        if !failing.is_empty() {
            problems.push(format!(
                "{} job(s) failing {FAILING_STEPS}+ steps in a row",
                failing.len()
            ));
        }
        Report {
            ok: problems.is_empty(),
            body: json!({
                "status": if problems.is_empty() { "ok" } else { "unhealthy" },
                "problems": problems,
                "uptime_secs": (now - self.started).as_secs(),
                "slot": slot.map(|(_, s)| s),
                "slot_advanced_secs_ago": since_slot.as_secs(),
                "last_landed": landed.as_ref().map(|(at, what)| json!({
                    "instruction": what, "secs_ago": (now - *at).as_secs(),
                })),
                "failing_jobs": failing,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_only_while_progressing() {
        let h = Health::default();
        h.slot_seen(10);
        h.landed("claim_job");
        let r = h.report();
        assert!(r.ok, "{}", r.body);
        assert_eq!(r.body["slot"], 10);
        assert_eq!(r.body["last_landed"]["instruction"], "claim_job");
        // A driver failing again and again makes it unhealthy until it moves.
        let job = Pubkey::new_unique();
        h.step_failed(job, FAILING_STEPS - 1);
        assert!(h.report().ok);
        h.step_failed(job, FAILING_STEPS);
        let r = h.report();
        assert!(!r.ok);
        assert_eq!(r.body["failing_jobs"][0], job.to_string());
        h.step_ok(&job);
        assert!(h.report().ok);
        // A stale chain view.
        *h.slot.lock().unwrap() = Some((Instant::now() - SLOT_STALE * 2, 10));
        h.slot_seen(9); // not an advance
        assert!(!h.report().ok);
        h.slot_seen(11);
        assert!(h.report().ok);
        // A stopped run loop.
        h.fatal("journal record unreadable");
        let r = h.report();
        assert!(!r.ok);
        assert!(r.body["problems"][0].as_str().unwrap().contains("journal"));
    }
}
