//! The README's main command, end to end: `depin demo`'s flow (local chain with the SBF
//! programs, migrations, funded requester and providers, in-process workers with one scripted
//! liar, example jobs built from source, one of them private) run to its final report, and the
//! report checked.

use std::{path::PathBuf, time::Duration};

use depin_cli::demo::{run, DemoOptions};

fn repo() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demo_runs_to_the_final_table() {
    let opts = DemoOptions {
        providers: 4,
        dishonest: 1,
        jobs_per_example: 1,
        replicas: 3,
        programs: repo().join("target/deploy"),
        examples: repo().join("examples"),
        timeout: Duration::from_secs(120),
        progress: false,
    };
    let report = run(opts).await.expect("demo");
    depin_cli::demo::print_report(&report);
    let names: Vec<&str> = report.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "heat-diffusion",
            "kmer-count",
            "monte-carlo-pi",
            "kmer-count"
        ]
    );
    // The last is the private one: the same output as the public k-mer count, read with the
    // requester's wallet, under a keyed (different) result hash.
    let private = &report.jobs[3];
    assert!(private.private && !report.jobs[..3].iter().any(|j| j.private));
    assert_eq!(private.summary, report.jobs[1].summary);
    assert_ne!(private.result_hash, report.jobs[1].result_hash);
    for j in &report.jobs {
        assert_eq!(j.outcome, "agreed", "{j:?}");
        assert_eq!(j.exit_code, Some(0), "{j:?}");
        assert!(j.paid > 0 && j.fees > 0, "{j:?}");
        // 2 TOKEN reward per replica, 2.5 % fee rounded up: each winner gets 1.95 tokens.
        assert_eq!(j.paid % 1_950_000, 0, "{j:?}");
        assert!(j.latency_slots > 0, "{j:?}");
    }
    let kmer = &report.jobs[1];
    assert!(kmer.summary.starts_with("total_kmers "), "{kmer:?}");
    let pi = &report.jobs[2];
    assert!(pi.summary.starts_with("inside "), "{pi:?}");
    // The liar is slashed in every job it took part in (half of the 1-token bond each time),
    // the honest providers never.
    let liar = report.providers.iter().find(|p| p.dishonest).unwrap();
    let slashed_jobs = report.jobs.iter().filter(|j| !j.slashed.is_empty()).count() as u64;
    assert_eq!(liar.jobs_slashed, slashed_jobs);
    assert_eq!(liar.stake_before - liar.stake_after, 500_000 * slashed_jobs);
    assert_eq!(liar.earned, 0);
    for p in report.providers.iter().filter(|p| !p.dishonest) {
        assert_eq!(
            (p.stake_before, p.stake_after, p.jobs_slashed),
            (p.stake_after, p.stake_before, 0)
        );
    }
    let honest_earned: u64 = report.providers.iter().map(|p| p.earned).sum();
    let paid: u64 = report.jobs.iter().map(|j| j.paid).sum();
    assert_eq!(honest_earned, paid);
}
