//! Random multi-provider markets: several jobs at once, random replicas, quorums, rewards and
//! bonds, and random instructions from requester, providers and cranks (post, claim, commit or
//! submit, reveal, abandon, reclaim, clock warps, settle / expire, release, close, cancel),
//! most of which the program refuses at the moment they are sent. After every transaction:
//! both mints are conserved across every account that can hold them, each open job's escrow
//! holds `deposited - paid`, `locked + unbonding <= staked` and vault = Σ staked. On every
//! release: the payout is 0 or exactly `reward - ceil(fee)`, and no provider is paid twice
//! for a job. On every close: `deposited = paid + fees + refund`, exactly. At the end every
//! job is driven to its close and every bond must have been released or slashed (nothing
//! locked). A stranger donates payment tokens to random escrows and to the fee vault at
//! random moments: each donation ends with the requester (escrow) or the admin (fee vault),
//! never blocks a close, and never changes a payout.

use std::collections::{BTreeMap, BTreeSet};

use anchor_lang::prelude::Pubkey;
use depin_client::{ix, pda};
use depin_core::math;
use depin_jobs::{
    instructions::{PostJobArgs, RevealArgs, SubmitArgs},
    state::{job_status, slot_state},
};
use solana_sdk::signature::Signer;

use super::{
    settlement::{result, SettleWorld},
    staking::TestProvider,
    staking_property::Rng,
};
use crate::{Backend, TestChain};

/// What one random sequence exercised.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Transactions sent.
    pub transactions: usize,
    /// Successful transactions per instruction.
    pub accepted: BTreeMap<&'static str, usize>,
    /// Jobs closed (each checked for exact conservation).
    pub jobs_closed: usize,
}

impl Stats {
    /// Add another sequence's figures.
    pub fn merge(&mut self, o: &Stats) {
        self.transactions += o.transactions;
        self.jobs_closed += o.jobs_closed;
        for (k, v) in &o.accepted {
            *self.accepted.entry(k).or_default() += v;
        }
    }
}

struct TrackedJob {
    addr: Pubkey,
    /// Its escrow (`Job::escrow`).
    escrow: Pubkey,
    reward: u64,
    fee_bps: u16,
    deposited: u64,
    /// Tokens a stranger sent to the escrow.
    donated: u64,
    paid: u64,
    paid_to: BTreeSet<usize>,
    /// Provider index → (result number, salt) it committed.
    commits: BTreeMap<usize, (u8, [u8; 32])>,
    closed: bool,
}

/// Who signs a transaction (the chain's payer always pays).
#[derive(Clone, Copy)]
enum Who {
    Provider(usize),
    Requester,
    Crank,
    Donor,
}

struct Run {
    sw: SettleWorld,
    jobs: Vec<TrackedJob>,
    stats: Stats,
    pay_total: u64,
    stake_total: u64,
    seed: u64,
    next_nonce: u64,
    donor: solana_sdk::signature::Keypair,
    donor_tokens: Pubkey,
    /// Tokens a stranger sent to the fee vault.
    fee_vault_donated: u64,
    /// Fees moved to the fee vault by closes.
    fees_total: u64,
}

/// The donor's payment tokens.
const DONOR_TOKENS: u64 = 100_000;

impl Run {
    fn balance(&self, a: &Pubkey) -> u64 {
        self.sw.w.s.chain.token_balance(a)
    }

    /// Send `ixs` signed by `who`; count it; check every invariant afterwards.
    fn send(
        &mut self,
        what: &'static str,
        ixs: &[solana_sdk::instruction::Instruction],
        who: Who,
    ) -> bool {
        let ok = self.send_unchecked(what, ixs, who);
        self.check(what);
        ok
    }

