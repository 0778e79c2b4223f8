//! Jobs program scenarios: markets, posting with escrow, cancellation, and claims that lock the
//! provider's bond through the real CPI into `depin_staking`, signed by the `["slasher"]` PDA.

use anchor_lang::prelude::Pubkey;
use depin_client::{accounts::decode_zero_copy, ix, pda, Job, Market, Provider};
use depin_jobs::{
    events as ev,
    instructions::{MarketConfig, PostJobArgs, RevealArgs, UpdateMarketArgs},
    state::{job_status, slot_state},
    JobsError as E,
};
use depin_staking::StakingError;
use solana_sdk::{
    instruction::Instruction,
    signature::{Keypair, Signer},
};

use super::staking::{unsign, StakingWorld, TestProvider};
use crate::{Backend, TestChain};

/// Market settings of the test market.
pub fn test_config() -> MarketConfig {
    MarketConfig {
        market_id: 1,
        fee_bps: 250,
        min_bond: 1_000,
        claim_window_secs: 600,
        execution_window_secs: 300,
        reveal_window_secs: 120,
        max_replicas: 7,
        slash_wrong_bps: 5_000,
        slash_noshow_bps: 2_000,
        abandon_penalty_bps: 100,
        allow_list: false,
    }
}

/// A staking pool slashed by the jobs program, a market on it, and a funded requester.
pub struct JobsWorld {
    /// Staking side (pool slasher = the jobs program's PDA).
    pub s: StakingWorld,
    /// Payment mint.
    pub pay_mint: Pubkey,
    /// Market PDA.
    pub market: Pubkey,
    /// The market's fee vault (PDA).
    pub fee_vault: Pubkey,
    /// Requester wallet.
    pub requester: Keypair,
    /// Requester's payment tokens.
    pub requester_tokens: Pubkey,
}

/// Requester's starting payment tokens.
pub const REQUESTER_TOKENS: u64 = 1_000_000;

impl JobsWorld {
    /// Pool, market 1 with [`test_config`], requester with [`REQUESTER_TOKENS`].
    pub fn new(backend: Backend) -> Self {
        let mut s = StakingWorld::with_slasher(backend, pda::slasher().0);
        let pay_mint = s.chain.create_mint("pay-mint", 6);
        let admin = s.admin.pubkey();
        let deployer = s.deployer.insecure_clone();
        let ix_ = ix::jobs::initialize_market(
            &admin,
            &deployer.pubkey(),
            &pay_mint,
            &s.pool,
            test_config(),
        );
        s.chain
            .ok("initialize_market", &[ix_], &[&s.admin, &deployer]);
        let market = pda::market(&pay_mint, 1).0;
        let requester = s.chain.funded_keypair("requester", 10);
        let requester_tokens = s.chain.create_token_account(
            "requester-tokens",
            &pay_mint,
            &requester.pubkey(),
            REQUESTER_TOKENS,
        );
        JobsWorld {
            market,
            s,
            pay_mint,
            fee_vault: pda::fee_vault(&market).0,
            requester,
            requester_tokens,
        }
    }

    /// The nonce scenarios call job `n`: the first at or after `n << 8` whose job address has
    /// bump 255 (`pda::job_nonce`, as the SDK picks them; distinct for distinct `n`).
    pub fn nonce(&self, n: u64) -> u64 {
        pda::job_nonce(&self.market, &self.requester.pubkey(), n << 8)
    }

    /// The address of the requester's job `n` in this market.
    pub fn job_address(&self, n: u64) -> Pubkey {
        pda::job(&self.market, &self.requester.pubkey(), self.nonce(n)).0
    }

    /// The escrow of `job` (`Job::escrow`).
    pub fn escrow_of(&self, job: &Pubkey) -> Pubkey {
        self.s.chain.escrow_of(job)
    }

    /// Post-job arguments for job `nonce` ([`Self::nonce`]): `replicas`, reward 10 000 per
    /// replica, bond 5 000.
    pub fn args(&self, nonce: u64, replicas: u8) -> PostJobArgs {
        PostJobArgs {
            nonce: self.nonce(nonce),
            spec_hash: [7; 32],
            spec_uri: format!("file:///jobs/{nonce}/manifest.json"),
            reward_per_replica: 10_000,
            replicas,
            bond: 5_000,
            expected_fee_bps: test_config().fee_bps,
            key_commitment: [0; 32],
        }
    }

    /// `post_job` by the requester, from its token account, into a fresh escrow
    /// ([`TestChain::new_escrow`]).
    pub fn post_ix(&self, args: PostJobArgs) -> Instruction {
        let escrow = self.s.chain.new_escrow();
        ix::jobs::post_job(
            &self.requester.pubkey(),
            &self.market,
            &self.pay_mint,
            &self.requester_tokens,
            &escrow,
            args,
        )
    }

