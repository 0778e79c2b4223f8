//! Staking program scenarios: every instruction's happy and error paths, the sealevel attack
//! classes, and a model-checked random-sequence property. The pool's slasher is a test keypair
//! here, so lock / unlock / slash are signed directly; the jobs program's CPI path is covered by
//! the jobs scenarios.

use anchor_lang::{prelude::Pubkey, AccountSerialize};
use depin_client::{ix, pda, Pool, Provider};
use depin_staking::{
    events as ev,
    instructions::{InitializePoolArgs, SlashArgs, UnlockArgs, UpdatePoolArgs},
    StakingError as E,
};
use solana_sdk::{
    account::Account,
    instruction::{Instruction, InstructionError},
    signature::{Keypair, Signer},
    transaction::TransactionError,
};

use crate::{derive_keypair, Backend, TestChain};

/// Unbonding delay of the test pool.
pub const UNBONDING: i64 = 3 * 24 * 3600;

/// A pool with a keypair slasher, and helpers for its providers.
pub struct StakingWorld {
    /// The chain.
    pub chain: TestChain,
    /// Pool admin.
    pub admin: Keypair,
    /// The pool's slasher (a plain keypair in these scenarios).
    pub slasher: Keypair,
    /// Stake mint.
    pub mint: Pubkey,
    /// Pool PDA.
    pub pool: Pubkey,
    /// Vault PDA.
    pub vault: Pubkey,
    /// Slash destination.
    pub treasury: Pubkey,
    /// The programs' upgrade authority and config authority (creates pools and markets).
    pub deployer: Keypair,
}

/// A registered provider with a funded token account.
pub struct TestProvider {
    /// Authority wallet (cold key: stake, unstake, withdraw, operator, close).
    pub owner: Keypair,
    /// Operator key (hot: what the worker signs claims, commits and reveals with).
    pub operator: Keypair,
    /// Owner's stake-mint token account.
    pub wallet: Pubkey,
    /// Provider PDA.
    pub account: Pubkey,
}

impl StakingWorld {
    /// Pool of a fresh mint, slasher = keypair "slasher" (signs lock / unlock / slash directly).
    pub fn new(backend: Backend) -> Self {
        let slasher = derive_keypair("slasher").pubkey();
        Self::with_slasher(backend, slasher)
    }

    /// Pool of a fresh mint whose slasher is `pool_slasher` (the jobs program's PDA for the jobs
    /// scenarios; then [`Self::slasher`] cannot sign for the pool).
    pub fn with_slasher(backend: Backend, pool_slasher: Pubkey) -> Self {
        let mut chain = TestChain::new(backend);
        let deployer = chain.deployer_with_configs();
        let admin = chain.funded_keypair("admin", 10);
        let slasher = chain.keypair("slasher");
        let mint = chain.create_mint("stake-mint", 6);
        let treasury = chain.create_token_account("treasury", &mint, &admin.pubkey(), 0);
        let sent = chain.ok(
            "initialize_pool",
            &[ix::staking::initialize_pool(
                &admin.pubkey(),
                &deployer.pubkey(),
                &mint,
                &treasury,
                InitializePoolArgs {
                    unbonding_seconds: UNBONDING,
                    slasher: pool_slasher,
                },
            )],
            &[&admin, &deployer],
        );
        let pool = pda::pool(&mint).0;
        if let Some(e) = chain.event::<ev::PoolInitialized>(&sent) {
            assert_eq!(
                (e.pool, e.stake_mint, e.vault, e.slasher, e.treasury),
                (pool, mint, pda::vault(&pool).0, pool_slasher, treasury)
            );
        }
        StakingWorld {
            chain,
            admin,
            slasher,
            mint,
            pool,
            vault: pda::vault(&pool).0,
            treasury,
            deployer,
        }
    }

    /// Register provider `label` with `tokens` in its wallet.
    pub fn provider(&mut self, label: &str, tokens: u64) -> TestProvider {
        let owner = self.chain.funded_keypair(label, 2);
        let operator = self.chain.keypair(&format!("{label}-operator"));
        let wallet = self.chain.create_token_account(
            &format!("{label}-wallet"),
            &self.mint,
            &owner.pubkey(),
            tokens,
        );
        self.chain.ok(
            &format!("register {label}"),
            &[ix::staking::register_provider(
                &owner.pubkey(),
                &self.pool,
                &operator.pubkey(),
                &format!("https://{label}.example"),
            )],
            &[&owner, &operator],
        );
        TestProvider {
            account: pda::provider(&self.pool, &owner.pubkey()).0,
            owner,
            operator,
            wallet,
        }
    }

    /// Provider `label` registered and staked with `stake` tokens (of `tokens` in its wallet).
    pub fn staked_provider(&mut self, label: &str, tokens: u64, stake: u64) -> TestProvider {
        let p = self.provider(label, tokens);
        self.chain
            .ok("stake", &[self.stake_ix(&p, stake)], &[&p.owner]);
        p
    }

    /// `stake` instruction of `p`.
    pub fn stake_ix(&self, p: &TestProvider, amount: u64) -> Instruction {
        ix::staking::stake(&p.owner.pubkey(), &self.mint, &p.wallet, amount)
    }

    /// `lock` signed by the slasher.
    pub fn lock_ix(&self, p: &TestProvider, amount: u64) -> Instruction {
        ix::staking::lock(&self.slasher.pubkey(), &self.pool, &p.account, amount)
    }

