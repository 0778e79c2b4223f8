//! The `depin` command's library part: the command context ([`ctx`]), defaults set once
//! ([`profile`]), keys and balances ([`wallet`]), the local chain ([`localnet`]), the demo
//! ([`demo`]) and the benchmarks ([`bench`]), shared with the end-to-end tests.

pub mod bench;
pub mod crank;
pub mod ctx;
pub mod dashboard;
pub mod demo;
pub mod follow;
pub mod jobview;
pub mod localnet;
pub mod private;
pub mod profile;
pub mod topology;
pub mod wallet;

use anchor_lang::prelude::Pubkey;
use depin_worker::Worker;

/// The earliest claim of `job` among `workers`: (unix ms the claim was sent, slot at which
/// that worker first saw the job).
pub fn first_claim<'a>(
    workers: impl IntoIterator<Item = &'a Worker>,
    job: &Pubkey,
) -> anyhow::Result<Option<(u64, u64)>> {
    let mut first: Option<(u64, u64)> = None;
    for w in workers {
        if let Some((ms, slot)) = w.claim_timing(job)? {
            if first.is_none_or(|(m, _)| ms < m) {
                first = Some((ms, slot));
            }
        }
    }
    Ok(first)
}
