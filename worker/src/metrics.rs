//! Prometheus metrics: counters and gauges kept in memory, rendered in the text exposition
//! format at `/metrics`.

use std::{collections::BTreeMap, fmt::Write, sync::Mutex};

/// Metric names and help texts (every series rendered belongs to one of these).
pub const HELP: &[(&str, &str, &str)] = &[
    (
        "depin_worker_jobs_total",
        "counter",
        "Jobs finished, by outcome",
    ),
    ("depin_worker_claims_total", "counter", "Claims sent"),
    (
        "depin_worker_transactions_total",
        "counter",
        "Transactions confirmed, by instruction",
    ),
    (
        "depin_worker_transaction_errors_total",
        "counter",
        "Transactions refused or lost, by instruction",
    ),
    (
        "depin_worker_rpc_errors_total",
        "counter",
        "RPC failures (each triggers failover)",
    ),
    (
        "depin_worker_websocket_reconnects_total",
        "counter",
        "Websocket (re)subscriptions after the first",
    ),
    (
        "depin_worker_earnings_total",
        "counter",
        "Payment-token units paid to this provider",
    ),
    (
        "depin_worker_executions_total",
        "counter",
        "Sandbox runs, by result",
    ),
    (
        "depin_worker_execution_seconds_sum",
        "counter",
        "Seconds spent executing",
    ),
    ("depin_worker_fuel_used_total", "counter", "Fuel consumed"),
    (
        "depin_worker_seen_to_claim_ms_sum",
        "counter",
        "Milliseconds from first sight of a job to its claim being sent",
    ),
    (
        "depin_worker_seen_to_claim_count",
        "counter",
        "Claims measured in the sum above",
    ),
    ("depin_worker_jobs_in_flight", "gauge", "Jobs held now"),
    (
        "depin_worker_jobs_passed_total",
        "counter",
        "Jobs passed on before any claim, by reason (unassigned, policy, fetch, compile, closed)",
    ),
    (
        "depin_worker_claim_latency_ms",
        "gauge",
        "Moving average of the time from sending a claim to its answer",
    ),
    (
        "depin_worker_providers_absent",
        "gauge",
        "Providers the assignment expected that did not come",
    ),
    (
        "depin_worker_commitments_recovered_total",
        "counter",
        "Commitments reopened after a lost journal (re-run + derived salt)",
    ),
    (
        "depin_worker_driver_panics_total",
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
    #[test]
    fn renders_labels_and_zeroes() {
        let m = super::Metrics::default();
        m.inc("depin_worker_jobs_total", "outcome=\"paid\"");
        m.add("depin_worker_jobs_total", "outcome=\"paid\"", 2.0);
        m.set("depin_worker_jobs_in_flight", "", 3.0);
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
