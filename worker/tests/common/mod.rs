//! Helpers shared by the worker's end-to-end test binaries: the local chain with a migrated
//! market, in-process workers, `depin-worker` child processes, posting and waiting.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use depin_client::{
    blob::{BlobStore, FileStore},
    manifest::{Limits, Manifest},
    ops::JobTerms,
    Job,
};
use depin_jobs::state::job_status;
use depin_migrations::{local::LocalMarket, Plan};
use depin_worker::{Worker, WorkerConfig};
use solana_sdk::signature::{Keypair, Signer};

pub fn repo() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("..")
}

pub fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("depin-worker-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The local chain with a migrated market under `plan`, SOL for `requester` and `others`, and
/// payment tokens for the requester.
pub async fn market_for(plan: &Plan, requester: &Keypair, others: &[&Keypair]) -> LocalMarket {
    let wallets: Vec<Pubkey> = std::iter::once(requester)
        .chain(others.iter().copied())
        .map(|k| k.pubkey())
        .collect();
    let local = LocalMarket::start(&repo().join("target/deploy"), plan, &wallets)
        .await
        .unwrap();
    local
        .fund_requester(&requester.pubkey(), 1_000_000_000)
        .await
        .unwrap();
    local
}

pub async fn in_process(
    local: &LocalMarket,
    who: &Keypair,
    dir: &Path,
    tweak: impl FnOnce(&mut WorkerConfig),
) -> Arc<Worker> {
    let mut cfg = WorkerConfig::beside(
        &local.market,
        local.rpc_url(),
        local.ws_url(),
        dir.to_path_buf(),
    );
    // Long enough for the test to read the settled, released job before it is closed.
    cfg.close_delay_secs = 20;
    cfg.reconcile_secs = 2;
    tweak(&mut cfg);
    let w = Worker::new(cfg, who.insecure_clone())
        .await
        .expect("worker");
    let r = w.clone();
    tokio::spawn(async move { r.run().await });
    w
}

/// Post `manifest` (3 replicas, so quorum 2) and return the job.
pub async fn post(
    local: &LocalMarket,
    requester: &Keypair,
    store: &FileStore,
    manifest: &Manifest,
) -> Pubkey {
    local
        .rpc
        .post_manifest(
            requester,
            &local.market,
            manifest,
            store,
            JobTerms::majority(1_000_000, 3),
        )
        .await
        .expect("post")
        .job
}

/// Wait until `job` is settled and every held slot released; the last view.
pub async fn settled(local: &LocalMarket, job: &Pubkey, within: Duration) -> Job {
    let until = Instant::now() + within;
    let mut last = None;
    while Instant::now() < until {
        match local.rpc.job(job).await {
            Ok(j) if j.status == job_status::SETTLED && j.released == j.claimed => return j,
            Ok(j) => last = Some(j),
            Err(e) => panic!("job {job}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "job {job} not settled and released in {within:?}; last view: {:?}",
        last.map(|j| (j.status, j.claimed, j.committed, j.revealed, j.released))
    );
}

pub fn wasm(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).unwrap()
}

/// A manifest for `module` with `input`, stored in `store`.
pub async fn manifest(
    store: &FileStore,
    name: &str,
    module: &[u8],
    input: &[u8],
    limits: Limits,
) -> Manifest {
    let mut m = Manifest::new(
        name,
        store.put(module).await.unwrap(),
        store.put(input).await.unwrap(),
    );
    m.limits = limits;
    m
}

/// Write a `depin-worker` config file at `path` for `local`'s market, keeping its state in
/// `data_dir` on an ephemeral HTTP port; `tail` adds lines (TOML) after those.
pub fn worker_config(local: &LocalMarket, path: &Path, data_dir: &Path, tail: &str) {
    std::fs::write(
        path,
        format!(
            "markets = [\"{}\"]\nrpc_urls = [\"{}\"]\nws_urls = [\"{}\"]\ndata_dir = \"{}\"\nlisten = \"127.0.0.1:0\"\n{tail}",
            local.market,
            local.rpc_url(),
            local.ws_url(),
            data_dir.display()
        ),
    )
    .unwrap();
}

/// A `depin-worker` child process whose log lines are collected.
pub struct Proc {
    pub child: Child,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    pub fn spawn(config: &Path, keypair: &Path) -> Proc {
        Proc::spawn_args(config, keypair, &[])
    }

    pub fn spawn_args(config: &Path, keypair: &Path, extra: &[&str]) -> Proc {
        let mut child = Command::new(env!("CARGO_BIN_EXE_depin-worker"))
            .arg("--config")
            .arg(config)
            .arg("-k")
            .arg(keypair)
            .args(extra)
            .env("DEPIN_WORKER_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn depin-worker");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Proc { child, lines }
    }

    /// Wait for a log line containing `needle` (and `job`, when given).
    pub async fn wait_for(&self, needle: &str, job: Option<&Pubkey>, within: Duration) {
        let until = Instant::now() + within;
        let job = job.map(|j| j.to_string()).unwrap_or_default();
        while Instant::now() < until {
            if self
                .lines
                .lock()
                .unwrap()
                .iter()
                .any(|l| l.contains(needle) && l.contains(&job))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!(
            "no `{needle}` for {job} in the worker log:\n{}",
            self.lines.lock().unwrap().join("\n")
        );
    }

    /// Wait for the process to exit by itself; its exit status and log.
    pub fn exit(mut self, within: Duration) -> (std::process::ExitStatus, String) {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader thread take the last lines.
                std::thread::sleep(Duration::from_millis(200));
                return (status, self.lines.lock().unwrap().join("\n"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "the worker did not exit:\n{}",
            self.lines.lock().unwrap().join("\n")
        );
    }

    pub fn kill9(mut self) -> Vec<String> {
        // Child::kill sends SIGKILL on Unix.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::mem::take(&mut self.lines.lock().unwrap())
    }

    pub fn terminate(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
