//! Verdict integrity (issue #14): one scenario per attack on assignment and settlement, each
//! computing the attacker's payoff in tokens and the payoff of the honest providers who did the
//! work, plus the rules of the ranked assignment phase.
//!
//! Payoffs count both mints at par (one payment token = one stake token): a provider's payoff
//! is what it was paid minus what it was slashed. The attacks and what stops them:
//!
//! 1. **Sybil majority** — claims in the posting block are refused (no seed yet); in the ranked
//!    phase only lottery-eligible wallets may claim and the best scores keep the slots, so a
//!    quarter of the stake split over three wallets holds a majority of a job's slots about as
//!    often as a binomial draw says, not always. Lying instead of computing then earns the
//!    attacker less than computing would have, in every job.
//! 2. **Requester free ride** — the requester cannot set the quorum, cannot claim with a second
//!    wallet in its posting transaction, and cannot make a job fail for free: one dissenting
//!    wallet is outvoted and slashed; a dissenting majority leaves no quorum, and then every
//!    revealer is paid, so every honest result the requester can read is paid for.
//! 3. **Slot squatting** — abandoning after the grace period costs the no-show rate, an
//!    abandoner cannot claim the job again, and giving slots back after honest providers
//!    committed cannot make the job expire: it settles and pays them.
//! 4. **Selective reveal** — withholding a committed reveal costs the larger slash rate, never
//!    less than revealing the wrong result.
//! 5. **Commitment front-run** — equal commitments are accepted; the copy binds the wrong
//!    provider, so the copier can never reveal it and is slashed while its victim is paid.

use anchor_lang::prelude::Pubkey;
use depin_client::{
    assign::{self, ClaimPlan, Contender, Field},
    ix,
};
use depin_core::{hash, settle::quorum_for, sortition};
use depin_jobs::{events as ev, state::slot_state, JobsError as E};
use solana_sdk::{
    instruction::Instruction,
    signature::{Keypair, Signer},
};

use super::settlement::{
    result, Expect, Role, SettleWorld, ABANDON, BOND, NOSHOW, PAYOUT, REWARD, WRONG,
};
use crate::{Backend, TestChain};

/// Stake of each provider of [`SettleWorld`] (nine honest ones).
const STAKE: u64 = 100_000;

/// Add a staked provider `label` (with a payment account) to the world; returns its index.
fn add_provider(sw: &mut SettleWorld, label: &str, stake: u64) -> usize {
    let p = sw.w.s.staked_provider(label, stake, stake);
    let pay = sw.w.s.chain.create_token_account(
        &format!("{label}-pay"),
        &sw.w.pay_mint,
        &p.owner.pubkey(),
        0,
    );
    sw.ps.push(p);
    sw.pay.push(pay);
    sw.ps.len() - 1
}

/// What provider `i` is worth now: (payment tokens received, stake held).
fn wealth(sw: &SettleWorld, i: usize) -> (u64, u64) {
    let paid = sw.w.s.chain.token_balance(&sw.pay[i]);
    (paid, sw.w.s.provider_state(&sw.ps[i]).staked)
}

/// Payoff of providers `who` between two snapshots: payments received minus stake lost.
fn payoff(before: &[(u64, u64)], after: &[(u64, u64)]) -> i64 {
    before
        .iter()
        .zip(after)
        .map(|(b, a)| (a.0 as i64 - b.0 as i64) + (a.1 as i64 - b.1 as i64))
        .sum()
}

fn snapshot(sw: &SettleWorld, who: &[usize]) -> Vec<(u64, u64)> {
    who.iter().map(|&i| wealth(sw, i)).collect()
}

/// The seed of `job` as the SlotHashes sysvar has it now.
fn seed(sw: &SettleWorld, seed_slot: u64) -> Option<[u8; 32]> {
    let acc =
        sw.w.s
            .chain
            .svm
            .get_account(&depin_core::sortition::SLOT_HASHES_SYSVAR)?;
    sortition::seed_from_slot_hashes(&acc.data, seed_slot)
}