    /// `post_job` of job `n` (`replicas`) into `escrow`, its accounts altered by `f` first
    /// (attack cases).
    pub fn post_ix_with(
        &self,
        escrow: &Pubkey,
        n: u64,
        replicas: u8,
        f: impl FnOnce(&mut depin_jobs::accounts::PostJob),
    ) -> Instruction {
        let mut accounts = ix::jobs::post_job_accounts(
            &self.requester.pubkey(),
            &self.market,
            &self.pay_mint,
            &self.requester_tokens,
            escrow,
            self.nonce(n),
        );
        f(&mut accounts);
        let args = self.args(n, replicas);
        ix::instruction(
            depin_jobs::ID,
            accounts,
            depin_jobs::instruction::PostJob { args },
        )
    }

    /// Post job `nonce` and advance the chain to its open (first-come) claim phase; returns
    /// its address. Scenarios about the ranked phase use [`Self::post_ranked`].
    pub fn post(&mut self, nonce: u64, replicas: u8) -> Pubkey {
        let job = self.post_ranked(nonce, replicas);
        let ranked_until = self.job(&job).ranked_until_slot;
        self.s.chain.open_claims(ranked_until);
        job
    }

    /// Post job `nonce`, staying in its ranked claim phase; returns its address. (Stake counts
    /// in a job's lottery only if it came strictly before the posting: scenarios about the
    /// lottery move the clock on after staking.)
    pub fn post_ranked(&mut self, nonce: u64, replicas: u8) -> Pubkey {
        let ix_ = self.post_ix(self.args(nonce, replicas));
        let requester = self.requester.insecure_clone();
        self.s
            .chain
            .ok(&format!("post job {nonce}"), &[ix_], &[&requester]);
        self.job_address(nonce)
    }

    /// `claim_job` of `p` on `job` (signed by its operator), taking a free slot.
    pub fn claim_ix(&self, p: &TestProvider, job: &Pubkey) -> Instruction {
        ix::jobs::claim_job(&p.operator.pubkey(), &p.account, &self.keys(), job, None)
    }

    /// `claim_job` of `p` on `job` in the ranked phase, displacing `displaced`'s slot.
    pub fn displace_ix(&self, p: &TestProvider, job: &Pubkey, displaced: &Pubkey) -> Instruction {
        let d = Some(*displaced);
        ix::jobs::claim_job(&p.operator.pubkey(), &p.account, &self.keys(), job, d)
    }

    /// `abandon_job` of `p` on `job` (signed by its operator).
    pub fn abandon_ix(&self, p: &TestProvider, job: &Pubkey) -> Instruction {
        ix::jobs::abandon_job(&p.operator.pubkey(), &p.account, &self.keys(), job)
    }

    /// The market's and pool's addresses the settlement builders need.
    pub fn keys(&self) -> ix::jobs::MarketKeys {
        ix::jobs::MarketKeys {
            market: self.market,
            fee_vault: self.fee_vault,
            staking_pool: self.s.pool,
        }
    }

    /// `commit_result` of `p` for `result_hash` with `salt`.
    pub fn commit_ix(
        &self,
        p: &TestProvider,
        job: &Pubkey,
        result_hash: [u8; 32],
        salt: [u8; 32],
    ) -> Instruction {
        let c = depin_core::hash::commitment(job, &p.account, &result_hash, &salt);
        ix::jobs::commit_result(&p.operator.pubkey(), &p.account, job, c)
    }

    /// `reveal_result` of `p`.
    pub fn reveal_ix(
        &self,
        p: &TestProvider,
        job: &Pubkey,
        result_hash: [u8; 32],
        salt: [u8; 32],
    ) -> Instruction {
        let args = RevealArgs {
            result_hash,
            salt,
            result_uri: format!("file:///out/{}", p.account),
        };
        ix::jobs::reveal_result(&p.operator.pubkey(), &p.account, job, args)
    }

    /// The job account.
    pub fn job(&self, job: &Pubkey) -> Job {
        let acc = self.s.chain.svm.get_account(job).expect("job exists");
        decode_zero_copy(job, &acc.data).expect("job")
    }
}

