//! Settlement scenarios: whole job lifecycles for 1, 2, 3 and 8 replicas (all agree, a liar,
//! a no-show, no quorum, a deterministic failure agreed by all, abandon and re-claim, a missed
//! deadline and re-claim, cancel, expire), each checked token by token against an explicit
//! table of what every role must receive or lose.

use anchor_lang::prelude::Pubkey;
use depin_client::{ix, pda};
use depin_core::settle::outcome;
use depin_jobs::{
    events as ev,
    instructions::{PostJobArgs, SubmitArgs},
    state::job_status,
};
use solana_sdk::signature::Signer;

use super::{
    jobs::{JobsWorld, REQUESTER_TOKENS},
    staking::TestProvider,
};
use crate::{Backend, TestChain};

/// Reward per replica in the scenarios (from [`JobsWorld::args`]).
pub const REWARD: u64 = 10_000;
/// Bond per claimant.
pub const BOND: u64 = 5_000;
/// Fee on one payout: ceil(10 000 × 2.5 %).
pub const FEE: u64 = 250;
/// A winner's payout.
pub const PAYOUT: u64 = REWARD - FEE;
/// Penalty for a wrong result: 50 % of the bond.
pub const WRONG: u64 = 2_500;
/// Penalty for a no-show: 20 % of the bond.
pub const NOSHOW: u64 = 1_000;
/// Penalty for abandoning: 1 % of the bond.
pub const ABANDON: u64 = 50;

/// What one claimant does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Commits and reveals result number `n` (see [`result`]).
    Reveal(u8),
    /// Claims and never commits.
    NoShow,
    /// Commits and never reveals.
    Silent,
    /// Claims a private job whose key never comes: owes nothing, is paid nothing.
    Unkeyed,
}

/// Result number `n`: output `n` with exit code 0; number 255 is a deterministic failure
/// (a trap, exit code 101, its message as output), agreed on like any other result.
pub fn result(n: u8) -> [u8; 32] {
    if n == 255 {
        depin_core::hash::result_hash(101, b"wasm trap: unreachable", b"")
    } else {
        depin_core::hash::result_hash(0, &[n], b"")
    }
}

/// How a job is expected to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Result number `n` wins.
    Agreed(u8),
    /// No group reaches the quorum (revealers are paid, nobody who revealed is slashed).
    NoQuorum,
    /// The job never had a quorum of claimants when the claim window closed.
    Expired,
}

impl Expect {
    /// The payout and penalty `role` must see — the protocol's rules written out as a table,
    /// independently of `depin_core::settle`. A revealer of a job without a quorum did the
    /// work and is paid; a withheld reveal costs the larger slash (here the wrong-result one).
    fn amounts(self, role: Role) -> (u64, u64) {
        match (self, role) {
            (Expect::Expired, _) => (0, 0),
            (Expect::Agreed(w), Role::Reveal(n)) if n == w => (PAYOUT, 0),
            (Expect::Agreed(_), Role::Reveal(_)) => (0, WRONG),
            (Expect::NoQuorum, Role::Reveal(_)) => (PAYOUT, 0),
            (_, Role::Silent) => (0, WRONG.max(NOSHOW)),
            (_, Role::NoShow) => (0, NOSHOW),
            (_, Role::Unkeyed) => (0, 0),
        }
    }

    /// Whether `role` counts as a completed job for its provider (winners only).
    fn completed(self, role: Role) -> bool {
        matches!((self, role), (Expect::Agreed(w), Role::Reveal(n)) if n == w)
    }

    fn outcome(self) -> u8 {
        match self {
            Expect::Agreed(_) => outcome::AGREED,
            Expect::NoQuorum => outcome::NO_QUORUM,
            Expect::Expired => outcome::EXPIRED,
        }
    }
}

/// A market with nine staked providers, each with a payment-mint account for payouts.
pub struct SettleWorld {
    /// Market, pool, requester.
    pub w: JobsWorld,
    /// Providers (stake 100 000 each).
    pub ps: Vec<TestProvider>,
    /// Each provider authority's payment-mint account.
    pub pay: Vec<Pubkey>,
    next_nonce: u64,
}

impl SettleWorld {
    /// The world, nine providers.
    pub fn new(backend: Backend) -> Self {
        let mut w = JobsWorld::new(backend);
        let mut ps = Vec::new();
        let mut pay = Vec::new();
        for i in 0..9 {
            let p = w.s.staked_provider(&format!("sp{i}"), 100_000, 100_000);
            pay.push(w.s.chain.create_token_account(
                &format!("sp{i}-pay"),
                &w.pay_mint,
                &p.owner.pubkey(),
                0,
            ));
            ps.push(p);
        }
        SettleWorld {
            w,
            ps,
            pay,
            next_nonce: 100,
        }
    }

    /// The chain.
    pub fn chain(&mut self) -> &mut TestChain {
        &mut self.w.s.chain
    }

    /// Post a job with `replicas` and advance to its open claim phase; returns its address.
    pub fn post(&mut self, replicas: u8) -> Pubkey {
        self.next_nonce += 1;
        self.w.post(self.next_nonce, replicas)
    }

