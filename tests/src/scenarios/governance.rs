//! Funds safety and governance attacks (issue #13), one scenario per attack, each computing the
//! attacker's net payoff in tokens and asserting it is at most zero while the honest parties
//! who did the work end positive:
//!
//! - a stranger's **donation** to every token account the programs own or check (stake vault,
//!   escrow, fee vault, pool treasury) followed by every instruction that reads it;
//! - a stranger **pre-funding** the addresses of PDAs before they are created;
//! - a stranger **front-running** the creation of configs, pools and markets;
//! - an admin **raising rates** without limit or without notice, or **breaking the fee
//!   account** to block refunds;
//! - a thief holding the worker's **operator key** trying to move stake or payouts;
//! - a stranger **publishing a policy** for someone else's provider (what requesters read to
//!   learn why nobody claims).

use anchor_lang::prelude::Pubkey;
use depin_client::{ix, pda, Market, Pool};
use depin_jobs::{
    instructions::{MarketConfig, UpdateMarketArgs},
    JobsError as E,
};
use depin_staking::{instructions::InitializePoolArgs, StakingError as SE};
use solana_sdk::{
    instruction::Instruction,
    signature::{Keypair, Signer},
};

use super::{
    jobs::{test_config, JobsWorld},
    settlement::{result, SettleWorld, FEE, PAYOUT, REWARD},
    staking::{StakingWorld, UNBONDING},
};
use crate::{Backend, TestChain};

/// A stranger with `amount` tokens of `mint` in a fresh token account; returns (key, account).
fn stranger(chain: &mut TestChain, label: &str, mint: &Pubkey, amount: u64) -> (Keypair, Pubkey) {
    let k = chain.funded_keypair(label, 1);
    let tokens = chain.create_token_account(&format!("{label}-tokens"), mint, &k.pubkey(), amount);
    (k, tokens)
}

/// An SPL transfer of `amount` from `from` (owned by `owner`) to `to`.
fn transfer(from: &Pubkey, to: &Pubkey, owner: &Pubkey, amount: u64) -> Instruction {
    anchor_spl::token::spl_token::instruction::transfer(
        &anchor_spl::token::ID,
        from,
        to,
        owner,
        &[],
        amount,
    )
    .expect("transfer instruction")
}

/// Donate `amount` from the stranger's account to `to`; returns the donor's payoff (−amount).
fn donate(chain: &mut TestChain, donor: &Keypair, from: &Pubkey, to: &Pubkey, amount: u64) -> i128 {
    chain.ok(
        &format!("donate {amount} to {to}"),
        &[transfer(from, to, &donor.pubkey(), amount)],
        &[donor],
    );
    -(amount as i128)
}

/// A one-unit (and a larger) donation to the stake vault freezes nothing: stake, unstake,
/// withdraw, lock, unlock, slash and sweep all still work; the sweep sends slashed stake and the
/// surplus to the pool treasury; no provider loses a unit; the donor's payoff is negative.
pub fn donation_to_stake_vault(backend: Backend) -> TestChain {
    let mut w = StakingWorld::new(backend);
    let alice = w.staked_provider("alice", 1_000_000, 600_000);
    let mint = w.mint;
    let (donor, tokens) = stranger(&mut w.chain, "donor", &mint, 1_006);
    let vault = w.vault;
    let mut payoff = donate(&mut w.chain, &donor, &tokens, &vault, 1);
    w.assert_invariants_with_surplus(&[&alice], 1);

    // Every instruction that checks the vault.
    w.chain.ok(
        "stake after the donation",
        &[w.stake_ix(&alice, 100_000)],
        &[&alice.owner],
    );
    let lock = w.lock_ix(&alice, 50_000);
    w.chain.ok("lock", &[lock], &[&w.slasher.insecure_clone()]);
    let slash = w.slash_ix(&alice, 10_000, 40_000);
    w.chain
        .ok("slash", &[slash], &[&w.slasher.insecure_clone()]);
    payoff += donate(&mut w.chain, &donor, &tokens, &vault, 1_000);
    w.assert_invariants_with_surplus(&[&alice], 1_001);
    let unstake = ix::staking::request_unstake(&alice.owner.pubkey(), &mint, 200_000);
    w.chain.ok("request_unstake", &[unstake], &[&alice.owner]);
    w.chain.warp_seconds(UNBONDING);
    let withdraw = ix::staking::withdraw(&alice.owner.pubkey(), &mint, &alice.wallet);
    w.chain.ok("withdraw", &[withdraw], &[&alice.owner]);
    w.assert_invariants_with_surplus(&[&alice], 1_001);

    // The sweep takes the slash and the surplus to the treasury, and nothing else.
    let treasury0 = w.chain.token_balance(&w.treasury);
    let sent = w.chain.ok("sweep slashed + surplus", &[w.sweep_ix()], &[]);
    if let Some(e) = w.chain.event::<depin_staking::events::SlashedSwept>(&sent) {
        assert_eq!((e.amount, e.slashed, e.surplus), (11_001, 10_000, 1_001));
    }
    assert_eq!(w.chain.token_balance(&w.treasury), treasury0 + 11_001);
    w.assert_invariants(&[&alice]);
    w.chain
        .fail("sweep again: nothing left", &[w.sweep_ix()], &[])
        .assert_error(SE::NothingToSweep);
    // A donation alone is swept too: nothing stays in the vault above its books.
    payoff += donate(&mut w.chain, &donor, &tokens, &vault, 5);
    let treasury0 = w.chain.token_balance(&w.treasury);
    w.chain.ok("sweep a bare donation", &[w.sweep_ix()], &[]);
    assert_eq!(w.chain.token_balance(&w.treasury), treasury0 + 5);
    w.assert_invariants(&[&alice]);

    // Alice: 1 000 000 − 10 000 slashed; wallet + stake, every unit accounted for.
    let st = w.provider_state(&alice);
    assert_eq!(
        w.chain.token_balance(&alice.wallet) + st.staked,
        1_000_000 - 10_000
    );
    assert_eq!(payoff, -1_006, "the donor only loses");
    w.chain
}

