//! The worker end to end against the SBF programs on the embedded local chain (real JSON-RPC
//! + websocket on loopback):
//! - a `depin-worker` process killed with SIGKILL at each phase (claim sent, claimed, during
//!   execution, committed, revealed) and restarted on the same journal: every job settles with
//!   all three replicas agreeing, nothing is lost, nobody honest is slashed;
//! - bad jobs: a module that traps, loops forever, eats memory or writes a gigabyte is a
//!   deterministic result the replicas agree on (paid, not slashed); a manifest whose hash does
//!   not match is never claimed; a module whose hash does not match is given back;
//! - a dead first RPC endpoint (failover) and a websocket cut mid-run (resubscription).

use std::{
    str::FromStr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use depin_client::{
    blob::{BlobStore, FileStore},
    manifest::{BlobRef, Limits},
    ops::JobTerms,
};
use depin_core::{exec, settle::Verdict};
use depin_jobs::state::job_status;
use depin_migrations::{local::LocalMarket, Plan};
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};
use tokio::net::{TcpListener, TcpStream};

mod common;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_at_every_phase_loses_nothing() {
    let requester = Keypair::new();
    // The victim's stake is controlled by a cold authority; its worker process holds only the
    // operator key.
    let victim = Keypair::new();
    let victim_operator = Keypair::new();
    let others: Vec<Keypair> = (0..2).map(|_| Keypair::new()).collect();
    let local = market_for(
        &Plan::localnet(),
        &requester,
        &[&victim, &victim_operator, &others[0], &others[1]],
    )
    .await;
    let dir = temp("sigkill");
    for (i, w) in others.iter().enumerate() {
        local.provider(w, 100_000_000, 50_000_000).await.unwrap();
        in_process(&local, w, &dir.join(format!("w{i}")), |_| {}).await;
    }
    local
        .provider_operated_by(&victim, &victim_operator, 100_000_000, 50_000_000)
        .await
        .unwrap();
    let keypair = dir.join("victim-operator.json");
    write_keypair_file(&victim_operator, &keypair).unwrap();
    let config = dir.join("victim.toml");
    worker_config(
        &local,
        &config,
        &dir.join("victim"),
        "close_delay_secs = 20\nreconcile_secs = 2\n[policy]\nallow_file_uris = true\n",
    );
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let heat = std::fs::read(repo().join("target/wasm/heat_diffusion.wasm"))
        .expect("scripts/build-examples.sh first");
    let limits = Limits {
        fuel: 50_000_000_000,
        ..Limits::default()
    };
    let victim_provider = depin_client::pda::provider(&local.pool, &victim.pubkey()).0;