/// Post, validate, cancel, claim until full; bonds locked by CPI.
pub fn post_cancel_claim(backend: Backend) -> TestChain {
    let mut w = JobsWorld::new(backend);
    let requester = w.requester.insecure_clone();

    // Post: the deposit moves into escrow, the job records the market's terms and deadlines.
    let sent =
        w.s.chain
            .ok("post job 1", &[w.post_ix(w.args(1, 3))], &[&requester]);
    let job1 = w.job_address(1);
    let escrow1 = w.escrow_of(&job1);
    let now = w.s.chain.now();
    assert_eq!(w.s.chain.token_balance(&escrow1), 30_000);
    assert_eq!(
        w.s.chain.token_balance(&w.requester_tokens),
        REQUESTER_TOKENS - 30_000
    );
    let j = w.job(&job1);
    assert_eq!(
        (j.market, j.requester, j.nonce, j.spec_hash),
        (w.market, requester.pubkey(), w.nonce(1), [7; 32])
    );
    assert_eq!(
        (
            j.replicas,
            j.quorum,
            j.bond,
            j.reward_per_replica,
            j.deposited
        ),
        (3, 2, 5_000, 10_000, 30_000)
    );
    assert_eq!(
        (j.status, j.claimed, j.fee_bps, j.slash_wrong_bps),
        (job_status::OPEN, 0, 250, 5_000)
    );
    assert_eq!(
        (j.claim_deadline, j.commit_deadline, j.reveal_deadline),
        (now + 600, now + 900, now + 1_020)
    );
    assert_eq!(j.bump, pda::job(&w.market, &requester.pubkey(), j.nonce).1);
    assert_eq!(j.bump, u8::MAX, "a nonce picked by pda::job_nonce");
    assert_eq!(j.reserved, 0);
    assert_eq!(j.spec_uri(), "file:///jobs/1/manifest.json");
    assert!(j.slots.iter().all(|s| s.state == slot_state::FREE));
    let posted_slot = w.s.chain.slot();
    let (seed_slot, ranked_until) = depin_core::sortition::phases(posted_slot);
    assert_eq!(
        (j.seed_slot, j.ranked_until_slot, j.quorum_reached),
        (seed_slot, ranked_until, 0)
    );
    if let Some(e) = w.s.chain.event::<ev::JobPosted>(&sent) {
        assert_eq!(
            (e.job, e.deposited, e.replicas, e.quorum, e.claim_deadline),
            (job1, 30_000, 3, 2, now + 600)
        );
        assert_eq!(
            (e.seed_slot, e.ranked_until_slot),
            (j.seed_slot, j.ranked_until_slot)
        );
    }

    // Every refusal of post_job, with its error.
    let cases: [(&str, PostJobArgs, E); 8] = [
        ("zero replicas", w.args(9, 0), E::InvalidReplicas),
        ("above max_replicas", w.args(9, 9), E::InvalidReplicas),
        ("even replicas (2)", w.args(9, 2), E::InvalidReplicas),
        ("even replicas (4)", w.args(9, 4), E::InvalidReplicas),
        (
            "bond below minimum",
            PostJobArgs {
                bond: 999,
                ..w.args(9, 1)
            },
            E::BondBelowMinimum,
        ),
        (
            "zero reward",
            PostJobArgs {
                reward_per_replica: 0,
                ..w.args(9, 1)
            },
            E::ZeroReward,
        ),
        (
            "zero spec hash",
            PostJobArgs {
                spec_hash: [0; 32],
                ..w.args(9, 1)
            },
            E::MissingSpecHash,
        ),
        (
            "spec uri of 129 bytes",
            PostJobArgs {
                spec_uri: "x".repeat(129),
                ..w.args(9, 1)
            },
            E::UriTooLong,
        ),
    ];
    for (label, args, error) in cases {
        w.s.chain
            .fail(label, &[w.post_ix(args)], &[&requester])
            .assert_error(error);
    }
    let big = PostJobArgs {
        reward_per_replica: u64::MAX / 2,
        ..w.args(9, 3)
    };
    w.s.chain
        .fail("deposit overflows u64", &[w.post_ix(big)], &[&requester])
        .assert_error(E::MathOverflow);
    let too_much = PostJobArgs {
        reward_per_replica: REQUESTER_TOKENS,
        ..w.args(9, 1)
    };
    w.s.chain.fail(
        "deposit beyond the wallet",
        &[w.post_ix(too_much)],
        &[&requester],
    );
    w.s.chain.fail(
        "same nonce again",
        &[w.post_ix(w.args(1, 1))],
        &[&requester],
    );
    assert_eq!(
        w.s.chain.token_balance(&escrow1),
        30_000,
        "refused posts moved nothing"
    );

    // Cancel: only the requester, only while nobody holds a slot; refund + rent back.
    let mallory = w.s.chain.funded_keypair("mallory", 1);
    let ix_ = ix::jobs::cancel_job(&mallory.pubkey(), &job1, &escrow1, &w.requester_tokens);
    w.s.chain
        .fail("cancel by a stranger", &[ix_], &[&mallory])
        .assert_error(E::NotRequester);
    let rent =
        w.s.chain.svm.get_balance(&job1).unwrap() + w.s.chain.svm.get_balance(&escrow1).unwrap();
    let lamports = w.s.chain.svm.get_balance(&requester.pubkey()).unwrap();
    let ix_ = ix::jobs::cancel_job(&requester.pubkey(), &job1, &escrow1, &w.requester_tokens);
    let sent = w.s.chain.ok("cancel job 1", &[ix_], &[&requester]);
    assert!(!w.s.chain.exists(&job1) && !w.s.chain.exists(&escrow1));
    assert_eq!(
        w.s.chain.token_balance(&w.requester_tokens),
        REQUESTER_TOKENS
    );
    assert_eq!(
        w.s.chain.svm.get_balance(&requester.pubkey()).unwrap(),
        lamports + rent
    );
    if let Some(e) = w.s.chain.event::<ev::JobCancelled>(&sent) {
        assert_eq!((e.job, e.refund), (job1, 30_000));
    }

    // Claims lock the bond through the CPI; one slot per provider; full is full.
    let job2 = w.post(2, 3);
    let ps: Vec<TestProvider> = (0..4)
        .map(|i| w.s.staked_provider(&format!("p{i}"), 20_000, 10_000))
        .collect();
    let sent = w.s.chain.ok(
        "p0 claims",
        &[w.claim_ix(&ps[0], &job2)],
        &[&ps[0].operator],
    );
    assert_eq!(w.s.amounts(&ps[0]), (10_000, 5_000, 0));
    if let Some(e) = w.s.chain.event::<ev::JobClaimed>(&sent) {
        assert_eq!(
            (e.job, e.provider, e.slot, e.bond),
            (job2, ps[0].account, 0, 5_000)
        );
    }
    w.s.chain
        .fail(
            "p0 claims twice",
            &[w.claim_ix(&ps[0], &job2)],
            &[&ps[0].operator],
        )
        .assert_error(E::AlreadyClaimed);
    w.s.chain.ok(
        "p1 claims",
        &[w.claim_ix(&ps[1], &job2)],
        &[&ps[1].operator],
    );
    w.s.chain.ok(
        "p2 claims",
        &[w.claim_ix(&ps[2], &job2)],
        &[&ps[2].operator],
    );
    w.s.chain
        .fail(
            "p3 finds it full",
            &[w.claim_ix(&ps[3], &job2)],
            &[&ps[3].operator],
        )
        .assert_error(E::JobFull);
    let j = w.job(&job2);
    assert_eq!(j.claimed, 3);
    for (i, p) in ps[..3].iter().enumerate() {
        assert_eq!(
            (j.slots[i].provider, j.slots[i].state),
            (p.account, slot_state::CLAIMED)
        );
        assert_eq!(w.s.amounts(p), (10_000, 5_000, 0));
    }
    assert_eq!(
        w.s.amounts(&ps[3]),
        (10_000, 0, 0),
        "a refused claim locks nothing"
    );
    let escrow2 = w.escrow_of(&job2);
    let ix_ = ix::jobs::cancel_job(&requester.pubkey(), &job2, &escrow2, &w.requester_tokens);
    w.s.chain
        .fail("cancel a claimed job", &[ix_], &[&requester])
        .assert_error(E::JobHasClaims);

    // A second job: stake is per provider, so p0 can bond twice while it has free stake...
    let job3 = w.post(3, 1);
    w.s.chain.ok(
        "p0 claims a second job",
        &[w.claim_ix(&ps[0], &job3)],
        &[&ps[0].operator],
    );
    assert_eq!(w.s.amounts(&ps[0]), (10_000, 10_000, 0));
    // ...but not a third time: the staking program refuses the lock inside the CPI.
    let job4 = w.post(4, 1);
    w.s.chain
        .fail(
            "claim without free stake",
            &[w.claim_ix(&ps[0], &job4)],
            &[&ps[0].operator],
        )
        .assert_error(StakingError::InsufficientFreeStake);
    // Too late: the claim window is over.
    w.s.chain
        .warp_seconds(test_config().claim_window_secs as i64);
    w.s.chain
        .fail(
            "claim after the window",
            &[w.claim_ix(&ps[3], &job4)],
            &[&ps[3].operator],
        )
        .assert_error(E::ClaimWindowClosed);
    w.s.chain
}

