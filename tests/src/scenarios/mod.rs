//! Scenarios, each a `fn(Backend) -> TestChain` run by the `dual_test!` tests in `tests/` (and
//! reused by the scenario report).

pub mod governance;
pub mod jobs;
pub mod jobs_property;
pub mod private;
pub mod settlement;
pub mod smoke;
pub mod staking;
pub mod staking_property;
pub mod verdict;