    /// Provider `i` commits (or, for a one-replica job, submits) result `n` on `job`.
    pub fn commit(&mut self, i: usize, job: &Pubkey, n: u8, single: bool) {
        let p = &self.ps[i];
        let ix_ = if single {
            let args = SubmitArgs {
                result_hash: result(n),
                result_uri: format!("file:///out/{}", p.account),
            };
            ix::jobs::submit_result(&p.operator.pubkey(), &p.account, job, args)
        } else {
            self.w.commit_ix(p, job, result(n), [i as u8; 32])
        };
        let operator = p.operator.insecure_clone();
        self.chain()
            .ok(&format!("sp{i} commits"), &[ix_], &[&operator]);
    }

    /// Provider `i` reveals result `n` on `job`.
    pub fn reveal(&mut self, i: usize, job: &Pubkey, n: u8) {
        let p = &self.ps[i];
        let ix_ = self.w.reveal_ix(p, job, result(n), [i as u8; 32]);
        let operator = p.operator.insecure_clone();
        self.chain()
            .ok(&format!("sp{i} reveals"), &[ix_], &[&operator]);
    }

    /// Each `claimants[k]` commits as `roles[k]` says (a `Silent` one commits a result it will
    /// never reveal; a `NoShow` nothing).
    pub fn commit_roles(
        &mut self,
        job: &Pubkey,
        claimants: &[usize],
        roles: &[Role],
        single: bool,
    ) {
        for (&i, role) in claimants.iter().zip(roles) {
            match *role {
                Role::Reveal(n) => self.commit(i, job, n, single),
                Role::Silent => self.commit(i, job, 0x5a, single),
                Role::NoShow | Role::Unkeyed => {}
            }
        }
    }

    /// Each `claimants[k]` whose role is `Reveal(n)` reveals result `n`.
    pub fn reveal_roles(&mut self, job: &Pubkey, claimants: &[usize], roles: &[Role]) {
        for (&i, role) in claimants.iter().zip(roles) {
            if let Role::Reveal(n) = *role {
                self.reveal(i, job, n);
            }
        }
    }

    /// Provider `i` claims `job`.
    pub fn claim(&mut self, i: usize, job: &Pubkey) {
        let ix_ = self.w.claim_ix(&self.ps[i], job);
        let operator = self.ps[i].operator.insecure_clone();
        self.chain()
            .ok(&format!("sp{i} claims"), &[ix_], &[&operator]);
    }

    /// Warp to `t` if it is later than now.
    pub fn warp_to(&mut self, t: i64) {
        if self.chain().now() < t {
            self.chain().set_unix_timestamp(t);
        }
    }

