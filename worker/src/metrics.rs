//! Prometheus metrics: counters and gauges kept in memory, rendered in the text exposition
//! format at `/metrics`.

use std::{collections::BTreeMap, fmt::Write, sync::Mutex};

/// `depin_worker_claim_latency_ms`.
pub const CLAIM_LATENCY_MS: &str = "depin_worker_claim_latency_ms";
/// `depin_worker_claims_total`.
pub const CLAIMS_TOTAL: &str = "depin_worker_claims_total";
/// `depin_worker_chain_reads_total`.
pub const CHAIN_READS_TOTAL: &str = "depin_worker_chain_reads_total";
/// `depin_worker_commitments_recovered_total`.
pub const COMMITMENTS_RECOVERED_TOTAL: &str = "depin_worker_commitments_recovered_total";
/// `depin_worker_driver_panics_total`.
pub const DRIVER_PANICS_TOTAL: &str = "depin_worker_driver_panics_total";
/// `depin_worker_earnings_total`.
pub const EARNINGS_TOTAL: &str = "depin_worker_earnings_total";
/// `depin_worker_execution_seconds_sum`.
pub const EXECUTION_SECONDS_SUM: &str = "depin_worker_execution_seconds_sum";
/// `depin_worker_executions_total`.
pub const EXECUTIONS_TOTAL: &str = "depin_worker_executions_total";
/// `depin_worker_fuel_used_total`.
pub const FUEL_USED_TOTAL: &str = "depin_worker_fuel_used_total";
/// `depin_worker_jobs_in_flight`.
pub const JOBS_IN_FLIGHT: &str = "depin_worker_jobs_in_flight";
/// `depin_worker_journal_commits_total`.
pub const JOURNAL_COMMITS_TOTAL: &str = "depin_worker_journal_commits_total";
/// `depin_worker_journal_records_total`.
pub const JOURNAL_RECORDS_TOTAL: &str = "depin_worker_journal_records_total";
/// `depin_worker_jobs_passed_total`.
pub const JOBS_PASSED_TOTAL: &str = "depin_worker_jobs_passed_total";
/// `depin_worker_jobs_total`.
pub const JOBS_TOTAL: &str = "depin_worker_jobs_total";
/// `depin_worker_providers_absent`.
pub const PROVIDERS_ABSENT: &str = "depin_worker_providers_absent";
/// `depin_worker_rpc_behind_total`.
pub const RPC_BEHIND_TOTAL: &str = "depin_worker_rpc_behind_total";
/// `depin_worker_rpc_errors_total`.
pub const RPC_ERRORS_TOTAL: &str = "depin_worker_rpc_errors_total";
/// `depin_worker_seen_to_claim_count`.
pub const SEEN_TO_CLAIM_COUNT: &str = "depin_worker_seen_to_claim_count";
/// `depin_worker_seen_to_claim_ms_sum`.
pub const SEEN_TO_CLAIM_MS_SUM: &str = "depin_worker_seen_to_claim_ms_sum";
/// `depin_worker_transaction_errors_total`.
pub const TRANSACTION_ERRORS_TOTAL: &str = "depin_worker_transaction_errors_total";
/// `depin_worker_transactions_total`.
pub const TRANSACTIONS_TOTAL: &str = "depin_worker_transactions_total";
/// `depin_worker_websocket_reconnects_total`.
pub const WEBSOCKET_RECONNECTS_TOTAL: &str = "depin_worker_websocket_reconnects_total";

