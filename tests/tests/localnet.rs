//! End to end over a real network: the SBF programs in an embedded local chain
//! (`depin-localnet`, surfpool-core), driven only through JSON-RPC and the websocket with
//! solana-client's nonblocking clients — the way the SDK, CLI and worker talk to a cluster.
//! One 3-replica job from mint creation to close through the SDK's `DepinRpc` (sending with
//! retries, named program errors, `getProgramAccounts` queries, waiting for settlement by
//! subscription), a provider's websocket subscription seeing the posted job, and the
//! settlement checked through RPC reads.

use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use depin_client::{
    ix, pda,
    rpc::{DepinRpc, JobFilter},
    ClientError,
};
use depin_jobs::instructions::{PostJobArgs, RevealArgs};
use depin_localnet::{Localnet, LocalnetConfig};
use depin_tests::{deploy_dir, derive_keypair, scenarios::jobs::test_config};
use futures_util::StreamExt;
use solana_client::{
    nonblocking::pubsub_client::PubsubClient,
    rpc_config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
    rpc_filter::{Memcmp, RpcFilterType},
};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::{
    instruction::Instruction,
    signature::{Keypair, Signer},
};

const SOL: u64 = 1_000_000_000;

struct Net {
    client: DepinRpc,
    payer: Keypair,
}

impl Net {
    async fn send(&self, what: &str, ixs: &[Instruction], signers: &[&Keypair]) {
        self.client
            .send(&self.payer, ixs, signers)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
    }

    /// A new rent-exempt account of `len` bytes owned by SPL Token at `label`'s address, and
    /// `then` (its initialisation and more) in the same transaction.
    async fn create_token_program_account(
        &self,
        label: &str,
        len: usize,
        then: impl FnOnce(&Pubkey) -> Vec<Instruction>,
    ) -> Pubkey {
        let account = derive_keypair(label);
        let rent = self
            .client
            .rpc()
            .get_minimum_balance_for_rent_exemption(len)
            .await
            .unwrap();
        let mut ixs = vec![
            anchor_lang::solana_program::system_instruction::create_account(
                &self.payer.pubkey(),
                &account.pubkey(),
                rent,
                len as u64,
                &anchor_spl::token::ID,
            ),
        ];
        ixs.extend(then(&account.pubkey()));
        self.send(label, &ixs, &[&account]).await;
        account.pubkey()
    }

    async fn create_mint(&self, label: &str, authority: &Pubkey) -> Pubkey {
        use anchor_spl::token::spl_token::{instruction, state::Mint, ID};
        use solana_program_pack::Pack;
        self.create_token_program_account(label, Mint::LEN, |mint| {
            vec![instruction::initialize_mint2(&ID, mint, authority, None, 6).unwrap()]
        })
        .await
    }

    async fn token_account(
        &self,
        label: &str,
        mint: &Pubkey,
        owner: &Pubkey,
        amount: u64,
    ) -> Pubkey {
        use anchor_spl::token::spl_token::{instruction, state::Account, ID};
        use solana_program_pack::Pack;
        let payer = self.payer.pubkey();
        self.create_token_program_account(label, Account::LEN, |account| {
            let mut ixs =
                vec![instruction::initialize_account3(&ID, account, mint, owner).unwrap()];
            if amount > 0 {
                ixs.push(instruction::mint_to(&ID, mint, account, &payer, &[], amount).unwrap());
            }
            ixs
        })
        .await
    }

    async fn balance(&self, account: &Pubkey) -> u64 {
        self.client
            .rpc()
            .get_token_account_balance(account)
            .await
            .unwrap()
            .amount
            .parse()
            .unwrap()
    }
}