/// Donations to a job's escrow (before a cancel, before releases and the close) and to the
/// market's fee vault change no outcome: the requester gets the escrow surplus back, the
/// admin can withdraw the fee-vault surplus, providers are paid exactly; the donor loses.
pub fn donation_to_escrow_and_fee_vault(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    let pay_mint = sw.w.pay_mint;
    let (donor, tokens) = stranger(sw.chain(), "donor", &pay_mint, 10_000);
    let mut payoff = 0i128;

    // An open job nobody claimed: cancel refunds the deposit and the donation.
    let job = sw.post(3);
    let escrow = sw.w.escrow_of(&job);
    payoff += donate(sw.chain(), &donor, &tokens, &escrow, 100);
    let requester = sw.w.requester.insecure_clone();
    let before = sw.w.s.chain.token_balance(&sw.w.requester_tokens);
    let cancel = ix::jobs::cancel_job(&requester.pubkey(), &job, &escrow, &sw.w.requester_tokens);
    sw.chain()
        .ok("cancel after a donation", &[cancel], &[&requester]);
    assert_eq!(
        sw.w.s.chain.token_balance(&sw.w.requester_tokens),
        before + 3 * REWARD + 100
    );

    // A job that runs: donations to its escrow and to the fee vault before settlement.
    let fee_vault = sw.w.fee_vault;
    let job = sw.post(3);
    for i in 0..3 {
        sw.claim(i, &job);
    }
    let escrow = sw.w.escrow_of(&job);
    payoff += donate(sw.chain(), &donor, &tokens, &escrow, 200);
    payoff += donate(sw.chain(), &donor, &tokens, &fee_vault, 300);
    let pay0: Vec<u64> = (0..3)
        .map(|i| sw.w.s.chain.token_balance(&sw.pay[i]))
        .collect();
    let req0 = sw.w.s.chain.token_balance(&sw.w.requester_tokens);
    let vault0 = sw.w.s.chain.token_balance(&fee_vault);
    finish_agreed(&mut sw, &job);
    for (i, p0) in pay0.iter().enumerate() {
        assert_eq!(
            sw.w.s.chain.token_balance(&sw.pay[i]),
            p0 + PAYOUT,
            "sp{i} paid exactly"
        );
    }
    // deposited 30 000 = 3 payouts + 3 fees; the escrow donation goes to the requester.
    assert_eq!(
        sw.w.s.chain.token_balance(&sw.w.requester_tokens),
        req0 + 200
    );
    assert_eq!(sw.w.s.chain.token_balance(&fee_vault), vault0 + 3 * FEE);

    // The admin withdraws everything in the fee vault, donation included.
    let admin = sw.w.s.admin.insecure_clone();
    let dest = sw
        .chain()
        .create_token_account("admin-fees", &pay_mint, &admin.pubkey(), 0);
    let all = sw.w.s.chain.token_balance(&fee_vault);
    let withdraw = ix::jobs::withdraw_fees(&admin.pubkey(), &sw.w.market, &dest, None);
    sw.chain().ok("withdraw all fees", &[withdraw], &[&admin]);
    assert_eq!(sw.w.s.chain.token_balance(&dest), all);
    assert_eq!(sw.w.s.chain.token_balance(&fee_vault), 0);
    assert_eq!(payoff, -600, "the donor only loses");
    sw.w.s.chain
}

/// Providers 0, 1, 2 (holding `job`) commit and reveal result 1; the job is settled.
fn commit_reveal_settle(sw: &mut SettleWorld, job: &Pubkey) {
    for i in 0..3 {
        let c = sw.w.commit_ix(&sw.ps[i], job, result(1), [i as u8 + 1; 32]);
        let op = sw.ps[i].operator.insecure_clone();
        sw.chain().ok(&format!("sp{i} commits"), &[c], &[&op]);
    }
    for i in 0..3 {
        let r = sw.w.reveal_ix(&sw.ps[i], job, result(1), [i as u8 + 1; 32]);
        let op = sw.ps[i].operator.insecure_clone();
        sw.chain().ok(&format!("sp{i} reveals"), &[r], &[&op]);
    }
    sw.chain().ok("settle", &[ix::jobs::settle_job(job)], &[]);
}

/// Settle the agreed 3-replica `job` claimed by providers 0, 1, 2 (all reveal result 1),
/// release every slot and close it.
fn finish_agreed(sw: &mut SettleWorld, job: &Pubkey) {
    commit_reveal_settle(sw, job);
    let keys = sw.w.keys();
    let j = sw.w.job(job);
    for i in 0..3 {
        let slot = j.slot_of(&sw.ps[i].account).unwrap();
        let r = ix::jobs::release_for(&j, slot, sw.pay[i]).unwrap();
        let ix_ = ix::jobs::release_slot(&keys, job, &j.escrow, &sw.ps[i].account, r);
        sw.chain().ok(&format!("release sp{i}"), &[ix_], &[]);
    }
    let requester = sw.w.requester.pubkey();
    let close = ix::jobs::close_job(&keys, job, &j.escrow, &requester, &sw.w.requester_tokens);
    sw.chain().ok("close", &[close], &[]);
}

/// Lamports sent to the addresses of accounts before they exist (pool, vault) do not stop
/// their creation. [`prefunded_market`] adds the provider, market, fee vault, job and escrow,
/// natively only: on the upstream-LLVM SBF build, Anchor's `init` of those accounts at a
/// pre-funded address misbehaves (a provider URI byte and job fields come out different,
/// `initialize_market` faults); see docs/sbf-toolchain.md, open finding.
pub fn prefunded_addresses(backend: Backend) -> TestChain {
    prefunded(backend, false)
}

/// [`prefunded_addresses`] with the market and fee-vault addresses pre-funded too.
pub fn prefunded_market(backend: Backend) -> TestChain {
    prefunded(backend, true)
}