    /// Settle (or expire) `job`, release every held slot (the instruction's accounts chosen
    /// from the job as a crank would), close it; check every token and every bond.
    /// `claimants[k]` is the provider index that holds slot `k`; `roles[k]` what it did.
    pub fn finish(&mut self, job: &Pubkey, claimants: &[usize], roles: &[Role], expect: Expect) {
        let j = self.w.job(job);
        let before: Vec<_> = claimants
            .iter()
            .map(|&i| {
                let st = self.w.s.provider_state(&self.ps[i]);
                (st, self.w.s.chain.token_balance(&self.pay[i]))
            })
            .collect();
        // What the pool treasury holds once everything slashed so far is swept.
        let pool_treasury = self.w.s.chain.token_balance(&self.w.s.treasury)
            + self.w.s.pool_state().pending_slashed;
        let fee_treasury = self.w.s.chain.token_balance(&self.w.fee_vault);
        let requester_tokens = self.w.s.chain.token_balance(&self.w.requester_tokens);
        let requester = self.w.requester.pubkey();
        let escrow = self.w.escrow_of(job);
        let rent = self.w.s.chain.svm.get_balance(job).unwrap()
            + self.w.s.chain.svm.get_balance(&escrow).unwrap();
        let lamports = self.w.s.chain.svm.get_balance(&requester).unwrap();

        // Settle or expire, by the permissionless crank (the chain's payer).
        if expect == Expect::Expired {
            self.chain()
                .fail("settle an expirable job", &[ix::jobs::settle_job(job)], &[])
                .assert_error(depin_jobs::JobsError::JobExpirable);
            let sent = self.chain().ok("expire", &[ix::jobs::expire_job(job)], &[]);
            if let Some(e) = self.w.s.chain.event::<ev::JobExpired>(&sent) {
                assert_eq!((e.job, e.held, e.quorum), (*job, j.claimed, j.quorum));
            }
        } else {
            let sent = self.chain().ok("settle", &[ix::jobs::settle_job(job)], &[]);
            if let Some(e) = self.w.s.chain.event::<ev::JobSettled>(&sent) {
                assert_eq!((e.job, e.outcome), (*job, expect.outcome()));
            }
        }
        let settled = self.w.job(job);
        assert_eq!(
            (settled.status, settled.outcome),
            (job_status::SETTLED, expect.outcome())
        );
        if let Expect::Agreed(n) = expect {
            assert_eq!(settled.agreed_hash, result(n));
            let winners = roles.iter().filter(|r| **r == Role::Reveal(n)).count();
            assert_eq!(settled.winners as usize, winners);
        }
        self.chain()
            .fail("settle twice", &[ix::jobs::settle_job(job)], &[])
            .assert_error(depin_jobs::JobsError::JobNotOpen);

        // Release every held slot.
        let keys = self.w.keys();
        let (mut paid, mut fees, mut penalties) = (0, 0, 0);
        for (k, (&i, &role)) in claimants.iter().zip(roles).enumerate() {
            let slot = settled
                .slot_of(&self.ps[i].account)
                .expect("claimant holds a slot");
            let release = ix::jobs::release_for(&settled, slot, self.pay[i]).unwrap();
            let ix_ = ix::jobs::release_slot(&keys, job, &escrow, &self.ps[i].account, release);
            let sent = self
                .chain()
                .ok(&format!("release sp{i}"), &[ix_.clone()], &[]);
            let (payout, penalty) = expect.amounts(role);
            let fee = if payout > 0 { FEE } else { 0 };
            if let Some(e) = self.w.s.chain.event::<ev::SlotReleased>(&sent) {
                assert_eq!(
                    (e.provider, e.payout, e.fee, e.penalty, e.released),
                    (self.ps[i].account, payout, fee, penalty, BOND - penalty)
                );
            }
            self.chain()
                .fail(&format!("release sp{i} twice"), &[ix_], &[])
                .assert_error(depin_jobs::JobsError::SlotAlreadyReleased);
            let (st0, pay0) = &before[k];
            let st = self.w.s.provider_state(&self.ps[i]);
            assert_eq!(st.staked, st0.staked - penalty, "sp{i} stake");
            assert_eq!(st.locked, st0.locked - BOND, "sp{i} bond released");
            assert_eq!(
                st.jobs_completed,
                st0.jobs_completed + expect.completed(role) as u64,
                "sp{i} completed"
            );
            assert_eq!(
                st.jobs_slashed,
                st0.jobs_slashed + (penalty > 0) as u64,
                "sp{i} slashed"
            );
            assert_eq!(
                self.w.s.chain.token_balance(&self.pay[i]),
                pay0 + payout,
                "sp{i} paid"
            );
            paid += payout;
            fees += fee;
            penalties += penalty;
        }

        // Penalties wait in the vault until the (permissionless) sweep sends them on.
        if self.w.s.pool_state().pending_slashed > 0 {
            let sweep = ix::staking::sweep_slashed(&self.w.s.mint, &self.w.s.treasury);
            self.chain().ok("sweep penalties", &[sweep], &[]);
        }

        // Close: fees to the market treasury, the rest back, rent back; exact conservation.
        let close = ix::jobs::close_job(&keys, job, &escrow, &requester, &self.w.requester_tokens);
        let sent = self.chain().ok("close", &[close], &[]);
        let refund = j.deposited - paid - fees;
        if let Some(e) = self.w.s.chain.event::<ev::JobClosed>(&sent) {
            assert_eq!(
                (e.job, e.outcome, e.paid, e.fees, e.refund),
                (*job, expect.outcome(), paid, fees, refund)
            );
        }
        let c = &self.w.s.chain;
        assert!(
            !c.exists(job) && !c.exists(&escrow),
            "job and escrow closed"
        );
        assert_eq!(c.token_balance(&self.w.fee_vault), fee_treasury + fees);
        assert_eq!(
            c.token_balance(&self.w.requester_tokens),
            requester_tokens + refund
        );
        assert_eq!(
            c.token_balance(&self.w.s.treasury),
            pool_treasury + penalties
        );
        assert_eq!(c.svm.get_balance(&requester).unwrap(), lamports + rent);
        assert_eq!(j.deposited, paid + fees + refund);
        let all: Vec<&TestProvider> = self.ps.iter().collect();
        self.w.s.assert_invariants(&all);
    }

    /// A whole lifecycle: post, claims by providers `0..roles.len()`, commits, reveals (time
    /// moved only as far as the rules require), then [`Self::finish`].
    pub fn lifecycle(&mut self, replicas: u8, roles: &[Role], expect: Expect) {
        let job = self.post(replicas);
        let single = replicas == 1;
        let claimants: Vec<usize> = (0..roles.len()).collect();
        for &i in &claimants {
            self.claim(i, &job);
        }
        self.commit_roles(&job, &claimants, roles, single);
        let j = self.w.job(&job);
        if roles.contains(&Role::NoShow) {
            self.warp_to(j.commit_deadline);
        } else if (roles.len() as u8) < replicas {
            self.warp_to(j.claim_deadline);
        }
        if !single {
            self.reveal_roles(&job, &claimants, roles);
        }
        if roles.iter().any(|r| !matches!(r, Role::Reveal(_))) {
            self.chain()
                .fail(
                    "settle before the reveal deadline",
                    &[ix::jobs::settle_job(&job)],
                    &[],
                )
                .assert_error(depin_jobs::JobsError::SettleTooEarly);
            self.warp_to(j.reveal_deadline);
        }
        self.finish(&job, &claimants, roles, expect);
    }
}

use Expect::{Agreed, NoQuorum};
use Role::{NoShow, Reveal, Silent};