/// The stake of provider `i` that counts in `job`'s lottery.
fn lottery_stake(sw: &SettleWorld, i: usize, job: &depin_client::Job) -> u64 {
    let st = sw.w.s.provider_state(&sw.ps[i]);
    let free = st.ledger().free().unwrap();
    sortition::lottery_stake(free, st.last_staked_at, job.created_at)
}

/// Provider `i`'s plan for `job` now (the same computation a worker makes, seeing every
/// provider's stake).
fn plan(sw: &SettleWorld, i: usize, job: &Pubkey) -> ClaimPlan {
    let everyone: Vec<usize> = (0..sw.ps.len()).collect();
    plan_seeing(sw, i, job, &everyone)
}

/// The plan of an attacker that grabs whatever the program lets it: it ignores the other
/// providers' scores (claims whenever eligible, displaces whenever it ranks better than a
/// holder, takes any free slot of the open phase at once).
fn greedy_plan(sw: &SettleWorld, i: usize, job: &Pubkey) -> ClaimPlan {
    plan_seeing(sw, i, job, &[i])
}

/// Provider `i`'s plan for `job` when it ranks itself against providers `seen` only.
fn plan_seeing(sw: &SettleWorld, i: usize, job: &Pubkey, seen: &[usize]) -> ClaimPlan {
    let j = sw.w.job(job);
    let contenders: Vec<Contender> = seen
        .iter()
        .map(|&k| Contender::of(sw.ps[k].account, &sw.w.s.provider_state(&sw.ps[k])))
        .collect();
    let field = Field::new(sw.w.s.pool_state().total_staked, &contenders);
    let slot = sw.w.s.chain.slot();
    let seed = seed(sw, j.seed_slot);
    assign::plan(&j, job, &sw.ps[i].account, field, slot, seed.as_ref())
}

/// Provider `i`'s score for `job` (seed recorded).
fn score_of(sw: &SettleWorld, i: usize, job: &Pubkey) -> u64 {
    let j = sw.w.job(job);
    let free = lottery_stake(sw, i, &j);
    let total = sw.w.s.pool_state().total_staked;
    let seed = seed(sw, j.seed_slot).expect("seed recorded");
    let ticket = sortition::ticket(&seed, job, &sw.ps[i].account);
    sortition::score(ticket, sortition::weight(free, total, j.replicas))
}

/// Provider `i`'s `claim_job` of `job` (naming `displaced`) and the operator key that signs it.
fn claim_ix(
    sw: &SettleWorld,
    i: usize,
    job: &Pubkey,
    displaced: Option<Pubkey>,
) -> (Instruction, Keypair) {
    let p = &sw.ps[i];
    let ix_ = ix::jobs::claim_job(
        &p.operator.pubkey(),
        &p.account,
        &sw.w.keys(),
        job,
        displaced,
    );
    (ix_, p.operator.insecure_clone())
}

/// Provider `i` claims `job` (naming `displaced`), expecting success.
fn claim(sw: &mut SettleWorld, i: usize, job: &Pubkey, displaced: Option<Pubkey>) {
    let (ix_, op) = claim_ix(sw, i, job, displaced);
    sw.chain()
        .ok(&format!("provider {i} claims"), &[ix_], &[&op]);
}

/// Provider `i` tries to claim `job` with no displacement; returns the failure.
fn claim_fails(sw: &mut SettleWorld, i: usize, job: &Pubkey, label: &str) -> crate::Failed {
    let (ix_, op) = claim_ix(sw, i, job, None);
    sw.chain().fail(label, &[ix_], &[&op])
}

/// Post a job and move to the first slot whose claims can use the seed.
fn post_ranked(sw: &mut SettleWorld, nonce: u64, replicas: u8) -> Pubkey {
    sw.chain().warp_seconds(1); // after every stake
    let job = sw.w.post_ranked(nonce, replicas);
    let seed_slot = sw.w.job(&job).seed_slot;
    let now = sw.chain().slot();
    sw.chain().advance_slots(seed_slot + 1 - now);
    job
}