fn prefunded(backend: Backend, market_too: bool) -> TestChain {
    let mut chain = TestChain::new(backend);
    let deployer = chain.deployer_with_configs();
    let admin = chain.funded_keypair("admin", 10);
    let stake_mint = chain.create_mint("stake-mint", 6);
    let pay_mint = chain.create_mint("pay-mint", 6);
    let treasury = chain.create_token_account("treasury", &stake_mint, &admin.pubkey(), 0);
    let pool = pda::pool(&stake_mint).0;
    let market = pda::market(&pay_mint, 1).0;
    let alice = chain.funded_keypair("alice", 2);
    let requester = chain.funded_keypair("requester", 10);
    let requester_tokens =
        chain.create_token_account("requester-tokens", &pay_mint, &requester.pubkey(), 100_000);
    let nonce = pda::job_nonce(&market, &requester.pubkey(), 1);
    let job = pda::job(&market, &requester.pubkey(), nonce).0;
    // The escrow's address is a fresh keypair's, unknown before the post is sent; the
    // griefer is given it anyway, as if it had seen an earlier attempt of the post.
    let escrow = chain.new_escrow();
    let griefer = chain.funded_keypair("griefer", 10);
    let mut targets = vec![pool, pda::vault(&pool).0];
    if market_too {
        targets.extend([
            job,
            escrow,
            pda::provider(&pool, &alice.pubkey()).0,
            market,
            pda::fee_vault(&market).0,
        ]);
    }
    let spent = 1_000_000 * targets.len() as u64;
    for t in targets {
        let ix_ = anchor_lang::solana_program::system_instruction::transfer(
            &griefer.pubkey(),
            &t,
            1_000_000,
        );
        chain.ok("pre-fund a future PDA", &[ix_], &[&griefer]);
    }
    let args = InitializePoolArgs {
        unbonding_seconds: 0,
        slasher: pda::slasher().0,
    };
    let d = deployer.pubkey();
    let ix_ = ix::staking::initialize_pool(&admin.pubkey(), &d, &stake_mint, &treasury, args);
    chain.ok("pool despite pre-funding", &[ix_], &[&admin, &deployer]);
    let ix_ = ix::staking::register_provider(&alice.pubkey(), &pool, &alice.pubkey(), "a");
    chain.ok("provider despite pre-funding", &[ix_], &[&alice]);
    let ix_ = ix::jobs::initialize_market(&admin.pubkey(), &d, &pay_mint, &pool, test_config());
    chain.ok("market despite pre-funding", &[ix_], &[&admin, &deployer]);
    let args = depin_jobs::instructions::PostJobArgs {
        nonce,
        spec_hash: [7; 32],
        spec_uri: "file:///m".into(),
        reward_per_replica: 10_000,
        replicas: 1,
        bond: 5_000,
        expected_fee_bps: test_config().fee_bps,
        key_commitment: [0; 32],
    };
    let ix_ = ix::jobs::post_job(
        &requester.pubkey(),
        &market,
        &pay_mint,
        &requester_tokens,
        &escrow,
        args,
    );
    chain.ok("job despite pre-funding", &[ix_], &[&requester]);
    assert_eq!(chain.escrow_of(&job), escrow);
    assert_eq!(chain.token_balance(&escrow), 10_000);
    let m: Market = chain.account(&market);
    assert_eq!(m.fee_vault, pda::fee_vault(&market).0);
    // The griefer's lamports became part of the accounts' rent: its payoff is −spent.
    assert!(spent > 0);
    chain
}

/// A PDA of `seeds` under `program` at a bump below the canonical one: an address the
/// program could sign for, but not the one everyone derives.
fn non_canonical(seeds: &[&[u8]], program: &Pubkey) -> Pubkey {
    let (_, canonical) = Pubkey::find_program_address(seeds, program);
    (0..canonical)
        .rev()
        .find_map(|b| {
            let mut with_bump = seeds.to_vec();
            let bump = [b];
            with_bump.push(&bump);
            Pubkey::create_program_address(&with_bump, program).ok()
        })
        .expect("a lower bump")
}