/// Single replica: the fast path (submit, settle at once), the same job through
/// commit-reveal, a deterministic failure, a no-show, abandon and re-claim, expiry and cancel.
/// ("One liar" has no meaning here: with one replica there is nobody to disagree with, which
/// is why the fast path is for work that is not bit-reproducible.)
pub fn replicas_1(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    sw.lifecycle(1, &[Reveal(1)], Agreed(1));
    sw.lifecycle(1, &[Reveal(255)], Agreed(255));
    sw.lifecycle(1, &[NoShow], NoQuorum);
    // The same job through commit-reveal (also allowed for one replica).
    let job = sw.post(1);
    sw.claim(0, &job);
    sw.commit(0, &job, 7, false);
    sw.reveal(0, &job, 7);
    sw.finish(&job, &[0], &[Reveal(7)], Agreed(7));
    // submit_result is refused on a multi-replica job.
    let job = sw.post(3);
    sw.claim(0, &job);
    let p = &sw.ps[0];
    let args = SubmitArgs {
        result_hash: result(1),
        result_uri: "file:///out".into(),
    };
    let ix_ = ix::jobs::submit_result(&p.operator.pubkey(), &p.account, &job, args);
    let owner = p.operator.insecure_clone();
    sw.chain()
        .fail("submit on a 3-replica job", &[ix_], &[&owner])
        .assert_error(depin_jobs::JobsError::NotSingleReplica);
    abandon_and_reclaim(&mut sw, 1);
    expire_and_cancel(&mut sw, 1);
    sw.w.s.chain
}

/// Five replicas, quorum three (set by the protocol): agreement with two liars, a split with
/// no group of three (every revealer paid), a withheld reveal, abandon + re-claim, expiry.
pub fn replicas_5(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    sw.lifecycle(5, &[Reveal(1); 5], Agreed(1));
    let two_liars = [Reveal(1), Reveal(2), Reveal(1), Reveal(3), Reveal(1)];
    sw.lifecycle(5, &two_liars, Agreed(1));
    let split = [Reveal(1), Reveal(2), Reveal(1), Reveal(2), NoShow];
    sw.lifecycle(5, &split, NoQuorum);
    let withheld = [Reveal(1), Reveal(1), Silent, Reveal(1), Reveal(2)];
    sw.lifecycle(5, &withheld, Agreed(1));
    abandon_and_reclaim(&mut sw, 5);
    expire_and_cancel(&mut sw, 5);
    sw.w.s.chain
}

/// Three replicas, quorum two: every outcome, including a provider that commits and never
/// reveals, and a late holder evicted and replaced.
pub fn replicas_3(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    sw.lifecycle(3, &[Reveal(1), Reveal(1), Reveal(1)], Agreed(1));
    sw.lifecycle(3, &[Reveal(1), Reveal(2), Reveal(1)], Agreed(1));
    sw.lifecycle(3, &[Reveal(1), NoShow, Reveal(1)], Agreed(1));
    sw.lifecycle(3, &[Reveal(1), Reveal(1), Silent], Agreed(1));
    sw.lifecycle(3, &[Reveal(1), Reveal(2), Reveal(3)], NoQuorum);
    sw.lifecycle(3, &[Reveal(1), Reveal(2), NoShow], NoQuorum);
    sw.lifecycle(3, &[Reveal(1), Silent, Reveal(2)], NoQuorum);
    sw.lifecycle(3, &[Reveal(255), Reveal(255), Reveal(255)], Agreed(255));
    // Two claims of three, both in: settles once the claim window closes.
    sw.lifecycle(3, &[Reveal(4), Reveal(4)], Agreed(4));
    abandon_and_reclaim(&mut sw, 3);
    missed_deadline_and_reclaim(&mut sw);
    expire_and_cancel(&mut sw, 3);
    sw.w.s.chain
}

/// Seven replicas (the most), quorum four.
pub fn replicas_7(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    let all = [Reveal(1); 7];
    sw.lifecycle(7, &all, Agreed(1));
    let mut liar = all;
    liar[3] = Reveal(2);
    sw.lifecycle(7, &liar, Agreed(1));
    let mut noshow = all;
    noshow[6] = NoShow;
    sw.lifecycle(7, &noshow, Agreed(1));
    let split = [
        Reveal(1),
        Reveal(2),
        Reveal(1),
        Reveal(2),
        Reveal(1),
        Reveal(2),
        Reveal(3),
    ];
    sw.lifecycle(7, &split, NoQuorum);
    sw.lifecycle(7, &[Reveal(255); 7], Agreed(255));
    abandon_and_reclaim(&mut sw, 7);
    expire_and_cancel(&mut sw, 7);
    sw.w.s.chain
}