    /// `unlock` signed by the slasher.
    pub fn unlock_ix(&self, p: &TestProvider, amount: u64, completed: bool) -> Instruction {
        ix::staking::unlock(
            &self.slasher.pubkey(),
            &self.pool,
            &p.account,
            UnlockArgs { amount, completed },
        )
    }

    /// `slash` signed by the slasher.
    pub fn slash_ix(&self, p: &TestProvider, amount: u64, release: u64) -> Instruction {
        ix::staking::slash(
            &self.slasher.pubkey(),
            &self.pool,
            &p.account,
            SlashArgs { amount, release },
        )
    }

    /// `sweep_slashed` to the pool treasury (permissionless: the chain's payer sends it).
    pub fn sweep_ix(&self) -> Instruction {
        ix::staking::sweep_slashed(&self.mint, &self.treasury)
    }

    /// The provider account.
    pub fn provider_state(&self, p: &TestProvider) -> Provider {
        self.chain.account(&p.account)
    }

    /// (staked, locked, unbonding) of `p`.
    pub fn amounts(&self, p: &TestProvider) -> (u64, u64, u64) {
        let s = self.provider_state(p);
        (s.staked, s.locked, s.unbonding)
    }

    /// The pool account.
    pub fn pool_state(&self) -> Pool {
        self.chain.account(&self.pool)
    }

    /// Assert vault balance = pool total + pending slashed, pool total = Σ staked over
    /// `providers`, and each provider's `locked + unbonding <= staked`.
    #[track_caller]
    pub fn assert_invariants(&self, providers: &[&TestProvider]) {
        self.assert_invariants_with_surplus(providers, 0)
    }

    /// [`Self::assert_invariants`] when `surplus` tokens were donated to the vault since the
    /// last sweep: vault = pool total + pending slashed + surplus.
    #[track_caller]
    pub fn assert_invariants_with_surplus(&self, providers: &[&TestProvider], surplus: u64) {
        let pool = self.pool_state();
        let mut sum = 0u64;
        for p in providers {
            if !self.chain.exists(&p.account) {
                continue;
            }
            let (s, l, u) = self.amounts(p);
            assert!(
                l as u128 + u as u128 <= s as u128,
                "locked + unbonding <= staked violated: {s} {l} {u}"
            );
            sum += s;
        }
        assert_eq!(
            self.chain.token_balance(&self.vault),
            pool.total_staked + pool.pending_slashed + surplus,
            "vault balance != pool total + pending slashed + donated surplus"
        );
        assert_eq!(
            pool.total_staked, sum,
            "pool total != sum of provider stake"
        );
    }
}

/// Strip the signer flag of `key` in `ix` (the "missing signer" attack).
pub fn unsign(mut ix: Instruction, key: &Pubkey) -> Instruction {
    for m in ix.accounts.iter_mut().filter(|m| m.pubkey == *key) {
        m.is_signer = false;
    }
    ix
}

fn anchor(code: anchor_lang::error::ErrorCode) -> u32 {
    code.into()
}