/// The initialisers create their accounts themselves (not Anchor's `init`), so they check the
/// addresses themselves: a pool, vault, market or fee vault at any address but its canonical
/// PDA (another bump of the same seeds, another account) is refused, and so is a second
/// creation; nothing is created by a refused one.
pub fn creation_only_at_canonical_addresses(backend: Backend) -> TestChain {
    let mut s = StakingWorld::with_slasher(backend, pda::slasher().0);
    let (admin, deployer) = (s.admin.insecure_clone(), s.deployer.insecure_clone());
    let (a, d) = (admin.pubkey(), deployer.pubkey());
    let mint = s.chain.create_mint("second-stake-mint", 6);
    let treasury = s
        .chain
        .create_token_account("second-treasury", &mint, &a, 0);
    let args = InitializePoolArgs {
        unbonding_seconds: 0,
        slasher: pda::slasher().0,
    };
    let pool_ix = |f: &dyn Fn(&mut depin_staking::accounts::InitializePool)| {
        let mut accounts = ix::staking::initialize_pool_accounts(&a, &d, &mint, &treasury);
        f(&mut accounts);
        ix::instruction(
            depin_staking::ID,
            accounts,
            depin_staking::instruction::InitializePool { args: args.clone() },
        )
    };
    let staking = depin_staking::ID;
    let pool = pda::pool(&mint).0;
    let other_pool = non_canonical(&[depin_core::seeds::POOL, mint.as_ref()], &staking);
    let other_vault = non_canonical(&[depin_core::seeds::VAULT, pool.as_ref()], &staking);
    let stranger = crate::derive_keypair("stray-pool").pubkey();
    let cases: Vec<(&str, Instruction, SE)> = vec![
        (
            "pool at another bump of its seeds",
            pool_ix(&|x| {
                x.pool = other_pool;
                x.vault = pda::vault(&other_pool).0;
            }),
            SE::WrongPoolAddress,
        ),
        (
            "pool at a keypair's address",
            pool_ix(&|x| x.pool = stranger),
            SE::WrongPoolAddress,
        ),
        (
            "vault at another bump of its seeds",
            pool_ix(&|x| x.vault = other_vault),
            SE::WrongVaultAddress,
        ),
        (
            "vault at the pool's own address",
            pool_ix(&|x| x.vault = pool),
            SE::WrongVaultAddress,
        ),
    ];
    for (label, ix_, err) in cases {
        s.chain
            .fail(label, &[ix_], &[&admin, &deployer])
            .assert_error(err);
    }
    for gone in [pool, other_pool, other_vault, pda::vault(&pool).0] {
        assert!(!s.chain.exists(&gone), "a refused creation created nothing");
    }
    s.chain
        .ok("the pool", &[pool_ix(&|_| {})], &[&admin, &deployer]);
    s.chain
        .fail("the pool again", &[pool_ix(&|_| {})], &[&admin, &deployer])
        .assert_error(SE::PoolExists);

    let pay_mint = s.chain.create_mint("pay-mint", 6);
    let market_ix = |f: &dyn Fn(&mut depin_jobs::accounts::InitializeMarket)| {
        let mut accounts = ix::jobs::initialize_market_accounts(&a, &d, &pay_mint, 1, &pool);
        f(&mut accounts);
        ix::instruction(
            depin_jobs::ID,
            accounts,
            depin_jobs::instruction::InitializeMarket {
                args: test_config(),
            },
        )
    };
    let jobs = depin_jobs::ID;
    let market = pda::market(&pay_mint, 1).0;
    let id = 1u64.to_le_bytes();
    let other_market = non_canonical(&[depin_core::seeds::MARKET, pay_mint.as_ref(), &id], &jobs);
    let other_fee_vault = non_canonical(&[depin_core::seeds::FEE_VAULT, market.as_ref()], &jobs);
    let market_2 = pda::market(&pay_mint, 2).0;
    let cases: Vec<(&str, Instruction, E)> = vec![
        (
            "market at another bump of its seeds",
            market_ix(&|x| {
                x.market = other_market;
                x.fee_vault = pda::fee_vault(&other_market).0;
            }),
            E::WrongMarketAddress,
        ),
        (
            "market at the address of another market id",
            market_ix(&|x| {
                x.market = market_2;
                x.fee_vault = pda::fee_vault(&market_2).0;
            }),
            E::WrongMarketAddress,
        ),
        (
            "fee vault at another bump of its seeds",
            market_ix(&|x| x.fee_vault = other_fee_vault),
            E::WrongFeeVaultAddress,
        ),
    ];
    for (label, ix_, err) in cases {
        s.chain
            .fail(label, &[ix_], &[&admin, &deployer])
            .assert_error(err);
    }
    for gone in [market, other_market, market_2, other_fee_vault] {
        assert!(!s.chain.exists(&gone), "a refused creation created nothing");
    }
    s.chain
        .ok("the market", &[market_ix(&|_| {})], &[&admin, &deployer]);
    s.chain
        .fail(
            "the market again",
            &[market_ix(&|_| {})],
            &[&admin, &deployer],
        )
        .assert_error(E::MarketExists);
    let m: Market = s.chain.account(&market);
    assert_eq!(
        (m.bump, m.fee_vault),
        (pda::market(&pay_mint, 1).1, pda::fee_vault(&market).0)
    );
    s.chain
}

/// Nobody but the upgrade authority can create a config, nobody but the config authority a
/// pool: a stranger who goes first cannot choose a pool's admin, slasher or treasury. The
/// authority can be handed over (co-signed), after which the old key is powerless.
pub fn front_run_pool_creation(backend: Backend) -> TestChain {
    let mut chain = TestChain::new(backend);
    let stranger = chain.funded_keypair("stranger", 10);
    let s = stranger.pubkey();
    // The config itself: only the upgrade authority, and only once.
    chain
        .fail(
            "stranger creates the staking config",
            &[ix::staking::initialize_config(&s, &s)],
            &[&stranger],
        )
        .assert_error(SE::NotUpgradeAuthority);
    // A forged ProgramData (the stranger's own account claiming the stranger as authority) is
    // not at the loader's address for this program.
    let forged = chain.keypair("forged-programdata").pubkey();
    let mut data = vec![0u8; 45];
    data[..4].copy_from_slice(&3u32.to_le_bytes());
    data[12] = 1;
    data[13..45].copy_from_slice(s.as_ref());
    chain
        .svm
        .set_account(
            forged,
            solana_sdk::account::Account {
                lamports: 1_000_000_000,
                data,
                owner: anchor_lang::solana_program::bpf_loader_upgradeable::ID,
                executable: false,
                rent_epoch: 0,
            },
        )
        .unwrap();
    let mut forged_ix = ix::staking::initialize_config(&s, &s);
    forged_ix.accounts[2].pubkey = forged;
    chain
        .fail(
            "config through a forged ProgramData",
            &[forged_ix],
            &[&stranger],
        )
        .assert_error(u32::from(anchor_lang::error::ErrorCode::ConstraintSeeds));
    let deployer = chain.deployer_with_configs();
    chain.fail(
        "config created twice",
        &[ix::staking::initialize_config(&deployer.pubkey(), &s)],
        &[&deployer],
    );

    // The pool of a stake mint: the stranger cannot create it, even naming itself admin.
    let mint = chain.create_mint("stake-mint", 6);
    let bad_treasury = chain.create_token_account("stranger-treasury", &mint, &s, 0);
    let evil = InitializePoolArgs {
        unbonding_seconds: 365 * 24 * 3600,
        slasher: s,
    };
    chain
        .fail(
            "stranger creates the pool",
            &[ix::staking::initialize_pool(
                &s,
                &s,
                &mint,
                &bad_treasury,
                evil.clone(),
            )],
            &[&stranger],
        )
        .assert_error(SE::NotConfigAuthority);
    assert!(!chain.exists(&pda::pool(&mint).0));

    // Hand-over: the new authority must co-sign; afterwards the old key cannot create.
    let next = chain.funded_keypair("next-authority", 1);
    let mut unsigned = ix::staking::set_config_authority(&deployer.pubkey(), &next.pubkey());
    unsigned.accounts[2].is_signer = false;
    chain.fail("hand-over without the new key", &[unsigned], &[&deployer]);
    chain
        .fail(
            "stranger takes the config",
            &[ix::staking::set_config_authority(&s, &s)],
            &[&stranger],
        )
        .assert_error(SE::NotConfigAuthority);
    chain.ok(
        "hand the config over",
        &[ix::staking::set_config_authority(
            &deployer.pubkey(),
            &next.pubkey(),
        )],
        &[&deployer, &next],
    );
    let treasury = chain.create_token_account("treasury", &mint, &next.pubkey(), 0);
    let args = InitializePoolArgs {
        unbonding_seconds: 0,
        slasher: pda::slasher().0,
    };
    let d = deployer.pubkey();
    chain
        .fail(
            "the old authority creates a pool",
            &[ix::staking::initialize_pool(
                &d,
                &d,
                &mint,
                &treasury,
                args.clone(),
            )],
            &[&deployer],
        )
        .assert_error(SE::NotConfigAuthority);
    let n = next.pubkey();
    chain.ok(
        "the new authority creates the pool",
        &[ix::staking::initialize_pool(&n, &n, &mint, &treasury, args)],
        &[&next],
    );
    let p: Pool = chain.account(&pda::pool(&mint).0);
    assert_eq!(
        (p.admin, p.slasher, p.treasury),
        (n, pda::slasher().0, treasury)
    );
    chain
}