/// Provider 0 claims and abandons (1 % penalty), provider `replicas` takes the freed slot, and
/// everyone agrees.
fn abandon_and_reclaim(sw: &mut SettleWorld, replicas: u8) {
    let job = sw.post(replicas);
    sw.claim(0, &job);
    let staked = sw.w.s.provider_state(&sw.ps[0]).staked;
    let ix_ = sw.w.abandon_ix(&sw.ps[0], &job);
    let operator = sw.ps[0].operator.insecure_clone();
    sw.chain().ok("sp0 abandons", &[ix_], &[&operator]);
    assert_eq!(sw.w.s.provider_state(&sw.ps[0]).staked, staked - ABANDON);
    let claimants: Vec<usize> = (1..=replicas as usize).collect();
    for &i in &claimants {
        sw.claim(i, &job);
    }
    for &i in &claimants {
        sw.commit(i, &job, 3, replicas == 1);
    }
    if replicas > 1 {
        for &i in &claimants {
            sw.reveal(i, &job, 3);
        }
    }
    let roles = vec![Reveal(3); claimants.len()];
    sw.finish(&job, &claimants, &roles, Agreed(3));
}

/// A holder lets its slot deadline pass: before it, nobody can evict it; after it, anyone can
/// (no-show penalty), and another provider claims the slot while the claim window is open.
fn missed_deadline_and_reclaim(sw: &mut SettleWorld) {
    let job = sw.post(3);
    sw.claim(0, &job);
    sw.claim(1, &job);
    let keys = sw.w.keys();
    let late = sw.ps[1].account;
    sw.chain()
        .fail(
            "evict before the slot deadline",
            &[ix::jobs::reclaim_slot(&keys, &job, &late)],
            &[],
        )
        .assert_error(depin_jobs::JobsError::SlotNotLate);
    let j = sw.w.job(&job);
    let deadline = j.slot_deadline(1);
    assert!(
        deadline < j.claim_deadline,
        "test market: execution < claim window"
    );
    sw.warp_to(deadline);
    let owner = sw.ps[1].operator.insecure_clone();
    let ix_ = sw.w.commit_ix(&sw.ps[1], &job, result(1), [1; 32]);
    sw.chain()
        .fail("commit after the slot deadline", &[ix_], &[&owner])
        .assert_error(depin_jobs::JobsError::CommitWindowClosed);
    let staked = sw.w.s.provider_state(&sw.ps[1]).staked;
    let sent = sw.chain().ok(
        "evict the late holder",
        &[ix::jobs::reclaim_slot(&keys, &job, &late)],
        &[],
    );
    if let Some(e) = sw.w.s.chain.event::<ev::SlotReclaimed>(&sent) {
        assert_eq!(
            (e.provider, e.penalty, e.released),
            (late, NOSHOW, BOND - NOSHOW)
        );
    }
    let st = sw.w.s.provider_state(&sw.ps[1]);
    assert_eq!((st.staked, st.locked), (staked - NOSHOW, 0));
    assert_eq!(sw.w.job(&job).claimed, 1);
    // Provider 0 claimed at posting: its own deadline has passed too, and it is evicted.
    let first = sw.ps[0].account;
    sw.chain().ok(
        "evict sp0 as well",
        &[ix::jobs::reclaim_slot(&keys, &job, &first)],
        &[],
    );
    for i in 2..5 {
        sw.claim(i, &job);
    }
    for i in 2..5 {
        sw.commit(i, &job, 1, false);
    }
    for i in 2..5 {
        sw.reveal(i, &job, 1);
    }
    sw.finish(&job, &[2, 3, 4], &[Reveal(1); 3], Agreed(1));
}

/// Expire: the claim window closes with fewer claims than the quorum; bonds released in full,
/// everything refunded. Cancel: before any claim, refunded and closed by the requester.
fn expire_and_cancel(sw: &mut SettleWorld, replicas: u8) {
    let quorum = depin_core::settle::quorum_for(replicas);
    let job = sw.post(replicas);
    let claimants: Vec<usize> = (0..quorum as usize - 1).collect();
    for &i in &claimants {
        sw.claim(i, &job);
    }
    sw.chain()
        .fail(
            "expire while claims are open",
            &[ix::jobs::expire_job(&job)],
            &[],
        )
        .assert_error(depin_jobs::JobsError::NotExpirable);
    let j = sw.w.job(&job);
    sw.warp_to(j.claim_deadline);
    let roles = vec![NoShow; claimants.len()];
    sw.finish(&job, &claimants, &roles, Expect::Expired);

    // A job that reached its quorum does not expire.
    let job = sw.post(replicas);
    for i in 0..quorum as usize {
        sw.claim(i, &job);
    }
    let j = sw.w.job(&job);
    sw.warp_to(j.claim_deadline);
    sw.chain()
        .fail("expire a job at quorum", &[ix::jobs::expire_job(&job)], &[])
        .assert_error(depin_jobs::JobsError::NotExpirable);
    sw.warp_to(j.reveal_deadline);
    let claimants: Vec<usize> = (0..quorum as usize).collect();
    let roles = vec![NoShow; claimants.len()];
    sw.finish(&job, &claimants, &roles, NoQuorum);

    let before = sw.w.s.chain.token_balance(&sw.w.requester_tokens);
    let job = sw.post(replicas);
    let requester = sw.w.requester.insecure_clone();
    let escrow = sw.w.escrow_of(&job);
    let cancel = ix::jobs::cancel_job(&requester.pubkey(), &job, &escrow, &sw.w.requester_tokens);
    sw.chain().ok("cancel", &[cancel], &[&requester]);
    assert!(!sw.w.s.chain.exists(&job));
    assert_eq!(sw.w.s.chain.token_balance(&sw.w.requester_tokens), before);
    assert!(sw.w.s.chain.token_balance(&sw.w.requester_tokens) <= REQUESTER_TOKENS);
}

