//! Monte Carlo of the stake-weighted slot assignment (`depin_core::sortition`): how often an
//! attacker holding a fraction `f` of the pool's stake captures a majority of a job's slots,
//! against the binomial prediction. The table goes into docs/sortition.md.
//!
//! ```text
//! cargo run --release -p depin-core --example sortition_mc
//! ```

use std::time::Instant;

use depin_core::montecarlo::{markdown_table, simulate, Config, Outcome};

const TRIALS: u64 = 200_000;
const FRACTIONS: [f64; 4] = [0.10, 0.20, 0.33, 0.49];

fn main() {
    let start = Instant::now();
    let mut configs = Vec::new();
    for replicas in [3u8, 5] {
        for f in FRACTIONS {
            configs.push(Config::new(f, replicas, 10, TRIALS));
        }
    }
    for f in FRACTIONS {
        configs.push(Config::new(f, 3, 1, TRIALS));
    }
    // How the split itself matters: the 49 % attacker, 5 replicas, from 1 to 100 wallets.
    let sweep: Vec<Config> = [1u32, 3, 5, 8, 10, 30, 100]
        .iter()
        .map(|&m| Config::new(0.49, 5, m, TRIALS))
        .collect();
    let outcomes: Vec<Outcome> = configs.iter().map(simulate).collect();
    let swept: Vec<Outcome> = sweep.iter().map(simulate).collect();
    let elapsed = start.elapsed();

    let arch = std::process::Command::new("uname")
        .arg("-m")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let honest = configs.first().map(|c| c.honest).unwrap_or(0);

    println!(
        "Sortition Monte Carlo: {honest} honest providers of equal stake, attacker stake split \
         evenly across its wallets, open phase won by the attacker (worst case).\n"
    );
    print!("{}", markdown_table(&outcomes));
    println!("\nWallet sweep (f = 0.49, 5 replicas):\n");
    print!("{}", markdown_table(&swept));
    println!(
        "\nmachine: {arch}, {cpus} CPUs; {} configurations x {TRIALS} trials in {:.1} s",
        outcomes.len() + swept.len(),
        elapsed.as_secs_f64()
    );
}