    for (phase, input) in [
        ("claim sent", "48 48 50"),
        ("phase=claimed", "48 48 51"),
        // A run long enough (about a second) to be killed in the middle of it.
        ("phase=executing", "400 400 600"),
        ("phase=committed", "48 48 52"),
        ("phase=revealed", "48 48 53"),
    ] {
        let m = manifest(&store, "heat", &heat, input.as_bytes(), limits).await;
        let proc = Proc::spawn(&config, &keypair);
        // Let it subscribe before the job appears (it would also find it by reconcile).
        proc.wait_for("subscribed", None, Duration::from_secs(20))
            .await;
        let job = post(&local, &requester, &store, &m).await;
        proc.wait_for(phase, Some(&job), Duration::from_secs(30))
            .await;
        if phase == "phase=executing" {
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        let before = proc.kill9();
        eprintln!("[{phase}] killed after {} log lines", before.len());
        let restarted = Proc::spawn(&config, &keypair);
        let j = settled(&local, &job, Duration::from_secs(90)).await;
        let slot = j
            .slot_of(&victim_provider)
            .unwrap_or_else(|| panic!("[{phase}] the victim lost its slot"));
        for k in 0..3 {
            assert_eq!(j.verdict(k), Verdict::Winner, "[{phase}] slot {k} of {job}");
        }
        assert_eq!(j.slots[slot].released, 1);
        let p = local
            .rpc
            .provider(&local.pool, &victim.pubkey())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.jobs_slashed, p.total_slashed, p.locked),
            (0, 0, 0),
            "[{phase}] honest victim slashed"
        );
        restarted.terminate();
    }
    let p = local
        .rpc
        .provider(&local.pool, &victim.pubkey())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.jobs_completed, 5);
    // Paid to the authority's account, never to the hot operator key.
    let paid = |owner: &Pubkey| {
        let account = depin_client::ops::token_account(owner, &local.payment_mint);
        let rpc = &local.rpc;
        async move { rpc.token_balance(&account).await.unwrap() }
    };
    assert!(paid(&victim.pubkey()).await > 0, "authority unpaid");
    assert_eq!(paid(&victim_operator.pubkey()).await, 0, "operator paid");
    // The journal says every job is done.
    let journal = depin_worker::journal::Journal::open(&dir.join("victim/journal.redb")).unwrap();
    let entries = journal.all().unwrap();
    assert_eq!(entries.len(), 5, "{entries:?}");
    assert!(
        entries
            .iter()
            .all(|e| e.phase == depin_worker::journal::Phase::Done),
        "{entries:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_jobs_are_results_or_refusals_never_losses() {
    let requester = Keypair::new();
    let workers: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let mut plan = Plan::localnet();
    plan.market.claim_window_secs = 4;
    let local = market_for(&plan, &requester, &workers.iter().collect::<Vec<_>>()).await;
    let dir = temp("bad");
    let mut handles = Vec::new();
    for (i, w) in workers.iter().enumerate() {
        local.provider(w, 100_000_000, 50_000_000).await.unwrap();
        handles.push(in_process(&local, w, &dir.join(format!("w{i}")), |_| {}).await);
    }
    // A fourth provider with the default policy: file:// blobs refused, so it claims nothing.
    let strict_key = Keypair::new();
    let fund = anchor_lang::solana_program::system_instruction::transfer(
        &local.admin.pubkey(),
        &strict_key.pubkey(),
        10_000_000_000,
    );
    local.rpc.send(&local.admin, &[fund], &[]).await.unwrap();
    local
        .provider(&strict_key, 100_000_000, 50_000_000)
        .await
        .unwrap();
    let strict = in_process(&local, &strict_key, &dir.join("strict"), |c| {
        c.policy.allow_file_uris = false
    })
    .await;
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let small = Limits {
        fuel: 20_000_000,
        memory_bytes: 16 << 20,
        wall_ms: 20_000,
        output_bytes: 1 << 20,
    };
    let trap =
        wasm(r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#);
    let spin =
        wasm(r#"(module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))"#);
    let bomb = wasm(
        r#"(module (memory (export "memory") 1)
          (func (export "_start")
            (loop (br_if 0 (i32.ne (memory.grow (i32.const 64)) (i32.const -1))))
            unreachable))"#,
    );
    // Writes the same 64 KiB page to stdout 16 384 times: 1 GiB.
    let gigabyte = wasm(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 2)
          (func (export "_start") (local $i i32)
            (i32.store (i32.const 0) (i32.const 65536))
            (i32.store (i32.const 4) (i32.const 65536))
            (loop
              (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if 0 (i32.lt_u (local.get $i) (i32.const 16384))))))"#,
    );
    let mut cases = Vec::new();
    for (name, module, code) in [
        ("trap", &trap, exec::EXIT_TRAP),
        ("infinite-loop", &spin, exec::EXIT_OUT_OF_FUEL),
        ("memory-bomb", &bomb, exec::EXIT_TRAP),
        ("gigabyte-output", &gigabyte, exec::EXIT_OUTPUT_TOO_LARGE),
    ] {
        let m = manifest(&store, name, module, b"", small).await;
        cases.push((name, post(&local, &requester, &store, &m).await, code));
    }
    for (name, job, code) in &cases {
        let j = settled(&local, job, Duration::from_secs(60)).await;
        assert_eq!(j.outcome, depin_core::settle::outcome::AGREED, "{name}");
        for k in 0..3 {
            assert_eq!(j.verdict(k), Verdict::Winner, "{name}: slot {k}");
        }
        let r = depin_client::ops::verified_result(
            &j,
            None,
            &depin_client::blob::BlobFetcher::default(),
            1 << 20,
        )
        .await
        .unwrap();
        assert_eq!((r.exit_code, r.output.len()), (*code, 0), "{name}");
    }

    // A manifest that does not hash to the job's spec hash: nobody claims it; it expires.
    let good = manifest(&store, "trap", &trap, b"", small).await;
    let wrong = BlobRef::new(store.put(&good.to_bytes()).await.unwrap().uri, [0xEE; 32]);
    let nonce = 77;
    let source = depin_client::ops::token_account(&requester.pubkey(), &local.payment_mint);
    let args = depin_jobs::instructions::PostJobArgs {
        nonce,
        spec_hash: wrong.sha256,
        spec_uri: wrong.uri.clone(),
        reward_per_replica: 1_000_000,
        replicas: 3,
        bond: 1_000_000,
        expected_fee_bps: Plan::localnet().market.fee_bps,
        key_commitment: [0; 32],
    };
    let escrow = Keypair::new();
    let ix_ = depin_client::ix::jobs::post_job(
        &requester.pubkey(),
        &local.market,
        &local.payment_mint,
        &source,
        &escrow.pubkey(),
        args,
    );
    local
        .rpc
        .send(&requester, &[ix_], &[&escrow])
        .await
        .unwrap();
    let mismatched = depin_client::pda::job(&local.market, &requester.pubkey(), nonce).0;
    // Everything a run needs is fetched, verified and compiled before a claim, so none of
    // these costs a claimant anything (no claim, no abandon penalty); each expires and the
    // requester is refunded:
    // - a manifest that verifies, naming a module whose bytes do not match its digest;
    let mut lying = manifest(&store, "bad-module", &trap, b"", small).await;
    lying.module.sha256 = [0xAB; 32];
    let lying_job = post(&local, &requester, &store, &lying).await;
    // - a module that is not there (the requester serves the manifest and 404s the module);
    // (a module no worker has cached: blobs are content-addressed, so one already held
    // under its digest would simply be used)
    let unseen = wasm(
        r#"(module (memory (export "memory") 1) (func (export "_start") unreachable) (func))"#,
    );
    let mut missing = manifest(&store, "missing-module", &trap, b"", small).await;
    missing.module = BlobRef::new(
        format!("file://{}/nothing-here.wasm", dir.display()),
        depin_client::blob::sha256(&unseen),
    );
    let missing_job = post(&local, &requester, &store, &missing).await;
    // - a module "at" the cloud metadata address, and one on this machine's loopback where a
    //   listener counts connections: requests forged through the workers (SSRF) are refused
    //   before any connection.
    let metadata_port = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listener_addr = metadata_port.local_addr().unwrap();
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((_sock, _)) = metadata_port.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let mut forged = Vec::new();
    for (i, uri) in [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_string(),
        format!("http://{listener_addr}/admin"),
        format!("http://localhost:{}/admin", listener_addr.port()),
    ]
    .into_iter()
    .enumerate()
    {
        let never_served = wasm(&format!(
            r#"(module (func (export "_start") unreachable) {})"#,
            "(func)".repeat(i + 2)
        ));
        let mut m = manifest(&store, "ssrf", &trap, b"", small).await;
        m.module = BlobRef::new(uri, depin_client::blob::sha256(&never_served));
        forged.push(post(&local, &requester, &store, &m).await);
    }
    // - a run the manifest allows 55 s, in a 60 s execution window: it could not end in time
    //   to commit (the no-show slash for an honest provider), so nobody admits it.
    let long = manifest(
        &store,
        "too-long",
        &trap,
        b"",
        Limits {
            wall_ms: 55_000,
            ..small
        },
    )
    .await;
    // (`post_manifest` refuses it: posted here as a requester's own tool would)
    let err = local
        .rpc
        .post_manifest(
            &requester,
            &local.market,
            &long,
            &store,
            JobTerms::majority(1_000_000, 3),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("execution window"), "{err}");
    let long_spec = store.put(&long.to_bytes()).await.unwrap();
    let args = depin_jobs::instructions::PostJobArgs {
        nonce: 78,
        spec_hash: long_spec.sha256,
        spec_uri: long_spec.uri.clone(),
        reward_per_replica: 1_000_000,
        replicas: 3,
        bond: 1_000_000,
        expected_fee_bps: Plan::localnet().market.fee_bps,
        key_commitment: [0; 32],
    };
    let escrow = Keypair::new();
    let ix_ = depin_client::ix::jobs::post_job(
        &requester.pubkey(),
        &local.market,
        &local.payment_mint,
        &source,
        &escrow.pubkey(),
        args,
    );
    local
        .rpc
        .send(&requester, &[ix_], &[&escrow])
        .await
        .unwrap();
    let long_job = depin_client::pda::job(&local.market, &requester.pubkey(), 78).0;
    // - a manifest written for another sandbox engine (replicas on different engines could
    //   disagree on a fuel or depth boundary).
    let mut other_engine = manifest(&store, "old-engine", &trap, b"", small).await;
    other_engine.engine = Some("depin-wasm/1".into());
    let other_engine_job = post(&local, &requester, &store, &other_engine).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let j = local.rpc.job(&mismatched).await.unwrap();
    assert_eq!(
        (j.claimed, j.status),
        (0, job_status::OPEN),
        "a manifest that does not verify was claimed"
    );
    let refused = [
        ("lying module", lying_job),
        ("missing module", missing_job),
        ("metadata module", forged[0]),
        ("loopback module", forged[1]),
        ("localhost module", forged[2]),
        ("run longer than its window", long_job),
        ("manifest for another engine", other_engine_job),
    ];
    for (what, job) in refused {
        let j = local.rpc.job(&job).await.unwrap();
        assert_eq!(
            (j.claimed, j.committed),
            (0, 0),
            "the job with a {what} was claimed"
        );
    }
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a worker connected to a loopback address a requester named"
    );
    let (mut passed_on_fetch, mut passed_on_policy) = (0.0, 0.0);
    for w in &handles {
        let passed = |why: &str| {
            w.metrics
                .get("depin_worker_jobs_passed_total", &format!("why=\"{why}\""))
        };
        passed_on_fetch += passed("fetch");
        passed_on_policy += passed("policy");
        for e in w.journal_entries().unwrap() {
            let job = Pubkey::from_str(&e.job).unwrap();
            assert!(
                !refused.iter().any(|(_, j)| *j == job) && job != mismatched,
                "a job that should not be claimed was journalled for a claim: {e:?}"
            );
        }
    }
    assert!(
        passed_on_fetch >= 5.0,
        "each bad job was passed on by a worker that got to it ({passed_on_fetch})"
    );
    assert!(
        passed_on_policy >= 1.0,
        "the too-long job was not refused by policy"
    );
    let passed_on_engine: f64 = handles
        .iter()
        .map(|w| {
            w.metrics
                .get("depin_worker_jobs_passed_total", "why=\"engine\"")
        })
        .sum();
    assert!(
        passed_on_engine >= 1.0,
        "the other engine's job was not refused"
    );
    assert!(
        strict.journal_entries().unwrap().is_empty(),
        "a worker that refuses file:// blobs claimed a job"
    );
    assert_eq!(strict.metrics.get("depin_worker_claims_total", ""), 0.0);
    strict.shutdown(Duration::from_secs(2)).await;
    for w in &handles {
        w.shutdown(Duration::from_secs(2)).await;
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A TCP proxy that can refuse connections and cut the ones it carries.
struct Proxy {
    addr: std::net::SocketAddr,
    refuse: Arc<AtomicBool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Proxy {
    async fn start(target: std::net::SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let refuse = Arc::new(AtomicBool::new(false));
        let generation = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (r, g) = (refuse.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if r.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let born = g.load(Ordering::SeqCst);
                let g = g.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                    let cut = async {
                        while g.load(Ordering::SeqCst) == born {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = cut => {} }
                });
            }
        });
        Proxy {
            addr,
            refuse,
            generation,
        }
    }

    fn cut(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

fn socket_of(url: &str) -> std::net::SocketAddr {
    url.split("://")
        .nth(1)
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rpc_failover_and_websocket_cut() {
    let requester = Keypair::new();
    let workers: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let local = market_for(
        &Plan::localnet(),
        &requester,
        &workers.iter().collect::<Vec<_>>(),
    )
    .await;
    let dir = temp("net");
    let rpc_proxy = Proxy::start(socket_of(local.rpc_url())).await;
    let ws_proxy = Proxy::start(socket_of(local.ws_url())).await;
    let mut handles = Vec::new();
    for (i, w) in workers.iter().enumerate() {
        local.provider(w, 100_000_000, 50_000_000).await.unwrap();
        let (rpc_proxy_url, ws_proxy_url) = (
            format!("http://{}", rpc_proxy.addr),
            format!("ws://{}", ws_proxy.addr),
        );
        let rpc = local.rpc_url().to_string();
        handles.push(
            in_process(&local, w, &dir.join(format!("w{i}")), move |c| {
                // Endpoint 0 goes through a proxy that will refuse everything; endpoint 1 is
                // direct for RPC, its websocket through a proxy that will be cut.
                c.rpc_urls = vec![rpc_proxy_url, rpc];
                c.ws_urls = vec![ws_proxy_url.clone(), ws_proxy_url];
                c.cooldown_secs = 1;
                c.stall_secs = 2;
                // Only the websocket (and the catch-up after each resubscription) finds jobs.
                c.reconcile_secs = 3600;
            })
            .await,
        );
    }
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let pi = std::fs::read(repo().join("target/wasm/monte_carlo_pi.wasm"))
        .expect("scripts/build-examples.sh first");
    let m = manifest(&store, "pi", &pi, b"100000 1", Limits::default()).await;
    // 1. Endpoint 0 dies: calls fail over to endpoint 1.
    rpc_proxy.refuse.store(true, Ordering::SeqCst);
    rpc_proxy.cut();
    let job = post(&local, &requester, &store, &m).await;
    settled(&local, &job, Duration::from_secs(60)).await;
    let errors: f64 = handles
        .iter()
        .map(|w| w.metrics.get("depin_worker_rpc_errors_total", ""))
        .sum();
    assert!(
        errors > 0.0,
        "no RPC error was seen: the dead endpoint was not used first"
    );
    // 2. The websocket is cut and refused for a while; a job posted meanwhile is still
    //    claimed (resubscription, or the reconcile) and settles.
    ws_proxy.refuse.store(true, Ordering::SeqCst);
    ws_proxy.cut();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let m2 = manifest(&store, "pi", &pi, b"100000 2", Limits::default()).await;
    let job2 = post(&local, &requester, &store, &m2).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    ws_proxy.refuse.store(false, Ordering::SeqCst);
    let j = settled(&local, &job2, Duration::from_secs(60)).await;
    assert_eq!(j.outcome, depin_core::settle::outcome::AGREED);
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let reconnects: f64 = handles
            .iter()
            .map(|w| w.metrics.get("depin_worker_websocket_reconnects_total", ""))
            .sum();
        if reconnects >= 3.0 {
            break;
        }
        assert!(
            Instant::now() < until,
            "each worker resubscribes after the cut ({reconnects})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // 3. Notifications flow again: a third job is claimed within a second of posting.
    let m3 = manifest(&store, "pi", &pi, b"100000 3", Limits::default()).await;
    let posted = Instant::now();
    let job3 = post(&local, &requester, &store, &m3).await;
    loop {
        let j = local.rpc.job(&job3).await.unwrap();
        if j.claimed == 3 {
            break;
        }
        assert!(
            posted.elapsed() < Duration::from_secs(3),
            "claims did not arrive after the websocket came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    settled(&local, &job3, Duration::from_secs(60)).await;
    for w in &handles {
        w.shutdown(Duration::from_secs(2)).await;
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A JSON-RPC proxy that swallows the first `swallow` `sendTransaction` calls: it answers with
/// the transaction's signature, as a node that accepted it, and never forwards it — the
/// transaction is lost and its blockhash expires.
/// What a fault-injecting JSON-RPC proxy does to requests and answers.
trait Rewrite: Send + Sync + 'static {
    /// An answer to give instead of the upstream's (`None`: forward).
    fn instead(&self, _request: &serde_json::Value) -> Option<serde_json::Value> {
        None
    }
    /// Sees (and may rewrite) the upstream's answer.
    fn after(&self, _request: &serde_json::Value, answer: serde_json::Value) -> serde_json::Value {
        answer
    }
}

/// A JSON-RPC proxy in front of `upstream` applying a [`Rewrite`]; its URL.
async fn rpc_proxy(upstream: String, rewrite: Arc<dyn Rewrite>) -> String {
    use http_body_util::{BodyExt, Full};
    use hyper::{body::Incoming, service::service_fn, Request, Response};
    use hyper_util::rt::TokioIo;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let client = reqwest::Client::new();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (client, upstream, rewrite) = (client.clone(), upstream.clone(), rewrite.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let (client, upstream, rewrite) =
                        (client.clone(), upstream.clone(), rewrite.clone());
                    async move {
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let json: serde_json::Value =
                            serde_json::from_slice(&body).unwrap_or_default();
                        let answer = match rewrite.instead(&json) {
                            Some(answer) => answer,
                            None => {
                                let bytes = client
                                    .post(&upstream)
                                    .header("content-type", "application/json")
                                    .body(body)
                                    .send()
                                    .await
                                    .unwrap()
                                    .bytes()
                                    .await
                                    .unwrap();
                                rewrite.after(
                                    &json,
                                    serde_json::from_slice(&bytes).unwrap_or_default(),
                                )
                            }
                        };
                        Ok::<_, std::convert::Infallible>(Response::new(Full::new(
                            bytes::Bytes::from(answer.to_string()),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

/// Swallows every copy of the first transaction sent (answering with its signature without
/// forwarding it: a transaction lost on the way, however often it is rebroadcast), counting
/// every send.
struct Swallow {
    sends: std::sync::atomic::AtomicU64,
    victim: Mutex<Option<solana_sdk::signature::Signature>>,
}

impl Rewrite for Swallow {
    fn instead(&self, json: &serde_json::Value) -> Option<serde_json::Value> {
        if json["method"] != "sendTransaction" {
            return None;
        }
        self.sends.fetch_add(1, Ordering::SeqCst);
        use base64::Engine;
        let tx = base64::engine::general_purpose::STANDARD
            .decode(json["params"][0].as_str().unwrap_or_default())
            .unwrap_or_default();
        // Wire format: compact-u16 signature count (1), then the signatures.
        let sig = solana_sdk::signature::Signature::try_from(&tx[1..65]).unwrap();
        let mut victim = self.victim.lock().unwrap();
        if *victim.get_or_insert(sig) != sig {
            return None;
        }
        Some(serde_json::json!({"jsonrpc": "2.0", "result": sig.to_string(), "id": json["id"]}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_transaction_is_re_signed_after_its_blockhash_expires() {
    let local = LocalMarket::start(&repo().join("target/deploy"), &Plan::localnet(), &[])
        .await
        .unwrap();
    let swallow = Arc::new(Swallow {
        sends: 0.into(),
        victim: Mutex::new(None),
    });
    let url = rpc_proxy(local.rpc_url().to_string(), swallow.clone()).await;
    let rpc = depin_client::rpc::DepinRpc::new(
        url,
        solana_commitment_config::CommitmentConfig::confirmed(),
    );
    let to = Keypair::new().pubkey();
    let transfer = anchor_lang::solana_program::system_instruction::transfer(
        &local.admin.pubkey(),
        &to,
        1_000_000_000,
    );
    let started = Instant::now();
    let landed = rpc
        .send(&local.admin, &[transfer], &[])
        .await
        .expect("sent after a re-sign");
    let took = started.elapsed();
    // No copy of the first transaction reached the chain, however often it was rebroadcast;
    // the SDK waited for its blockhash to expire (150 blocks of 100 ms), re-signed with a
    // fresh one, and the transfer happened once.
    assert_ne!(Some(landed), *swallow.victim.lock().unwrap());
    assert!(
        swallow.sends.load(Ordering::SeqCst) >= 3,
        "the first copy was not rebroadcast"
    );
    assert!(
        took > Duration::from_secs(10),
        "re-signed before the blockhash expired ({took:?})"
    );
    assert_eq!(
        local.rpc.rpc().get_balance(&to).await.unwrap(),
        1_000_000_000
    );
    eprintln!("lost transaction re-signed and confirmed after {took:?}");
}

/// Writes "started\n" to stderr, burns fuel for about a second, writes "done\n" to stderr and
/// "42" to stdout.
const SLOW_LOGGER: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "started\n")
  (data (i32.const 200) "done\n")
  (data (i32.const 300) "42")
  (func $out (param $fd i32) (param $at i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (local $i i32)
    (call $out (i32.const 2) (i32.const 100) (i32.const 8))
    (local.set $i (i32.const 400000000))
    (loop $spin
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $spin (i32.ne (local.get $i) (i32.const 0))))
    (call $out (i32.const 2) (i32.const 200) (i32.const 5))
    (call $out (i32.const 1) (i32.const 300) (i32.const 2))))"#;

/// While a job runs, its worker serves the stderr written so far to the job's requester only
/// (signed request); a stranger's or a co-claimant's request is refused; the agreed logs
/// then come with the verified result.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn live_logs_only_for_the_requester_then_the_agreed_logs() {
    let requester = Keypair::new();
    let w = Keypair::new();
    let stranger = Keypair::new();
    let local = market_for(&Plan::localnet(), &requester, &[&w]).await;
    let dir = temp("live-logs");
    local.provider(&w, 100_000_000, 50_000_000).await.unwrap();
    let worker = in_process(&local, &w, &dir.join("w"), |_| {}).await;
    let endpoint = format!("http://{}", worker.http_addr);
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let limits = Limits {
        fuel: 50_000_000_000,
        ..Limits::default()
    };
    let m = manifest(&store, "slow-logger", &wasm(SLOW_LOGGER), b"", limits).await;
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
        .expect("post")
        .job;

    // Mid-run: the requester sees "started" and not yet the end.
    let until = Instant::now() + Duration::from_secs(30);
    let seen = loop {
        match depin_client::live::fetch(&endpoint, &job, 0, &requester).await {
            Ok(Some((bytes, false))) if bytes == b"started\n" => break bytes,
            Ok(_) => {}
            Err(e) => panic!("live logs: {e}"),
        }
        assert!(Instant::now() < until, "never saw the job running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(seen, b"started\n");
    // Anyone else, a co-claimant included, is refused (they could copy a result).
    let refused = depin_client::live::fetch(&endpoint, &job, 0, &stranger)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("403"), "{refused}");
    let unknown = depin_client::live::fetch(&endpoint, &Pubkey::new_unique(), 0, &requester)
        .await
        .unwrap();
    assert!(unknown.is_none(), "a job not running there is 404");

    // Settled: the verified result carries the agreed logs; the live view says finished.
    local
        .rpc
        .wait_job(&job, Duration::from_secs(60))
        .await
        .unwrap();
    let r = local
        .rpc
        .fetch_result(&job, &depin_client::blob::BlobFetcher::default(), 1 << 20)
        .await
        .unwrap();
    assert_eq!(
        (r.output.as_slice(), r.logs.as_slice()),
        (&b"42"[..], &b"started\ndone\n"[..])
    );
    let (rest, finished) = depin_client::live::fetch(&endpoint, &job, 8, &requester)
        .await
        .unwrap()
        .expect("still readable after the run");
    assert_eq!((rest.as_slice(), finished), (&b"done\n"[..], true));
}

/// A result is served only after its worker's reveal has landed: before that a co-claimant
/// probing `/blobs/<hash>` for candidate outputs finds nothing, though the blob is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn results_are_served_only_after_the_reveal() {
    use depin_jobs::state::slot_state;
    let requester = Keypair::new();
    let ws: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let local = market_for(&Plan::localnet(), &requester, &[&ws[0], &ws[1], &ws[2]]).await;
    let dir = temp("served-after-reveal");
    let mut workers = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        local.provider(w, 100_000_000, 50_000_000).await.unwrap();
        let data = dir.join(format!("w{i}"));
        let worker = in_process(&local, w, &data, |_| {}).await;
        let provider = depin_client::pda::provider(&local.pool, &w.pubkey()).0;
        workers.push((worker, data, provider));
    }
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let limits = Limits {
        fuel: 50_000_000_000,
        ..Limits::default()
    };
    let m = manifest(&store, "slow-logger", &wasm(SLOW_LOGGER), b"", limits).await;
    // The exact blob every honest replica stores: its name is its sha256.
    let blob = exec::encode_result_blob(0, b"42", b"started\ndone\n");
    let name = depin_client::manifest::hex(&depin_client::blob::sha256(&blob));
    let job = post(&local, &requester, &store, &m).await;
    let fetcher = depin_client::blob::BlobFetcher::default();
    let (mut hidden_while_stored, until) = (0, Instant::now() + Duration::from_secs(90));
    loop {
        let j = local.rpc.job(&job).await.unwrap();
        for (worker, data, provider) in &workers {
            let url = format!("http://{}/blobs/{name}", worker.http_addr);
            match fetcher.fetch_unverified(&url, 1 << 20).await {
                Ok(bytes) => {
                    assert_eq!(bytes, blob);
                    // Served: the reveal must have landed (read after the fetch).
                    let after = local.rpc.job(&job).await.unwrap();
                    let k = after.slot_of(provider).expect("a holder");
                    assert_eq!(
                        after.slots[k].state,
                        slot_state::REVEALED,
                        "served before its reveal landed"
                    );
                }
                Err(e) => {
                    assert!(e.to_string().contains("404"), "{e}");
                    if data.join("pending").join(&name).exists() {
                        hidden_while_stored += 1;
                    }
                }
            }
        }
        if j.status == job_status::SETTLED {
            break;
        }
        assert!(Instant::now() < until, "job {job} never settled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        hidden_while_stored > 0,
        "never saw a stored result withheld (the test would prove nothing)"
    );
    // Settled: every replica serves it.
    settled(&local, &job, Duration::from_secs(30)).await;
    for (worker, ..) in &workers {
        let url = format!("http://{}/blobs/{name}", worker.http_addr);
        assert_eq!(fetcher.fetch_unverified(&url, 1 << 20).await.unwrap(), blob);
    }
}

/// Serves `getAccountInfo` of one account from the first view of it that showed it existing,
/// as a lagging or load-balanced node would, forever: to a request asking for a view newer
/// than that one (`minContextSlot`) it answers as such a node does, "minimum context slot has
/// not been reached".
struct Frozen {
    account: String,
    view: Mutex<Option<serde_json::Value>>,
    stale_answers: std::sync::atomic::AtomicU64,
    refused: std::sync::atomic::AtomicU64,
}

impl Frozen {
    fn is_ours(&self, json: &serde_json::Value) -> bool {
        json["method"] == "getAccountInfo" && json["params"][0] == self.account.as_str()
    }
}

impl Rewrite for Frozen {
    fn instead(&self, json: &serde_json::Value) -> Option<serde_json::Value> {
        if !self.is_ours(json) {
            return None;
        }
        let view = self.view.lock().unwrap().clone()?;
        let at = view["result"]["context"]["slot"].as_u64().unwrap_or(0);
        if json["params"][1]["minContextSlot"]
            .as_u64()
            .is_some_and(|min| min > at)
        {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Some(serde_json::json!({"jsonrpc": "2.0", "id": json["id"],
                "error": {"code": -32016, "message": "Minimum context slot has not been reached",
                          "data": {"contextSlot": at}}}));
        }
        self.stale_answers.fetch_add(1, Ordering::SeqCst);
        let mut view = view;
        view["id"] = json["id"].clone();
        Some(view)
    }

    fn after(&self, json: &serde_json::Value, answer: serde_json::Value) -> serde_json::Value {
        if self.is_ours(json) && !answer["result"]["value"].is_null() {
            let mut view = self.view.lock().unwrap();
            if view.is_none() {
                *view = Some(answer.clone());
            }
        }
        answer
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stale_endpoint_never_makes_the_worker_drop_a_claimed_job() {
    let requester = Keypair::new();
    let w = Keypair::new();
    let local = market_for(&Plan::localnet(), &requester, &[&w]).await;
    local.provider(&w, 100_000_000, 50_000_000).await.unwrap();
    let dir = temp("stale");
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let pi = std::fs::read(repo().join("target/wasm/monte_carlo_pi.wasm"))
        .expect("scripts/build-examples.sh first");
    let m = manifest(&store, "pi", &pi, b"100000 9", Limits::default()).await;
    // The job's address is known before it is posted; the preferred endpoint serves the
    // first view of it (open, unclaimed) from then on.
    let nonce = 4242;
    let job = depin_client::pda::job(&local.market, &requester.pubkey(), nonce).0;
    let frozen = Arc::new(Frozen {
        account: job.to_string(),
        view: Mutex::new(None),
        stale_answers: 0.into(),
        refused: 0.into(),
    });
    let stale = rpc_proxy(local.rpc_url().to_string(), frozen.clone()).await;
    let (rpc, ws) = (local.rpc_url().to_string(), local.ws_url().to_string());
    let worker = in_process(&local, &w, &dir.join("w"), |c| {
        c.rpc_urls = vec![stale, rpc];
        c.ws_urls = vec![ws.clone(), ws];
    })
    .await;
    let terms = JobTerms {
        nonce: Some(nonce),
        ..JobTerms::majority(1_000_000, 1)
    };
    local
        .rpc
        .post_manifest(&requester, &local.market, &m, &store, terms)
        .await
        .expect("post");
    let j = settled(&local, &job, Duration::from_secs(60)).await;
    assert_eq!(j.verdict(0), Verdict::Winner);
    let provider = depin_client::pda::provider(&local.pool, &w.pubkey()).0;
    assert_eq!(j.slots[0].provider, provider);
    let p = local
        .rpc
        .provider(&local.pool, &w.pubkey())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.jobs_slashed, p.jobs_completed), (0, 1));
    assert!(
        frozen.stale_answers.load(Ordering::SeqCst) >= 1,
        "the stale endpoint was never read"
    );
    assert!(
        frozen.refused.load(Ordering::SeqCst) >= 1,
        "no read after the claim asked for a view at least as recent as the claim"
    );
    let entries = worker.journal_entries().unwrap();
    assert!(
        entries
            .iter()
            .all(|e| e.outcome.as_deref().is_none_or(|o| !o.starts_with("lost"))),
        "{entries:?}"
    );
    // `/health` reports progress: the chain's slot and the last landed transaction.
    let health: serde_json::Value = reqwest::get(format!("http://{}/health", worker.http_addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert!(health["slot"].as_u64().unwrap_or(0) > 0, "{health}");
    assert!(health["last_landed"]["instruction"].is_string(), "{health}");
    worker.shutdown(Duration::from_secs(2)).await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A winner whose worker dies right after its reveal never releases its slot: the other
/// holders, in their turn, pay it (into its authority's account) and close the job, so the
/// requester's refund and the dead winner's pay never wait on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_winner_that_vanished_is_paid_and_the_job_closed_by_the_others() {
    let requester = Keypair::new();
    let live: Vec<Keypair> = (0..2).map(|_| Keypair::new()).collect();
    let dead = Keypair::new();
    let local = market_for(&Plan::localnet(), &requester, &[&live[0], &live[1], &dead]).await;
    let dir = temp("vanished");
    for (i, w) in live.iter().enumerate() {
        local.provider(w, 100_000_000, 50_000_000).await.unwrap();
        in_process(&local, w, &dir.join(format!("w{i}")), |c| {
            c.close_delay_secs = 3
        })
        .await;
    }
    local
        .provider(&dead, 100_000_000, 50_000_000)
        .await
        .unwrap();
    let keypair = dir.join("dead.json");
    write_keypair_file(&dead, &keypair).unwrap();
    let config = dir.join("dead.toml");
    worker_config(
        &local,
        &config,
        &dir.join("dead"),
        "close_delay_secs = 3\n[policy]\nallow_file_uris = true\n",
    );
    let proc = Proc::spawn(&config, &keypair);
    proc.wait_for("subscribed", None, Duration::from_secs(20))
        .await;
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let pi = std::fs::read(repo().join("target/wasm/monte_carlo_pi.wasm"))
        .expect("scripts/build-examples.sh first");
    let m = manifest(&store, "pi", &pi, b"100000 5", Limits::default()).await;
    let job = post(&local, &requester, &store, &m).await;
    proc.wait_for("phase=revealed", Some(&job), Duration::from_secs(60))
        .await;
    proc.kill9();
    let until = Instant::now() + Duration::from_secs(60);
    while local.rpc.job(&job).await.is_ok() {
        assert!(Instant::now() < until, "the job was never closed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let p = local
        .rpc
        .provider(&local.pool, &dead.pubkey())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (p.jobs_completed, p.jobs_slashed, p.locked),
        (1, 0, 0),
        "the dead winner was not released as a winner"
    );
    let paid = local
        .rpc
        .token_balance(&depin_client::ops::token_account(
            &dead.pubkey(),
            &local.payment_mint,
        ))
        .await
        .unwrap();
    assert!(paid > 0, "the dead winner was not paid");
    let _ = std::fs::remove_dir_all(dir);
}

/// A worker whose journal is lost after it committed: it refuses to start on the empty journal
/// (the operator is told why), then with `--recover` re-runs the job, derives the salt from its
/// operator key, opens its commitment and is paid, not slashed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_journal_is_refused_then_recovered_from_the_operator_key() {
    let requester = Keypair::new();
    let victim = Keypair::new();
    let others: Vec<Keypair> = (0..2).map(|_| Keypair::new()).collect();
    let local = market_for(
        &Plan::localnet(),
        &requester,
        &[&victim, &others[0], &others[1]],
    )
    .await;
    let dir = temp("lost-journal");
    for w in &others {
        local.provider(w, 100_000_000, 50_000_000).await.unwrap();
    }
    local
        .provider(&victim, 100_000_000, 50_000_000)
        .await
        .unwrap();
    let keypair = dir.join("victim.json");
    write_keypair_file(&victim, &keypair).unwrap();
    let config = dir.join("victim.toml");
    worker_config(
        &local,
        &config,
        &dir.join("victim"),
        "close_delay_secs = 20\nreconcile_secs = 2\n[policy]\nallow_file_uris = true\n",
    );
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let pi = std::fs::read(repo().join("target/wasm/monte_carlo_pi.wasm"))
        .expect("scripts/build-examples.sh first");
    let m = manifest(&store, "pi", &pi, b"200000 11", Limits::default()).await;
    let proc = Proc::spawn(&config, &keypair);
    proc.wait_for("subscribed", None, Duration::from_secs(20))
        .await;
    let job = post(&local, &requester, &store, &m).await;
    proc.wait_for("phase=committed", Some(&job), Duration::from_secs(60))
        .await;
    // The co-claimants' workers start only after the kill: with them running the reveals could
    // open, and the victim reveal, between its commitment and the kill (a revealed slot needs
    // no recovery, and the worker rightly starts on an empty journal then).
    proc.kill9();
    std::fs::remove_file(dir.join("victim/journal.redb")).unwrap();

    let refused = Proc::spawn(&config, &keypair);
    let (status, log) = refused.exit(Duration::from_secs(30));
    assert!(!status.success(), "started on an empty journal");
    assert!(
        log.contains("journal") && log.contains("--recover") && log.contains(&job.to_string()),
        "{log}"
    );
    for (i, w) in others.iter().enumerate() {
        in_process(&local, w, &dir.join(format!("w{i}")), |_| {}).await;
    }
    let recovered = Proc::spawn_args(&config, &keypair, &["--recover"]);
    recovered
        .wait_for("commitment recovered", Some(&job), Duration::from_secs(60))
        .await;
    let j = settled(&local, &job, Duration::from_secs(90)).await;
    let victim_provider = depin_client::pda::provider(&local.pool, &victim.pubkey()).0;
    let slot = j.slot_of(&victim_provider).expect("the victim's slot");
    assert_eq!(
        j.verdict(slot),
        Verdict::Winner,
        "the recovered reveal did not count"
    );
    let p = local
        .rpc
        .provider(&local.pool, &victim.pubkey())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.jobs_completed, p.jobs_slashed), (1, 0));
    recovered.terminate();
    let _ = std::fs::remove_dir_all(dir);
}

/// A worker that cannot trust its own state stops with a non-zero exit and says why, instead
/// of idling while its HTTP server answers: here one journal record is unreadable.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unreadable_journal_stops_the_worker_with_a_clear_error() {
    let requester = Keypair::new();
    let w = Keypair::new();
    let local = market_for(&Plan::localnet(), &requester, &[&w]).await;
    local.provider(&w, 100_000_000, 50_000_000).await.unwrap();
    let dir = temp("bad-journal");
    let data = dir.join("w");
    std::fs::create_dir_all(&data).unwrap();
    {
        let db = redb::Database::create(data.join("journal.redb")).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let table: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("jobs");
            let mut t = tx.open_table(table).unwrap();
            t.insert(&b"garbage"[..], &b"{not json"[..]).unwrap();
        }
        tx.commit().unwrap();
    }
    let keypair = dir.join("w.json");
    write_keypair_file(&w, &keypair).unwrap();
    let config = dir.join("w.toml");
    worker_config(&local, &config, &data, "");
    let (status, log) = Proc::spawn(&config, &keypair).exit(Duration::from_secs(30));
    assert!(!status.success(), "{log}");
    assert!(log.contains("journal"), "{log}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Holds the first `sendTransaction` for `delay` before passing it on (answering at once with
/// its signature, as a congested node or a slow leader path would look).
struct Delay {
    upstream: String,
    delay: Duration,
    held: std::sync::atomic::AtomicBool,
}

impl Rewrite for Delay {
    fn instead(&self, json: &serde_json::Value) -> Option<serde_json::Value> {
        if json["method"] != "sendTransaction" || self.held.swap(true, Ordering::SeqCst) {
            return None;
        }
        let (upstream, delay, body) = (self.upstream.clone(), self.delay, json.clone());
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = reqwest::Client::new()
                .post(&upstream)
                .json(&body)
                .send()
                .await;
        });
        use base64::Engine;
        let tx = base64::engine::general_purpose::STANDARD
            .decode(json["params"][0].as_str().unwrap_or_default())
            .unwrap_or_default();
        let sig = solana_sdk::signature::Signature::try_from(&tx[1..65]).unwrap();
        Some(serde_json::json!({"jsonrpc": "2.0", "result": sig.to_string(), "id": json["id"]}))
    }
}

/// A transaction whose first copy is delayed past the sender's patience lands exactly once:
/// the sender rebroadcasts the same signed bytes and never signs a second copy while the
/// first one's blockhash is still valid (here a transfer; a re-signed stake or post would
/// move tokens twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delayed_transaction_lands_once() {
    let local = LocalMarket::start(&repo().join("target/deploy"), &Plan::localnet(), &[])
        .await
        .unwrap();
    let delay = Arc::new(Delay {
        upstream: local.rpc_url().to_string(),
        delay: Duration::from_secs(8),
        held: false.into(),
    });
    let url = rpc_proxy(local.rpc_url().to_string(), delay).await;
    // An impatient sender: its own time-out is shorter than the delay.
    let opts = depin_client::rpc::SendOptions {
        confirm_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let rpc = depin_client::rpc::DepinRpc::new(
        url,
        solana_commitment_config::CommitmentConfig::confirmed(),
    )
    .with_send_options(opts);
    let to = Keypair::new().pubkey();
    let transfer = anchor_lang::solana_program::system_instruction::transfer(
        &local.admin.pubkey(),
        &to,
        1_000_000_000,
    );
    rpc.send(&local.admin, &[transfer], &[])
        .await
        .expect("landed");
    // Past the delayed copy's arrival: still one transfer.
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(
        local.rpc.rpc().get_balance(&to).await.unwrap(),
        1_000_000_000,
        "the transfer landed twice"
    );
}

/// A transaction paying a priority fee asks for the compute units a simulation measured (the
/// fee is paid on the limit), not the default 200 000 per instruction.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_priority_fee_comes_with_a_simulated_limit() {
    let local = LocalMarket::start(&repo().join("target/deploy"), &Plan::localnet(), &[])
        .await
        .unwrap();
    let opts = depin_client::rpc::SendOptions {
        priority_fee_micro_lamports: 5_000,
        ..Default::default()
    };
    let rpc = depin_client::rpc::DepinRpc::new(
        local.rpc_url().to_string(),
        solana_commitment_config::CommitmentConfig::confirmed(),
    )
    .with_send_options(opts);
    let to = Keypair::new().pubkey();
    let transfer = anchor_lang::solana_program::system_instruction::transfer(
        &local.admin.pubkey(),
        &to,
        1_000_000_000,
    );
    let sig = rpc.send(&local.admin, &[transfer], &[]).await.unwrap();
    let tx = local
        .rpc
        .rpc()
        .get_transaction_with_config(
            &sig,
            solana_client::rpc_config::RpcTransactionConfig {
                encoding: Some(
                    solana_transaction_status_client_types::UiTransactionEncoding::Base64,
                ),
                commitment: Some(solana_commitment_config::CommitmentConfig::confirmed()),
                max_supported_transaction_version: Some(0),
            },
        )
        .await
        .unwrap();
    let decoded = tx.transaction.transaction.decode().unwrap();
    let message = decoded.message;
    let budget = solana_compute_budget_interface::id();
    let limits: Vec<u32> = message
        .instructions()
        .iter()
        .filter(|ix| message.static_account_keys()[ix.program_id_index as usize] == budget)
        .filter(|ix| ix.data.first() == Some(&2)) // SetComputeUnitLimit
        .map(|ix| u32::from_le_bytes(ix.data[1..5].try_into().unwrap()))
        .collect();
    assert_eq!(limits.len(), 1, "{limits:?}");
    assert!(
        limits[0] < 10_000,
        "a transfer's limit should be its simulated use plus a margin: {}",
        limits[0]
    );
}

/// Chaos: three worker processes SIGKILLed at random moments (and restarted 0.2–2 s later)
/// for a minute while jobs of mixed lengths and replica counts flow. Afterwards every job is
/// settled (or expired), released and closed, no provider was slashed or penalised, no bond
/// stays locked, and every journal entry is finished. The seed is printed; set
/// `DEPIN_CHAOS_SEED` to replay one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chaos_random_sigkills_lose_nothing() {
    let seed: u64 = std::env::var("DEPIN_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("chaos seed {seed}");
    let mut rng = seed;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n.max(1)
    };
    let requester = Keypair::new();
    let workers: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let local = market_for(
        &Plan::localnet(),
        &requester,
        &workers.iter().collect::<Vec<_>>(),
    )
    .await;
    let dir = temp("chaos");
    let mut configs = Vec::new();
    for (i, w) in workers.iter().enumerate() {
        local.provider(w, 100_000_000, 50_000_000).await.unwrap();
        let keypair = dir.join(format!("w{i}.json"));
        write_keypair_file(w, &keypair).unwrap();
        let config = dir.join(format!("w{i}.toml"));
        worker_config(
            &local,
            &config,
            &dir.join(format!("w{i}")),
            "close_delay_secs = 3\nreconcile_secs = 2\n[policy]\nallow_file_uris = true\n",
        );
        configs.push((config, keypair));
    }
    let mut procs: Vec<Option<Proc>> = configs
        .iter()
        .map(|(c, k)| Some(Proc::spawn(c, k)))
        .collect();
    for p in procs.iter().flatten() {
        p.wait_for("subscribed", None, Duration::from_secs(30))
            .await;
    }
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let heat = std::fs::read(repo().join("target/wasm/heat_diffusion.wasm"))
        .expect("scripts/build-examples.sh first");
    let pi = std::fs::read(repo().join("target/wasm/monte_carlo_pi.wasm")).unwrap();
    let limits = Limits {
        fuel: 50_000_000_000,
        ..Limits::default()
    };
    let mut jobs = Vec::new();
    let chaos_until = Instant::now() + Duration::from_secs(60);
    let mut next_post = Instant::now();
    let mut posted = 0u64;
    while Instant::now() < chaos_until {
        if Instant::now() >= next_post && posted < 16 {
            // Mixed lengths (about 10 ms to about a second) and replica counts (1 or 3).
            let (module, input) = match next(3) {
                0 => (&heat, format!("{} 64 100", 32 + posted)),
                1 => (&heat, format!("300 300 {}", 400 + posted)),
                _ => (&pi, format!("{} {posted}", 200_000 + 100_000 * next(10))),
            };
            let m = manifest(&store, "chaos", module, input.as_bytes(), limits).await;
            let replicas = if next(3) == 0 { 1 } else { 3 };
            let job = local
                .rpc
                .post_manifest(
                    &requester,
                    &local.market,
                    &m,
                    &store,
                    JobTerms::majority(1_000_000, replicas),
                )
                .await
                .expect("post")
                .job;
            jobs.push(job);
            posted += 1;
            next_post = Instant::now() + Duration::from_millis(1_000 + 250 * next(12));
        }
        // Kill a random worker, restart it shortly after.
        let victim = next(3) as usize;
        if let Some(p) = procs[victim].take() {
            p.kill9();
        }
        tokio::time::sleep(Duration::from_millis(200 + 200 * next(9))).await;
        let (c, k) = &configs[victim];
        procs[victim] = Some(Proc::spawn(c, k));
        tokio::time::sleep(Duration::from_millis(500 + 250 * next(12))).await;
    }
    eprintln!(
        "chaos over: {} jobs posted; waiting for every one to close",
        jobs.len()
    );
    let until = Instant::now() + Duration::from_secs(180);
    for job in &jobs {
        while local.rpc.job(job).await.is_ok() {
            let j = local.rpc.job(job).await.ok();
            assert!(
                Instant::now() < until,
                "job {job} never closed (seed {seed}); last view: {:?}",
                j.map(|j| (j.status, j.claimed, j.committed, j.revealed, j.released))
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    for (i, w) in workers.iter().enumerate() {
        let p = local
            .rpc
            .provider(&local.pool, &w.pubkey())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.jobs_slashed, p.total_slashed, p.locked),
            (0, 0, 0),
            "worker {i} lost stake or has a bond locked (seed {seed})"
        );
    }
    for p in procs.iter_mut() {
        if let Some(p) = p.take() {
            p.terminate();
        }
    }
    for i in 0..workers.len() {
        let journal =
            depin_worker::journal::Journal::open(&dir.join(format!("w{i}/journal.redb"))).unwrap();
        let unfinished = journal.unfinished().unwrap();
        assert!(
            unfinished.is_empty(),
            "worker {i} has unfinished entries (seed {seed}): {unfinished:?}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The hot path (issue #17): callers in one slot share one clock read, a newer slot makes the
/// next caller read again; and the workers of a real 3-replica job share clock reads and
/// journal through group commits. (Whether drivers decide on subscription views cannot be
/// shown here: the embedded chain stamps every program notification with the slot the
/// subscription was made in, so the rule, unit-tested in `engine::drive`, rightly falls back
/// to reads.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_clock_read_per_slot_is_shared_and_journal_commits_are_grouped() {
    use depin_worker::{
        chain::Chain,
        health::Health,
        metrics::{self, Metrics},
    };
    let requester = Keypair::new();
    let ws: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let local = market_for(&Plan::localnet(), &requester, &[&ws[0], &ws[1], &ws[2]]).await;

    let m = Arc::new(Metrics::default());
    let chain = Arc::new(Chain::new(
        &[(local.rpc_url().to_string(), local.ws_url().to_string())],
        depin_worker::chain::EndpointOptions {
            commitment: solana_commitment_config::CommitmentConfig::confirmed(),
            send: depin_client::rpc::SendOptions::default(),
            cooldown: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
        },
        m.clone(),
        Arc::new(Health::default()),
    ));
    let reads = |source: &str| {
        m.get(
            metrics::CHAIN_READS_TOTAL,
            &format!("what=\"clock\",source=\"{source}\""),
        )
    };
    let callers: Vec<_> = (0..64)
        .map(|_| {
            let c = chain.clone();
            tokio::spawn(async move { c.tick().await.unwrap() })
        })
        .collect();
    let mut ticks = Vec::new();
    for c in callers {
        ticks.push(c.await.unwrap());
    }
    // One read for all of them (a few more if this machine is so loaded that the callers
    // straggle past a slot time; far fewer than 64 either way).
    assert_eq!(reads("rpc") + reads("shared"), 64.0);
    assert!(reads("rpc") <= 4.0, "{} reads for 64 callers", reads("rpc"));
    let time = chain.unix_time().await.unwrap();
    assert!((time - ticks[0].unix_time).abs() <= 1);
    let before = reads("rpc");
    chain.slot_announced(ticks[0].slot + 1);
    let next = chain.tick().await.unwrap();
    assert_eq!(
        reads("rpc"),
        before + 1.0,
        "a newer slot was announced: read again"
    );
    assert!(next.slot >= ticks[0].slot);
    let shared = reads("shared");
    chain.tick().await.unwrap();
    assert_eq!(reads("shared"), shared + 1.0, "no newer slot: shared again");

    let dir = temp("hot-path");
    let mut workers = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        local.provider(w, 100_000_000, 50_000_000).await.unwrap();
        workers.push(in_process(&local, w, &dir.join(format!("w{i}")), |_| {}).await);
    }
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let pi = std::fs::read(repo().join("target/wasm/monte_carlo_pi.wasm"))
        .expect("scripts/build-examples.sh first");
    let mf = manifest(&store, "pi", &pi, b"20000 5", Limits::default()).await;
    let job = post(&local, &requester, &store, &mf).await;
    let j = settled(&local, &job, Duration::from_secs(60)).await;
    assert_eq!(j.status, job_status::SETTLED);
    for w in &workers {
        let got = |what: &str, source: &str| {
            w.metrics.get(
                metrics::CHAIN_READS_TOTAL,
                &format!("what=\"{what}\",source=\"{source}\""),
            )
        };
        assert!(got("clock", "shared") > 0.0, "no clock read was shared");
        let (commits, records) = (
            w.metrics.get(metrics::JOURNAL_COMMITS_TOTAL, ""),
            w.metrics.get(metrics::JOURNAL_RECORDS_TOTAL, ""),
        );
        assert!(commits > 0.0 && commits <= records, "{commits} {records}");
    }
    // Planning the claim read the stake (provider and pool, shared per slot) and the seed (the
    // sysvar's head) through the counted paths.
    let all = |what: &str, source: &str| -> f64 {
        workers
            .iter()
            .map(|w| {
                w.metrics.get(
                    metrics::CHAIN_READS_TOTAL,
                    &format!("what=\"{what}\",source=\"{source}\""),
                )
            })
            .sum()
    };
    assert!(all("stake", "rpc") > 0.0, "no stake read was counted");
    assert!(all("seed", "rpc") > 0.0, "no seed read was counted");
    let _ = std::fs::remove_dir_all(dir);
}