    /// [`Self::send`] for callers that update the tracked state first and check after.
    fn send_unchecked(
        &mut self,
        what: &'static str,
        ixs: &[solana_sdk::instruction::Instruction],
        who: Who,
    ) -> bool {
        let label = format!("seed {} tx {}: {what}", self.seed, self.stats.transactions);
        self.stats.transactions += 1;
        let kp = match who {
            // Every provider step of this test is a job step: signed by the operator key.
            Who::Provider(i) => Some(self.sw.ps[i].operator.insecure_clone()),
            Who::Requester => Some(self.sw.w.requester.insecure_clone()),
            Who::Crank => None,
            Who::Donor => Some(self.donor.insecure_clone()),
        };
        let signers: Vec<&solana_sdk::signature::Keypair> = kp.iter().collect();
        let ok = self.sw.w.s.chain.send(&label, ixs, &signers).is_ok();
        if ok {
            *self.stats.accepted.entry(what).or_default() += 1;
        }
        ok
    }

    /// Invariants after every transaction.
    #[track_caller]
    fn check(&self, what: &str) {
        let label = format!(
            "seed {} tx {}: {what}",
            self.seed,
            self.stats.transactions - 1
        );
        let w = &self.sw.w;
        let c = &w.s.chain;
        let escrows: u64 = self
            .jobs
            .iter()
            .filter(|j| !j.closed && c.exists(&j.addr))
            .map(|j| {
                let e = c.token_balance(&j.escrow);
                assert_eq!(
                    e,
                    j.deposited + j.donated - j.paid,
                    "{label}: escrow = deposited + donated - paid"
                );
                e
            })
            .sum();
        let pays: u64 = self.sw.pay.iter().map(|a| c.token_balance(a)).sum();
        assert_eq!(
            c.token_balance(&w.requester_tokens)
                + escrows
                + pays
                + c.token_balance(&w.fee_vault)
                + c.token_balance(&self.donor_tokens),
            self.pay_total,
            "{label}: payment tokens conserved"
        );
        let wallets: u64 = self.sw.ps.iter().map(|p| c.token_balance(&p.wallet)).sum();
        assert_eq!(
            wallets + c.token_balance(&w.s.vault) + c.token_balance(&w.s.treasury),
            self.stake_total,
            "{label}: stake tokens conserved"
        );
        let all: Vec<&TestProvider> = self.sw.ps.iter().collect();
        w.s.assert_invariants(&all);
    }

    fn post(&mut self, rng: &mut Rng) {
        // Even counts and 8 are refused (odd replicas only, at most 7): part of the run.
        let replicas = 1 + rng.upto(7) as u8;
        let reward = 1 + rng.upto(20_000);
        let bond = 1_000 + rng.upto(19_000);
        self.next_nonce += 1;
        let nonce = self.sw.w.nonce(self.next_nonce);
        let args = PostJobArgs {
            nonce,
            spec_hash: [9; 32],
            spec_uri: format!("ipfs://job-{nonce}"),
            reward_per_replica: reward,
            replicas,
            bond,
            expected_fee_bps: super::jobs::test_config().fee_bps,
            key_commitment: [0; 32],
        };
        let ix_ = self.sw.w.post_ix(args);
        let posted = self.send_unchecked("post_job", &[ix_], Who::Requester);
        if posted {
            let addr = pda::job(&self.sw.w.market, &self.sw.w.requester.pubkey(), nonce).0;
            let j = self.sw.w.job(&addr);
            self.jobs.push(TrackedJob {
                addr,
                escrow: j.escrow,
                reward,
                fee_bps: j.fee_bps,
                deposited: j.deposited,
                donated: 0,
                paid: 0,
                paid_to: BTreeSet::new(),
                commits: BTreeMap::new(),
                closed: false,
            });
        }
        self.check("post_job");
    }

    fn open_job(&self, rng: &mut Rng) -> Option<usize> {
        let open: Vec<usize> = (0..self.jobs.len())
            .filter(|&k| !self.jobs[k].closed)
            .collect();
        (!open.is_empty()).then(|| open[rng.upto(open.len() as u64 - 1) as usize])
    }