/// Register, stake, unbond, withdraw, lock, unlock, slash, close and register again; every
/// instruction's event is checked, amounts before and after included.
pub fn lifecycle(backend: Backend) -> TestChain {
    let mut w = StakingWorld::new(backend);
    let p = w.provider("alice", 1_000_000);
    let sent = w
        .chain
        .ok("stake 600k", &[w.stake_ix(&p, 600_000)], &[&p.owner]);
    if let Some(e) = w.chain.event::<ev::Staked>(&sent) {
        assert_eq!(
            (
                e.provider,
                e.amount,
                e.staked_before,
                e.staked_after,
                e.pool_total_staked
            ),
            (p.account, 600_000, 0, 600_000, 600_000)
        );
    }
    assert_eq!(w.amounts(&p), (600_000, 0, 0));

    // Unbonding: only free stake, the delay is enforced, a second request restarts it.
    let sent = w.chain.ok(
        "request_unstake 100k",
        &[ix::staking::request_unstake(
            &p.owner.pubkey(),
            &w.mint,
            100_000,
        )],
        &[&p.owner],
    );
    let t0 = w.chain.now();
    assert_eq!(w.provider_state(&p).unbond_at, t0 + UNBONDING);
    if let Some(e) = w.chain.event::<ev::UnstakeRequested>(&sent) {
        assert_eq!(
            (e.amount, e.unbonding_before, e.unbonding_after, e.unbond_at),
            (100_000, 0, 100_000, t0 + UNBONDING)
        );
    }
    w.chain
        .fail(
            "withdraw early",
            &[ix::staking::withdraw(&p.owner.pubkey(), &w.mint, &p.wallet)],
            &[&p.owner],
        )
        .assert_error(E::UnbondingNotElapsed);
    w.chain.warp_seconds(UNBONDING - 1);
    w.chain
        .fail(
            "withdraw 1 s early",
            &[ix::staking::withdraw(&p.owner.pubkey(), &w.mint, &p.wallet)],
            &[&p.owner],
        )
        .assert_error(E::UnbondingNotElapsed);
    w.chain.warp_seconds(1);
    let sent = w.chain.ok(
        "withdraw",
        &[ix::staking::withdraw(&p.owner.pubkey(), &w.mint, &p.wallet)],
        &[&p.owner],
    );
    if let Some(e) = w.chain.event::<ev::Withdrawn>(&sent) {
        assert_eq!(
            (
                e.destination,
                e.amount,
                e.staked_before,
                e.staked_after,
                e.pool_total_staked
            ),
            (p.wallet, 100_000, 600_000, 500_000, 500_000)
        );
    }
    assert_eq!(w.amounts(&p), (500_000, 0, 0));
    assert_eq!(w.chain.token_balance(&p.wallet), 500_000);
    w.chain
        .fail(
            "withdraw nothing",
            &[ix::staking::withdraw(&p.owner.pubkey(), &w.mint, &p.wallet)],
            &[&p.owner],
        )
        .assert_error(E::NothingUnbonding);

    // Bonds: lock, complete (unlock with completed), slash part and release the rest.
    let sent = w
        .chain
        .ok("lock 200k", &[w.lock_ix(&p, 200_000)], &[&w.slasher]);
    if let Some(e) = w.chain.event::<ev::Locked>(&sent) {
        assert_eq!(
            (e.amount, e.locked_before, e.locked_after),
            (200_000, 0, 200_000)
        );
    }
    w.chain
        .ok("lock 100k", &[w.lock_ix(&p, 100_000)], &[&w.slasher]);
    assert_eq!(w.amounts(&p), (500_000, 300_000, 0));
    w.chain
        .fail(
            "unstake locked stake",
            &[ix::staking::request_unstake(
                &p.owner.pubkey(),
                &w.mint,
                200_001,
            )],
            &[&p.owner],
        )
        .assert_error(E::InsufficientFreeStake);
    let sent = w.chain.ok(
        "unlock 200k completed",
        &[w.unlock_ix(&p, 200_000, true)],
        &[&w.slasher],
    );
    if let Some(e) = w.chain.event::<ev::Unlocked>(&sent) {
        assert_eq!(
            (e.amount, e.locked_before, e.locked_after, e.completed),
            (200_000, 300_000, 100_000, true)
        );
    }
    let sent = w.chain.ok(
        "slash 25k release 75k",
        &[w.slash_ix(&p, 25_000, 75_000)],
        &[&w.slasher],
    );
    if let Some(e) = w.chain.event::<ev::Slashed>(&sent) {
        assert_eq!(
            (
                e.amount,
                e.released,
                e.locked_before,
                e.locked_after,
                e.staked_before,
                e.staked_after,
                e.pool_total_staked,
                e.pool_pending_slashed
            ),
            (25_000, 75_000, 100_000, 0, 500_000, 475_000, 475_000, 25_000)
        );
    }
    let s = w.provider_state(&p);
    assert_eq!((s.staked, s.locked, s.unbonding), (475_000, 0, 0));
    assert_eq!(
        (s.jobs_completed, s.jobs_slashed, s.total_slashed),
        (1, 1, 25_000)
    );
    // The slash moved numbers only; the tokens wait in the vault until the sweep.
    assert_eq!(w.chain.token_balance(&w.treasury), 0);
    let pool = w.pool_state();
    assert_eq!(
        (pool.total_staked, pool.total_slashed, pool.pending_slashed),
        (475_000, 25_000, 25_000)
    );
    w.assert_invariants(&[&p]);
    let sent = w.chain.ok("sweep", &[w.sweep_ix()], &[]);
    if let Some(e) = w.chain.event::<ev::SlashedSwept>(&sent) {
        assert_eq!(
            (e.treasury, e.amount, e.pool_total_slashed),
            (w.treasury, 25_000, 25_000)
        );
    }
    assert_eq!(w.chain.token_balance(&w.treasury), 25_000);
    assert_eq!(w.pool_state().pending_slashed, 0);
    w.assert_invariants(&[&p]);
    w.chain
        .fail("sweep nothing", &[w.sweep_ix()], &[])
        .assert_error(E::NothingToSweep);

    // Closing needs an empty account; afterwards the owner gets the rent and may come back.
    w.chain
        .fail(
            "close non-empty",
            &[ix::staking::close_provider(&p.owner.pubkey(), &w.pool)],
            &[&p.owner],
        )
        .assert_error(E::ProviderNotEmpty);
    w.chain.ok(
        "unstake all",
        &[ix::staking::request_unstake(
            &p.owner.pubkey(),
            &w.mint,
            475_000,
        )],
        &[&p.owner],
    );
    w.chain.warp_seconds(UNBONDING);
    w.chain.ok(
        "withdraw all",
        &[ix::staking::withdraw(&p.owner.pubkey(), &w.mint, &p.wallet)],
        &[&p.owner],
    );
    let lamports_before = w.chain.svm.get_balance(&p.owner.pubkey()).unwrap();
    let rent = w.chain.svm.get_balance(&p.account).unwrap();
    let sent = w.chain.ok(
        "close",
        &[ix::staking::close_provider(&p.owner.pubkey(), &w.pool)],
        &[&p.owner],
    );
    if let Some(e) = w.chain.event::<ev::ProviderClosed>(&sent) {
        assert_eq!(
            (e.provider, e.authority, e.jobs_completed, e.jobs_slashed),
            (p.account, p.owner.pubkey(), 1, 1)
        );
    }
    assert!(!w.chain.exists(&p.account));
    assert_eq!(
        w.chain.svm.get_balance(&p.owner.pubkey()).unwrap(),
        lamports_before + rent
    );
    assert_eq!(w.chain.token_balance(&p.wallet), 1_000_000 - 25_000);
    let sent = w.chain.ok(
        "register again",
        &[ix::staking::register_provider(
            &p.owner.pubkey(),
            &w.pool,
            &p.owner.pubkey(),
            "https://alice.example/v2",
        )],
        &[&p.owner],
    );
    if let Some(e) = w.chain.event::<ev::ProviderRegistered>(&sent) {
        assert_eq!(
            (e.provider, e.authority, e.uri.as_str()),
            (p.account, p.owner.pubkey(), "https://alice.example/v2")
        );
    }
    let s = w.provider_state(&p);
    assert_eq!((s.staked, s.jobs_completed, s.jobs_slashed), (0, 0, 0));
    assert_eq!(w.pool_state().provider_count, 2);
    w.assert_invariants(&[&p]);
    w.chain
}

