//! Comparing what is on chain with the plan: an account that exists must be the one the plan
//! would have created, field by field. A pool or market created first by someone else (front-
//! running the migration) is refused with the fields that differ, never adopted.

use anchor_lang::prelude::Pubkey;
use depin_client::{pda, Market, Pool};

use crate::Plan;

fn differ<T: PartialEq + std::fmt::Debug>(out: &mut Vec<String>, name: &str, have: T, want: T) {
    if have != want {
        out.push(format!("{name} is {have:?}, the plan says {want:?}"));
    }
}

/// The fields of an existing pool that differ from what the plan would create.
pub fn pool_differences(p: &Pool, admin: &Pubkey, treasury: &Pubkey, plan: &Plan) -> Vec<String> {
    let mut d = Vec::new();
    differ(&mut d, "admin", p.admin, *admin);
    differ(&mut d, "slasher", p.slasher, pda::slasher().0);
    differ(&mut d, "treasury", p.treasury, *treasury);
    differ(
        &mut d,
        "unbonding_seconds",
        p.unbonding_seconds,
        plan.unbonding_seconds,
    );
    if let Some(m) = plan.stake_mint {
        differ(&mut d, "stake_mint", p.stake_mint, m);
    }
    d
}

/// The fields of an existing market that differ from what the plan would create (its current
/// config; a rate change the admin announced since is the admin's own and not compared).
pub fn market_differences(
    m: &Market,
    admin: &Pubkey,
    payment_mint: &Pubkey,
    pool: &Pubkey,
    plan: &Plan,
) -> Vec<String> {
    let mut d = Vec::new();
    differ(&mut d, "admin", m.admin, *admin);
    differ(&mut d, "payment_mint", m.payment_mint, *payment_mint);
    differ(&mut d, "staking_pool", m.staking_pool, *pool);
    let want = &plan.market;
    let c = &m.config;
    differ(&mut d, "fee_bps", c.fee_bps, want.fee_bps);
    differ(&mut d, "min_bond", c.min_bond, want.min_bond);
    differ(
        &mut d,
        "claim_window_secs",
        c.claim_window_secs,
        want.claim_window_secs,
    );
    differ(
        &mut d,
        "execution_window_secs",
        c.execution_window_secs,
        want.execution_window_secs,
    );
    differ(
        &mut d,
        "reveal_window_secs",
        c.reveal_window_secs,
        want.reveal_window_secs,
    );
    differ(&mut d, "max_replicas", c.max_replicas, want.max_replicas);
    differ(
        &mut d,
        "slash_wrong_bps",
        c.slash_wrong_bps,
        want.slash_wrong_bps,
    );
    differ(
        &mut d,
        "slash_noshow_bps",
        c.slash_noshow_bps,
        want.slash_noshow_bps,
    );
    differ(
        &mut d,
        "abandon_penalty_bps",
        c.abandon_penalty_bps,
        want.abandon_penalty_bps,
    );
    d
}