/// Attack classes on the jobs instructions built so far.
pub fn attacks(backend: Backend) -> TestChain {
    use anchor_lang::error::ErrorCode as A;
    let mut w = JobsWorld::new(backend);
    let requester = w.requester.insecure_clone();
    let job = w.post(1, 3);
    let alice = w.s.staked_provider("alice", 20_000, 10_000);
    let bob = w.s.staked_provider("bob", 20_000, 10_000);
    let code = |c: A| -> u32 { c.into() };

    // Missing signer.
    let ix_ = unsign(w.claim_ix(&alice, &job), &alice.operator.pubkey());
    w.s.chain
        .fail("claim without signature", &[ix_], &[])
        .assert_error(code(A::AccountNotSigner));
    let ix_ = unsign(w.post_ix(w.args(5, 1)), &requester.pubkey());
    w.s.chain.fail("post without signature", &[ix_], &[]);

    // Someone else's provider account.
    let mut acc =
        ix::jobs::claim_job_accounts(&bob.operator.pubkey(), &bob.account, &w.keys(), &job, None);
    acc.bond.provider = alice.account;
    let ix_ = ix::instruction(depin_jobs::ID, acc, depin_jobs::instruction::ClaimJob {});
    w.s.chain
        .fail("claim with another's stake", &[ix_], &[&bob.operator])
        .assert_error(E::NotProviderOperator);

    // A fake slasher (not the PDA) and a fake staking program.
    let mut acc = ix::jobs::claim_job_accounts(
        &alice.operator.pubkey(),
        &alice.account,
        &w.keys(),
        &job,
        None,
    );
    acc.bond.slasher = bob.owner.pubkey();
    let ix_ = ix::instruction(depin_jobs::ID, acc, depin_jobs::instruction::ClaimJob {});
    w.s.chain
        .fail("claim with a fake slasher", &[ix_], &[&alice.operator])
        .assert_error(E::WrongSlasher);
    let mut acc = ix::jobs::claim_job_accounts(
        &alice.operator.pubkey(),
        &alice.account,
        &w.keys(),
        &job,
        None,
    );
    acc.bond.staking_program = depin_jobs::ID;
    let ix_ = ix::instruction(depin_jobs::ID, acc, depin_jobs::instruction::ClaimJob {});
    w.s.chain
        .fail(
            "claim with a fake staking program",
            &[ix_],
            &[&alice.operator],
        )
        .assert_error(code(A::InvalidProgramId));

    // Stake in another pool (another stake mint, same slasher PDA).
    let other_mint = w.s.chain.create_mint("other-stake-mint", 6);
    let other_treasury =
        w.s.chain
            .create_token_account("other-treasury", &other_mint, &w.s.admin.pubkey(), 0);
    let args = depin_staking::instructions::InitializePoolArgs {
        unbonding_seconds: 0,
        slasher: pda::slasher().0,
    };
    let ix_ = ix::staking::initialize_pool(
        &w.s.admin.pubkey(),
        &w.s.deployer.pubkey(),
        &other_mint,
        &other_treasury,
        args,
    );
    let admin = w.s.admin.insecure_clone();
    let deployer = w.s.deployer.insecure_clone();
    w.s.chain.ok("other pool", &[ix_], &[&admin, &deployer]);
    let other_pool = pda::pool(&other_mint).0;
    let carol = w.s.chain.funded_keypair("carol", 2);
    let carol_tokens =
        w.s.chain
            .create_token_account("carol-other", &other_mint, &carol.pubkey(), 10_000);
    w.s.chain.ok(
        "carol registers there",
        &[ix::staking::register_provider(
            &carol.pubkey(),
            &other_pool,
            &carol.pubkey(),
            "c",
        )],
        &[&carol],
    );
    w.s.chain.ok(
        "carol stakes there",
        &[ix::staking::stake(
            &carol.pubkey(),
            &other_mint,
            &carol_tokens,
            10_000,
        )],
        &[&carol],
    );
    let other = ix::jobs::MarketKeys {
        staking_pool: other_pool,
        ..w.keys()
    };
    let carol_provider = pda::provider(&other_pool, &carol.pubkey()).0;
    let ix_ = ix::jobs::claim_job(&carol.pubkey(), &carol_provider, &other, &job, None);
    w.s.chain
        .fail("claim with stake in another pool", &[ix_], &[&carol])
        .assert_error(E::WrongStakingPool);
    let mut acc =
        ix::jobs::claim_job_accounts(&carol.pubkey(), &carol_provider, &w.keys(), &job, None);
    acc.bond.provider = pda::provider(&other_pool, &carol.pubkey()).0;
    let ix_ = ix::instruction(depin_jobs::ID, acc, depin_jobs::instruction::ClaimJob {});
    w.s.chain
        .fail("foreign provider, right pool", &[ix_], &[&carol])
        .assert_error(E::WrongStakingPool);
    assert_eq!(
        w.s.chain
            .account::<Provider>(&pda::provider(&other_pool, &carol.pubkey()).0)
            .locked,
        0
    );

    // A job of another market.
    let mut cfg2 = test_config();
    cfg2.market_id = 2;
    let ix_ = ix::jobs::initialize_market(
        &admin.pubkey(),
        &deployer.pubkey(),
        &w.pay_mint,
        &w.s.pool,
        cfg2,
    );
    w.s.chain.ok("market 2", &[ix_], &[&admin, &deployer]);
    let market2 = pda::market(&w.pay_mint, 2).0;
    let nonce_m2 = pda::job_nonce(&market2, &requester.pubkey(), 1);
    let mut args_m2 = w.args(1, 1);
    args_m2.nonce = nonce_m2;
    let escrow_m2 = w.s.chain.new_escrow();
    let ix_ = ix::jobs::post_job(
        &requester.pubkey(),
        &market2,
        &w.pay_mint,
        &w.requester_tokens,
        &escrow_m2,
        args_m2,
    );
    w.s.chain.ok("post in market 2", &[ix_], &[&requester]);
    let job_m2 = pda::job(&market2, &requester.pubkey(), nonce_m2).0;
    let ix_ = ix::jobs::claim_job(
        &alice.operator.pubkey(),
        &alice.account,
        &w.keys(),
        &job_m2,
        None,
    );
    w.s.chain
        .fail(
            "claim a job through another market",
            &[ix_],
            &[&alice.operator],
        )
        .assert_error(E::WrongMarket);

    // Type cosplay: the market passed as the job.
    let mut acc = ix::jobs::claim_job_accounts(
        &alice.operator.pubkey(),
        &alice.account,
        &w.keys(),
        &job,
        None,
    );
    acc.job = w.market;
    let ix_ = ix::instruction(depin_jobs::ID, acc, depin_jobs::instruction::ClaimJob {});
    w.s.chain
        .fail("market as job", &[ix_], &[&alice.operator])
        .assert_error(code(A::AccountDiscriminatorMismatch));

    // Wrong mint / fake token program on post; escrow of another job on cancel.
    let other_pay =
        w.s.chain
            .create_token_account("req-other", &other_mint, &requester.pubkey(), 50_000);
    let escrow6 = w.s.chain.new_escrow();
    let ix_ = ix::jobs::post_job(
        &requester.pubkey(),
        &w.market,
        &w.pay_mint,
        &other_pay,
        &escrow6,
        w.args(6, 1),
    );
    w.s.chain
        .fail("pay with another mint", &[ix_], &[&requester])
        .assert_error(E::WrongMint);
    // The market's mint swapped for another one, source and escrow of that mint.
    let ix_ = ix::jobs::post_job(
        &requester.pubkey(),
        &w.market,
        &other_mint,
        &other_pay,
        &escrow6,
        w.args(6, 1),
    );
    w.s.chain
        .fail(
            "post in another mint than the market's",
            &[ix_],
            &[&requester],
        )
        .assert_error(E::WrongMint);
    // Type cosplay: the market read in place must be a market.
    let ix_ = w.post_ix_with(&escrow6, 6, 1, |a| {
        a.market = pda::jobs_config().0;
        a.job = pda::job(&a.market, &requester.pubkey(), w.nonce(6)).0;
    });
    w.s.chain
        .fail("config as the market of a post", &[ix_], &[&requester])
        .assert_error(code(A::AccountDiscriminatorMismatch));
    // The escrow's keypair must sign its creation: the system program refuses to create an
    // account that did not sign (the runtime names it: "<escrow>'s signer privilege
    // escalated"). On the SBF build only: solana-program-test's native CPI path panics on a
    // privilege escalation instead of returning it.
    let ix_ = super::staking::unsign(w.post_ix_with(&escrow6, 6, 1, |_| {}), &escrow6);
    if w.s.chain.backend == Backend::Sbf {
        w.s.chain
            .fail("escrow that does not sign", &[ix_], &[&requester])
            .assert_instruction_error(
                solana_sdk::instruction::InstructionError::PrivilegeEscalation,
            );
        // Not part of the transcript the parity test compares with the native run.
        w.s.chain.transcript.pop();
    }
    assert!(!w.s.chain.exists(&escrow6), "refused posts create nothing");
    // A requester's free ride: an escrow prepared beforehand, a token account of the market's
    // mint owned by the job but with the requester as its delegate, to take the deposit back
    // once the work is done. `post_job` only creates its escrow: an existing account at the
    // address is refused, and nothing moves.
    let job6 = pda::job(&w.market, &requester.pubkey(), w.nonce(6)).0;
    let rigged =
        w.s.chain
            .create_token_account("rigged-escrow", &w.pay_mint, &job6, 0);
    {
        use anchor_spl::token::spl_token::state::Account as TokenAccount;
        use solana_sdk::program_pack::Pack;
        let mut acc = w.s.chain.svm.get_account(&rigged).expect("rigged escrow");
        let mut t = TokenAccount::unpack(&acc.data).unwrap();
        t.delegate = Some(requester.pubkey()).into();
        t.delegated_amount = u64::MAX;
        t.pack_into_slice(&mut acc.data);
        w.s.chain.svm.set_account(rigged, acc).unwrap();
    }
    let rigged_signer = crate::derive_keypair("rigged-escrow");
    let before = w.s.chain.token_balance(&w.requester_tokens);
    let ix_ = ix::jobs::post_job(
        &requester.pubkey(),
        &w.market,
        &w.pay_mint,
        &w.requester_tokens,
        &rigged,
        w.args(6, 1),
    );
    w.s.chain
        .fail(
            "post into an escrow prepared with a delegate",
            &[ix_],
            &[&requester, &rigged_signer],
        )
        .assert_error(0u32); // the system program's AccountAlreadyInUse
    assert!(!w.s.chain.exists(&job6));
    assert_eq!(w.s.chain.token_balance(&w.requester_tokens), before);
    let ix_ = w.post_ix_with(&escrow6, 6, 1, |a| a.token_program = depin_jobs::ID);
    w.s.chain
        .fail("fake token program", &[ix_], &[&requester])
        .assert_error(code(A::InvalidProgramId));
    let mut acc = ix::jobs::cancel_job_accounts(
        &requester.pubkey(),
        &job_m2,
        &escrow_m2,
        &w.requester_tokens,
    );
    acc.escrow = w.escrow_of(&job);
    let ix_ = ix::instruction(depin_jobs::ID, acc, depin_jobs::instruction::CancelJob {});
    w.s.chain
        .fail("cancel with another job's escrow", &[ix_], &[&requester])
        .assert_error(E::WrongEscrow);

    // Paused market: no posts, no claims; resuming restores both.
    let paused = UpdateMarketArgs {
        paused: Some(true),
        ..Default::default()
    };
    let ix_ = ix::jobs::update_market(&bob.owner.pubkey(), &w.market, None, paused.clone());
    w.s.chain
        .fail("pause by a stranger", &[ix_], &[&bob.owner])
        .assert_error(E::NotMarketAdmin);
    let ix_ = ix::jobs::update_market(&admin.pubkey(), &w.market, None, paused);
    w.s.chain.ok("pause", &[ix_], &[&admin]);
    w.s.chain
        .fail(
            "claim while paused",
            &[w.claim_ix(&alice, &job)],
            &[&alice.operator],
        )
        .assert_error(E::MarketPaused);
    w.s.chain
        .fail(
            "post while paused",
            &[w.post_ix(w.args(7, 1))],
            &[&requester],
        )
        .assert_error(E::MarketPaused);
    let mut cfg = test_config();
    cfg.market_id = 9;
    let bad = UpdateMarketArgs {
        config: Some(cfg),
        paused: Some(false),
    };
    let ix_ = ix::jobs::update_market(&admin.pubkey(), &w.market, None, bad);
    w.s.chain
        .fail("change the market id", &[ix_], &[&admin])
        .assert_error(E::MarketIdImmutable);
    let mut cfg = test_config();
    cfg.fee_bps = 100;
    let resume = UpdateMarketArgs {
        config: Some(cfg.clone()),
        paused: Some(false),
    };
    let ix_ = ix::jobs::update_market(&admin.pubkey(), &w.market, None, resume);
    w.s.chain.ok("resume with a lower fee", &[ix_], &[&admin]);
    assert_eq!(w.s.chain.account::<Market>(&w.market).config, cfg);
    assert_eq!(
        w.job(&job).fee_bps,
        250,
        "a posted job keeps the terms it was posted with"
    );
    w.s.chain.ok(
        "claim after resume",
        &[w.claim_ix(&alice, &job)],
        &[&alice.operator],
    );
    w.s.chain
}