/// Admin instructions: update_pool's checks, admin hand-over, and what pause does and does not stop.
pub fn admin_and_pause(backend: Backend) -> TestChain {
    let mut w = StakingWorld::new(backend);
    let p = w.staked_provider("alice", 1_000, 1_000);
    let admin = w.admin.pubkey();
    let pause = |paused| UpdatePoolArgs {
        paused: Some(paused),
        ..Default::default()
    };

    let mallory = w.chain.funded_keypair("mallory", 1);
    w.chain
        .fail(
            "update by non-admin",
            &[ix::staking::update_pool(
                &mallory.pubkey(),
                &w.pool,
                None,
                None,
                pause(true),
            )],
            &[&mallory],
        )
        .assert_error(E::NotPoolAdmin);
    w.chain
        .fail(
            "update nothing",
            &[ix::staking::update_pool(
                &admin,
                &w.pool,
                None,
                None,
                UpdatePoolArgs::default(),
            )],
            &[&w.admin],
        )
        .assert_error(E::NothingToUpdate);
    let too_long = UpdatePoolArgs {
        unbonding_seconds: Some(depin_core::limits::MAX_UNBONDING_SECONDS + 1),
        ..Default::default()
    };
    w.chain
        .fail(
            "unbonding > 1 year",
            &[ix::staking::update_pool(
                &admin, &w.pool, None, None, too_long,
            )],
            &[&w.admin],
        )
        .assert_error(E::InvalidUnbondingPeriod);
    let negative = UpdatePoolArgs {
        unbonding_seconds: Some(-1),
        ..Default::default()
    };
    w.chain
        .fail(
            "negative unbonding",
            &[ix::staking::update_pool(
                &admin, &w.pool, None, None, negative,
            )],
            &[&w.admin],
        )
        .assert_error(E::InvalidUnbondingPeriod);
    let other_mint = w.chain.create_mint("other-mint", 6);
    let foreign = w
        .chain
        .create_token_account("foreign-treasury", &other_mint, &admin, 0);
    w.chain
        .fail(
            "treasury of other mint",
            &[ix::staking::update_pool(
                &admin,
                &w.pool,
                Some(foreign),
                None,
                pause(false),
            )],
            &[&w.admin],
        )
        .assert_error(E::WrongTreasury);
    w.chain
        .fail(
            "vault as treasury",
            &[ix::staking::update_pool(
                &admin,
                &w.pool,
                Some(w.vault),
                None,
                pause(false),
            )],
            &[&w.admin],
        )
        .assert_error(E::WrongTreasury);

    // Admin hand-over needs the new admin's signature.
    let bob = w.chain.funded_keypair("bob-admin", 1);
    let unsigned = unsign(
        ix::staking::update_pool(&admin, &w.pool, None, Some(bob.pubkey()), pause(false)),
        &bob.pubkey(),
    );
    w.chain
        .fail("hand-over unsigned by new admin", &[unsigned], &[&w.admin])
        .assert_error(anchor(anchor_lang::error::ErrorCode::AccountNotSigner));
    let t2 = w
        .chain
        .create_token_account("treasury-2", &w.mint, &admin, 0);
    let args = UpdatePoolArgs {
        unbonding_seconds: Some(60),
        paused: Some(true),
    };
    let sent = w.chain.ok(
        "update all",
        &[ix::staking::update_pool(
            &admin,
            &w.pool,
            Some(t2),
            Some(bob.pubkey()),
            args,
        )],
        &[&w.admin, &bob],
    );
    if let Some(e) = w.chain.event::<ev::PoolUpdated>(&sent) {
        assert_eq!(
            (e.admin, e.treasury, e.unbonding_seconds, e.paused),
            (bob.pubkey(), t2, 60, true)
        );
    }
    let pool = w.pool_state();
    assert_eq!(
        (
            pool.admin,
            pool.treasury,
            pool.unbonding_seconds,
            pool.paused
        ),
        (bob.pubkey(), t2, 60, true)
    );
    assert_eq!(pool.slasher, w.slasher.pubkey(), "slasher never changes");
    w.admin = bob;
    w.treasury = t2;

    // Paused: no new providers, stake or locks...
    let carol = w.chain.funded_keypair("carol", 1);
    w.chain
        .fail(
            "register while paused",
            &[ix::staking::register_provider(
                &carol.pubkey(),
                &w.pool,
                &carol.pubkey(),
                "x",
            )],
            &[&carol],
        )
        .assert_error(E::PoolPaused);
    let more = w
        .chain
        .create_token_account("alice-more", &w.mint, &p.owner.pubkey(), 10);
    w.chain
        .fail(
            "stake while paused",
            &[ix::staking::stake(&p.owner.pubkey(), &w.mint, &more, 10)],
            &[&p.owner],
        )
        .assert_error(E::PoolPaused);
    w.chain
        .fail("lock while paused", &[w.lock_ix(&p, 1)], &[&w.slasher])
        .assert_error(E::PoolPaused);
    // ...but every way out still works.
    w.chain.ok(
        "request_unstake while paused",
        &[ix::staking::request_unstake(
            &p.owner.pubkey(),
            &w.mint,
            100,
        )],
        &[&p.owner],
    );
    w.chain.warp_seconds(60);
    w.chain.ok(
        "withdraw while paused",
        &[ix::staking::withdraw(&p.owner.pubkey(), &w.mint, &p.wallet)],
        &[&p.owner],
    );
    w.chain.ok(
        "resume",
        &[ix::staking::update_pool(
            &w.admin.pubkey(),
            &w.pool,
            None,
            None,
            pause(false),
        )],
        &[&w.admin],
    );
    w.chain
        .ok("lock after resume", &[w.lock_ix(&p, 500)], &[&w.slasher]);
    w.chain.ok(
        "pause again",
        &[ix::staking::update_pool(
            &w.admin.pubkey(),
            &w.pool,
            None,
            None,
            pause(true),
        )],
        &[&w.admin],
    );
    w.chain.ok(
        "unlock while paused",
        &[w.unlock_ix(&p, 200, false)],
        &[&w.slasher],
    );
    w.chain.ok(
        "slash while paused",
        &[w.slash_ix(&p, 300, 0)],
        &[&w.slasher],
    );
    w.chain.ok("sweep while paused", &[w.sweep_ix()], &[]);
    assert_eq!(
        w.chain.token_balance(&t2),
        300,
        "slashes follow the new treasury"
    );
    w.assert_invariants(&[&p]);
    w.chain
}

