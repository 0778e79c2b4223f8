//! Jobs program: markets, posting, cancellation, claims, abandon and commit-reveal, on SBF
//! and natively, compared.

use depin_tests::{
    assert_parity, dual_test,
    scenarios::{
        jobs,
        jobs_property::{random_market, Stats},
        settlement,
    },
    Backend,
};

dual_test!(post_cancel_claim => jobs::post_cancel_claim);
dual_test!(attacks => jobs::attacks);
dual_test!(commit_reveal => jobs::commit_reveal);
dual_test!(lifecycle_replicas_1 => settlement::replicas_1);
dual_test!(lifecycle_replicas_5 => settlement::replicas_5);
dual_test!(lifecycle_replicas_3 => settlement::replicas_3);
dual_test!(lifecycle_replicas_7 => settlement::replicas_7);

/// Sequences per backend (override with DEPIN_PROPERTY_SEQUENCES) and random steps per
/// sequence (each sequence then drives every job it posted to its close).
fn sequences() -> u64 {
    depin_tests::property_sequences(16)
}
const STEPS: usize = 150;

fn run(backend: Backend) {
    let n = sequences();
    let mut all = Stats::default();
    for seed in 0..n {
        all.merge(&random_market(backend, seed, STEPS).1);
    }
    eprintln!(
        "jobs property ({backend:?}): {n} sequences x {STEPS} random steps, {} transactions, \
         {} jobs closed with exact conservation; accepted: {:?}",
        all.transactions, all.jobs_closed, all.accepted
    );
    // The sequences must reach every part of the protocol, or the invariants prove little.
    for what in [
        "post_job",
        "claim_job",
        "commit_result",
        "submit_result",
        "reveal_result",
        "abandon_job",
        "settle_job",
        "expire_job",
        "release_slot",
        "close_job",
        "cancel_job",
        "donation",
    ] {
        assert!(
            all.accepted.get(what).copied().unwrap_or(0) > 0,
            "no successful {what}"
        );
    }
}

#[test]
fn property_sbf() {
    run(Backend::Sbf);
}

#[test]
fn property_native() {
    run(Backend::Native);
}

/// The same random markets on both builds: every transaction's outcome and written bytes.
#[test]
fn property_parity() {
    for seed in 100..103 {
        let sbf = random_market(Backend::Sbf, seed, STEPS).0;
        let native = random_market(Backend::Native, seed, STEPS).0;
        assert_parity(&sbf, &native);
    }
}
dual_test!(settlement_attacks => settlement::attacks);
