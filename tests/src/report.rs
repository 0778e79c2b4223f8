//! Compute-unit report over every scenario, on the SBF build. Used by the `scenario-report`
//! binary and the `compute_units` benchmark (`cargo bench -p depin-tests`).

use std::collections::BTreeMap;

use crate::{scenarios, Backend, TestChain};

type Scenario = (&'static str, fn(Backend) -> TestChain);

/// Every scenario the report runs.
pub const SCENARIOS: [Scenario; 26] = [
    ("smoke::staking", scenarios::smoke::staking),
    ("smoke::jobs", scenarios::smoke::jobs),
    ("staking::lifecycle", scenarios::staking::lifecycle),
    (
        "staking::admin_and_pause",
        scenarios::staking::admin_and_pause,
    ),
    ("staking::attacks", scenarios::staking::attacks),
    ("staking::u64_edges", scenarios::staking::u64_edges),
    (
        "jobs::post_cancel_claim",
        scenarios::jobs::post_cancel_claim,
    ),
    ("jobs::attacks", scenarios::jobs::attacks),
    ("jobs::commit_reveal", scenarios::jobs::commit_reveal),
    ("settlement::replicas_1", scenarios::settlement::replicas_1),
    ("settlement::replicas_5", scenarios::settlement::replicas_5),
    ("settlement::replicas_3", scenarios::settlement::replicas_3),
    ("settlement::replicas_7", scenarios::settlement::replicas_7),
    (
        "verdict::ranked_assignment",
        scenarios::verdict::ranked_assignment,
    ),
    (
        "verdict::sybil_majority",
        scenarios::verdict::sybil_majority,
    ),
    (
        "governance::donation_to_stake_vault",
        scenarios::governance::donation_to_stake_vault,
    ),
    (
        "governance::donation_to_escrow_and_fee_vault",
        scenarios::governance::donation_to_escrow_and_fee_vault,
    ),
    (
        "governance::front_run_pool_creation",
        scenarios::governance::front_run_pool_creation,
    ),
    (
        "governance::rate_increase_needs_notice",
        scenarios::governance::rate_increase_needs_notice,
    ),
    (
        "governance::fee_vault_cannot_block_refunds",
        scenarios::governance::fee_vault_cannot_block_refunds,
    ),
    (
        "governance::stolen_operator_key",
        scenarios::governance::stolen_operator_key,
    ),
    (
        "governance::policy_only_by_its_provider",
        scenarios::governance::policy_only_by_its_provider,
    ),
    ("private::lifecycle", scenarios::private::private_lifecycle),
    (
        "private::withheld_keys",
        scenarios::private::withheld_keys_cost_claimants_nothing,
    ),
    (
        "private::allow_list",
        scenarios::private::allow_list_admits_only_the_accredited,
    ),
    (
        "private::accreditation",
        scenarios::private::accreditation_is_the_admins_and_revocable,
    ),
];

/// Compute units of one instruction over all its successful single-instruction transactions.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    /// Fewest units seen.
    pub min: u64,
    /// Most units seen.
    pub max: u64,
    /// Transactions measured.
    pub samples: u32,
}

/// One transaction of one scenario.
#[derive(Debug, Clone)]
pub struct Tx {
    /// Scenario name.
    pub scenario: &'static str,
    /// Step label.
    pub step: String,
    /// "ok" or the error.
    pub outcome: String,
    /// Compute units consumed.
    pub compute_units: u64,
}

/// The whole report.
#[derive(Debug, Default)]
pub struct Report {
    /// Per instruction name (Anchor's `Instruction: X` log).
    pub per_instruction: BTreeMap<String, Range>,
    /// Every transaction.
    pub transactions: Vec<Tx>,
    /// Whole job lifecycles.
    pub lifecycles: Vec<scenarios::settlement::LifecycleCost>,
}

/// Run every scenario on the SBF build and collect the figures.
pub fn run() -> Report {
    let mut r = Report::default();
    for (scenario, run) in SCENARIOS {
        for step in run(Backend::Sbf).transcript {
            let names = step.instruction_names();
            if step.outcome.is_ok() && names.len() == 1 {
                let e = r.per_instruction.entry(names[0].clone()).or_insert(Range {
                    min: u64::MAX,
                    max: 0,
                    samples: 0,
                });
                e.min = e.min.min(step.compute_units);
                e.max = e.max.max(step.compute_units);
                e.samples += 1;
            }
            let outcome = match &step.outcome {
                Ok(()) => "ok".to_owned(),
                Err(e) => e.to_string(),
            };
            r.transactions.push(Tx {
                scenario,
                step: step.label,
                outcome,
                compute_units: step.compute_units,
            });
        }
    }
    r.lifecycles = scenarios::settlement::benchmark_lifecycles();
    r
}

impl Report {
    /// Markdown tables: per instruction, and every transaction if `transactions`.
    pub fn markdown(&self, transactions: bool) -> String {
        let mut out =
            String::from("| instruction | min CU | max CU | samples |\n|---|---:|---:|---:|\n");
        for (k, v) in &self.per_instruction {
            out += &format!("| {k} | {} | {} | {} |\n", v.min, v.max, v.samples);
        }
        out += "\n| job lifecycle | transactions | total CU | largest transaction CU |\n|---|---:|---:|---:|\n";
        for l in &self.lifecycles {
            out += &format!(
                "| {} | {} | {} | {} |\n",
                l.name, l.transactions, l.compute_units, l.max_transaction
            );
        }
        if transactions {
            out += "\n| scenario | transaction | outcome | compute units |\n|---|---|---|---:|\n";
            for t in &self.transactions {
                out += &format!(
                    "| {} | {} | {} | {} |\n",
                    t.scenario, t.step, t.outcome, t.compute_units
                );
            }
        }
        out
    }

    /// Both tables as JSON.
    pub fn json(&self) -> serde_json::Value {
        let per: Vec<_> = self
            .per_instruction
            .iter()
            .map(|(k, v)| serde_json::json!({"instruction": k, "min_cu": v.min, "max_cu": v.max, "samples": v.samples}))
            .collect();
        let txs: Vec<_> = self
            .transactions
            .iter()
            .map(|t| serde_json::json!({"scenario": t.scenario, "step": t.step, "outcome": t.outcome, "compute_units": t.compute_units}))
            .collect();
        let lifecycles: Vec<_> = self
            .lifecycles
            .iter()
            .map(|l| serde_json::json!({"lifecycle": l.name, "transactions": l.transactions, "compute_units": l.compute_units, "max_transaction_cu": l.max_transaction}))
            .collect();
        serde_json::json!({"instructions": per, "lifecycles": lifecycles, "transactions": txs})
    }
}