/// The sealevel attack classes against every staking instruction.
pub fn attacks(backend: Backend) -> TestChain {
    use anchor_lang::error::ErrorCode as A;
    let mut w = StakingWorld::new(backend);
    let alice = w.staked_provider("alice", 1_000, 1_000);
    let bob = w.staked_provider("bob", 1_000, 500);
    let payer = w.chain.payer.pubkey();

    // Missing signer: the owner's / slasher's signature flag stripped.
    let ix_ = unsign(w.stake_ix(&alice, 1), &alice.owner.pubkey());
    w.chain
        .fail("stake without owner signature", &[ix_], &[])
        .assert_error(anchor(A::AccountNotSigner));
    let ix_ = unsign(
        ix::staking::request_unstake(&alice.owner.pubkey(), &w.mint, 1),
        &alice.owner.pubkey(),
    );
    w.chain
        .fail("unstake without signature", &[ix_], &[])
        .assert_error(anchor(A::AccountNotSigner));
    let ix_ = unsign(w.lock_ix(&alice, 1), &w.slasher.pubkey());
    w.chain
        .fail("lock without slasher signature", &[ix_], &[])
        .assert_error(anchor(A::AccountNotSigner));

    // Someone else's provider account: bob signs for alice's account.
    let mut acc = ix::staking::request_unstake_accounts(&bob.owner.pubkey(), &w.mint);
    acc.provider = alice.account;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::RequestUnstake { amount: 1 },
    );
    w.chain
        .fail("unstake from another's provider", &[ix_], &[&bob.owner])
        .assert_error(E::NotProviderAuthority);
    let mut acc = ix::staking::withdraw_accounts(&bob.owner.pubkey(), &w.mint, &bob.wallet);
    acc.provider = alice.account;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::Withdraw {},
    );
    w.chain
        .fail("withdraw from another's provider", &[ix_], &[&bob.owner])
        .assert_error(E::NotProviderAuthority);
    let mut acc = ix::staking::close_provider_accounts(&bob.owner.pubkey(), &w.pool);
    acc.provider = alice.account;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::CloseProvider {},
    );
    w.chain
        .fail("close another's provider", &[ix_], &[&bob.owner])
        .assert_error(E::NotProviderAuthority);

    // Type cosplay: the pool passed where a provider is expected, and vice versa.
    let mut acc = ix::staking::lock_accounts(&w.slasher.pubkey(), &w.pool, &alice.account);
    acc.provider = w.pool;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::Lock { amount: 1 },
    );
    w.chain
        .fail("pool as provider", &[ix_], &[&w.slasher])
        .assert_error(anchor(A::AccountDiscriminatorMismatch));
    let mut acc = ix::staking::lock_accounts(&w.slasher.pubkey(), &w.pool, &alice.account);
    acc.pool = alice.account;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::Lock { amount: 1 },
    );
    w.chain
        .fail("provider as pool", &[ix_], &[&w.slasher])
        .assert_error(anchor(A::AccountDiscriminatorMismatch));

    // Wrong owner: a byte-perfect copy of alice's provider (with bob as owner) held by another program.
    let mut forged: Provider = w.chain.account(&alice.account);
    forged.authority = bob.owner.pubkey();
    forged.staked = u64::MAX;
    let mut data = Vec::new();
    forged.try_serialize(&mut data).unwrap();
    let fake = w.chain.keypair("forged-provider").pubkey();
    let lamports = w.chain.svm.minimum_balance_for_rent_exemption(data.len());
    w.chain
        .svm
        .set_account(
            fake,
            Account {
                lamports,
                data,
                owner: depin_jobs::ID,
                executable: false,
                rent_epoch: 0,
            },
        )
        .unwrap();
    let mut acc = ix::staking::request_unstake_accounts(&bob.owner.pubkey(), &w.mint);
    acc.provider = fake;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::RequestUnstake { amount: 1 },
    );
    w.chain
        .fail("provider owned by another program", &[ix_], &[&bob.owner])
        .assert_error(anchor(A::AccountOwnedByWrongProgram));

    // The bond instructions read the pool and the provider in place (`depin_staking::in_place`):
    // they refuse each other's accounts and a look-alike owned by another program, with the
    // errors Anchor's decode gave.
    let slasher = w.slasher.pubkey();
    let unlock_1 = UnlockArgs {
        amount: 1,
        completed: false,
    };
    let slash_1 = SlashArgs {
        amount: 1,
        release: 0,
    };
    let confused = [
        (
            "slash with the pool as the provider",
            ix::staking::slash(&slasher, &w.pool, &w.pool, slash_1.clone()),
            anchor(A::AccountDiscriminatorMismatch),
        ),
        (
            "lock with the staking config as the pool",
            ix::staking::lock(&slasher, &pda::staking_config().0, &bob.account, 1),
            anchor(A::AccountDiscriminatorMismatch),
        ),
        (
            "unlock with the provider as the pool",
            ix::staking::unlock(&slasher, &bob.account, &bob.account, unlock_1),
            anchor(A::AccountDiscriminatorMismatch),
        ),
        (
            "lock with a provider owned by another program",
            ix::staking::lock(&slasher, &w.pool, &fake, 1),
            anchor(A::AccountOwnedByWrongProgram),
        ),
        (
            "slash with a provider owned by another program",
            ix::staking::slash(&slasher, &w.pool, &fake, slash_1),
            anchor(A::AccountOwnedByWrongProgram),
        ),
    ];
    for (label, ix_, err) in confused {
        w.chain.fail(label, &[ix_], &[&w.slasher]).assert_error(err);
    }

    // A provider of another pool (another stake mint).
    let other_mint = w.chain.create_mint("other-stake-mint", 6);
    let other_treasury = w
        .chain
        .create_token_account("other-treasury", &other_mint, &payer, 0);
    let other_slasher = w.slasher.pubkey();
    w.chain.ok(
        "second pool",
        &[ix::staking::initialize_pool(
            &w.admin.pubkey(),
            &w.deployer.pubkey(),
            &other_mint,
            &other_treasury,
            InitializePoolArgs {
                unbonding_seconds: 0,
                slasher: other_slasher,
            },
        )],
        &[&w.admin, &w.deployer],
    );
    let other_pool = pda::pool(&other_mint).0;
    let ix_ = ix::staking::lock(&w.slasher.pubkey(), &other_pool, &alice.account, 1);
    w.chain
        .fail("lock through a foreign pool", &[ix_], &[&w.slasher])
        .assert_error(E::WrongPool);
    let (slasher, release_1) = (
        w.slasher.pubkey(),
        UnlockArgs {
            amount: 1,
            completed: false,
        },
    );
    let ix_ = ix::staking::unlock(&slasher, &other_pool, &alice.account, release_1);
    w.chain
        .fail("unlock through a foreign pool", &[ix_], &[&w.slasher])
        .assert_error(E::WrongPool);
    let slash_1 = SlashArgs {
        amount: 1,
        release: 0,
    };
    let ix_ = ix::staking::slash(&slasher, &other_pool, &alice.account, slash_1);
    w.chain
        .fail("slash through a foreign pool", &[ix_], &[&w.slasher])
        .assert_error(E::WrongPool);
    let mut acc = ix::staking::request_unstake_accounts(&alice.owner.pubkey(), &w.mint);
    acc.pool = other_pool;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::RequestUnstake { amount: 1 },
    );
    w.chain
        .fail(
            "unstake via foreign pool (0 unbonding)",
            &[ix_],
            &[&alice.owner],
        )
        .assert_error(E::WrongPool);

    // Wrong mint, foreign vault, fake token program.
    let other_tokens =
        w.chain
            .create_token_account("alice-other-tokens", &other_mint, &alice.owner.pubkey(), 10);
    let ix_ = ix::staking::stake(&alice.owner.pubkey(), &w.mint, &other_tokens, 10);
    w.chain
        .fail("stake tokens of another mint", &[ix_], &[&alice.owner])
        .assert_error(E::WrongMint);
    let mut acc = ix::staking::stake_accounts(&alice.owner.pubkey(), &w.mint, &alice.wallet);
    acc.stake_mint = other_mint;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::Stake { amount: 1 },
    );
    w.chain
        .fail("stake naming another mint", &[ix_], &[&alice.owner])
        .assert_error(E::WrongMint);
    let fake_vault = w
        .chain
        .create_token_account("fake-vault", &w.mint, &alice.owner.pubkey(), 0);
    let mut acc = ix::staking::stake_accounts(&alice.owner.pubkey(), &w.mint, &alice.wallet);
    acc.vault = fake_vault;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::Stake { amount: 1 },
    );
    w.chain
        .fail("stake into a foreign vault", &[ix_], &[&alice.owner])
        .assert_error(E::WrongVault);
    let mut acc = ix::staking::sweep_slashed_accounts(&w.mint, &w.treasury);
    acc.vault = pda::vault(&other_pool).0;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::SweepSlashed {},
    );
    w.chain
        .fail("sweep from another pool's vault", &[ix_], &[])
        .assert_error(E::WrongVault);
    let mut acc = ix::staking::stake_accounts(&alice.owner.pubkey(), &w.mint, &alice.wallet);
    acc.token_program = depin_jobs::ID;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::Stake { amount: 1 },
    );
    w.chain
        .fail("fake token program", &[ix_], &[&alice.owner])
        .assert_error(anchor(A::InvalidProgramId));
    let someone_else =
        w.chain
            .create_token_account("bob-wallet-2", &w.mint, &bob.owner.pubkey(), 5);
    let ix_ = ix::staking::stake(&alice.owner.pubkey(), &w.mint, &someone_else, 5);
    w.chain
        .fail("stake from someone else's tokens", &[ix_], &[&alice.owner])
        .assert_error(E::WrongTokenOwner);

    // Duplicate mutable accounts: the vault as withdraw destination (Anchor's own check).
    w.chain.ok(
        "bob unstakes",
        &[ix::staking::request_unstake(
            &bob.owner.pubkey(),
            &w.mint,
            100,
        )],
        &[&bob.owner],
    );
    w.chain.warp_seconds(UNBONDING);
    let ix_ = ix::staking::withdraw(&bob.owner.pubkey(), &w.mint, &w.vault);
    w.chain
        .fail("withdraw into the vault", &[ix_], &[&bob.owner])
        .assert_error(anchor(A::ConstraintDuplicateMutableAccount));
    let mut acc = ix::staking::stake_accounts(&alice.owner.pubkey(), &w.mint, &alice.wallet);
    acc.source = w.vault;
    let ix_ = ix::instruction(
        depin_staking::ID,
        acc,
        depin_staking::instruction::Stake { amount: 1 },
    );
    w.chain
        .fail("stake from the vault", &[ix_], &[&alice.owner])
        .assert_error(anchor(A::ConstraintDuplicateMutableAccount));

    // Lock / unlock / slash signed by anyone but the slasher.
    for (who, kp) in [("admin", &w.admin), ("owner", &alice.owner)] {
        let k = kp.pubkey();
        w.chain
            .fail(
                &format!("lock by {who}"),
                &[ix::staking::lock(&k, &w.pool, &alice.account, 1)],
                &[kp],
            )
            .assert_error(E::NotSlasher);
        let args = UnlockArgs {
            amount: 1,
            completed: true,
        };
        w.chain
            .fail(
                &format!("unlock by {who}"),
                &[ix::staking::unlock(&k, &w.pool, &alice.account, args)],
                &[kp],
            )
            .assert_error(E::NotSlasher);
        let args = SlashArgs {
            amount: 1,
            release: 0,
        };
        w.chain
            .fail(
                &format!("slash by {who}"),
                &[ix::staking::slash(&k, &w.pool, &alice.account, args)],
                &[kp],
            )
            .assert_error(E::NotSlasher);
    }
    // Slashed stake goes to the treasury and nowhere else: a slash names no destination and
    // the sweep accepts only the pool's treasury.
    w.chain
        .ok("lock alice 100", &[w.lock_ix(&alice, 100)], &[&w.slasher]);
    let ix_ = ix::staking::sweep_slashed(&w.mint, &alice.wallet);
    w.chain
        .fail("sweep to someone's choice", &[ix_], &[])
        .assert_error(E::WrongDestination);

    // An unstake that front-runs a lock wins; slashing cannot reach unbonding or free stake.
    w.chain.ok(
        "alice unstakes the rest",
        &[ix::staking::request_unstake(
            &alice.owner.pubkey(),
            &w.mint,
            900,
        )],
        &[&alice.owner],
    );
    w.chain
        .fail("lock after unstake", &[w.lock_ix(&alice, 1)], &[&w.slasher])
        .assert_error(E::InsufficientFreeStake);
    w.chain
        .fail(
            "slash beyond locked",
            &[w.slash_ix(&alice, 101, 0)],
            &[&w.slasher],
        )
        .assert_error(E::InsufficientLocked);
    w.chain
        .fail(
            "slash + release beyond locked",
            &[w.slash_ix(&alice, 60, 41)],
            &[&w.slasher],
        )
        .assert_error(E::InsufficientLocked);
    w.chain
        .fail(
            "unlock beyond locked",
            &[w.unlock_ix(&alice, 101, false)],
            &[&w.slasher],
        )
        .assert_error(E::InsufficientLocked);
    w.chain
        .fail("slash zero", &[w.slash_ix(&alice, 0, 100)], &[&w.slasher])
        .assert_error(E::ZeroAmount);
    w.chain
        .fail("lock zero", &[w.lock_ix(&alice, 0)], &[&w.slasher])
        .assert_error(E::ZeroAmount);
    w.chain
        .fail(
            "unlock zero",
            &[w.unlock_ix(&alice, 0, true)],
            &[&w.slasher],
        )
        .assert_error(E::ZeroAmount);
    w.chain.ok(
        "slash all locked",
        &[w.slash_ix(&alice, 100, 0)],
        &[&w.slasher],
    );
    assert_eq!(w.amounts(&alice), (900, 0, 900));

    // Re-initialisation.
    w.chain.fail(
        "register twice",
        &[ix::staking::register_provider(
            &alice.owner.pubkey(),
            &w.pool,
            &alice.owner.pubkey(),
            "again",
        )],
        &[&alice.owner],
    );
    assert_eq!(
        w.provider_state(&alice).staked,
        900,
        "re-registration changed nothing"
    );
    let ix_ = ix::staking::initialize_pool(
        &w.admin.pubkey(),
        &w.deployer.pubkey(),
        &w.mint,
        &w.treasury,
        InitializePoolArgs {
            unbonding_seconds: 0,
            slasher: payer,
        },
    );
    w.chain
        .fail(
            "initialize the pool twice",
            &[ix_],
            &[&w.admin, &w.deployer],
        )
        .assert_error(E::PoolExists);
    assert_eq!(w.pool_state().slasher, w.slasher.pubkey());

    // Close and revive: closing and refunding the address in one transaction leaves a
    // system-owned husk that no instruction accepts.
    let carol = w.provider("carol", 0);
    let close = ix::staking::close_provider(&carol.owner.pubkey(), &w.pool);
    let revive = anchor_lang::solana_program::system_instruction::transfer(
        &payer,
        &carol.account,
        10_000_000,
    );
    w.chain.ok(
        "close and refund in one tx",
        &[close, revive],
        &[&carol.owner],
    );
    let husk = w.chain.svm.get_account(&carol.account).unwrap();
    assert_eq!(husk.owner, anchor_lang::system_program::ID);
    assert!(husk.data.is_empty());
    let ix_ = ix::staking::request_unstake(&carol.owner.pubkey(), &w.mint, 1);
    let f = w
        .chain
        .fail("use the revived provider", &[ix_], &[&carol.owner]);
    assert!(
        matches!(f.err, TransactionError::InstructionError(0, InstructionError::Custom(c)) if c == anchor(A::AccountOwnedByWrongProgram) || c == anchor(A::AccountNotInitialized)),
        "{:?}",
        f.err
    );
    w.assert_invariants(&[&alice, &bob]);
    w.chain
}