/// The assignment as it plays out: the `greedy` attackers claim first (they are the fastest)
/// whenever the program lets them, then each honest provider of `order` claims when its
/// worker's plan says so; in the open phase the attackers again take any free slot first,
/// then the honest providers' queue fills the rest. Returns the provider index holding each
/// slot.
fn assign(sw: &mut SettleWorld, job: &Pubkey, greedy: &[usize], order: &[usize]) -> Vec<usize> {
    let plans = |sw: &SettleWorld, i: usize| {
        if greedy.contains(&i) {
            greedy_plan(sw, i, job)
        } else {
            plan(sw, i, job)
        }
    };
    for &i in greedy.iter().chain(order) {
        if let ClaimPlan::Claim { displaced, .. } = plans(sw, i) {
            claim(sw, i, job, displaced);
        }
    }
    let open = sw.w.job(job).ranked_until_slot;
    sw.chain().open_claims(open);
    // Turns of the open-phase queue come every `OPEN_STAGGER_SLOTS`; a few rounds let every
    // provider's turn come.
    for _ in 0..=order.len() {
        for &i in greedy.iter().chain(order) {
            if sw.w.job(job).free_slot().is_none() {
                break;
            }
            if let ClaimPlan::Claim {
                displaced: None, ..
            } = plans(sw, i)
            {
                claim(sw, i, job, None);
            }
        }
        if sw.w.job(job).free_slot().is_none() {
            break;
        }
        sw.chain().advance_slots(assign::OPEN_STAGGER_SLOTS);
    }
    let j = sw.w.job(job);
    (0..j.replicas as usize)
        .map(|s| {
            let holder = j.slots[s].provider;
            sw.ps
                .iter()
                .position(|p| p.account == holder)
                .expect("held")
        })
        .collect()
}

