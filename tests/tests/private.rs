//! Private jobs and allow-listed markets: one scenario per case, on SBF and natively, compared.

use depin_tests::{dual_test, scenarios::private};

dual_test!(private_lifecycle => private::private_lifecycle);
dual_test!(withheld_keys_cost_claimants_nothing => private::withheld_keys_cost_claimants_nothing);
dual_test!(selective_keys_pay_the_worker_and_cost_the_rest_nothing => private::selective_keys_pay_the_worker_and_cost_the_rest_nothing);
dual_test!(a_bad_key_is_refused_free_within_the_grace => private::a_bad_key_is_refused_free_within_the_grace);
dual_test!(unkeyed_abandon_before_the_key_deadline_pays_the_penalty => private::unkeyed_abandon_before_the_key_deadline_pays_the_penalty);
dual_test!(deliver_key_by_a_stranger => private::deliver_key_by_a_stranger);
dual_test!(deliver_key_for_another_holder => private::deliver_key_for_another_holder);
dual_test!(deliver_key_twice => private::deliver_key_twice);
dual_test!(deliver_key_after_the_key_deadline => private::deliver_key_after_the_key_deadline);
dual_test!(deliver_key_to_a_public_job_or_empty => private::deliver_key_to_a_public_job_or_empty);
dual_test!(allow_list_refuses_the_unaccredited => private::allow_list_refuses_the_unaccredited);
dual_test!(allow_list_admits_only_the_accredited => private::allow_list_admits_only_the_accredited);
dual_test!(accreditation_is_the_admins_and_revocable => private::accreditation_is_the_admins_and_revocable);
dual_test!(key_games_cannot_get_an_honest_minority_slashed => private::key_games_cannot_get_an_honest_minority_slashed);
dual_test!(a_provider_that_gave_back_can_never_claim_the_job_again => private::a_provider_that_gave_back_can_never_claim_the_job_again);
