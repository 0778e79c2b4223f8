//! Smoke scenarios of both programs, each on SBF, natively, and compared.

use depin_tests::{dual_test, scenarios::smoke};

dual_test!(smoke_staking => smoke::staking);
dual_test!(smoke_jobs => smoke::jobs);
