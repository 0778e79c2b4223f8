//! Jobs program: markets, posting, cancellation and claims, on SBF and natively, compared.

use depin_tests::{dual_test, scenarios::jobs};

dual_test!(post_cancel_claim => jobs::post_cancel_claim);
dual_test!(attacks => jobs::attacks);