/// Nobody but the jobs config authority can create a market, so a stranger cannot choose its
/// admin and rates (fee 100 %) before the real one.
pub fn front_run_market_creation(backend: Backend) -> TestChain {
    let mut s = StakingWorld::with_slasher(backend, pda::slasher().0);
    let pay_mint = s.chain.create_mint("pay-mint", 6);
    let stranger = s.chain.funded_keypair("stranger", 10);
    let k = stranger.pubkey();
    let greedy = MarketConfig {
        fee_bps: 2_000,
        ..test_config()
    };
    s.chain
        .fail(
            "stranger creates the market",
            &[ix::jobs::initialize_market(
                &k, &k, &pay_mint, &s.pool, greedy,
            )],
            &[&stranger],
        )
        .assert_error(E::NotConfigAuthority);
    s.chain.fail(
        "stranger re-creates the jobs config",
        &[ix::jobs::initialize_config(&k, &k)],
        &[&stranger],
    );
    s.chain
        .fail(
            "stranger takes the jobs config",
            &[ix::jobs::set_config_authority(&k, &k)],
            &[&stranger],
        )
        .assert_error(E::NotConfigAuthority);
    assert!(!s.chain.exists(&pda::market(&pay_mint, 1).0));
    let (admin, deployer) = (s.admin.insecure_clone(), s.deployer.insecure_clone());
    bad_market_accounts(&mut s, &pay_mint);
    s.chain.ok(
        "the authority creates the market",
        &[ix::jobs::initialize_market(
            &admin.pubkey(),
            &deployer.pubkey(),
            &pay_mint,
            &s.pool,
            test_config(),
        )],
        &[&admin, &deployer],
    );
    let m: Market = s.chain.account(&pda::market(&pay_mint, 1).0);
    assert_eq!((m.admin, m.config.fee_bps), (admin.pubkey(), 250));
    s.chain
}

/// Market creation by the authority, with each account the program reads in place or checks by
/// address replaced: refused, nothing created.
fn bad_market_accounts(s: &mut StakingWorld, pay_mint: &Pubkey) {
    use anchor_lang::error::ErrorCode as A;
    let code = |c: A| -> u32 { c.into() };
    let (admin, deployer) = (s.admin.insecure_clone(), s.deployer.insecure_clone());
    let with = |f: &dyn Fn(&mut depin_jobs::accounts::InitializeMarket)| {
        let mut a = ix::jobs::initialize_market_accounts(
            &admin.pubkey(),
            &deployer.pubkey(),
            pay_mint,
            1,
            &s.pool,
        );
        f(&mut a);
        ix::instruction(
            depin_jobs::ID,
            a,
            depin_jobs::instruction::InitializeMarket {
                args: test_config(),
            },
        )
    };
    // A pool whose slasher is someone else's key: its bonds would not answer to this program.
    let stake2 = s.chain.create_mint("stake-mint-2", 6);
    let treasury2 = s
        .chain
        .create_token_account("treasury-2", &stake2, &admin.pubkey(), 0);
    let foreign_slasher = InitializePoolArgs {
        unbonding_seconds: 0,
        slasher: admin.pubkey(),
    };
    let ix_ = ix::staking::initialize_pool(
        &admin.pubkey(),
        &deployer.pubkey(),
        &stake2,
        &treasury2,
        foreign_slasher,
    );
    s.chain
        .ok("a pool with another slasher", &[ix_], &[&admin, &deployer]);
    let other_pool = pda::pool(&stake2).0;
    let vault = s.vault;
    let staking_config = pda::staking_config().0;
    let cases: Vec<(&str, Instruction, u32)> = vec![
        (
            "market on a pool with another slasher",
            with(&|a| a.staking_pool = other_pool),
            E::PoolSlasherMismatch.into(),
        ),
        (
            "market with a forged slasher",
            with(&|a| a.slasher = admin.pubkey()),
            E::PoolSlasherMismatch.into(),
        ),
        (
            "market on that pool, naming its slasher",
            with(&|a| {
                a.staking_pool = other_pool;
                a.slasher = admin.pubkey();
            }),
            E::WrongSlasher.into(),
        ),
        (
            "the pool's vault passed as the market's pool",
            with(&|a| a.staking_pool = vault),
            code(A::AccountOwnedByWrongProgram),
        ),
        (
            "the staking config passed as the market's pool",
            with(&|a| a.staking_pool = staking_config),
            code(A::AccountDiscriminatorMismatch),
        ),
    ];
    for (label, ix_, err) in cases {
        s.chain
            .fail(label, &[ix_], &[&admin, &deployer])
            .assert_error(err);
    }
    // A token account passed as the payment mint: the token program refuses to create the
    // fee vault for it.
    let not_a_mint = s
        .chain
        .create_token_account("not-a-mint", pay_mint, &admin.pubkey(), 0);
    let ix_ = with(&|a| {
        a.payment_mint = not_a_mint;
        a.market = pda::market(&not_a_mint, 1).0;
        a.fee_vault = pda::fee_vault(&a.market).0;
    });
    s.chain.fail(
        "a token account as the payment mint",
        &[ix_],
        &[&admin, &deployer],
    );
    assert!(!s.chain.exists(&pda::market(&not_a_mint, 1).0));
    assert!(!s.chain.exists(&pda::market(pay_mint, 1).0));
}

