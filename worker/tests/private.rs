//! Private jobs end to end, with real workers on the local chain:
//! - three replicas run a private job and only its requester reads the verified output, while
//!   a stranger who reads the chain (accounts and transactions), every revealed URI, every
//!   worker's HTTP server and every file the workers and the requester's store wrote finds no
//!   plaintext of the input, the output or the logs, and no other key opens anything;
//! - a requester that never delivers keys gets nothing run, is refunded in full, and nobody
//!   is slashed;
//! - a one-replica private job whose module traps is a sealed result like any other;
//! - a worker SIGKILLed after it received its key and before it committed finishes the job.

mod common;

use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use common::*;
use depin_client::{
    blob::{BlobFetcher, BlobStore, FileStore},
    manifest::{DraftManifest, Limits},
    ops::JobTerms,
    privacy::{self, BlobRole, JobSecret},
    Job,
};
use depin_core::settle::Verdict;
use depin_jobs::state::job_status;
use depin_migrations::{local::LocalMarket, Plan};
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

/// Copies stdin to stdout and to stderr: the output and the logs are the input.
const ECHO: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 4096))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 16) (i32.const 64))
    (i32.store (i32.const 20) (i32.load (i32.const 8)))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
    (drop (call $write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 24)))))"#;

/// The plaintext a stranger must never see, and pieces of it.
const SECRET_INPUT: &[u8] = b"PATIENT-7Q4X genome ACGTTGCAAGGCTTACGGATC dx:hypertension";
const PIECES: [&[u8]; 3] = [b"PATIENT-7Q4X", b"ACGTTGCAAGGCTTAC", b"hypertension"];

fn leaks(bytes: &[u8]) -> Option<&'static str> {
    PIECES
        .iter()
        .find(|p| bytes.windows(p.len()).any(|w| w == **p))
        .map(|p| std::str::from_utf8(p).unwrap())
}

/// A draft for `module` (WAT or wasm bytes) and `input`, written under `dir`.
fn draft(dir: &std::path::Path, module: &[u8], input: &[u8], limits: Limits) -> DraftManifest {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("module.wasm"), module).unwrap();
    std::fs::write(dir.join("input.bin"), input).unwrap();
    DraftManifest {
        name: "private".into(),
        module: dir.join("module.wasm"),
        input: dir.join("input.bin"),
        args: vec![],
        limits,
        base: dir.to_path_buf(),
    }
}

