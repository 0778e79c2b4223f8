//! Verdict integrity attacks (issue #14): one named test per attack, each on SBF, natively and
//! compared, with the attacker's and the honest providers' payoffs computed in the scenario.

use depin_tests::{dual_test, scenarios::verdict as v};

dual_test!(ranked_assignment => v::ranked_assignment);
dual_test!(honest_claims_do_not_collide => v::honest_claims_do_not_collide);
dual_test!(attack_sybil_majority => v::sybil_majority);
dual_test!(attack_requester_free_ride => v::requester_free_ride);
dual_test!(attack_slot_squatting => v::slot_squatting);
dual_test!(attack_selective_reveal => v::selective_reveal);
dual_test!(attack_commitment_front_run => v::commitment_front_run);