/// u64 edges: the whole supply staked, locked and slashed; every overflow refused.
pub fn u64_edges(backend: Backend) -> TestChain {
    let mut w = StakingWorld::new(backend);
    let whale = w.staked_provider("whale", u64::MAX, u64::MAX);
    assert_eq!(w.pool_state().total_staked, u64::MAX);
    w.chain
        .fail(
            "unlock with nothing locked",
            &[w.unlock_ix(&whale, u64::MAX, false)],
            &[&w.slasher],
        )
        .assert_error(E::InsufficientLocked);
    w.chain.ok(
        "lock everything",
        &[w.lock_ix(&whale, u64::MAX)],
        &[&w.slasher],
    );
    w.chain
        .fail("lock one more", &[w.lock_ix(&whale, 1)], &[&w.slasher])
        .assert_error(E::InsufficientFreeStake);
    let ix_ = ix::staking::request_unstake(&whale.owner.pubkey(), &w.mint, 1);
    w.chain
        .fail("unstake with all locked", &[ix_], &[&whale.owner])
        .assert_error(E::InsufficientFreeStake);
    w.chain.ok(
        "slash MAX-1 release 1",
        &[w.slash_ix(&whale, u64::MAX - 1, 1)],
        &[&w.slasher],
    );
    assert_eq!(w.amounts(&whale), (1, 0, 0));
    assert_eq!(w.pool_state().pending_slashed, u64::MAX - 1);
    w.assert_invariants(&[&whale]);
    w.chain.ok("sweep u64::MAX - 1", &[w.sweep_ix()], &[]);
    assert_eq!(w.chain.token_balance(&w.treasury), u64::MAX - 1);
    let ix_ = ix::staking::request_unstake(&whale.owner.pubkey(), &w.mint, u64::MAX);
    w.chain
        .fail("unstake u64::MAX", &[ix_], &[&whale.owner])
        .assert_error(E::InsufficientFreeStake);
    w.chain.ok(
        "unstake the last unit",
        &[ix::staking::request_unstake(
            &whale.owner.pubkey(),
            &w.mint,
            1,
        )],
        &[&whale.owner],
    );
    w.chain.warp_seconds(UNBONDING);
    w.chain.ok(
        "withdraw the last unit",
        &[ix::staking::withdraw(
            &whale.owner.pubkey(),
            &w.mint,
            &whale.wallet,
        )],
        &[&whale.owner],
    );
    assert_eq!(w.pool_state().total_staked, 0);
    assert_eq!(w.pool_state().total_slashed, u64::MAX - 1);
    w.assert_invariants(&[&whale]);
    // The clock at the edge: an unbonding delay that would overflow i64 is refused.
    w.chain.set_unix_timestamp(i64::MAX - 10);
    w.chain
        .ok("restake", &[w.stake_ix(&whale, 1)], &[&whale.owner]);
    let ix_ = ix::staking::request_unstake(&whale.owner.pubkey(), &w.mint, 1);
    w.chain
        .fail("unbond_at past i64::MAX", &[ix_], &[&whale.owner])
        .assert_error(E::MathOverflow);
    w.chain
}