/// Compute units of one whole job lifecycle on the SBF build.
#[derive(Debug, Clone)]
pub struct LifecycleCost {
    /// What was run.
    pub name: String,
    /// Successful transactions (post, claims, commits/submits, reveals, settle, releases,
    /// close).
    pub transactions: u32,
    /// Their compute units, summed.
    pub compute_units: u64,
    /// The most expensive of them.
    pub max_transaction: u64,
}

/// Run one lifecycle of `replicas` with `roles` on the SBF build and sum its successful
/// transactions. Left out: the refused ones `finish` sends to check double settlement, and
/// `sweep_slashed`, which is per pool, not per job (one sweep moves every penalty slashed since
/// the last one; it costs about 12.9k CU).
pub fn lifecycle_cost(name: &str, replicas: u8, roles: &[Role], expect: Expect) -> LifecycleCost {
    let mut sw = SettleWorld::new(Backend::Sbf);
    let start = sw.chain().transcript.len();
    sw.lifecycle(replicas, roles, expect);
    let steps = &sw.chain().transcript[start..];
    let ok: Vec<u64> = steps
        .iter()
        .filter(|s| s.outcome.is_ok() && !s.label.starts_with("sweep"))
        .map(|s| s.compute_units)
        .collect();
    LifecycleCost {
        name: name.to_owned(),
        transactions: ok.len() as u32,
        compute_units: ok.iter().sum(),
        max_transaction: ok.iter().copied().max().unwrap_or(0),
    }
}

/// The lifecycles the benchmark reports: 1 replica (fast path), 3 and 7 replicas all agreeing,
/// and 3 replicas with a liar.
pub fn benchmark_lifecycles() -> Vec<LifecycleCost> {
    vec![
        lifecycle_cost("1 replica, submit fast path", 1, &[Reveal(1)], Agreed(1)),
        lifecycle_cost("3 replicas, all agree", 3, &[Reveal(1); 3], Agreed(1)),
        lifecycle_cost(
            "3 replicas, one liar",
            3,
            &[Reveal(1), Reveal(2), Reveal(1)],
            Agreed(1),
        ),
        lifecycle_cost("7 replicas, all agree", 7, &[Reveal(1); 7], Agreed(1)),
    ]
}

