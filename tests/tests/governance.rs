//! Funds safety and governance attacks (issue #13): one named test per attack, each on SBF,
//! natively and compared.

use depin_tests::{dual_test, scenarios::governance as g};

dual_test!(donation_to_stake_vault => g::donation_to_stake_vault);
dual_test!(donation_to_escrow_and_fee_vault => g::donation_to_escrow_and_fee_vault);
dual_test!(prefunded_addresses => g::prefunded_addresses);
dual_test!(front_run_pool_creation => g::front_run_pool_creation);
dual_test!(front_run_market_creation => g::front_run_market_creation);
dual_test!(creation_only_at_canonical_addresses => g::creation_only_at_canonical_addresses);
dual_test!(rate_caps => g::rate_caps);
dual_test!(rate_increase_needs_notice => g::rate_increase_needs_notice);
dual_test!(fee_vault_cannot_block_refunds => g::fee_vault_cannot_block_refunds);
dual_test!(stolen_operator_key => g::stolen_operator_key);
dual_test!(policy_only_by_its_provider => g::policy_only_by_its_provider);

/// Natively only: see `governance::prefunded_addresses` (open SBF finding of the upstream route).
#[test]
fn prefunded_market_native() {
    g::prefunded_market(depin_tests::Backend::Native);
}
