//! Compute-unit report: run every scenario on the SBF build (LiteSVM) and print
//!
//! * per instruction: min / max compute units over every successful single-instruction
//!   transaction of every scenario (CPIs included), and how many were measured;
//! * with `--transactions`: every transaction with its outcome and compute units.
//!
//! `--json` prints both as JSON. Run `scripts/build-sbf.sh` first.

use std::collections::BTreeMap;

use depin_tests::{scenarios, Backend, TestChain};

type Scenario = (&'static str, fn(Backend) -> TestChain);

const SCENARIOS: [Scenario; 6] = [
    ("smoke::staking", scenarios::smoke::staking),
    ("smoke::jobs", scenarios::smoke::jobs),
    ("staking::lifecycle", scenarios::staking::lifecycle),
    ("staking::admin_and_pause", scenarios::staking::admin_and_pause),
    ("staking::attacks", scenarios::staking::attacks),
    ("staking::u64_edges", scenarios::staking::u64_edges),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    let all = args.iter().any(|a| a == "--transactions");

    let mut rows = Vec::new();
    let mut per_ix: BTreeMap<String, (u64, u64, u32)> = BTreeMap::new();
    for (name, run) in SCENARIOS {
        let chain = run(Backend::Sbf);
        for step in &chain.transcript {
            let names = step.instruction_names();
            if step.outcome.is_ok() && names.len() == 1 {
                let e = per_ix.entry(names[0].clone()).or_insert((u64::MAX, 0, 0));
                *e = (e.0.min(step.compute_units), e.1.max(step.compute_units), e.2 + 1);
            }
            let outcome = match &step.outcome {
                Ok(()) => "ok".to_owned(),
                Err(e) => format!("{e}"),
            };
            rows.push((name, step.label.clone(), outcome, step.compute_units));
        }
    }

    if json {
        let per: Vec<_> = per_ix
            .iter()
            .map(|(k, (lo, hi, n))| serde_json::json!({"instruction": k, "min_cu": lo, "max_cu": hi, "samples": n}))
            .collect();
        let txs: Vec<_> = rows
            .iter()
            .map(|(s, l, o, cu)| serde_json::json!({"scenario": s, "step": l, "outcome": o, "compute_units": cu}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"instructions": per, "transactions": txs})).unwrap());
        return;
    }
    println!("| instruction | min CU | max CU | samples |");
    println!("|---|---:|---:|---:|");
    for (k, (lo, hi, n)) in &per_ix {
        println!("| {k} | {lo} | {hi} | {n} |");
    }
    if all {
        println!("\n| scenario | transaction | outcome | compute units |");
        println!("|---|---|---|---:|");
        for (s, l, o, cu) in rows {
            println!("| {s} | {l} | {o} | {cu} |");
        }
    }
}