/// Rules of the ranked phase: no claim before the seed, eligibility, ranking with
/// displacement (bond released in full, event), a wrong displaced account refused, no commit
/// before the phase ends, then first come in the open phase.
pub fn ranked_assignment(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    let tiny = add_provider(&mut sw, "tiny", BOND);
    sw.chain().warp_seconds(1); // stake counts only if it came before the posting
    let job = sw.w.post_ranked(1, 3);
    claim_fails(&mut sw, 0, &job, "claim in the posting slot").assert_error(E::SeedNotReady);
    // Stake added once the job is posted never counts in its lottery: nobody can create or
    // top up a provider to fit a seed it has seen.
    let late = add_provider(&mut sw, "latecomer", STAKE);
    let seed_slot = sw.w.job(&job).seed_slot;
    let now = sw.chain().slot();
    sw.chain().advance_slots(seed_slot + 1 - now);
    assert_eq!(score_of(&sw, late, &job), u64::MAX, "no weight");
    claim_fails(&mut sw, late, &job, "claim with stake added after posting")
        .assert_error(E::NotEligible);

    // A provider with 0.6 % of the stake: eligible with probability ~5 %.
    let tiny_score = score_of(&sw, tiny, &job);
    assert!(!sortition::eligible(tiny_score), "tiny is not drawn");
    claim_fails(&mut sw, tiny, &job, "ineligible claim").assert_error(E::NotEligible);

    // Nine providers with equal stake are each eligible with probability ~0.99 for three
    // replicas: the three best scores must end up holding the slots, whatever the order.
    let mut by_score: Vec<(u64, usize)> = (0..9)
        .map(|i| (score_of(&sw, i, &job), i))
        .filter(|(s, _)| sortition::eligible(*s))
        .collect();
    assert!(
        by_score.len() >= 6,
        "enough eligible providers for the scenario"
    );
    by_score.sort();
    let worst_first: Vec<usize> = by_score.iter().rev().map(|(_, i)| *i).collect();
    for &i in &worst_first[..3] {
        claim(&mut sw, i, &job, None);
    }
    // Full: a better-ranked claim without naming the worst holder is refused...
    let better = worst_first[3];
    claim_fails(&mut sw, better, &job, "displace without the holder")
        .assert_error(E::WrongDisplaced);
    // ...and so is naming someone else.
    let j = sw.w.job(&job);
    let worst = j.slots[j.worst_ranked_slot().unwrap()].provider;
    let not_worst = sw.ps[worst_first[1]].account;
    let (wrong, op) = claim_ix(&sw, better, &job, Some(not_worst));
    sw.chain()
        .fail("displace the wrong holder", &[wrong], &[&op])
        .assert_error(E::WrongDisplaced);
    // A holder cannot commit while it may still be displaced.
    let c =
        sw.w.commit_ix(&sw.ps[worst_first[0]], &job, result(1), [0; 32]);
    let op0 = sw.ps[worst_first[0]].operator.insecure_clone();
    sw.chain()
        .fail("commit in the ranked phase", &[c], &[&op0])
        .assert_error(E::RankingOpen);
    // Displacement: the worst holder's bond is released in full.
    let displaced_idx = worst_first[0];
    assert_eq!(sw.ps[displaced_idx].account, worst);
    let before = sw.w.s.amounts(&sw.ps[displaced_idx]);
    let (ix_, op) = claim_ix(&sw, better, &job, Some(worst));
    let sent = sw.chain().ok("a better score displaces", &[ix_], &[&op]);
    let after = sw.w.s.amounts(&sw.ps[displaced_idx]);
    assert_eq!(
        (after.0, after.1),
        (before.0, before.1 - BOND),
        "released, not slashed"
    );
    if let Some(e) = sw.w.s.chain.event::<ev::SlotDisplaced>(&sent) {
        assert_eq!((e.job, e.provider, e.released), (job, worst, BOND));
    }
    assert_eq!(sw.w.job(&job).claimed, 3);
    // The rest claim in score order from worst to best; at the end the best three hold.
    for &i in &worst_first[4..] {
        if let ClaimPlan::Claim { displaced, .. } = plan(&sw, i, &job) {
            claim(&mut sw, i, &job, displaced);
        }
    }
    let j = sw.w.job(&job);
    let mut held: Vec<Pubkey> = j.slots[..3].iter().map(|s| s.provider).collect();
    let mut best: Vec<Pubkey> = by_score[..3]
        .iter()
        .map(|(_, i)| sw.ps[*i].account)
        .collect();
    held.sort();
    best.sort();
    assert_eq!(held, best, "the three best scores hold the slots");
    // Someone outranked by every holder is refused.
    claim_fails(&mut sw, worst_first[0], &job, "outranked claim").assert_error(E::OutRanked);

    // Open phase: first come, no lottery, no displacement; commits are accepted.
    let job2 = sw.w.post(2, 1);
    claim(&mut sw, tiny, &job2, None);
    claim_fails(&mut sw, 0, &job2, "open phase: full is full").assert_error(E::JobFull);
    sw.commit(tiny, &job2, 1, true);
    sw.w.s.chain
}