fn update(w: &mut JobsWorld, label: &str, config: MarketConfig) -> Result<(), crate::Failed> {
    let admin = w.s.admin.insecure_clone();
    let args = UpdateMarketArgs {
        config: Some(config),
        paused: None,
    };
    let ix_ = ix::jobs::update_market(&admin.pubkey(), &w.market, None, args);
    w.s.chain.send(label, &[ix_], &[&admin]).map(|_| ())
}

/// Every rate has a cap the admin cannot exceed, at creation or later.
pub fn rate_caps(backend: Backend) -> TestChain {
    let mut w = JobsWorld::new(backend);
    let c = test_config();
    let cases = [
        (
            "fee 20.01 %",
            MarketConfig {
                fee_bps: 2_001,
                ..c.clone()
            },
            E::FeeTooHigh,
        ),
        (
            "fee 100 %",
            MarketConfig {
                fee_bps: 10_000,
                ..c.clone()
            },
            E::FeeTooHigh,
        ),
        (
            "wrong-result slash above 100 %",
            MarketConfig {
                slash_wrong_bps: 10_001,
                ..c.clone()
            },
            E::SlashTooHigh,
        ),
        (
            "abandon above no-show",
            MarketConfig {
                abandon_penalty_bps: 2_001,
                ..c.clone()
            },
            E::AbandonAboveNoShow,
        ),
        (
            "reveal window of a year",
            MarketConfig {
                reveal_window_secs: 365 * 24 * 3600,
                ..c.clone()
            },
            E::InvalidWindow,
        ),
    ];
    for (label, cfg, err) in cases {
        update(&mut w, label, cfg).unwrap_err().assert_error(err);
    }
    assert_eq!(w.s.chain.account::<Market>(&w.market).config, c);
    w.s.chain
}

/// A rate increase is announced, not applied: jobs posted during the notice keep the old
/// terms, a requester who signed for the old fee is never charged the new one (and vice
/// versa), and the increase binds only jobs posted once the notice has run out. A decrease
/// applies at once. The admin's extra take from jobs posted before the notice ends: zero.
pub fn rate_increase_needs_notice(backend: Backend) -> TestChain {
    let mut w = JobsWorld::new(backend);
    let c = test_config();
    let greedy = MarketConfig {
        fee_bps: 2_000,
        slash_wrong_bps: 10_000,
        ..c.clone()
    };
    let t0 = w.s.chain.now();
    update(&mut w, "announce a fee and slash increase", greedy.clone()).unwrap();
    let m: Market = w.s.chain.account(&w.market);
    let notice = (c.claim_window_secs + c.execution_window_secs + c.reveal_window_secs) as i64
        + depin_core::limits::RATE_NOTICE_MARGIN_SECS;
    assert_eq!(
        (m.config.clone(), m.pending_config.clone()),
        (c.clone(), greedy.clone())
    );
    assert_eq!(m.pending_at, t0 + notice);

    // During the notice: the old terms bind; a post expecting the new fee is refused.
    let job = w.post(1, 3);
    let j = w.job(&job);
    assert_eq!((j.fee_bps, j.slash_wrong_bps), (250, 5_000));
    let mut wrong = w.args(2, 3);
    wrong.expected_fee_bps = 2_000;
    let requester = w.requester.insecure_clone();
    w.s.chain
        .fail(
            "post expecting the announced fee early",
            &[w.post_ix(wrong)],
            &[&requester],
        )
        .assert_error(E::FeeMismatch);
    // One second before the notice ends: still the old terms.
    w.s.chain.set_unix_timestamp(t0 + notice - 1);
    let job = w.post(3, 3);
    assert_eq!(w.job(&job).fee_bps, 250);

    // Once it has run out: a requester who signed for the old fee is refused, not charged 20 %.
    w.s.chain.set_unix_timestamp(t0 + notice);
    let stale = w.args(4, 3);
    w.s.chain
        .fail(
            "post signed for the old fee",
            &[w.post_ix(stale)],
            &[&requester],
        )
        .assert_error(E::FeeMismatch);
    let mut fresh = w.args(5, 3);
    fresh.expected_fee_bps = 2_000;
    w.s.chain.ok(
        "post accepting the new fee",
        &[w.post_ix(fresh)],
        &[&requester],
    );
    let j = w.job(&w.job_address(5));
    assert_eq!((j.fee_bps, j.slash_wrong_bps), (2_000, 10_000));

    // A decrease applies at once (and the next update first promotes what became due).
    update(
        &mut w,
        "lower the fee",
        MarketConfig {
            fee_bps: 100,
            ..greedy
        },
    )
    .unwrap();
    let m: Market = w.s.chain.account(&w.market);
    assert_eq!((m.config.fee_bps, m.pending_at), (100, 0));
    let mut low = w.args(6, 3);
    low.expected_fee_bps = 100;
    w.s.chain
        .ok("post at the lower fee", &[w.post_ix(low)], &[&requester]);
    w.s.chain
}