    /// A provider whose slot in job `k` has state `state` (`FREE`: one holding no slot), most
    /// of the time; any provider now and then, so refusals stay part of the run.
    fn pick(&self, k: usize, state: u8, rng: &mut Rng) -> usize {
        let n = self.sw.ps.len();
        let any = rng.upto(n as u64 - 1) as usize;
        if rng.upto(7) == 0 {
            return any;
        }
        let job = self.sw.w.job(&self.jobs[k].addr);
        let fits: Vec<usize> = (0..n)
            .filter(|&i| match job.slot_of(&self.sw.ps[i].account) {
                Some(s) => job.slots[s].state == state && job.slots[s].released == 0,
                None => state == slot_state::FREE,
            })
            .collect();
        if fits.is_empty() {
            any
        } else {
            fits[rng.upto(fits.len() as u64 - 1) as usize]
        }
    }

    fn commit(&mut self, k: usize, p: usize, rng: &mut Rng) {
        let addr = self.jobs[k].addr;
        let single = self.sw.w.job(&addr).replicas == 1;
        let n = if rng.upto(3) == 0 { 2 } else { 1 };
        let salt = [rng.next() as u8 | 1; 32];
        let sp = &self.sw.ps[p];
        let (operator, provider) = (sp.operator.pubkey(), sp.account);
        let ix_ = if single {
            let args = SubmitArgs {
                result_hash: result(n),
                result_uri: "file:///out".into(),
            };
            ix::jobs::submit_result(&operator, &provider, &addr, args)
        } else {
            self.sw.w.commit_ix(&self.sw.ps[p], &addr, result(n), salt)
        };
        let what = if single {
            "submit_result"
        } else {
            "commit_result"
        };
        if self.send(what, &[ix_], Who::Provider(p)) {
            self.jobs[k].commits.insert(p, (n, salt));
        }
    }

    fn reveal(&mut self, k: usize, p: usize) {
        let addr = self.jobs[k].addr;
        let Some(&(n, salt)) = self.jobs[k].commits.get(&p) else {
            return;
        };
        let args = RevealArgs {
            result_hash: result(n),
            salt,
            result_uri: "file:///out".into(),
        };
        let sp = &self.sw.ps[p];
        let ix_ = ix::jobs::reveal_result(&sp.operator.pubkey(), &sp.account, &addr, args);
        self.send("reveal_result", &[ix_], Who::Provider(p));
    }

    fn finish_settlement(&mut self, k: usize) {
        let addr = self.jobs[k].addr;
        if !self.send("settle_job", &[ix::jobs::settle_job(&addr)], Who::Crank) {
            self.send("expire_job", &[ix::jobs::expire_job(&addr)], Who::Crank);
        }
    }

    /// Release the slot of provider `p` (if it holds one), checking the payout.
    fn release(&mut self, k: usize, p: usize) {
        let addr = self.jobs[k].addr;
        let job = self.sw.w.job(&addr);
        let account = self.sw.ps[p].account;
        let Some(slot) = job.slot_of(&account) else {
            return;
        };
        let release = ix::jobs::release_for(&job, slot, self.sw.pay[p]).unwrap();
        let keys = self.sw.w.keys();
        let before = self.balance(&self.sw.pay[p]);
        let ix_ = ix::jobs::release_slot(&keys, &addr, &self.jobs[k].escrow, &account, release);
        if !self.send_unchecked("release_slot", &[ix_], Who::Crank) {
            self.check("release_slot");
            return;
        }
        let payout = self.balance(&self.sw.pay[p]) - before;
        let t = &mut self.jobs[k];
        if payout > 0 {
            let fee = math::bps_ceil(t.reward, t.fee_bps).unwrap();
            assert_eq!(
                payout,
                t.reward - fee,
                "seed {}: a payout is reward - fee",
                self.seed
            );
            assert!(
                t.paid_to.insert(p),
                "seed {}: provider {p} paid twice",
                self.seed
            );
            t.paid += payout;
        }
    }