/// Abandon and re-claim, commit, reveal: every rule of the commit-reveal phase.
pub fn commit_reveal(backend: Backend) -> TestChain {
    let mut w = JobsWorld::new(backend);
    let job = w.post(1, 3);
    let ps: Vec<TestProvider> = (0..5)
        .map(|i| w.s.staked_provider(&format!("p{i}"), 20_000, 20_000))
        .collect();
    for p in &ps[..3] {
        w.s.chain
            .ok("claim", &[w.claim_ix(p, &job)], &[&p.operator]);
    }
    let (h_a, h_b) = (
        depin_core::hash::result_hash(0, b"42", b""),
        depin_core::hash::result_hash(0, b"41", b""),
    );
    let salt = |i: u8| [i + 100; 32];

    // Abandon: only a holder, only before committing; 1 % of the bond goes to the pool treasury.
    w.s.chain
        .fail(
            "abandon by a non-holder",
            &[w.abandon_ix(&ps[3], &job)],
            &[&ps[3].operator],
        )
        .assert_error(E::NotSlotHolder);
    let pending_before = w.s.pool_state().pending_slashed;
    let sent = w.s.chain.ok(
        "p2 abandons",
        &[w.abandon_ix(&ps[2], &job)],
        &[&ps[2].operator],
    );
    assert_eq!(w.s.amounts(&ps[2]), (19_950, 0, 0));
    assert_eq!(w.s.pool_state().pending_slashed, pending_before + 50);
    if let Some(e) = w.s.chain.event::<ev::JobAbandoned>(&sent) {
        assert_eq!(
            (e.provider, e.slot, e.penalty, e.released),
            (ps[2].account, 2, 50, 4_950)
        );
    }
    let j = w.job(&job);
    assert_eq!((j.claimed, j.slots[2].state), (2, slot_state::FREE));
    w.s.chain.ok(
        "p3 re-claims the freed slot",
        &[w.claim_ix(&ps[3], &job)],
        &[&ps[3].operator],
    );
    assert_eq!(w.job(&job).slots[2].provider, ps[3].account);

    // Commit: holders only, once, non-zero (a copied commitment is accepted and can never be
    // opened: `verdict::commitment_front_run`).
    w.s.chain.ok(
        "p0 commits",
        &[w.commit_ix(&ps[0], &job, h_a, salt(0))],
        &[&ps[0].operator],
    );
    w.s.chain
        .fail(
            "p0 commits again",
            &[w.commit_ix(&ps[0], &job, h_a, salt(0))],
            &[&ps[0].operator],
        )
        .assert_error(E::AlreadyCommitted);
    let zero = ix::jobs::commit_result(&ps[1].operator.pubkey(), &ps[1].account, &job, [0; 32]);
    w.s.chain
        .fail("zero commitment", &[zero], &[&ps[1].operator])
        .assert_error(E::ZeroCommitment);
    w.s.chain
        .fail(
            "commit by a non-holder",
            &[w.commit_ix(&ps[4], &job, h_a, salt(4))],
            &[&ps[4].operator],
        )
        .assert_error(E::NotSlotHolder);
    w.s.chain.ok(
        "p1 commits",
        &[w.commit_ix(&ps[1], &job, h_b, salt(1))],
        &[&ps[1].operator],
    );
    w.s.chain
        .fail(
            "abandon after committing",
            &[w.abandon_ix(&ps[1], &job)],
            &[&ps[1].operator],
        )
        .assert_error(E::AlreadyCommitted);

    // Reveals wait until no held slot is uncommitted (the claim window is still open).
    w.s.chain
        .fail(
            "reveal too early",
            &[w.reveal_ix(&ps[0], &job, h_a, salt(0))],
            &[&ps[0].operator],
        )
        .assert_error(E::RevealNotOpen);
    w.s.chain.ok(
        "p3 commits",
        &[w.commit_ix(&ps[3], &job, h_a, salt(3))],
        &[&ps[3].operator],
    );
    let j = w.job(&job);
    assert_eq!((j.committed, j.revealed), (3, 0));
    assert!(j.slots[..3]
        .iter()
        .all(|s| s.state == slot_state::COMMITTED));

    // Reveal: the hash and salt must open the commitment; once.
    w.s.chain
        .fail(
            "wrong salt",
            &[w.reveal_ix(&ps[0], &job, h_a, salt(9))],
            &[&ps[0].operator],
        )
        .assert_error(E::CommitmentMismatch);
    let sent = w.s.chain.ok(
        "p0 reveals",
        &[w.reveal_ix(&ps[0], &job, h_a, salt(0))],
        &[&ps[0].operator],
    );
    if let Some(e) = w.s.chain.event::<ev::ResultRevealed>(&sent) {
        assert_eq!((e.provider, e.slot, e.result_hash), (ps[0].account, 0, h_a));
    }
    w.s.chain
        .fail(
            "p0 reveals again",
            &[w.reveal_ix(&ps[0], &job, h_a, salt(0))],
            &[&ps[0].operator],
        )
        .assert_error(E::AlreadyRevealed);
    // p1 committed to h_b; now that h_a is public it cannot switch to it, not even with p0's salt.
    w.s.chain
        .fail(
            "p1 copies the revealed hash",
            &[w.reveal_ix(&ps[1], &job, h_a, salt(1))],
            &[&ps[1].operator],
        )
        .assert_error(E::CommitmentMismatch);
    w.s.chain
        .fail(
            "p1 copies hash and salt",
            &[w.reveal_ix(&ps[1], &job, h_a, salt(0))],
            &[&ps[1].operator],
        )
        .assert_error(E::CommitmentMismatch);
    w.s.chain.ok(
        "p1 reveals its own",
        &[w.reveal_ix(&ps[1], &job, h_b, salt(1))],
        &[&ps[1].operator],
    );
    let j = w.job(&job);
    assert_eq!(
        (j.revealed, j.slots[0].result_hash, j.slots[1].result_hash),
        (2, h_a, h_b)
    );
    let uri = &j.slots[0].result_uri[..j.slots[0].result_uri_len as usize];
    assert_eq!(uri, format!("file:///out/{}", ps[0].account).as_bytes());
    // After the reveal deadline nobody reveals.
    w.s.chain.set_unix_timestamp(j.reveal_deadline);
    w.s.chain
        .fail(
            "reveal too late",
            &[w.reveal_ix(&ps[3], &job, h_a, salt(3))],
            &[&ps[3].operator],
        )
        .assert_error(E::RevealWindowClosed);

    // Other ways reveals open: the claim window closing with every held slot committed, or
    // the commit deadline passing; commits stop at the commit deadline.
    let job2 = w.post(2, 3);
    for p in &ps[..2] {
        w.s.chain
            .ok("claim job 2", &[w.claim_ix(p, &job2)], &[&p.operator]);
    }
    w.s.chain.ok(
        "p0 commits job 2",
        &[w.commit_ix(&ps[0], &job2, h_a, salt(0))],
        &[&ps[0].operator],
    );
    w.s.chain.ok(
        "p1 commits job 2",
        &[w.commit_ix(&ps[1], &job2, h_a, salt(1))],
        &[&ps[1].operator],
    );
    w.s.chain
        .fail(
            "job 2: claim window open",
            &[w.reveal_ix(&ps[0], &job2, h_a, salt(0))],
            &[&ps[0].operator],
        )
        .assert_error(E::RevealNotOpen);
    let j2 = w.job(&job2);
    w.s.chain.set_unix_timestamp(j2.claim_deadline);
    w.s.chain.ok(
        "job 2: claim window over, all held slots in",
        &[w.reveal_ix(&ps[0], &job2, h_a, salt(0))],
        &[&ps[0].operator],
    );
    let job3 = w.post(3, 3);
    for p in &ps[..2] {
        w.s.chain
            .ok("claim job 3", &[w.claim_ix(p, &job3)], &[&p.operator]);
    }
    w.s.chain.ok(
        "p0 commits job 3",
        &[w.commit_ix(&ps[0], &job3, h_a, salt(0))],
        &[&ps[0].operator],
    );
    let j3 = w.job(&job3);
    w.s.chain.set_unix_timestamp(j3.commit_deadline);
    w.s.chain
        .fail(
            "commit too late",
            &[w.commit_ix(&ps[1], &job3, h_a, salt(1))],
            &[&ps[1].operator],
        )
        .assert_error(E::CommitWindowClosed);
    w.s.chain
        .fail(
            "abandon too late",
            &[w.abandon_ix(&ps[1], &job3)],
            &[&ps[1].operator],
        )
        .assert_error(E::CommitWindowClosed);
    w.s.chain.ok(
        "job 3: commit deadline passed",
        &[w.reveal_ix(&ps[0], &job3, h_a, salt(0))],
        &[&ps[0].operator],
    );
    w.s.chain
}
