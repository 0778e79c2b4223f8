//! Staking program: every instruction on SBF and natively, compared; the property run.

use depin_tests::{
    assert_parity, dual_test,
    scenarios::{staking, staking_property::random_sequence},
    Backend,
};

dual_test!(lifecycle => staking::lifecycle);
dual_test!(admin_and_pause => staking::admin_and_pause);
dual_test!(attacks => staking::attacks);
dual_test!(u64_edges => staking::u64_edges);

/// Sequences per backend (override with DEPIN_PROPERTY_SEQUENCES) and steps per sequence.
fn sequences() -> u64 {
    depin_tests::property_sequences(48)
}
const STEPS: usize = 60;

fn run(backend: Backend) {
    let n = sequences();
    let mut txs = 0;
    for seed in 0..n {
        txs += random_sequence(backend, seed, STEPS).transcript.len();
    }
    eprintln!("staking property ({backend:?}): {n} sequences x {STEPS} steps, {txs} transactions, all invariants held");
}

#[test]
fn property_sbf() {
    run(Backend::Sbf);
}

#[test]
fn property_native() {
    run(Backend::Native);
}

#[test]
fn property_parity() {
    for seed in 1000..1004 {
        assert_parity(
            &random_sequence(Backend::Sbf, seed, STEPS),
            &random_sequence(Backend::Native, seed, STEPS),
        );
    }
}