    fn close(&mut self, k: usize) {
        let addr = self.jobs[k].addr;
        let keys = self.sw.w.keys();
        let requester = self.sw.w.requester.pubkey();
        let (req0, fee0) = (
            self.balance(&self.sw.w.requester_tokens),
            self.balance(&self.sw.w.fee_vault),
        );
        let ix_ = ix::jobs::close_job(
            &keys,
            &addr,
            &self.jobs[k].escrow,
            &requester,
            &self.sw.w.requester_tokens,
        );
        if !self.send("close_job", &[ix_], Who::Crank) {
            return;
        }
        self.jobs[k].closed = true;
        self.stats.jobs_closed += 1;
        let refund = self.balance(&self.sw.w.requester_tokens) - req0;
        let fees = self.balance(&self.sw.w.fee_vault) - fee0;
        self.fees_total += fees;
        let t = &self.jobs[k];
        assert_eq!(
            t.deposited + t.donated,
            t.paid + fees + refund,
            "seed {}: deposited + donated = paid + fees + refund",
            self.seed
        );
        let c = &self.sw.w.s.chain;
        assert!(
            !c.exists(&addr) && !c.exists(&self.jobs[k].escrow),
            "job and escrow closed"
        );
    }

    /// The stranger sends `amount` to job `k`'s escrow, or to the fee vault (`None`).
    fn donate(&mut self, k: Option<usize>, amount: u64) {
        let to = match k {
            Some(k) => self.jobs[k].escrow,
            None => self.sw.w.fee_vault,
        };
        let ix_ = anchor_spl::token::spl_token::instruction::transfer(
            &anchor_spl::token::ID,
            &self.donor_tokens,
            &to,
            &self.donor.pubkey(),
            &[],
            amount,
        )
        .expect("transfer");
        if self.send_unchecked("donation", &[ix_], Who::Donor) {
            match k {
                Some(k) => self.jobs[k].donated += amount,
                None => self.fee_vault_donated += amount,
            }
        }
        self.check("donation");
    }

    fn cancel(&mut self, k: usize) {
        let addr = self.jobs[k].addr;
        let r = self.sw.w.requester.pubkey();
        let before = self.balance(&self.sw.w.requester_tokens);
        let ix_ =
            ix::jobs::cancel_job(&r, &addr, &self.jobs[k].escrow, &self.sw.w.requester_tokens);
        if self.send("cancel_job", &[ix_], Who::Requester) {
            self.jobs[k].closed = true;
            self.stats.jobs_closed += 1;
            let refund = self.balance(&self.sw.w.requester_tokens) - before;
            assert_eq!(
                refund,
                self.jobs[k].deposited + self.jobs[k].donated,
                "seed {}: cancel refunds all, donations included",
                self.seed
            );
        }
    }
}

