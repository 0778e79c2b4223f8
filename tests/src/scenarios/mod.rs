//! Scenarios, each a `fn(Backend) -> TestChain` run by the `dual_test!` tests in `tests/` (and
//! reused by the demo and the compute-unit report).

pub mod smoke;