/// Attack classes on settlement: releases and closes with substituted accounts (escrow of
/// another job, job of another market, payout to a stranger or in the wrong mint, fake token
/// and staking programs, a forged slasher, a pool passed as a provider), a winner released
/// without its payout account, a slash without the pool writable, closing early, stealing the
/// rent or the refund, a donation to the escrow, close-and-revive in one transaction, and
/// settlement arithmetic at the edge of u64 on-chain.
pub fn attacks(backend: Backend) -> TestChain {
    use anchor_lang::error::ErrorCode as A;
    use depin_jobs::JobsError as E;
    let code = |c: A| -> u32 { c.into() };
    let mut sw = SettleWorld::new(backend);
    let keys = sw.w.keys();

    // Job A: three replicas, provider 1 lies; settled, nothing released yet.
    let job = sw.post(3);
    let other = sw.post(1);
    for i in 0..3 {
        sw.claim(i, &job);
    }
    for (i, n) in [(0, 1), (1, 2), (2, 1)] {
        sw.commit(i, &job, n, false);
    }
    let (winner, liar) = (sw.ps[0].account, sw.ps[1].account);
    let pay0 = sw.pay[0];
    let escrow = sw.w.escrow_of(&job);
    let winner_release = |job: &Pubkey| {
        ix::jobs::release_slot(&keys, job, &escrow, &winner, ix::jobs::Release::Pay(pay0))
    };
    sw.chain()
        .fail("release before settlement", &[winner_release(&job)], &[])
        .assert_error(E::JobNotSettled);
    for (i, n) in [(0, 1), (1, 2), (2, 1)] {
        sw.reveal(i, &job, n);
    }
    sw.chain().ok("settle", &[ix::jobs::settle_job(&job)], &[]);

    let with = |f: &dyn Fn(&mut depin_jobs::accounts::ReleaseSlot)| {
        let mut a = ix::jobs::release_slot_accounts(&keys, &job, &escrow, &winner, Some(pay0));
        f(&mut a);
        ix::instruction(depin_jobs::ID, a, depin_jobs::instruction::ReleaseSlot {})
    };
    let other_escrow = sw.w.escrow_of(&other);
    let stranger_pay = sw.pay[5];
    let stake_wallet = sw.ps[0].wallet;
    let pool = sw.w.s.pool;
    let cases: Vec<(&str, solana_sdk::instruction::Instruction, u32)> = vec![
        (
            "escrow of another job",
            with(&|a| a.escrow = other_escrow),
            E::WrongEscrow.into(),
        ),
        (
            "payout to a stranger",
            with(&|a| a.payout_to = Some(stranger_pay)),
            E::WrongTokenOwner.into(),
        ),
        (
            "payout in the stake mint",
            with(&|a| a.payout_to = Some(stake_wallet)),
            E::WrongMint.into(),
        ),
        (
            "winner without a payout account",
            with(&|a| a.payout_to = None),
            E::MissingPayoutAccount.into(),
        ),
        (
            "fake token program",
            with(&|a| a.token_program = depin_jobs::ID),
            code(A::InvalidProgramId),
        ),
        (
            "fake staking program",
            with(&|a| a.bond.staking_program = anchor_spl::token::ID),
            code(A::InvalidProgramId),
        ),
        (
            "forged slasher",
            with(&|a| a.bond.slasher = stranger_pay),
            E::WrongSlasher.into(),
        ),
        (
            "pool passed as the provider",
            with(&|a| a.bond.provider = pool),
            E::NotAProvider.into(),
        ),
        (
            "market passed as the staking pool",
            with(&|a| a.bond.staking_pool = keys.market),
            E::WrongStakingPool.into(),
        ),
    ];
    for (label, ix_, err) in cases {
        sw.chain().fail(label, &[ix_], &[]).assert_error(err);
    }
    let outsider = sw.ps[6].account;
    sw.chain()
        .fail(
            "release a provider that holds no slot",
            &[ix::jobs::release_slot(
                &keys,
                &job,
                &escrow,
                &outsider,
                ix::jobs::Release::Plain,
            )],
            &[],
        )
        .assert_error(E::NotSlotHolder);

    // The job through another market (same pool): refused before any transfer.
    let mut cfg2 = super::jobs::test_config();
    cfg2.market_id = 2;
    let admin = sw.w.s.admin.insecure_clone();
    let deployer = sw.w.s.deployer.insecure_clone();
    let ix_ = ix::jobs::initialize_market(
        &admin.pubkey(),
        &deployer.pubkey(),
        &sw.w.pay_mint,
        &sw.w.s.pool,
        cfg2,
    );
    sw.chain().ok("market 2", &[ix_], &[&admin, &deployer]);
    let keys2 = ix::jobs::MarketKeys {
        market: pda::market(&sw.w.pay_mint, 2).0,
        ..keys
    };
    sw.chain()
        .fail(
            "release through another market",
            &[ix::jobs::release_slot(
                &keys2,
                &job,
                &escrow,
                &winner,
                ix::jobs::Release::Pay(pay0),
            )],
            &[],
        )
        .assert_error(E::WrongMarket);

    // A slash needs the pool, vault and treasury writable: sent read-only, the CPI is refused
    // by the runtime and nothing moves. On the SBF build only: solana-program-test's native
    // CPI path panics on a privilege escalation (`unwrap` on the error) instead of returning
    // it, so the outcome would differ for a harness reason, not a program one.
    if sw.w.s.chain.backend == Backend::Sbf {
        let ro = ix::jobs::release_slot(&keys, &job, &escrow, &liar, ix::jobs::Release::Plain);
        sw.chain()
            .fail("slash with the pool read-only", &[ro], &[])
            .assert_instruction_error(
                solana_sdk::instruction::InstructionError::PrivilegeEscalation,
            );
        assert_eq!(sw.w.s.provider_state(&sw.ps[1]).locked, BOND);
        // Not part of the transcript the parity test compares with the native run.
        sw.chain().transcript.pop();
    }

    // Closing early, or with someone else's accounts.
    let requester = sw.w.requester.pubkey();
    let refund_to = sw.w.requester_tokens;
    let close_with = |f: &dyn Fn(&mut depin_jobs::accounts::CloseJob)| {
        let mut a = ix::jobs::close_job_accounts(&keys, &job, &escrow, &requester, &refund_to);
        f(&mut a);
        ix::instruction(depin_jobs::ID, a, depin_jobs::instruction::CloseJob {})
    };
    sw.chain()
        .fail("close before the releases", &[close_with(&|_| {})], &[])
        .assert_error(E::SlotsNotReleased);
    for i in 0..3 {
        let j = sw.w.job(&job);
        let slot = j.slot_of(&sw.ps[i].account).unwrap();
        let r = ix::jobs::release_for(&j, slot, sw.pay[i]).unwrap();
        let ix_ = ix::jobs::release_slot(&keys, &job, &escrow, &sw.ps[i].account, r);
        sw.chain().ok(&format!("release sp{i}"), &[ix_], &[]);
    }
    let thief = sw.ps[5].owner.pubkey();
    let cases: Vec<(&str, solana_sdk::instruction::Instruction, u32)> = vec![
        (
            "rent to a thief",
            close_with(&|a| a.requester = thief),
            E::WrongRequester.into(),
        ),
        (
            "refund to a thief",
            close_with(&|a| a.refund_to = stranger_pay),
            E::WrongTokenOwner.into(),
        ),
        (
            "fees to another account",
            close_with(&|a| a.fee_vault = stranger_pay),
            E::WrongFeeVault.into(),
        ),
        (
            "escrow of another job",
            close_with(&|a| a.escrow = other_escrow),
            E::WrongEscrow.into(),
        ),
        (
            "close through another market",
            close_with(&|a| a.market = keys2.market),
            E::WrongMarket.into(),
        ),
    ];
    for (label, ix_, err) in cases {
        sw.chain().fail(label, &[ix_], &[]).assert_error(err);
    }

    // A donation to the escrow cannot block the close; it is refunded with the rest.
    let donor =
        sw.w.s
            .chain
            .create_token_account("donor", &sw.w.pay_mint, &thief, 77);
    let donate = anchor_spl::token::spl_token::instruction::transfer(
        &anchor_spl::token::ID,
        &donor,
        &escrow,
        &thief,
        &[],
        77,
    )
    .unwrap();
    let thief_kp = sw.ps[5].owner.insecure_clone();
    sw.chain()
        .ok("donate to the escrow", &[donate], &[&thief_kp]);
    let before = sw.w.s.chain.token_balance(&refund_to);
    sw.chain().ok("close", &[close_with(&|_| {})], &[]);
    // deposited 30 000 - two payouts (2 × 9 750) - fees (2 × 250) + the donation.
    assert_eq!(sw.w.s.chain.token_balance(&refund_to), before + 10_000 + 77);

    // Close and revive in one transaction: the lamports come back, the job does not.
    let job = sw.post(1);
    sw.claim(0, &job);
    sw.commit(0, &job, 1, true);
    sw.chain().ok("settle", &[ix::jobs::settle_job(&job)], &[]);
    let j = sw.w.job(&job);
    let r = ix::jobs::release_for(&j, 0, sw.pay[0]).unwrap();
    let ix_ = ix::jobs::release_slot(&keys, &job, &j.escrow, &winner, r);
    sw.chain().ok("release", &[ix_], &[]);
    let close = ix::jobs::close_job(&keys, &job, &j.escrow, &requester, &refund_to);
    let payer = sw.w.s.chain.payer.pubkey();
    let revive =
        anchor_lang::solana_program::system_instruction::transfer(&payer, &job, 10_000_000);
    let resettle = ix::jobs::settle_job(&job);
    sw.chain()
        .fail(
            "close, refund the rent, settle again",
            &[close.clone(), revive.clone(), resettle],
            &[],
        )
        .assert_error(code(A::AccountOwnedByWrongProgram));
    sw.chain().ok("close", &[close], &[]);
    let release_again = ix::jobs::release_slot(&keys, &job, &j.escrow, &winner, r);
    sw.chain()
        .fail("release after close", &[release_again], &[])
        .assert_error(code(A::AccountOwnedByWrongProgram));

    // u64 edges: a requester holding almost the whole supply posts three replicas of a third
    // of it each; fees (rounded up) and payouts (rounded down) still conserve exactly.
    let rich = sw.w.s.chain.funded_keypair("rich", 10);
    let huge = u64::MAX - 10_000_000;
    let rich_tokens =
        sw.w.s
            .chain
            .create_token_account("rich-tokens", &sw.w.pay_mint, &rich.pubkey(), huge);
    let reward = huge / 3;
    let args = PostJobArgs {
        reward_per_replica: reward,
        ..sw.w.args(1, 3)
    };
    let nonce = pda::job_nonce(&sw.w.market, &rich.pubkey(), 1);
    let args = PostJobArgs { nonce, ..args };
    let escrow = sw.chain().new_escrow();
    let post = ix::jobs::post_job(
        &rich.pubkey(),
        &sw.w.market,
        &sw.w.pay_mint,
        &rich_tokens,
        &escrow,
        args,
    );
    sw.chain().ok("post a u64-edge job", &[post], &[&rich]);
    let job = pda::job(&sw.w.market, &rich.pubkey(), nonce).0;
    let open = sw.w.job(&job).ranked_until_slot;
    sw.chain().open_claims(open);
    for i in 0..3 {
        sw.claim(i, &job);
    }
    for i in 0..3 {
        sw.commit(i, &job, 1, false);
    }
    for i in 0..3 {
        sw.reveal(i, &job, 1);
    }
    sw.chain().ok("settle", &[ix::jobs::settle_job(&job)], &[]);
    let fee = ((reward as u128 * 250).div_ceil(10_000)) as u64;
    for i in 0..3 {
        let before = sw.w.s.chain.token_balance(&sw.pay[i]);
        let ix_ = ix::jobs::release_slot(
            &keys,
            &job,
            &escrow,
            &sw.ps[i].account,
            ix::jobs::Release::Pay(sw.pay[i]),
        );
        sw.chain().ok("release a u64-edge payout", &[ix_], &[]);
        assert_eq!(
            sw.w.s.chain.token_balance(&sw.pay[i]) - before,
            reward - fee
        );
    }
    let fees0 = sw.w.s.chain.token_balance(&sw.w.fee_vault);
    let left = huge - 3 * reward;
    let close = ix::jobs::close_job(&keys, &job, &escrow, &rich.pubkey(), &rich_tokens);
    sw.chain().ok("close the u64-edge job", &[close], &[]);
    assert_eq!(sw.w.s.chain.token_balance(&sw.w.fee_vault) - fees0, 3 * fee);
    assert_eq!(sw.w.s.chain.token_balance(&rich_tokens), left);
    sw.w.s.chain
}