/// The admin cannot block refunds through the fee account: the fee vault belongs to the
/// market PDA (the admin can neither close nor redirect it), closes keep working, only the
/// admin withdraws, and never more than the vault holds.
pub fn fee_vault_cannot_block_refunds(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    let fee_vault = sw.w.fee_vault;
    let admin = sw.w.s.admin.insecure_clone();
    // The admin tries to close the fee vault or take it over with the token program directly.
    let close = anchor_spl::token::spl_token::instruction::close_account(
        &anchor_spl::token::ID,
        &fee_vault,
        &admin.pubkey(),
        &admin.pubkey(),
        &[],
    )
    .unwrap();
    sw.chain()
        .fail("admin closes the fee vault", &[close], &[&admin]);
    let steal = transfer(&fee_vault, &sw.pay[0], &admin.pubkey(), 1);
    sw.chain()
        .fail("admin transfers out directly", &[steal], &[&admin]);

    let job = sw.post(3);
    for i in 0..3 {
        sw.claim(i, &job);
    }
    let req0 = sw.w.s.chain.token_balance(&sw.w.requester_tokens);
    finish_agreed(&mut sw, &job);
    assert_eq!(
        sw.w.s.chain.token_balance(&sw.w.requester_tokens),
        req0,
        "nothing to refund"
    );
    assert_eq!(sw.w.s.chain.token_balance(&fee_vault), 3 * FEE);

    let stranger = sw.chain().funded_keypair("stranger", 1);
    let pay_mint = sw.w.pay_mint;
    let loot = sw
        .chain()
        .create_token_account("stranger-loot", &pay_mint, &stranger.pubkey(), 0);
    let market = sw.w.market;
    sw.chain()
        .fail(
            "stranger withdraws the fees",
            &[ix::jobs::withdraw_fees(
                &stranger.pubkey(),
                &market,
                &loot,
                None,
            )],
            &[&stranger],
        )
        .assert_error(E::NotMarketAdmin);
    let dest = sw
        .chain()
        .create_token_account("admin-fees", &pay_mint, &admin.pubkey(), 0);
    sw.chain()
        .fail(
            "withdraw more than accrued",
            &[ix::jobs::withdraw_fees(
                &admin.pubkey(),
                &market,
                &dest,
                Some(3 * FEE + 1),
            )],
            &[&admin],
        )
        .assert_error(E::NothingToWithdraw);
    sw.chain().ok(
        "withdraw part",
        &[ix::jobs::withdraw_fees(
            &admin.pubkey(),
            &market,
            &dest,
            Some(FEE),
        )],
        &[&admin],
    );
    sw.chain().ok(
        "withdraw the rest",
        &[ix::jobs::withdraw_fees(
            &admin.pubkey(),
            &market,
            &dest,
            None,
        )],
        &[&admin],
    );
    assert_eq!(sw.w.s.chain.token_balance(&dest), 3 * FEE);
    sw.chain()
        .fail(
            "withdraw from an empty vault",
            &[ix::jobs::withdraw_fees(
                &admin.pubkey(),
                &market,
                &dest,
                None,
            )],
            &[&admin],
        )
        .assert_error(E::NothingToWithdraw);
    sw.w.s.chain
}

/// A thief with the worker's operator key can sign job steps but never move stake, change
/// the operator, close the account or redirect payouts; the authority cannot act as the
/// operator; rotating the operator locks the old key out. Thief's payoff: 0.
pub fn stolen_operator_key(backend: Backend) -> TestChain {
    let mut sw = SettleWorld::new(backend);
    let p = &sw.ps[0];
    let (thief, authority, account, mint) = (
        p.operator.insecure_clone(),
        p.owner.insecure_clone(),
        p.account,
        sw.w.s.mint,
    );
    let pool = sw.w.s.pool;
    let t = thief.pubkey();
    let thief_tokens = sw.chain().create_token_account("thief-stake", &mint, &t, 0);
    // The staking side: every money instruction wants the authority.
    let mut unstake = ix::staking::request_unstake_accounts(&t, &mint);
    unstake.provider = account;
    let ix_ = ix::instruction(
        depin_staking::ID,
        unstake,
        depin_staking::instruction::RequestUnstake { amount: 1 },
    );
    sw.chain()
        .fail("operator unstakes", &[ix_], &[&thief])
        .assert_error(SE::NotProviderAuthority);
    let mut w = ix::staking::withdraw_accounts(&t, &mint, &thief_tokens);
    w.provider = account;
    let ix_ = ix::instruction(
        depin_staking::ID,
        w,
        depin_staking::instruction::Withdraw {},
    );
    sw.chain()
        .fail("operator withdraws", &[ix_], &[&thief])
        .assert_error(SE::NotProviderAuthority);
    let mut so = ix::staking::set_operator(&t, &pool, &t);
    so.accounts[1].pubkey = account;
    sw.chain()
        .fail("operator re-points the operator", &[so], &[&thief])
        .assert_error(SE::NotProviderAuthority);
    let mut close = ix::staking::close_provider_accounts(&t, &pool);
    close.provider = account;
    let ix_ = ix::instruction(
        depin_staking::ID,
        close,
        depin_staking::instruction::CloseProvider {},
    );
    sw.chain()
        .fail("operator closes the account", &[ix_], &[&thief])
        .assert_error(SE::NotProviderAuthority);

    // Nobody can name another's key as operator without its signature (a worker that found
    // two providers naming its key could not tell which is its own).
    let squatter = sw.chain().funded_keypair("squatter", 1);
    let victim_operator = sw.ps[1].operator.pubkey();
    let squat = super::staking::unsign(
        ix::staking::register_provider(&squatter.pubkey(), &pool, &victim_operator, "x"),
        &victim_operator,
    );
    sw.chain()
        .fail(
            "register naming another's operator key",
            &[squat],
            &[&squatter],
        )
        .assert_error(u32::from(anchor_lang::error::ErrorCode::AccountNotSigner));
    let squat = super::staking::unsign(
        ix::staking::set_operator(&authority.pubkey(), &pool, &victim_operator),
        &victim_operator,
    );
    sw.chain()
        .fail(
            "re-point to another's operator key",
            &[squat],
            &[&authority],
        )
        .assert_error(u32::from(anchor_lang::error::ErrorCode::AccountNotSigner));

    // The jobs side: the authority key is not the operator.
    let job = sw.post(3);
    let keys = sw.w.keys();
    let as_authority = ix::jobs::claim_job(&authority.pubkey(), &account, &keys, &job, None);
    sw.chain()
        .fail("authority signs a claim", &[as_authority], &[&authority])
        .assert_error(E::NotProviderOperator);
    for i in 0..3 {
        sw.claim(i, &job);
    }
    // Payouts go to the authority's account only, never to one the operator holds.
    let pay_mint = sw.w.pay_mint;
    let thief_pay = sw
        .chain()
        .create_token_account("thief-pay", &pay_mint, &t, 0);
    // Rotate the (leaked) operator key mid-job: the old key is refused, the new one commits.
    let fresh = sw.chain().keypair("sp0-operator-2");
    let rotate = ix::staking::set_operator(&authority.pubkey(), &pool, &fresh.pubkey());
    sw.chain().ok(
        "authority rotates the operator",
        &[rotate],
        &[&authority, &fresh],
    );
    let c = sw.w.commit_ix(&sw.ps[0], &job, result(1), [1; 32]);
    sw.chain()
        .fail("old operator commits", &[c], &[&thief])
        .assert_error(E::NotProviderOperator);
    sw.ps[0].operator = fresh;
    finish_agreed_with_payout_check(&mut sw, &job, thief_pay);
    assert_eq!(
        sw.w.s.chain.token_balance(&thief_pay),
        0,
        "thief's payoff: 0"
    );
    sw.w.s.chain
}

