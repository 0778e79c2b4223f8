//! Jobs program: markets, posting, cancellation, claims, abandon and commit-reveal, on SBF
//! and natively, compared.

use depin_tests::{dual_test, scenarios::jobs};

dual_test!(post_cancel_claim => jobs::post_cancel_claim);
dual_test!(attacks => jobs::attacks);
dual_test!(commit_reveal => jobs::commit_reveal);