/// One random market run of `steps` random actions from `seed`, then every job driven to its
/// close. Panics on any violated invariant.
pub fn random_market(backend: Backend, seed: u64, steps: usize) -> (TestChain, Stats) {
    let mut rng = Rng::new(seed);
    let mut sw = SettleWorld::new(backend);
    let donor = sw.w.s.chain.funded_keypair("donor", 1);
    let pay_mint = sw.w.pay_mint;
    let donor_tokens =
        sw.w.s
            .chain
            .create_token_account("donor-pay", &pay_mint, &donor.pubkey(), DONOR_TOKENS);
    let c = &sw.w.s.chain;
    let pay_total = c.token_balance(&sw.w.requester_tokens);
    let stake_total = sw
        .ps
        .iter()
        .map(|p| c.token_balance(&p.wallet))
        .sum::<u64>()
        + c.token_balance(&sw.w.s.vault)
        + c.token_balance(&sw.w.s.treasury);
    let mut r = Run {
        sw,
        donor,
        donor_tokens,
        fee_vault_donated: 0,
        fees_total: 0,
        jobs: Vec::new(),
        stats: Stats::default(),
        pay_total: pay_total + DONOR_TOKENS,
        stake_total,
        seed,
        next_nonce: 0,
    };
    for _ in 0..steps {
        let open = r.jobs.iter().filter(|j| !j.closed).count();
        let action = rng.upto(15);
        if action == 0 || open == 0 {
            if open < 4 {
                r.post(&mut rng);
            }
            continue;
        }
        let k = r.open_job(&mut rng).expect("an open job");
        let addr = r.jobs[k].addr;
        match action {
            1 | 2 => {
                // In the ranked phase a full job's worst-ranked holder is displaced by a better
                // score (the claim names it); otherwise a free slot is taken first come.
                let p = r.pick(k, slot_state::FREE, &mut rng);
                let job = r.sw.w.job(&addr);
                let worst = (job.ranked_phase(r.sw.w.s.chain.slot()) && job.free_slot().is_none())
                    .then(|| job.worst_ranked_slot())
                    .flatten()
                    .map(|w| job.slots[w].provider);
                let ix_ = match worst {
                    Some(d) => r.sw.w.displace_ix(&r.sw.ps[p], &addr, &d),
                    None => r.sw.w.claim_ix(&r.sw.ps[p], &addr),
                };
                r.send("claim_job", &[ix_], Who::Provider(p));
            }
            3 | 4 => {
                let p = r.pick(k, slot_state::CLAIMED, &mut rng);
                r.commit(k, p, &mut rng)
            }
            5 | 6 => {
                let p = r.pick(k, slot_state::COMMITTED, &mut rng);
                r.reveal(k, p)
            }
            7 => {
                let p = r.pick(k, slot_state::CLAIMED, &mut rng);
                let ix_ = r.sw.w.abandon_ix(&r.sw.ps[p], &addr);
                r.send("abandon_job", &[ix_], Who::Provider(p));
            }
            8 => {
                let p = r.pick(k, slot_state::CLAIMED, &mut rng);
                let keys = r.sw.w.keys();
                let ix_ = ix::jobs::reclaim_slot(&keys, &addr, &r.sw.ps[p].account);
                r.send("reclaim_slot", &[ix_], Who::Crank);
            }
            9 => {
                let secs = rng.upto(150) as i64;
                r.sw.w.s.chain.warp_seconds(secs);
                let slots = rng.upto(4);
                r.sw.w.s.chain.advance_slots(slots);
            }
            10 => r.finish_settlement(k),
            11 => {
                let state = [
                    slot_state::REVEALED,
                    slot_state::COMMITTED,
                    slot_state::CLAIMED,
                ][rng.upto(2) as usize];
                let p = r.pick(k, state, &mut rng);
                r.release(k, p)
            }
            12 => r.close(k),
            13 => r.cancel(k),
            14 => r.donate(Some(k), 1 + rng.upto(30)),
            _ => r.donate(None, 1 + rng.upto(30)),
        }
    }

    // Drive every job to its close: after the last reveal deadline every job settles or
    // expires, every held slot is released, and close must succeed.
    let far = r
        .jobs
        .iter()
        .filter(|j| !j.closed)
        .map(|j| r.sw.w.job(&j.addr).reveal_deadline)
        .max();
    if let Some(t) = far {
        r.sw.w
            .s
            .chain
            .set_unix_timestamp(t.max(r.sw.w.s.chain.now()));
    }
    for k in 0..r.jobs.len() {
        if r.jobs[k].closed {
            continue;
        }
        let addr = r.jobs[k].addr;
        if r.sw.w.job(&addr).status == job_status::OPEN {
            r.finish_settlement(k);
        }
        let job = r.sw.w.job(&addr);
        assert_eq!(
            job.status,
            job_status::SETTLED,
            "seed {seed}: every job settles"
        );
        for p in 0..r.sw.ps.len() {
            let held = job.slot_of(&r.sw.ps[p].account).is_some_and(|s| {
                job.slots[s].released == 0 && job.slots[s].state != slot_state::FREE
            });
            if held {
                r.release(k, p);
            }
        }
        r.close(k);
        assert!(
            r.jobs[k].closed,
            "seed {seed}: job {k} closes after its releases"
        );
    }
    assert_eq!(
        r.sw.w.s.chain.token_balance(&r.sw.w.fee_vault),
        r.fees_total + r.fee_vault_donated,
        "seed {seed}: fee vault = fees + donations"
    );
    for p in &r.sw.ps {
        assert_eq!(
            r.sw.w.s.provider_state(p).locked,
            0,
            "seed {seed}: every bond released or slashed"
        );
    }
    (r.sw.w.s.chain, r.stats)
}