/// [`finish_agreed`], first trying to pay provider 0's winning slot into `wrong_to`.
fn policy_args(floor: u64) -> depin_staking::instructions::SetPolicyArgs {
    depin_staking::instructions::SetPolicyArgs {
        min_reward_per_gfuel: floor,
        max_fuel: 10_000_000_000,
        max_memory_bytes: 1 << 30,
        max_output_bytes: 1 << 20,
        max_wall_ms: 60_000,
        allow_file_uris: 0,
    }
}

/// `set_policy`: the provider's operator (its worker) or authority publishes what its worker
/// accepts in the policy PDA; a stranger cannot rewrite it (which would mislead requesters
/// about who would claim their jobs), nor store another provider's policy at its address, a
/// malformed flag is refused, and publishing moves no tokens.
pub fn policy_only_by_its_provider(backend: Backend) -> TestChain {
    use depin_staking::state::{Provider, ProviderPolicy};
    let mut sw = SettleWorld::new(backend);
    let p = &sw.ps[0];
    let (operator, authority, account) = (
        p.operator.insecure_clone(),
        p.owner.insecure_clone(),
        p.account,
    );
    let (policy, bump) = pda::policy(&account);
    let vault = pda::vault(&sw.w.s.pool).0;
    let vault_before = sw.chain().token_balance(&vault);
    let before: Provider = sw.chain().account(&account);
    assert!(!sw.chain().exists(&policy), "nothing published yet");
    // The worker's key pays the policy account's rent (the payer pays only fees).
    sw.chain().fund(&operator.pubkey(), 1);

    let set = |signer: &Keypair, floor| {
        ix::staking::set_policy(&signer.pubkey(), &account, policy_args(floor))
    };
    let sent = sw.chain().ok(
        "the worker publishes",
        &[set(&operator, 1_000)],
        &[&operator],
    );
    let after: ProviderPolicy = sw.chain().account(&policy);
    assert_eq!(
        (
            after.provider,
            after.min_reward_per_gfuel,
            after.max_wall_ms,
            after.bump
        ),
        (account, 1_000, 60_000, bump)
    );
    assert_eq!(after.published_at, sw.chain().now());
    if let Some(e) = sw
        .chain()
        .event::<depin_staking::events::PolicyPublished>(&sent)
    {
        assert_eq!((e.provider, e.policy), (account, policy_args(1_000)));
    }
    sw.chain().ok(
        "the authority publishes again (rewritten in place)",
        &[set(&authority, 2_000)],
        &[&authority],
    );
    let after: ProviderPolicy = sw.chain().account(&policy);
    assert_eq!(after.min_reward_per_gfuel, 2_000);

    // A stranger, and another provider's worker, cannot write it.
    let stranger = sw.chain().funded_keypair("policy-stranger", 1);
    sw.chain()
        .fail("a stranger publishes", &[set(&stranger, 0)], &[&stranger])
        .assert_error(SE::NotProviderOperator);
    let other = sw.ps[1].operator.insecure_clone();
    sw.chain()
        .fail(
            "another provider's worker publishes",
            &[set(&other, 0)],
            &[&other],
        )
        .assert_error(SE::NotProviderOperator);
    // Nor can anyone point a provider's policy address at another provider.
    let mut swapped = set(&other, 0);
    swapped.accounts[1].pubkey = sw.ps[1].account;
    swapped.accounts[2].pubkey = policy;
    sw.chain()
        .fail(
            "another provider's policy at this address",
            &[swapped],
            &[&other],
        )
        .assert_error(u32::from(anchor_lang::error::ErrorCode::ConstraintSeeds));
    let mut bad = policy_args(0);
    bad.allow_file_uris = 2;
    let bad = ix::staking::set_policy(&operator.pubkey(), &account, bad);
    sw.chain()
        .fail("a flag that is not 0 or 1", &[bad], &[&operator])
        .assert_error(SE::InvalidPolicy);
    let after: ProviderPolicy = sw.chain().account(&policy);
    assert_eq!(after.min_reward_per_gfuel, 2_000, "unchanged by refusals");
    let provider: Provider = sw.chain().account(&account);
    assert_eq!(
        (
            provider.staked,
            provider.locked,
            sw.chain().token_balance(&vault)
        ),
        (before.staked, before.locked, vault_before),
        "publishing moves no tokens"
    );
    sw.w.s.chain
}

fn finish_agreed_with_payout_check(sw: &mut SettleWorld, job: &Pubkey, wrong_to: Pubkey) {
    commit_reveal_settle(sw, job);
    let keys = sw.w.keys();
    let pay0 = sw.w.s.chain.token_balance(&sw.pay[0]);
    let misdirected = ix::jobs::release_slot(
        &keys,
        job,
        &sw.w.escrow_of(job),
        &sw.ps[0].account,
        ix::jobs::Release::Pay(wrong_to),
    );
    sw.chain()
        .fail(
            "pay the winner into the operator's account",
            &[misdirected],
            &[],
        )
        .assert_error(E::WrongTokenOwner);
    let j = sw.w.job(job);
    for i in 0..3 {
        let slot = j.slot_of(&sw.ps[i].account).unwrap();
        let r = ix::jobs::release_for(&j, slot, sw.pay[i]).unwrap();
        let ix_ = ix::jobs::release_slot(&keys, job, &j.escrow, &sw.ps[i].account, r);
        sw.chain().ok(&format!("release sp{i}"), &[ix_], &[]);
    }
    assert_eq!(sw.w.s.chain.token_balance(&sw.pay[0]), pay0 + PAYOUT);
    let requester = sw.w.requester.pubkey();
    let close = ix::jobs::close_job(&keys, job, &j.escrow, &requester, &sw.w.requester_tokens);
    sw.chain().ok("close", &[close], &[]);
}