fn args_for(nonce: u64) -> PostJobArgs {
    PostJobArgs {
        nonce,
        spec_hash: [7; 32],
        spec_uri: format!("file:///jobs/{nonce}/manifest.json"),
        reward_per_replica: 10_000,
        replicas: 3,
        bond: 5_000,
        expected_fee_bps: test_config().fee_bps,
        key_commitment: [0; 32],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replica_job_over_rpc_and_websocket() {
    let payer = derive_keypair("rpc-payer");
    let admin = derive_keypair("rpc-admin");
    let requester = derive_keypair("rpc-requester");
    let providers: Vec<Keypair> = (0..3)
        .map(|i| derive_keypair(&format!("rpc-p{i}")))
        .collect();
    let mut config = LocalnetConfig::with_programs_from(deploy_dir());
    // The admin deploys (is the programs' upgrade authority) and so creates the configs.
    config.upgrade_authority = Some(admin.pubkey());
    config.airdrop = [&payer, &admin, &requester]
        .into_iter()
        .chain(&providers)
        .map(|k| k.pubkey())
        .collect();
    config.airdrop_lamports = 100 * SOL;
    let started = Instant::now();
    let localnet = Localnet::start(config).await.expect("localnet");
    eprintln!(
        "local network up in {:?} at {} / {}",
        started.elapsed(),
        localnet.rpc_url(),
        localnet.ws_url()
    );
    assert!(localnet.has_program(&depin_localnet::JOBS_PROGRAM_ID));
    let net = Net {
        client: DepinRpc::new(localnet.rpc_url(), CommitmentConfig::confirmed())
            .with_websocket(localnet.ws_url()),
        payer,
    };
    // Airdropped at start, and the RPC answers.
    let funded = net
        .client
        .rpc()
        .get_balance(&requester.pubkey())
        .await
        .unwrap();
    assert!(funded >= 100 * SOL);

    // Mints, pool (slashed by the jobs program), market.
    let payer_key = net.payer.pubkey();
    let stake_mint = net.create_mint("rpc-stake-mint", &payer_key).await;
    let pay_mint = net.create_mint("rpc-pay-mint", &payer_key).await;
    let pool_treasury = net
        .token_account("rpc-pool-treasury", &stake_mint, &admin.pubkey(), 0)
        .await;
    let pool = pda::pool(&stake_mint).0;
    let a = admin.pubkey();
    net.send(
        "initialize_config (both programs)",
        &[
            ix::staking::initialize_config(&a, &a),
            ix::jobs::initialize_config(&a, &a),
        ],
        &[&admin],
    )
    .await;
    let args = depin_staking::instructions::InitializePoolArgs {
        slasher: pda::slasher().0,
        unbonding_seconds: 3_600,
    };
    net.send(
        "initialize_pool",
        &[ix::staking::initialize_pool(
            &admin.pubkey(),
            &admin.pubkey(),
            &stake_mint,
            &pool_treasury,
            args,
        )],
        &[&admin],
    )
    .await;
    net.send(
        "initialize_market",
        &[ix::jobs::initialize_market(
            &admin.pubkey(),
            &admin.pubkey(),
            &pay_mint,
            &pool,
            test_config(),
        )],
        &[&admin],
    )
    .await;
    let market = pda::market(&pay_mint, test_config().market_id).0;
    let fee_vault = pda::fee_vault(&market).0;
    let keys = ix::jobs::MarketKeys {
        market,
        fee_vault,
        staking_pool: pool,
    };

    // Providers: registered, staked, with payout accounts.
    let mut payouts = Vec::new();
    for (i, p) in providers.iter().enumerate() {
        let wallet = net
            .token_account(
                &format!("rpc-p{i}-wallet"),
                &stake_mint,
                &p.pubkey(),
                50_000,
            )
            .await;
        payouts.push(
            net.token_account(&format!("rpc-p{i}-pay"), &pay_mint, &p.pubkey(), 0)
                .await,
        );
        net.send(
            "register",
            &[
                ix::staking::register_provider(&p.pubkey(), &pool, &p.pubkey(), "http://127.0.0.1"),
                ix::staking::stake(&p.pubkey(), &stake_mint, &wallet, 20_000),
            ],
            &[p],
        )
        .await;
    }
    let requester_tokens = net
        .token_account(
            "rpc-requester-tokens",
            &pay_mint,
            &requester.pubkey(),
            1_000_000,
        )
        .await;

    // A provider watches open jobs of this market over the websocket.
    let pubsub = PubsubClient::new(localnet.ws_url())
        .await
        .expect("websocket");
    let filter = RpcProgramAccountsConfig {
        filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
            8,
            market.to_bytes().to_vec(),
        ))]),
        account_config: RpcAccountInfoConfig {
            encoding: Some(solana_client::rpc_config::UiAccountEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            ..Default::default()
        },
        ..Default::default()
    };
    let (mut stream, _unsubscribe) = pubsub
        .program_subscribe(&depin_client::JOBS_PROGRAM_ID, Some(filter))
        .await
        .expect("programSubscribe");
    // The worker's subscriptions: the market's jobs in their claim phase, and the jobs the
    // first provider holds a slot in (one filter set per slot position).
    let subscribe = |filters: Vec<RpcFilterType>| {
        let pubsub = &pubsub;
        async move {
            let config = RpcProgramAccountsConfig {
                filters: Some(filters),
                account_config: RpcAccountInfoConfig {
                    encoding: Some(solana_client::rpc_config::UiAccountEncoding::Base64),
                    commitment: Some(CommitmentConfig::confirmed()),
                    ..Default::default()
                },
                ..Default::default()
            };
            pubsub
                .program_subscribe(&depin_client::JOBS_PROGRAM_ID, Some(config))
                .await
                .expect("programSubscribe")
                .0
        }
    };
    let mut claimable = Vec::new();
    for filters in JobFilter::Claimable(market).queries() {
        claimable.push(subscribe(filters).await);
    }
    let mut claimable = futures_util::stream::select_all(claimable);
    let first_provider = pda::provider(&pool, &providers[0].pubkey()).0;
    let mut held_by_first = Vec::new();
    for filters in JobFilter::HeldBy(first_provider).queries() {
        held_by_first.push(subscribe(filters).await);
    }
    let mut held_by_first = futures_util::stream::select_all(held_by_first);

    let escrow = Keypair::new();
    let post = ix::jobs::post_job(
        &requester.pubkey(),
        &market,
        &pay_mint,
        &requester_tokens,
        &escrow.pubkey(),
        args_for(1),
    );
    let job = pda::job(&market, &requester.pubkey(), 1).0;
    let posted_slot = net.client.rpc().get_slot().await.unwrap();
    let posted_at = Instant::now();
    net.send("post_job", &[post], &[&requester, &escrow]).await;
    let seen = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("a notification within 10 s")
        .expect("stream open");
    assert_eq!(seen.value.pubkey, job.to_string());
    eprintln!(
        "job seen over the websocket {:?} after sending post_job (context slot {} vs {} before posting)",
        posted_at.elapsed(),
        seen.context.slot,
        posted_slot
    );

    // The open jobs of the market, as a provider's reconcile would query them.
    let open = net
        .client
        .jobs(JobFilter::Market {
            market,
            open_only: true,
        })
        .await
        .unwrap();
    assert_eq!(open.iter().map(|(a, _)| *a).collect::<Vec<_>>(), vec![job]);

    // Claims, commits, reveals — each provider through RPC, first come once the ranked
    // assignment phase is over (the lottery itself is covered by the program scenarios).
    let open_slot = net.client.job(&job).await.unwrap().ranked_until_slot;
    let wait = Duration::from_secs(30);
    net.client.wait_for_slot(open_slot, wait).await.unwrap();
    let result = depin_core::hash::result_hash(0, b"42", b"");
    for p in &providers {
        let provider = pda::provider(&pool, &p.pubkey()).0;
        let claim = ix::jobs::claim_job(&p.pubkey(), &provider, &keys, &job, None);
        net.send("claim", &[claim], &[p]).await;
    }

    // Refusals come back named, even from inside the staking CPI.
    let late = derive_keypair("rpc-late");
    let fund =
        anchor_lang::solana_program::system_instruction::transfer(&payer_key, &late.pubkey(), SOL);
    net.send("fund", &[fund], &[]).await;
    let register = ix::staking::register_provider(&late.pubkey(), &pool, &late.pubkey(), "x");
    let late_provider = pda::provider(&pool, &late.pubkey()).0;
    net.send("register late", &[register], &[&late]).await;
    let claim = ix::jobs::claim_job(&late.pubkey(), &late_provider, &keys, &job, None);
    match net.client.send(&net.payer, &[claim], &[&late]).await {
        Err(ClientError::Program { name, program, .. }) => {
            assert_eq!((program.as_str(), name.as_str()), ("depin_jobs", "JobFull"))
        }
        other => panic!("expected JobFull, got {other:?}"),
    }
    let escrow2 = Keypair::new();
    let post2 = ix::jobs::post_job(
        &requester.pubkey(),
        &market,
        &pay_mint,
        &requester_tokens,
        &escrow2.pubkey(),
        args_for(2),
    );
    net.send("post job 2", &[post2], &[&requester, &escrow2])
        .await;
    let job2 = pda::job(&market, &requester.pubkey(), 2).0;
    let open_slot = net.client.job(&job2).await.unwrap().ranked_until_slot;
    net.client.wait_for_slot(open_slot, wait).await.unwrap();
    let claim = ix::jobs::claim_job(&late.pubkey(), &late_provider, &keys, &job2, None);
    match net.client.send(&net.payer, &[claim], &[&late]).await {
        Err(ClientError::Program { name, program, .. }) => assert_eq!(
            (program.as_str(), name.as_str()),
            ("depin_staking", "InsufficientFreeStake")
        ),
        other => panic!("expected InsufficientFreeStake, got {other:?}"),
    }
    let p0 = pda::provider(&pool, &providers[0].pubkey()).0;
    let held = net.client.jobs(JobFilter::HeldBy(p0)).await.unwrap();
    assert_eq!(held.iter().map(|(a, _)| *a).collect::<Vec<_>>(), vec![job]);
    let mine = net
        .client
        .jobs(JobFilter::Requester(requester.pubkey()))
        .await
        .unwrap();
    assert_eq!(mine.len(), 2);

    for (i, p) in providers.iter().enumerate() {
        let provider = pda::provider(&pool, &p.pubkey()).0;
        let c = depin_core::hash::commitment(&job, &provider, &result, &[i as u8 + 1; 32]);
        let commit = ix::jobs::commit_result(&p.pubkey(), &provider, &job, c);
        net.send("commit", &[commit], &[p]).await;
    }
    for (i, p) in providers.iter().enumerate() {
        let args = RevealArgs {
            result_hash: result,
            salt: [i as u8 + 1; 32],
            result_uri: format!("http://127.0.0.1/out/{i}"),
        };
        let reveal = ix::jobs::reveal_result(
            &p.pubkey(),
            &pda::provider(&pool, &p.pubkey()).0,
            &job,
            args,
        );
        net.send("reveal", &[reveal], &[p]).await;
    }

    // The requester waits by subscription (polling every 2 s as the fallback) while a crank
    // settles.
    let waiter = {
        let client = DepinRpc::new(localnet.rpc_url(), CommitmentConfig::confirmed())
            .with_websocket(localnet.ws_url());
        tokio::spawn(async move {
            client
                .wait_settled(&job, Duration::from_secs(2), Duration::from_secs(30))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let settle_sent = Instant::now();
    net.send("settle", &[ix::jobs::settle_job(&job)], &[]).await;
    let settled = net.client.job(&job).await.unwrap();
    let seen = waiter
        .await
        .unwrap()
        .unwrap()
        .expect("settled, not closed yet");
    eprintln!(
        "settlement seen by the waiter {:?} after sending settle_job",
        settle_sent.elapsed()
    );
    assert_eq!((seen.agreed_hash, settled.agreed_hash), (result, result));

    // The bystanders' subscription told of the job until its last claim and, every slot
    // being held from then on, not after its first commitment; the holder's told it of the
    // whole run.
    let claim_phase = views_of(&job, &mut claimable).await;
    assert!(!claim_phase.is_empty(), "the claim phase was notified");
    assert!(
        claim_phase
            .iter()
            .all(|j| j.status == depin_jobs::state::job_status::OPEN && j.committed == 0),
        "no notification after the first commitment of a job with every slot held"
    );
    assert_eq!(
        claim_phase.iter().map(|j| j.claimed).max(),
        Some(providers.len() as u8),
        "the claim that filled the job was notified"
    );
    let held = views_of(&job, &mut held_by_first).await;
    assert!(
        held.iter().all(|j| j.slot_of(&first_provider).is_some()),
        "only views in which the provider holds its slot"
    );
    assert!(
        held.iter().any(|j| j.committed == providers.len() as u8),
        "the holder was told of every commitment"
    );
    assert!(
        held.iter()
            .any(|j| j.status == depin_jobs::state::job_status::SETTLED),
        "the holder was told of the settlement"
    );

    // Release and close, as a crank would, from the job read through RPC.
    for (i, p) in providers.iter().enumerate() {
        let provider = pda::provider(&pool, &p.pubkey()).0;
        let slot = settled.slot_of(&provider).unwrap();
        let release = ix::jobs::release_for(&settled, slot, payouts[i]).unwrap();
        let ix_ = ix::jobs::release_slot(&keys, &job, &settled.escrow, &provider, release);
        net.send("release", &[ix_], &[]).await;
    }
    let close = ix::jobs::close_job(
        &keys,
        &job,
        &settled.escrow,
        &requester.pubkey(),
        &requester_tokens,
    );
    net.send("close", &[close], &[]).await;

    // Through RPC: payouts, fees, refund, closed accounts, released bonds.
    for pay in &payouts {
        assert_eq!(net.balance(pay).await, 9_750);
    }
    assert_eq!(net.balance(&fee_vault).await, 750);
    assert_eq!(
        net.balance(&requester_tokens).await,
        1_000_000 - 30_000 - 30_000
    );
    assert!(matches!(
        net.client.job(&job).await,
        Err(ClientError::AccountNotFound(_))
    ));
    for p in &providers {
        let st: depin_client::Provider = net
            .client
            .account(&pda::provider(&pool, &p.pubkey()).0)
            .await
            .unwrap();
        assert_eq!((st.staked, st.locked, st.jobs_completed), (20_000, 0, 1));
    }
    localnet.stop().expect("stop");
}

/// The views of `job` a program subscription has delivered so far (it is drained until it is
/// quiet for half a second).
async fn views_of<S>(job: &Pubkey, stream: &mut S) -> Vec<depin_jobs::state::Job>
where
    S: futures_util::Stream<
            Item = solana_client::rpc_response::Response<
                solana_client::rpc_response::RpcKeyedAccount,
            >,
        > + Unpin,
{
    let mut views = Vec::new();
    while let Ok(Some(n)) = tokio::time::timeout(Duration::from_millis(500), stream.next()).await {
        if n.value.pubkey != job.to_string() {
            continue;
        }
        let data = n.value.account.data.decode().expect("base64 data");
        views.push(
            depin_client::accounts::decode_zero_copy::<depin_jobs::state::Job>(job, &data)
                .expect("a job"),
        );
    }
    views
}