/// Metric names and help texts (every series rendered belongs to one of these).
pub const HELP: &[(&str, &str, &str)] = &[
    (JOBS_TOTAL, "counter", "Jobs finished, by outcome"),
    (CLAIMS_TOTAL, "counter", "Claims sent"),
    (
        TRANSACTIONS_TOTAL,
        "counter",
        "Transactions confirmed, by instruction",
    ),
    (
        TRANSACTION_ERRORS_TOTAL,
        "counter",
        "Transactions refused or lost, by instruction",
    ),
    (
        RPC_BEHIND_TOTAL,
        "counter",
        "Reads retried because every endpoint was behind their minimum slot",
    ),
    (
        RPC_ERRORS_TOTAL,
        "counter",
        "RPC failures (each triggers failover)",
    ),
    (
        WEBSOCKET_RECONNECTS_TOTAL,
        "counter",
        "Websocket (re)subscriptions after the first",
    ),
    (
        EARNINGS_TOTAL,
        "counter",
        "Payment-token units paid to this provider",
    ),
    (EXECUTIONS_TOTAL, "counter", "Sandbox runs, by result"),
    (EXECUTION_SECONDS_SUM, "counter", "Seconds spent executing"),
    (FUEL_USED_TOTAL, "counter", "Fuel consumed"),
    (
        SEEN_TO_CLAIM_MS_SUM,
        "counter",
        "Milliseconds from first sight of a job to its claim being sent",
    ),
    (
        SEEN_TO_CLAIM_COUNT,
        "counter",
        "Claims measured in the sum above",
    ),
    (JOBS_IN_FLIGHT, "gauge", "Jobs held now"),
    (
        CHAIN_READS_TOTAL,
        "counter",
        "Reads of the clock, of jobs, of this provider's stake (with its pool) and of lottery seeds, by what answered (rpc, or shared: the clock or stake read this slot, a subscription view)",
    ),
    (
        JOURNAL_COMMITS_TOTAL,
        "counter",
        "Journal commits (each one fsync, for one or more records)",
    ),
    (
        JOURNAL_RECORDS_TOTAL,
        "counter",
        "Journal records written (group commits put several in one fsync)",
    ),
    (
        JOBS_PASSED_TOTAL,
        "counter",
        "Jobs passed on before any claim, by reason (unassigned, policy, fetch, compile, closed)",
    ),
    (
        CLAIM_LATENCY_MS,
        "gauge",
        "Moving average of the time from sending a claim to its answer",
    ),
    (
        PROVIDERS_ABSENT,
        "gauge",
        "Providers the assignment expected that did not come",
    ),
    (
        COMMITMENTS_RECOVERED_TOTAL,
        "counter",
        "Commitments reopened after a lost journal (re-run + derived salt)",
    ),
    (
        DRIVER_PANICS_TOTAL,
        "counter",
        "Job drivers that panicked (their job is picked up again by the reconcile)",
    ),
];

fn known(name: &str) -> bool {
    HELP.iter().any(|(n, _, _)| *n == name)
}

/// The registry.
#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String), f64>>,
}

impl Metrics {
    /// Add `v` to `name{labels}` (`labels` like `outcome="paid"`, or empty).
    pub fn add(&self, name: &str, labels: &str, v: f64) {
        debug_assert!(
            known(name),
            "metric {name} is not in HELP (it would not be rendered)"
        );
        let mut s = self.series.lock().expect("metrics lock");
        *s.entry((name.to_string(), labels.to_string()))
            .or_insert(0.0) += v;
    }

    /// Increment `name{labels}`.
    pub fn inc(&self, name: &str, labels: &str) {
        self.add(name, labels, 1.0);
    }

    /// Set a gauge.
    pub fn set(&self, name: &str, labels: &str, v: f64) {
        debug_assert!(
            known(name),
            "metric {name} is not in HELP (it would not be rendered)"
        );
        let mut s = self.series.lock().expect("metrics lock");
        s.insert((name.to_string(), labels.to_string()), v);
    }

    /// Current value.
    pub fn get(&self, name: &str, labels: &str) -> f64 {
        let s = self.series.lock().expect("metrics lock");
        s.get(&(name.to_string(), labels.to_string()))
            .copied()
            .unwrap_or(0.0)
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let s = self.series.lock().expect("metrics lock");
        let mut out = String::new();
        for (name, kind, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            let mut any = false;
            for ((n, labels), v) in s.iter() {
                if n == name {
                    any = true;
                    if labels.is_empty() {
                        let _ = writeln!(out, "{n} {v}");
                    } else {
                        let _ = writeln!(out, "{n}{{{labels}}} {v}");
                    }
                }
            }
            if !any {
                let _ = writeln!(out, "{name} 0");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_labels_and_zeroes() {
        let m = super::Metrics::default();
        m.inc(JOBS_TOTAL, "outcome=\"paid\"");
        m.add(JOBS_TOTAL, "outcome=\"paid\"", 2.0);
        m.set(JOBS_IN_FLIGHT, "", 3.0);
        let text = m.render();
        assert!(
            text.contains("depin_worker_jobs_total{outcome=\"paid\"} 3"),
            "{text}"
        );
        assert!(text.contains("depin_worker_jobs_in_flight 3"), "{text}");
        assert!(text.contains("depin_worker_claims_total 0"), "{text}");
        assert!(
            text.contains("# TYPE depin_worker_claims_total counter"),
            "{text}"
        );
    }
}