/// Attack 1: an operator with a quarter of the stake in three wallets tries to take the
/// majority of sixteen 3-replica jobs and commit an invented result without running them.
pub fn sybil_majority(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    let sybils: Vec<usize> = (0..3)
        .map(|k| add_provider(&mut sw, &format!("sybil{k}"), STAKE))
        .collect();
    let honest: Vec<usize> = (0..9).collect();

    // The grab in the posting block: refused, there is no seed yet.
    sw.chain().warp_seconds(1);
    let job = sw.w.post_ranked(1, 3);
    for &s in &sybils {
        claim_fails(&mut sw, s, &job, "sybil claims in the posting slot")
            .assert_error(E::SeedNotReady);
    }
    let requester = sw.w.requester.insecure_clone();
    let escrow = sw.w.escrow_of(&job);
    let cancel = ix::jobs::cancel_job(&requester.pubkey(), &job, &escrow, &sw.w.requester_tokens);
    sw.chain().ok("cancel", &[cancel], &[&requester]);

    let start_s = snapshot(&sw, &sybils);
    let start_h = snapshot(&sw, &honest);
    let (mut captured, mut sybil_slots, mut outvoted, jobs) = (0, 0, 0, 16u64);
    for nonce in 10..10 + jobs {
        let job = post_ranked(&mut sw, nonce, 3);
        let holders = assign(&mut sw, &job, &sybils, &honest);
        let roles: Vec<Role> = holders
            .iter()
            .map(|h| {
                if sybils.contains(h) {
                    Role::Reveal(99)
                } else {
                    Role::Reveal(1)
                }
            })
            .collect();
        let bad = roles.iter().filter(|r| **r == Role::Reveal(99)).count();
        sybil_slots += bad;
        sw.commit_roles(&job, &holders, &roles, false);
        sw.reveal_roles(&job, &holders, &roles);
        let expect = if bad >= quorum_for(3) as usize {
            captured += 1;
            Expect::Agreed(99)
        } else {
            outvoted += bad;
            Expect::Agreed(1)
        };
        sw.finish(&job, &holders, &roles, expect);
    }
    let lied = payoff(&start_s, &snapshot(&sw, &sybils));
    let honest_payoff = payoff(&start_h, &snapshot(&sw, &honest));
    // Had the sybils computed, every slot they held would have been paid.
    let would_have = (sybil_slots as i64) * PAYOUT as i64;
    eprintln!(
        "sybil majority: {captured}/{jobs} jobs captured, {sybil_slots}/{} slots held with 25 % \
         of the stake; lying paid {lied}, computing would have paid {would_have}; honest \
         providers {honest_payoff:+}",
        3 * jobs
    );
    assert!(
        captured < jobs / 2,
        "capture is the exception, not the rule"
    );
    // Every outvoted lying slot costs the attacker its payout plus the wrong-result slash.
    assert_eq!(
        lied,
        would_have - (outvoted as i64) * (PAYOUT + WRONG) as i64,
        "lying pays exactly what computing would have, less every outvoted slot"
    );
    assert!(
        outvoted > 0 && lied < would_have,
        "lying pays less than computing"
    );
    assert!(
        honest_payoff > 0,
        "honest providers who ran the jobs end positive"
    );
    sw.w.s.chain
}

/// Attack 2: a requester tries to read honest output without paying for it.
pub fn requester_free_ride(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    let sybil = add_provider(&mut sw, "req-sybil", STAKE);
    let sybil2 = add_provider(&mut sw, "req-sybil2", STAKE);

    // quorum == replicas is not the requester's to choose, and two replicas are refused.
    let two = sw.w.post_ix(sw.w.args(1, 2));
    let requester = sw.w.requester.insecure_clone();
    sw.chain()
        .fail("post 2 replicas", &[two], &[&requester])
        .assert_error(E::InvalidReplicas);
    // Posting and claiming from a second wallet in one transaction: no seed yet.
    let post = sw.w.post_ix(sw.w.args(2, 3));
    let job = sw.w.job_address(2);
    let (grab, op) = claim_ix(&sw, sybil, &job, None);
    sw.chain()
        .fail(
            "post and claim in one transaction",
            &[post, grab],
            &[&requester, &op],
        )
        .assert_error(E::SeedNotReady);

    // One dissenting wallet (it got a slot in the open phase): outvoted and slashed; the two
    // honest providers are paid; the requester paid for every result it can read.
    let paid_before = sw.w.s.chain.token_balance(&sw.w.requester_tokens);
    let who = [0, 1, sybil];
    let before = snapshot(&sw, &who);
    let job = sw.w.post(3, 3);
    for &i in &who {
        sw.claim(i, &job);
    }
    let roles = [Role::Reveal(1), Role::Reveal(1), Role::Reveal(66)];
    sw.commit_roles(&job, &who, &roles, false);
    sw.reveal_roles(&job, &who, &roles);
    sw.finish(&job, &who, &roles, Expect::Agreed(1));
    let after = snapshot(&sw, &who);
    let spent = paid_before - sw.w.s.chain.token_balance(&sw.w.requester_tokens);
    let sybil_payoff = payoff(&before[2..], &after[2..]);
    let honest_payoff = payoff(&before[..2], &after[..2]);
    // The requester and its wallet together: what it spent plus what its wallet lost, against
    // the two results it could read, each worth what it paid an honest provider.
    assert_eq!(spent, 2 * REWARD);
    assert_eq!(sybil_payoff, -(WRONG as i64));
    assert_eq!(honest_payoff, 2 * PAYOUT as i64);

    // A dissenting majority of its own wallets leaves no quorum: every revealer is paid,
    // so the honest one is too, and the requester pays the fee on its own wallets' share.
    let paid_before = sw.w.s.chain.token_balance(&sw.w.requester_tokens);
    let who = [2, sybil, sybil2];
    let before = snapshot(&sw, &who);
    let job = sw.w.post(4, 3);
    for &i in &who {
        sw.claim(i, &job);
    }
    let roles = [Role::Reveal(1), Role::Reveal(66), Role::Reveal(67)];
    sw.commit_roles(&job, &who, &roles, false);
    sw.reveal_roles(&job, &who, &roles);
    sw.finish(&job, &who, &roles, Expect::NoQuorum);
    let after = snapshot(&sw, &who);
    let spent = (paid_before - sw.w.s.chain.token_balance(&sw.w.requester_tokens)) as i64;
    let attacker = payoff(&before[1..], &after[1..]) - spent;
    let honest = payoff(&before[..1], &after[..1]);
    eprintln!("requester free ride: dissenting majority pays net {attacker}, honest {honest:+}");
    assert_eq!(honest, PAYOUT as i64, "the honest revealer is paid");
    assert!(
        attacker < -(REWARD as i64),
        "the requester paid the honest result and the fees"
    );
    sw.w.s.chain
}

