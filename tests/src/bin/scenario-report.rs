//! Run every scenario on the SBF build (LiteSVM) and print each transaction with its outcome
//! and compute units, as a markdown table (`--json` for machine-readable output).

use depin_tests::{scenarios, Backend, TestChain};

type Scenario = (&'static str, fn(Backend) -> TestChain);

const SCENARIOS: [Scenario; 2] =
    [("smoke::staking", scenarios::smoke::staking), ("smoke::jobs", scenarios::smoke::jobs)];

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let mut rows = Vec::new();
    for (name, run) in SCENARIOS {
        let chain = run(Backend::Sbf);
        for step in &chain.transcript {
            let outcome = match &step.outcome {
                Ok(()) => "ok".to_owned(),
                Err(e) => format!("{e}"),
            };
            rows.push((name, step.label.clone(), outcome, step.compute_units));
        }
    }
    if json {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|(s, l, o, cu)| serde_json::json!({"scenario": s, "step": l, "outcome": o, "compute_units": cu}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&items).expect("json"));
        return;
    }
    println!("| scenario | transaction | outcome | compute units |");
    println!("|---|---|---|---:|");
    for (s, l, o, cu) in rows {
        println!("| {s} | {l} | {o} | {cu} |");
    }
}
