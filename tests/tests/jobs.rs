//! Jobs program: markets, posting, cancellation, claims, abandon and commit-reveal, on SBF
//! and natively, compared.

use depin_tests::{
    dual_test,
    scenarios::{jobs, settlement},
};

dual_test!(post_cancel_claim => jobs::post_cancel_claim);
dual_test!(attacks => jobs::attacks);
dual_test!(commit_reveal => jobs::commit_reveal);
dual_test!(lifecycle_replicas_1 => settlement::replicas_1);
dual_test!(lifecycle_replicas_2 => settlement::replicas_2);
dual_test!(lifecycle_replicas_3 => settlement::replicas_3);
dual_test!(lifecycle_replicas_8 => settlement::replicas_8);
