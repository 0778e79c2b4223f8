//! The `depin` binary end to end, as a person would use it, against the SBF programs on the
//! embedded local chain (real JSON-RPC + websocket on loopback) with three in-process workers:
//! a requester posts an example job, waits, and gets the verified result; a provider
//! registers, stakes, unstakes and withdraws — only through the CLI. Bad input gets a clear
//! error and a non-zero exit, never a panic.

use std::{path::PathBuf, process::Command, time::Duration};

use depin_migrations::{local::LocalMarket, Plan};
use depin_worker::{Worker, WorkerConfig};
use serde_json::Value;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

fn repo() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("..")
}

struct Cli {
    url: String,
    dir: PathBuf,
}

impl Cli {
    fn run(&self, keypair: &str, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_depin"))
            .args(["-u", &self.url, "-k"])
            .arg(self.dir.join(keypair))
            .args(args)
            .current_dir(repo())
            // The person's own configuration stays out of the test.
            .env("DEPIN_CONFIG", self.dir.join("no-config.json"))
            .env_remove("DEPIN_DEPLOYMENT")
            .output()
            .expect("run depin");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, keypair: &str, args: &[&str]) -> String {
        let (ok, out, err) = self.run(keypair, args);
        assert!(ok, "depin {args:?} failed:\n{out}\n{err}");
        out
    }

    fn json(&self, keypair: &str, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        serde_json::from_str(&self.ok(keypair, &all)).expect("JSON output")
    }