/// Attack 3: squatting slots and giving them back.
pub fn slot_squatting(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    let (a, b) = (
        add_provider(&mut sw, "squat-a", STAKE),
        add_provider(&mut sw, "squat-b", STAKE),
    );
    let squatters = [a, b];

    // Within the grace period abandoning is cheap, but the abandoner cannot come back.
    let job = sw.w.post(1, 3);
    sw.claim(a, &job);
    let before = sw.w.s.provider_state(&sw.ps[a]).staked;
    let op = sw.ps[a].operator.insecure_clone();
    let abandon = sw.w.abandon_ix(&sw.ps[a], &job);
    sw.chain().ok("abandon at once", &[abandon], &[&op]);
    assert_eq!(sw.w.s.provider_state(&sw.ps[a]).staked, before - ABANDON);
    claim_fails(&mut sw, a, &job, "re-claim after abandoning").assert_error(E::AbandonedBefore);
    let requester = sw.w.requester.insecure_clone();
    let escrow = sw.w.escrow_of(&job);
    let cancel = ix::jobs::cancel_job(&requester.pubkey(), &job, &escrow, &sw.w.requester_tokens);
    sw.chain().ok("cancel", &[cancel], &[&requester]);

    // Hold past the grace period, then give back: the no-show rate. Honest provider 0 has
    // committed; the squatters give their slots back after the claim window to kill the job.
    let before = snapshot(&sw, &squatters);
    let honest_before = snapshot(&sw, &[0]);
    let job = sw.w.post(2, 3);
    sw.claim(0, &job);
    sw.claim(a, &job);
    sw.claim(b, &job);
    sw.commit(0, &job, 1, false);
    let j = sw.w.job(&job);
    let grace = depin_core::settle::abandon_grace_secs(j.execution_window());
    sw.warp_to(j.slots[1].claimed_at + grace);
    let op = sw.ps[a].operator.insecure_clone();
    let abandon = sw.w.abandon_ix(&sw.ps[a], &job);
    let sent = sw
        .chain()
        .ok("abandon after the grace period", &[abandon], &[&op]);
    if let Some(e) = sw.w.s.chain.event::<ev::JobAbandoned>(&sent) {
        assert_eq!(e.penalty, NOSHOW, "no-show rate after the grace period");
    }
    // The other squatter sits on its slot until its deadline and is evicted by a crank.
    sw.warp_to(j.slot_deadline(2));
    let late = sw.ps[b].account;
    let evict = ix::jobs::reclaim_slot(&sw.w.keys(), &job, &late);
    sw.chain().ok("evict the squatter", &[evict], &[]);
    assert_eq!(sw.w.job(&job).claimed, 1);
    sw.warp_to(j.claim_deadline);
    sw.chain()
        .fail("the job cannot expire", &[ix::jobs::expire_job(&job)], &[])
        .assert_error(E::NotExpirable);
    sw.reveal(0, &job, 1);
    sw.finish(&job, &[0], &[Role::Reveal(1)], Expect::NoQuorum);
    let squat = payoff(&before, &snapshot(&sw, &squatters));
    let honest = payoff(&honest_before, &snapshot(&sw, &[0]));
    eprintln!("slot squatting: squatters {squat}, honest {honest:+}");
    assert_eq!(squat, -2 * NOSHOW as i64);
    assert_eq!(
        honest, PAYOUT as i64,
        "the honest provider who committed is paid"
    );
    sw.w.s.chain
}