/// Deliver keys as claims come until `job` is settled with every held slot released.
async fn settled_delivering(
    local: &LocalMarket,
    requester: &Keypair,
    job: &Pubkey,
    within: Duration,
) -> Job {
    let until = Instant::now() + within;
    while Instant::now() < until {
        let _ = local.rpc.deliver_keys(requester, job).await;
        match local.rpc.job(job).await {
            Ok(j) if j.status == job_status::SETTLED && j.released == j.claimed => return j,
            Ok(_) => {}
            Err(e) => panic!("job {job}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {job} not settled in {within:?}");
}

/// Every file under `dir`, recursively.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_private_job_is_read_only_by_its_requester() {
    let requester = Keypair::new();
    let stranger = Keypair::new();
    let ws: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    let local = market_for(
        &Plan::localnet(),
        &requester,
        &[&ws[0], &ws[1], &ws[2], &stranger],
    )
    .await;
    let dir = temp("private-stranger");
    let mut workers = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        local.provider(w, 100_000_000, 50_000_000).await.unwrap();
        let data = dir.join(format!("w{i}"));
        workers.push((in_process(&local, w, &data, |_| {}).await, data));
    }
    let store = FileStore::new(dir.join("blobs")).unwrap();
    // A sealed module: the run must fit the execution window less two key windows (60 - 30 s
    // on the local plan) with the commit margin.
    let sealed_limits = Limits {
        wall_ms: 20_000,
        ..Limits::default()
    };
    let d = draft(&dir.join("draft"), &wasm(ECHO), SECRET_INPUT, sealed_limits);
    let posted = local
        .rpc
        .post_private(
            &requester,
            &local.market,
            &d,
            &store,
            JobTerms::majority(1_000_000, 3),
            true,
        )
        .await
        .expect("post a private job");
    let job = posted.job;
    let j = settled_delivering(&local, &requester, &job, Duration::from_secs(120)).await;
    assert_eq!(j.outcome, depin_core::settle::outcome::AGREED);
    for k in 0..3 {
        assert_eq!(j.verdict(k), Verdict::Winner, "slot {k}");
    }

    // The requester reads and verifies it.
    let fetcher = BlobFetcher::default();
    let r = local
        .rpc
        .fetch_result_as(&job, Some(&requester), &fetcher, 1 << 20)
        .await
        .expect("the requester reads its result");
    assert!(r.sealed);
    assert_eq!(
        (r.exit_code, &r.output[..], &r.logs[..]),
        (0, SECRET_INPUT, SECRET_INPUT)
    );
    // The agreed hash is keyed: the plain hash of the right guess does not match it.
    assert_ne!(
        j.agreed_hash,
        depin_core::hash::result_hash(0, SECRET_INPUT, SECRET_INPUT)
    );
    let secret = JobSecret::derive(&requester, &job);
    assert_eq!(
        j.agreed_hash,
        secret.result_hash(&job, 0, SECRET_INPUT, SECRET_INPUT)
    );

    // A stranger: without the requester's key nothing reads, and nothing anywhere is plain.
    assert!(local
        .rpc
        .fetch_result_as(&job, Some(&stranger), &fetcher, 1 << 20)
        .await
        .is_err());
    assert!(local
        .rpc
        .fetch_result(&job, &fetcher, 1 << 20)
        .await
        .is_err());
    let mut checked = 0usize;
    let mut check = |what: String, bytes: &[u8]| {
        checked += 1;
        if let Some(piece) = leaks(bytes) {
            panic!("{what} shows plaintext `{piece}`");
        }
    };
    // The chain: every account of both programs, every transaction of the job.
    for program in [
        depin_client::JOBS_PROGRAM_ID,
        depin_client::STAKING_PROGRAM_ID,
    ] {
        for (address, account) in local
            .rpc
            .rpc()
            .get_program_accounts(&program)
            .await
            .unwrap()
        {
            check(format!("account {address}"), &account.data);
        }
    }
    let sigs = local
        .rpc
        .rpc()
        .get_signatures_for_address(&job)
        .await
        .unwrap();
    assert!(
        sigs.len() >= 7,
        "post, 3 claims, 3 keys, commits...: {}",
        sigs.len()
    );
    for s in &sigs {
        let sig = s.signature.parse().unwrap();
        let tx = local
            .rpc
            .rpc()
            .get_transaction(
                &sig,
                solana_transaction_status_client_types::UiTransactionEncoding::Base64,
            )
            .await
            .unwrap();
        let raw = tx
            .transaction
            .transaction
            .decode()
            .expect("binary transaction");
        check(format!("transaction {sig}"), &raw.message.serialize());
        check(
            format!("logs of {sig}"),
            serde_json::to_string(&tx.transaction.meta)
                .unwrap()
                .as_bytes(),
        );
    }
    // Every revealed URI: sealed to the requester; no worker's or stranger's key opens it.
    let uris: Vec<String> = j.slots[..3]
        .iter()
        .map(|s| String::from_utf8(s.result_uri[..s.result_uri_len as usize].to_vec()).unwrap())
        .collect();
    for uri in &uris {
        let blob = fetcher.fetch_unverified(uri, 1 << 20).await.unwrap();
        check(format!("revealed {uri}"), &blob);
        assert!(privacy::is_sealed_result(&blob), "{uri} is not sealed");
        assert!(privacy::open_result(&requester, &blob).is_ok());
        assert!(privacy::open_result(&stranger, &blob).is_err());
        for w in &ws {
            assert!(
                privacy::open_result(w, &blob).is_err(),
                "a worker opens {uri}"
            );
        }
    }
    // The manifest and the sealed blobs it names: public, and opaque without the secret.
    let manifest = local.rpc.manifest_of(&j).await.unwrap();
    assert!(manifest.input.sealed && manifest.module.sealed);
    let input = fetcher
        .fetch_unverified(&manifest.input.uri, 1 << 20)
        .await
        .unwrap();
    check("the sealed input".into(), &input);
    let other = JobSecret::derive(&stranger, &job);
    assert!(other.open_blob(&job, BlobRole::Input, &input).is_err());
    assert_eq!(
        &secret.open_blob(&job, BlobRole::Input, &input).unwrap()[..],
        SECRET_INPUT
    );
    // Every worker's HTTP server, every path it serves.
    for (worker, data) in &workers {
        let base = format!("http://{}", worker.http_addr);
        let mut paths = vec![
            "/health".to_string(),
            "/metrics".to_string(),
            format!("/logs/{job}"),
        ];
        for f in files(&data.join("blobs")) {
            paths.push(format!(
                "/blobs/{}",
                f.file_name().unwrap().to_string_lossy()
            ));
        }
        for path in paths {
            if let Ok(bytes) = fetcher
                .fetch_unverified(&format!("{base}{path}"), 1 << 24)
                .await
            {
                check(format!("{base}{path}"), &bytes);
            }
        }
        // And every file it wrote (journal, cache, pending and served blobs).
        for f in files(data) {
            check(format!("file {}", f.display()), &std::fs::read(&f).unwrap());
        }
    }
    for f in files(&dir.join("blobs")) {
        check(
            format!("store file {}", f.display()),
            &std::fs::read(&f).unwrap(),
        );
    }
    assert!(checked > 30, "the stranger looked at too little: {checked}");
    // The stranger posts a public job naming the sealed module's ciphertext as its (unsealed)
    // module: the workers that compiled the plaintext must not run it from their cache.
    let probe = store.put(b"PROBE-INPUT").await.unwrap();
    let mut copy = depin_client::manifest::Manifest::new(
        "copycat",
        depin_client::manifest::BlobRef::new(manifest.module.uri.clone(), manifest.module.sha256),
        probe,
    );
    copy.limits = sealed_limits;
    local
        .fund_requester(&stranger.pubkey(), 100_000_000)
        .await
        .unwrap();
    let copycat = local
        .rpc
        .post_manifest(
            &stranger,
            &local.market,
            &copy,
            &store,
            JobTerms::majority(1_000_000, 3),
        )
        .await
        .unwrap()
        .job;
    let c = settled_delivering(&local, &stranger, &copycat, Duration::from_secs(120)).await;
    let r = local
        .rpc
        .fetch_result(&copycat, &fetcher, 1 << 20)
        .await
        .unwrap();
    assert_ne!(c.agreed_hash, [0; 32]);
    assert_ne!(r.exit_code, 0, "the ciphertext ran as a module: {r:?}");
    assert!(
        !String::from_utf8_lossy(&r.output).contains("PROBE-INPUT"),
        "{r:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_requester_that_withholds_keys_is_refunded_and_nobody_is_slashed() {
    let requester = Keypair::new();
    let ws: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    // Short windows: key window 10 s, run window 30 s.
    let mut plan = Plan::localnet();
    plan.market.claim_window_secs = 10;
    plan.market.execution_window_secs = 40;
    plan.market.reveal_window_secs = 5;
    let local = market_for(&plan, &requester, &[&ws[0], &ws[1], &ws[2]]).await;
    let dir = temp("private-withheld");
    let mut workers = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        local.provider(w, 100_000_000, 50_000_000).await.unwrap();
        workers.push(in_process(&local, w, &dir.join(format!("w{i}")), |_| {}).await);
    }
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let limits = Limits {
        wall_ms: 5_000,
        ..Limits::default()
    };
    let d = draft(&dir.join("draft"), &wasm(ECHO), SECRET_INPUT, limits);
    let tokens = depin_client::ops::token_account(&requester.pubkey(), &local.payment_mint);
    let before = local.rpc.token_balance(&tokens).await.unwrap();
    let job = local
        .rpc
        .post_private(
            &requester,
            &local.market,
            &d,
            &store,
            JobTerms::majority(1_000_000, 3),
            false,
        )
        .await
        .unwrap()
        .job;
    // The requester never delivers a key. Every claimant gives its slot back once the key
    // deadline has passed, free of penalty.
    let until = Instant::now() + Duration::from_secs(90);
    let j = loop {
        let j = local.rpc.job(&job).await.unwrap();
        let now = local.rpc.chain_time().await.unwrap();
        if j.quorum_reached == 1 && j.claimed == 0 && now >= j.reveal_deadline {
            break j;
        }
        assert!(
            Instant::now() < until,
            "claimants never gave back: {:?}",
            (j.claimed, j.quorum_reached)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(j.slots[..3].iter().all(|s| s.key_at == 0));
    // Anyone settles and closes it: nothing was run, everything comes back.
    let keys = depin_client::ix::jobs::MarketKeys {
        market: local.market,
        fee_vault: depin_client::pda::fee_vault(&local.market).0,
        staking_pool: local.pool,
    };
    let ixs = [
        depin_client::ix::jobs::settle_job(&job),
        depin_client::ix::jobs::close_job(&keys, &job, &j.escrow, &requester.pubkey(), &tokens),
    ];
    local.rpc.send(&requester, &ixs, &[]).await.unwrap();
    assert_eq!(
        local.rpc.token_balance(&tokens).await.unwrap(),
        before,
        "the requester's payoff is 0: refunded in full"
    );
    for w in &ws {
        let p = local
            .rpc
            .provider(&local.pool, &w.pubkey())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.total_slashed, p.jobs_slashed, p.locked),
            (0, 0, 0),
            "claimant slashed"
        );
    }
    drop(workers);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_one_replica_private_job_that_traps_is_a_sealed_result() {
    let requester = Keypair::new();
    let w = Keypair::new();
    let local = market_for(&Plan::localnet(), &requester, &[&w]).await;
    let dir = temp("private-trap");
    local.provider(&w, 100_000_000, 50_000_000).await.unwrap();
    let _worker = in_process(&local, &w, &dir.join("w0"), |_| {}).await;
    let store = FileStore::new(dir.join("blobs")).unwrap();
    let trap =
        wasm(r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#);
    let limits = Limits {
        wall_ms: 20_000,
        ..Limits::default()
    };
    let d = draft(&dir.join("draft"), &trap, SECRET_INPUT, limits);
    let job = local
        .rpc
        .post_private(
            &requester,
            &local.market,
            &d,
            &store,
            JobTerms::majority(1_000_000, 1),
            true,
        )
        .await
        .unwrap()
        .job;
    let j = settled_delivering(&local, &requester, &job, Duration::from_secs(90)).await;
    assert_eq!(j.verdict(0), Verdict::Winner);
    let r = local
        .rpc
        .fetch_result_as(&job, Some(&requester), &BlobFetcher::default(), 1 << 20)
        .await
        .unwrap();
    assert!(r.sealed);
    assert_ne!(r.exit_code, 0, "a trap is a deterministic failure result");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_killed_between_its_key_and_its_commit_finishes_the_private_job() {
    let requester = Keypair::new();
    let victim = Keypair::new();
    let others: Vec<Keypair> = (0..2).map(|_| Keypair::new()).collect();
    let local = market_for(
        &Plan::localnet(),
        &requester,
        &[&victim, &others[0], &others[1]],
    )
    .await;
    let dir = temp("private-sigkill");
    for (i, w) in others.iter().enumerate() {
        local.provider(w, 100_000_000, 50_000_000).await.unwrap();
        in_process(&local, w, &dir.join(format!("w{i}")), |_| {}).await;
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
    let heat = std::fs::read(repo().join("target/wasm/heat_diffusion.wasm"))
        .expect("scripts/build-examples.sh first");
    let limits = Limits {
        fuel: 50_000_000_000,
        wall_ms: 20_000,
        ..Limits::default()
    };
    // A run of about a second, to be killed in the middle of it.
    let d = draft(&dir.join("draft"), &heat, b"400 400 600", limits);
    let proc = Proc::spawn(&config, &keypair);
    proc.wait_for("subscribed", None, Duration::from_secs(20))
        .await;
    let job = local
        .rpc
        .post_private(
            &requester,
            &local.market,
            &d,
            &store,
            JobTerms::majority(1_000_000, 3),
            true,
        )
        .await
        .unwrap()
        .job;
    // Keys go out as claims land; the victim starts running only once it has its key.
    let deliver_until = Instant::now() + Duration::from_secs(30);
    let victim_provider = depin_client::pda::provider(&local.pool, &victim.pubkey()).0;
    loop {
        let _ = local.rpc.deliver_keys(&requester, &job).await;
        let j = local.rpc.job(&job).await.unwrap();
        if j.slot_of(&victim_provider)
            .is_some_and(|k| j.slots[k].key_at != 0)
        {
            break;
        }
        assert!(
            Instant::now() < deliver_until,
            "the victim never got its key"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    proc.wait_for("phase=executing", Some(&job), Duration::from_secs(30))
        .await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let lines = proc.kill9();
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("phase=committed") && l.contains(&job.to_string())),
        "killed too late: it had committed already"
    );
    let restarted = Proc::spawn(&config, &keypair);
    let j = settled_delivering(&local, &requester, &job, Duration::from_secs(120)).await;
    for k in 0..3 {
        assert_eq!(j.verdict(k), Verdict::Winner, "slot {k}");
    }
    let p = local
        .rpc
        .provider(&local.pool, &victim.pubkey())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.jobs_slashed, p.locked), (0, 0));
    let r = local
        .rpc
        .fetch_result_as(&job, Some(&requester), &BlobFetcher::default(), 1 << 20)
        .await
        .unwrap();
    assert!(r.sealed && r.exit_code == 0 && !r.output.is_empty());
    restarted.terminate();
    let _ = std::fs::remove_dir_all(dir);
}