    fn fails(&self, keypair: &str, args: &[&str], needle: &str) {
        let (ok, out, err) = self.run(keypair, args);
        assert!(!ok, "depin {args:?} should fail:\n{out}");
        assert!(
            err.contains(needle),
            "depin {args:?}: expected `{needle}` in:\n{err}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requester_and_provider_through_the_cli() {
    let requester = Keypair::new();
    let provider = Keypair::new();
    let workers: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let wallets: Vec<_> = [&requester, &provider]
        .into_iter()
        .chain(&workers)
        .map(|k| k.pubkey())
        .collect();
    let local = LocalMarket::start(&repo().join("target/deploy"), &Plan::localnet(), &wallets)
        .await
        .expect("local market");
    local
        .fund_requester(&requester.pubkey(), 1_000_000_000)
        .await
        .unwrap();
    depin_migrations::mint_to(
        &local.rpc,
        &local.admin,
        &local.stake_mint,
        &provider.pubkey(),
        9_000_000,
    )
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("depin-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write_keypair_file(&requester, dir.join("requester.json")).unwrap();
    write_keypair_file(&provider, dir.join("provider.json")).unwrap();
    let mut handles = Vec::new();
    for (i, w) in workers.iter().enumerate() {
        local.provider(w, 10_000_000, 5_000_000).await.unwrap();
        let cfg = WorkerConfig::beside(
            &local.market,
            local.rpc_url(),
            local.ws_url(),
            dir.join(format!("worker-{i}")),
        );
        let worker = Worker::new(cfg, w.insecure_clone()).await.unwrap();
        handles.push(worker.clone());
        tokio::spawn(async move { worker.run().await });
    }
    let cli = Cli {
        url: local.rpc_url().to_string(),
        dir: dir.clone(),
    };
    let market = local.market.to_string();
    let stake_mint = local.stake_mint.to_string();

    // Requester: post, wait, result.
    let store = dir.join("blobs");
    let posted = cli.json(
        "requester.json",
        &[
            "job",
            "post",
            "examples/monte-carlo-pi/job.json",
            "--market",
            &market,
            "--reward",
            "2000000",
            "--replicas",
            "3",
            "--store",
            store.to_str().unwrap(),
        ],
    );
    let job = posted["job"].as_str().unwrap().to_string();
    let waited = tokio::task::spawn_blocking({
        let cli = Cli {
            url: cli.url.clone(),
            dir: dir.clone(),
        };
        let job = job.clone();
        move || cli.json("requester.json", &["job", "wait", &job, "--timeout", "60"])
    })
    .await
    .unwrap();
    assert_eq!(waited["status"], "settled", "{waited}");
    assert_eq!(waited["outcome"], "agreed", "{waited}");
    let result = cli.json("requester.json", &["job", "result", &job]);
    assert_eq!(result["exit_code"], 0);
    assert_eq!(result["result_hash"], waited["agreed_hash"]);
    let output = result["output"].as_str().unwrap();
    assert!(
        output.contains("monte-carlo-pi samples=2000000 seed=42"),
        "{output}"
    );
    assert!(output.contains("estimate 3.14"), "{output}");
    let human = cli.ok("requester.json", &["job", "status", &job]);
    assert!(human.contains("settled: 3 of 3 agreed"), "{human}");
    let listed = cli.json("requester.json", &["job", "list"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["job"] == job.as_str()),
        "{listed}"
    );

    // Each worker published its acceptance policy on its provider account at start.
    let worker_shown = cli.json(
        "provider.json",
        &[
            "provider",
            "show",
            "--stake-mint",
            &stake_mint,
            &workers[0].pubkey().to_string(),
        ],
    );
    assert_eq!(
        worker_shown["policy"]["allow_file_uris"], true,
        "{worker_shown}"
    );
    assert_eq!(worker_shown["policy"]["min_reward_per_gfuel"], 0);

    // Provider: register + stake, show, unstake, withdraw after the unbonding delay (10 s).
    cli.ok(
        "provider.json",
        &[
            "provider",
            "register",
            "--stake-mint",
            &stake_mint,
            "--stake",
            "4000000",
        ],
    );
    cli.ok(
        "provider.json",
        &["provider", "stake", "--stake-mint", &stake_mint, "1000000"],
    );
    let shown = cli.json(
        "provider.json",
        &["provider", "show", "--stake-mint", &stake_mint],
    );
    assert_eq!(
        (shown["staked"].as_u64(), shown["free"].as_u64()),
        (Some(5_000_000), Some(5_000_000))
    );
    cli.ok(
        "provider.json",
        &[
            "provider",
            "unstake",
            "--stake-mint",
            &stake_mint,
            "5000000",
        ],
    );
    cli.fails(
        "provider.json",
        &["provider", "withdraw", "--stake-mint", &stake_mint],
        "UnbondingNotElapsed",
    );
    // `--output json` also for errors: the program's error by name, on stdout.
    let (ok, out, _) = cli.run(
        "provider.json",
        &[
            "provider",
            "withdraw",
            "--stake-mint",
            &stake_mint,
            "--output",
            "json",
        ],
    );
    let err: Value = serde_json::from_str(&out).expect("a JSON error");
    assert!(!ok);
    assert_eq!(err["error"]["name"], "UnbondingNotElapsed", "{err}");
    assert_eq!(err["error"]["program"], "depin_staking", "{err}");
    let completions = cli.ok("provider.json", &["completions", "bash"]);
    assert!(completions.contains("complete -F"), "{completions}");
    tokio::time::sleep(Duration::from_secs(11)).await;
    cli.ok(
        "provider.json",
        &["provider", "withdraw", "--stake-mint", &stake_mint],
    );
    let shown = cli.json(
        "provider.json",
        &["provider", "show", "--stake-mint", &stake_mint],
    );
    assert_eq!(shown["staked"].as_u64(), Some(0), "{shown}");
    let wallet = depin_client::ops::token_account(&provider.pubkey(), &local.stake_mint);
    assert_eq!(local.rpc.token_balance(&wallet).await.unwrap(), 9_000_000);

    // Admin: show, pause (posting refused, named), resume, update; pool show.
    write_keypair_file(&local.admin, dir.join("admin.json")).unwrap();
    let shown = cli.json("admin.json", &["market", "show", &market]);
    assert_eq!(
        (shown["fee_bps"].as_u64(), shown["paused"].as_bool()),
        (Some(250), Some(false))
    );
    cli.ok("admin.json", &["market", "pause", &market]);
    // A post the chain would refuse is refused before any blob is written.
    let untouched = dir.join("untouched-store");
    let post_untouched = [
        "job",
        "post",
        "examples/monte-carlo-pi/job.json",
        "--market",
        &market,
        "--reward",
        "1000",
        "--store",
        untouched.to_str().unwrap(),
    ];
    cli.fails("requester.json", &post_untouched, "paused");
    assert!(!untouched.exists(), "a refused post wrote its blobs");
    cli.ok("admin.json", &["market", "resume", &market]);
    // An update changes only what it is given (no rate raised: applies at once).
    cli.ok(
        "admin.json",
        &["market", "update", &market, "--claim-window-secs", "45"],
    );
    cli.fails(
        "admin.json",
        &["market", "update", &market],
        "nothing to change",
    );
    cli.ok(
        "admin.json",
        &["market", "update", &market, "--fee-bps", "300"],
    );
    // A fee increase is announced, not applied: it binds jobs posted after the notice.
    let shown = cli.json("admin.json", &["market", "show", &market]);
    assert_eq!(shown["claim_window_secs"].as_u64(), Some(45), "{shown}");
    assert_eq!(shown["execution_window_secs"].as_u64(), Some(60), "{shown}");
    assert_eq!(shown["fee_bps"].as_u64(), Some(250), "{shown}");
    assert_eq!(shown["pending"]["fee_bps"].as_u64(), Some(300), "{shown}");
    assert_eq!(
        shown["pending"]["claim_window_secs"].as_u64(),
        Some(45),
        "{shown}"
    );
    assert!(shown["pending_at"].as_i64().unwrap() > 0, "{shown}");
    cli.fails(
        "requester.json",
        &["market", "update", &market, "--fee-bps", "1"],
        "NotMarketAdmin",
    );
    // Back to the plan's settings: no rate above the current ones, so it applies at once and
    // replaces the announced change.
    cli.ok(
        "admin.json",
        &[
            "market",
            "update",
            &market,
            "--fee-bps",
            "250",
            "--claim-window-secs",
            "30",
        ],
    );
    let shown = cli.json("admin.json", &["market", "show", &market]);
    assert_eq!(shown["pending_at"].as_i64(), Some(0), "{shown}");
    assert_eq!(shown["claim_window_secs"].as_u64(), Some(30), "{shown}");
    let pool = cli.json("admin.json", &["pool", "show", "--stake-mint", &stake_mint]);
    assert_eq!(pool["pool"], local.pool.to_string());

    // The migrations are idempotent: a second run changes nothing.
    let (again, steps) = depin_migrations::migrate(&local.rpc, &local.admin, &Plan::localnet())
        .await
        .unwrap();
    assert_eq!(again, local.deployment);
    assert!(steps.iter().all(|s| s.status != "created"), "{steps:?}");

    // Clear errors on bad input.
    cli.fails("missing.json", &["job", "list"], "keypair file");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"name\": \"x\", \"module\": 3}").unwrap();
    cli.fails(
        "requester.json",
        &[
            "job",
            "post",
            bad.to_str().unwrap(),
            "--market",
            &market,
            "--reward",
            "1",
        ],
        "bad.json",
    );
    cli.fails(
        "requester.json",
        &[
            "job",
            "post",
            "examples/heat-diffusion/job.json",
            "--market",
            &market,
            "--reward",
            "999999999999",
            "--store",
            store.to_str().unwrap(),
        ],
        "insufficient funds",
    );
    cli.fails(
        "requester.json",
        &["job", "status", &stake_mint],
        "not a valid Job",
    );
    cli.fails(
        "requester.json",
        &["job", "status", "11111111111111111111111111111112"],
        "neither its account nor a transaction that posted it",
    );
    let unreachable = Cli {
        url: "http://127.0.0.1:9".into(),
        dir: dir.clone(),
    };
    unreachable.fails(
        "requester.json",
        &["job", "status", &job],
        "cannot reach the RPC endpoint",
    );
    unreachable.fails(
        "requester.json",
        &post_untouched,
        "cannot reach the RPC endpoint",
    );
    assert!(
        !untouched.exists(),
        "a post without a chain wrote its blobs"
    );

    for w in &handles {
        w.shutdown(Duration::from_secs(2)).await;
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A requester whose only claimant vanished after claiming moves the job on alone: nothing is
/// due before the slot's deadline (and the CLI says why); after it, `depin job crank` reclaims
/// the late slot (the no-show rate), settles (no quorum), closes, and the requester has every
/// token back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_requester_cranks_a_job_whose_worker_vanished() {
    use depin_client::{
        ix,
        manifest::{Limits, Manifest},
        ops::{token_account, JobTerms},
    };
    let requester = Keypair::new();
    let vanished = Keypair::new();
    let mut plan = Plan::localnet();
    plan.market.claim_window_secs = 10;
    plan.market.execution_window_secs = depin_core::limits::MIN_EXECUTION_WINDOW_SECS;
    let local = LocalMarket::start(
        &repo().join("target/deploy"),
        &plan,
        &[requester.pubkey(), vanished.pubkey()],
    )
    .await
    .expect("local market");
    local
        .fund_requester(&requester.pubkey(), 1_000_000_000)
        .await
        .unwrap();
    local
        .provider(&vanished, 10_000_000, 5_000_000)
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("depin-cli-crank-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write_keypair_file(&requester, dir.join("requester.json")).unwrap();
    let store = depin_client::blob::FileStore::new(dir.join("blobs")).unwrap();
    use depin_client::blob::BlobStore;
    let mut m = Manifest::new(
        "vanishing",
        store.put(b"\0asm\x01\0\0\0").await.unwrap(),
        store.put(b"").await.unwrap(),
    );
    m.limits = Limits {
        wall_ms: 10_000,
        ..Limits::default()
    };
    let wallet = token_account(&requester.pubkey(), &local.payment_mint);
    let before = local.rpc.token_balance(&wallet).await.unwrap();
    let job = local
        .rpc
        .post_manifest(
            &requester,
            &local.market,
            &m,
            &store,
            JobTerms::majority(1_000_000, 1),
        )
        .await
        .unwrap()
        .job;
    // The provider claims (as soon as its lottery seed exists), then is never heard from.
    let market = local.rpc.market(&local.market).await.unwrap();
    let keys = ix::jobs::MarketKeys {
        market: local.market,
        fee_vault: market.fee_vault,
        staking_pool: market.staking_pool,
    };
    let provider = depin_client::pda::provider(&local.pool, &vanished.pubkey()).0;
    let claim = ix::jobs::claim_job(&vanished.pubkey(), &provider, &keys, &job, None);
    let mut claimed = false;
    for _ in 0..50 {
        if local
            .rpc
            .send(&vanished, std::slice::from_ref(&claim), &[])
            .await
            .is_ok()
        {
            claimed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(claimed, "the claim never landed");
    let cli = Cli {
        url: local.rpc_url().to_string(),
        dir: dir.clone(),
    };
    let job_s = job.to_string();
    cli.fails(
        "requester.json",
        &["job", "settle", &job_s],
        "nothing to settle",
    );
    let shown = cli.json("requester.json", &["job", "crank", &job_s]);
    assert_eq!(shown["sent"], serde_json::json!([]), "{shown}");
    assert!(
        shown["why"].as_str().unwrap_or("").contains("windows"),
        "{shown}"
    );
    // Past the slot's deadline (claim + 30 s): reclaim, settle, close, in one command.
    let j = local.rpc.job(&job).await.unwrap();
    let deadline = j.slot_deadline(0);
    while local.rpc.chain_time().await.unwrap() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let cranked = cli.json("requester.json", &["job", "crank", &job_s]);
    let steps: Vec<&str> = cranked["sent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["reclaim", "settle", "close"], "{cranked}");
    assert!(matches!(
        local.rpc.job(&job).await,
        Err(depin_client::ClientError::AccountNotFound(_))
    ));
    assert_eq!(
        local.rpc.token_balance(&wallet).await.unwrap(),
        before,
        "the requester did not get every token back"
    );
    let p = local
        .rpc
        .provider(&local.pool, &vanished.pubkey())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (p.jobs_slashed, p.locked),
        (1, 0),
        "the no-show was not slashed"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A regulated market through the CLI: the admin turns the allow-list on and accredits a
/// provider; the requester posts a private job with `job post --private`, which stays to
/// deliver the key to the (accredited) claimant; `job result` opens the sealed result with the
/// requester's wallet and refuses anyone else's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_private_job_in_an_allow_listed_market_through_the_cli() {
    let requester = Keypair::new();
    let worker_key = Keypair::new();
    let stranger = Keypair::new();
    let mut plan = Plan::localnet();
    plan.market.claim_window_secs = 8;
    let local = LocalMarket::start(
        &repo().join("target/deploy"),
        &plan,
        &[requester.pubkey(), worker_key.pubkey(), stranger.pubkey()],
    )
    .await
    .expect("local market");
    local
        .fund_requester(&requester.pubkey(), 1_000_000_000)
        .await
        .unwrap();
    local
        .provider(&worker_key, 10_000_000, 5_000_000)
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("depin-cli-private-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write_keypair_file(&requester, dir.join("requester.json")).unwrap();
    write_keypair_file(&stranger, dir.join("stranger.json")).unwrap();
    write_keypair_file(&local.admin, dir.join("admin.json")).unwrap();
    let cli = Cli {
        url: local.rpc_url().to_string(),
        dir: dir.clone(),
    };
    let market = local.market.to_string();
    let wallet = worker_key.pubkey().to_string();

    // The admin keeps the allow-list.
    cli.ok(
        "admin.json",
        &["market", "update", &market, "--allow-list", "true"],
    );
    assert_eq!(
        cli.json("admin.json", &["market", "show", &market])["allow_list"],
        true
    );
    cli.fails(
        "stranger.json",
        &["market", "accredit", &wallet, "--market", &market],
        "NotMarketAdmin",
    );
    cli.ok(
        "admin.json",
        &["market", "accredit", &wallet, "--market", &market],
    );
    cli.fails(
        "admin.json",
        &["market", "accredit", &wallet, "--market", &market],
        "AlreadyAccredited",
    );
    cli.ok(
        "admin.json",
        &["market", "revoke", &wallet, "--market", &market],
    );
    cli.fails(
        "admin.json",
        &["market", "revoke", &wallet, "--market", &market],
        "NotAccredited",
    );
    cli.ok(
        "admin.json",
        &["market", "accredit", &wallet, "--market", &market],
    );

    let cfg = WorkerConfig::beside(
        &local.market,
        local.rpc_url(),
        local.ws_url(),
        dir.join("worker"),
    );
    let worker = Worker::new(cfg, worker_key.insecure_clone()).await.unwrap();
    tokio::spawn({
        let w = worker.clone();
        async move { w.run().await }
    });

    // Post privately; the command returns once no claimant can want a key any more.
    let store = dir.join("blobs");
    let posted = tokio::task::spawn_blocking({
        let (url, dir, market, store) = (
            cli.url.clone(),
            cli.dir.clone(),
            market.clone(),
            store.clone(),
        );
        move || {
            Cli { url, dir }.json(
                "requester.json",
                &[
                    "job",
                    "post",
                    "examples/kmer-count/job.json",
                    "--market",
                    &market,
                    "--reward",
                    "2000000",
                    "--replicas",
                    "1",
                    "--private",
                    "--store",
                    store.to_str().unwrap(),
                ],
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(posted["private"], true, "{posted}");
    assert_eq!(
        posted["keys_delivered"].as_array().map(Vec::len),
        Some(1),
        "{posted}"
    );
    let job = posted["job"].as_str().unwrap().to_string();
    let status = cli.json("requester.json", &["job", "status", &job]);
    assert_eq!(
        (status["private"].clone(), status["allow_list"].clone()),
        (true.into(), true.into()),
        "{status}"
    );
    let waited = tokio::task::spawn_blocking({
        let (url, dir, job) = (cli.url.clone(), cli.dir.clone(), job.clone());
        move || Cli { url, dir }.json("requester.json", &["job", "wait", &job, "--timeout", "90"])
    })
    .await
    .unwrap();
    assert!(waited.to_string().contains("agreed"), "{waited}");
    let result = cli.json("requester.json", &["job", "result", &job]);
    assert_eq!(result["sealed"], true, "{result}");
    assert!(
        result["output"]
            .as_str()
            .unwrap_or("")
            .contains("total_kmers 23780"),
        "{result}"
    );
    cli.fails(
        "stranger.json",
        &["job", "result", &job],
        "sealed to the job's requester",
    );
    worker.shutdown(Duration::from_secs(2)).await;
    let _ = std::fs::remove_dir_all(dir);
}