/// Attack 4: a committed provider that sees it is in the minority does not reveal.
pub fn selective_reveal(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    let mut outcome = Vec::new();
    for (nonce, reveal) in [(1, true), (2, false)] {
        let before = snapshot(&sw, &[0, 1, 2]);
        let job = sw.w.post(nonce, 3);
        for i in 0..3 {
            sw.claim(i, &job);
        }
        for (i, n) in [(0, 1), (1, 1), (2, 2)] {
            sw.commit(i, &job, n, false);
        }
        sw.reveal(0, &job, 1);
        sw.reveal(1, &job, 1);
        let roles = if reveal {
            sw.reveal(2, &job, 2);
            [Role::Reveal(1), Role::Reveal(1), Role::Reveal(2)]
        } else {
            let j = sw.w.job(&job);
            assert_eq!(j.slots[2].state, slot_state::COMMITTED);
            sw.warp_to(j.reveal_deadline);
            [Role::Reveal(1), Role::Reveal(1), Role::Silent]
        };
        sw.finish(&job, &[0, 1, 2], &roles, Expect::Agreed(1));
        let after = snapshot(&sw, &[0, 1, 2]);
        outcome.push((
            payoff(&before[2..], &after[2..]),
            payoff(&before[..2], &after[..2]),
        ));
    }
    let ((revealed, honest1), (withheld, honest2)) = (outcome[0], outcome[1]);
    eprintln!("selective reveal: revealing the wrong result {revealed}, withholding {withheld}");
    assert!(
        withheld <= revealed,
        "withholding is never cheaper than revealing"
    );
    assert!(revealed < 0);
    assert_eq!((honest1, honest2), (2 * PAYOUT as i64, 2 * PAYOUT as i64));
    sw.w.s.chain
}

/// Attack 5: a co-claimant copies a victim's pending commitment and lands it first.
pub fn commitment_front_run(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    let job = sw.w.post(1, 3);
    for i in 0..3 {
        sw.claim(i, &job);
    }
    let before = snapshot(&sw, &[0, 1, 2]);
    // Provider 2 copies provider 0's commitment bytes and lands them first.
    let victim = hash::commitment(&job, &sw.ps[0].account, &result(1), &[0; 32]);
    let p = &sw.ps[2];
    let copy = ix::jobs::commit_result(&p.operator.pubkey(), &p.account, &job, victim);
    let op = p.operator.insecure_clone();
    sw.chain()
        .ok("copy the victim's commitment", &[copy], &[&op]);
    // The victim's own commitment still lands (equal commitments are allowed).
    sw.commit(0, &job, 1, false);
    sw.commit(1, &job, 1, false);
    sw.reveal(0, &job, 1);
    sw.reveal(1, &job, 1);
    // The copy binds provider 0's key: provider 2 can never open it.
    let p = &sw.ps[2];
    let open = sw.w.reveal_ix(p, &job, result(1), [0; 32]);
    let op = p.operator.insecure_clone();
    sw.chain()
        .fail("reveal a copied commitment", &[open], &[&op])
        .assert_error(E::CommitmentMismatch);
    let j = sw.w.job(&job);
    sw.warp_to(j.reveal_deadline);
    let roles = [Role::Reveal(1), Role::Reveal(1), Role::Silent];
    sw.finish(&job, &[0, 1, 2], &roles, Expect::Agreed(1));
    let after = snapshot(&sw, &[0, 1, 2]);
    let copier = payoff(&before[2..], &after[2..]);
    let victim = payoff(&before[..1], &after[..1]);
    assert_eq!(copier, -(WRONG.max(NOSHOW) as i64));
    assert_eq!(victim, PAYOUT as i64);
    sw.w.s.chain
}

/// Honest workers claim in rank order and never collide: for eight 3-replica jobs, every honest
/// provider plans at the same instant (the same view of the chain, as concurrent workers have)
/// and sends what its plan says. Every claim sent lands — none is refused, none displaces
/// another — and each job ends with exactly one claim per slot. In every other job the
/// best-ranked provider runs no worker: the two other best claim in the ranked phase and the
/// open-phase queue gives the last slot to the next in rank, one turn after the phase opens.
pub fn honest_claims_do_not_collide(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    let everyone: Vec<usize> = (0..sw.ps.len()).collect();
    let (mut sent, mut refused, jobs) = (0u32, 0u32, 8u64);
    // Every online provider plans from the same view, then each sends what its plan says.
    let round = |sw: &mut SettleWorld, job: &Pubkey, online: &[usize]| -> (u32, u32) {
        let plans: Vec<(usize, ClaimPlan)> =
            online.iter().map(|&i| (i, plan(sw, i, job))).collect();
        let (mut sent, mut refused) = (0, 0);
        for (i, p) in plans {
            if let ClaimPlan::Claim { displaced, .. } = p {
                assert_eq!(
                    displaced, None,
                    "honest providers never displace each other"
                );
                let (ix_, op) = claim_ix(sw, i, job, None);
                sent += 1;
                if sw
                    .chain()
                    .send(&format!("provider {i} claims"), &[ix_], &[&op])
                    .is_err()
                {
                    refused += 1;
                }
            }
        }
        (sent, refused)
    };
    for nonce in 40..40 + jobs {
        let job = post_ranked(&mut sw, nonce, 3);
        let mut ranked: Vec<(u64, usize)> = everyone
            .iter()
            .map(|&i| (score_of(&sw, i, &job), i))
            .collect();
        ranked.sort();
        let offline = if nonce % 2 == 1 {
            Some(ranked[0].1)
        } else {
            None
        };
        let online: Vec<usize> = everyone
            .iter()
            .copied()
            .filter(|i| Some(*i) != offline)
            .collect();
        let (s, r) = round(&mut sw, &job, &online);
        (sent, refused) = (sent + s, refused + r);
        let j = sw.w.job(&job);
        let expected_ranked = if offline.is_some() { 2 } else { 3 };
        assert_eq!(
            j.claimed, expected_ranked,
            "the best online scores claimed in the ranked phase"
        );
        let open = j.ranked_until_slot;
        sw.chain().open_claims(open);
        let mut turns = 0;
        while sw.w.job(&job).free_slot().is_some() {
            let (s, r) = round(&mut sw, &job, &online);
            (sent, refused) = (sent + s, refused + r);
            sw.chain().advance_slots(1);
            turns += 1;
            assert!(
                turns <= 3 * assign::OPEN_STAGGER_SLOTS,
                "the queue reached an online provider"
            );
        }
        let j = sw.w.job(&job);
        let holders: Vec<Pubkey> = j.slots[..3].iter().map(|s| s.provider).collect();
        let best_online: Vec<Pubkey> = ranked
            .iter()
            .filter(|(_, i)| Some(*i) != offline)
            .take(3)
            .map(|(_, i)| sw.ps[*i].account)
            .collect();
        for p in &best_online {
            assert!(
                holders.contains(p),
                "the three best online providers hold the job"
            );
        }
    }
    eprintln!(
        "honest claims: {sent} sent for {} slots, {refused} refused",
        3 * jobs
    );
    assert_eq!(refused, 0, "no honest claim is refused");
    assert_eq!(sent as u64, 3 * jobs, "one claim per slot");
    sw.w.s.chain
}
