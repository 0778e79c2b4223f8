//! The benchmark's deployment-like topology: the chain in its own process (`depin localnet`),
//! each worker its own `depin-worker` process with its own journal and HTTP port, the
//! requesters in this process; CPU per process read from `/proc`, so a reader sees who spends
//! the machine. The in-process variant (`crate::bench`) stays as the comparison row.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context, Result};
use depin_client::{
    blob::FileStore, manifest::Manifest, ops::JobTerms, rpc::DepinRpc, ClientError,
};
use serde::Serialize;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

use crate::profile::LocalDeployment;

/// One run of the separate-process topology.
#[derive(Clone, Debug, Serialize)]
pub struct ProcessRow {
    /// Worker processes.
    pub workers: usize,
    /// Replicas per job.
    pub replicas: u8,
    /// Jobs posted and settled.
    pub jobs: usize,
    /// Seconds from the first post to the last settlement.
    pub seconds: f64,
    /// Jobs settled per minute.
    pub jobs_per_minute: f64,
    /// Cores used by the chain process (`depin localnet`).
    pub chain_cores: f64,
    /// Cores used by all worker processes together.
    pub workers_cores: f64,
    /// Cores used by the busiest worker process.
    pub busiest_worker_cores: f64,
    /// Cores used by the requesters (this process, posting and counting).
    pub requesters_cores: f64,
    /// CPU milliseconds per settled job, all processes.
    pub cpu_ms_per_job: f64,
    /// Claims the program refused per paid replica.
    pub refused_claims_per_replica: f64,
}

/// A child process, killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// CPU seconds used so far by process `pid` (`/proc/<pid>/stat`, clock ticks of 1/100 s).
pub fn cpu_seconds_of(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the command: state is index 0, utime 11, stime 12.
    (ticks(11) + ticks(12)) / 100.0
}

/// Post `per` jobs of `manifest` (`replicas` each) from every requester in parallel, each
/// over its own RPC client to `rpc_url`; the jobs posted.
pub async fn post_in_parallel(
    rpc_url: &str,
    requesters: &[Keypair],
    market: Pubkey,
    job: (&Manifest, &FileStore, u8),
    per: usize,
) -> Result<usize> {
    let (manifest, store, replicas) = job;
    let mut posters = Vec::new();
    for r in requesters {
        let rpc = DepinRpc::new(rpc_url, CommitmentConfig::confirmed());
        let (r, manifest, store) = (r.insecure_clone(), manifest.clone(), store.clone());
        posters.push(tokio::spawn(async move {
            for _ in 0..per {
                rpc.post_manifest(
                    &r,
                    &market,
                    &manifest,
                    &store,
                    JobTerms::majority(1_000_000, replicas),
                )
                .await?;
            }
            Ok::<_, ClientError>(())
        }));
    }
    for p in posters {
        p.await??;
    }
    Ok(per * requesters.len())
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `GET path` from a worker's HTTP server: the body.
fn get(addr: SocketAddr, path: &str) -> Result<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut body = String::new();
    s.read_to_string(&mut body)?;
    Ok(body
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default())
}

/// The sum of metric `name{labels}` over the workers' `/metrics`.
fn metric(workers: &[SocketAddr], name: &str, label: &str) -> f64 {
    let wanted = format!("{name}{{{label}}} ");
    workers
        .iter()
        .filter_map(|a| get(*a, "/metrics").ok())
        .flat_map(|body| {
            body.lines()
                .filter(|l| l.starts_with(&wanted))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

/// Start `depin localnet` funding `wallets`; wait until it wrote its deployment file.
fn start_chain(programs: &Path, dir: &Path, wallets: &[Pubkey]) -> Result<(Proc, LocalDeployment)> {
    let file = dir.join("localnet.json");
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("--deployment")
        .arg(&file)
        .arg("localnet")
        .arg("--programs")
        .arg(programs)
        .arg("--rpc-port")
        .arg(free_port()?.to_string())
        .arg("--ws-port")
        .arg(free_port()?.to_string());
    for w in wallets {
        cmd.arg("--fund").arg(w.to_string());
    }
    let child = cmd
        .env("DEPIN_CONFIG", dir.join("no-config.json"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting `depin localnet`")?;
    let chain = Proc(child);
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(d) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| serde_json::from_str::<LocalDeployment>(&t).ok())
        {
            return Ok((chain, d));
        }
        if Instant::now() > until {
            bail!("`depin localnet` did not write {} in 120 s", file.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Start `depin-worker` for `who` (registered, staked) on `market`; its HTTP address.
fn start_worker(
    d: &LocalDeployment,
    dir: &Path,
    i: usize,
    who: &Keypair,
) -> Result<(Proc, SocketAddr)> {
    let port = free_port()?;
    let data = dir.join(format!("worker-{i}"));
    std::fs::create_dir_all(&data)?;
    let keypair = data.join("operator.json");
    write_keypair_file(who, &keypair).map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = data.join("worker.toml");
    std::fs::write(
        &config,
        format!(
            "markets = [\"{}\"]\nrpc_urls = [\"{}\"]\nws_urls = [\"{}\"]\ndata_dir = \"{}\"\n\
             listen = \"127.0.0.1:{port}\"\nclose_delay_secs = 2\n[policy]\nallow_file_uris = true\n\
             max_concurrent = 64\n",
            d.deployment.market,
            d.rpc_url,
            d.ws_url,
            data.display()
        ),
    )?;
    let bin = std::env::current_exe()?.with_file_name("depin-worker");
    // `DEPIN_BENCH_LOGS=DIR` keeps each worker's log (at info: claims, refusals by name) as
    // DIR/worker-N.log, to see where a run's refused claims come from.
    let (level, stderr) = match std::env::var_os("DEPIN_BENCH_LOGS") {
        Some(logs) => {
            let logs = PathBuf::from(logs);
            std::fs::create_dir_all(&logs)?;
            let file = std::fs::File::create(logs.join(format!("worker-{i}.log")))?;
            ("info", Stdio::from(file))
        }
        None => ("warn", Stdio::null()),
    };
    let child = Command::new(&bin)
        .arg("--config")
        .arg(&config)
        .arg("-k")
        .arg(&keypair)
        .env("DEPIN_WORKER_LOG", level)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {} (cargo build -p depin-worker)", bin.display()))?;
    Ok((Proc(child), SocketAddr::from(([127, 0, 0, 1], port))))
}

/// What one topology run needs.
pub struct Topology<'a> {
    /// SBF programs.
    pub programs: &'a Path,
    /// Scratch folder.
    pub dir: PathBuf,
    /// The job every requester posts (its blobs in `store`).
    pub manifest: &'a Manifest,
    /// Where the manifest's blobs are.
    pub store: &'a FileStore,
}

impl Topology<'_> {
    /// Run `jobs` jobs of `replicas` through `workers` worker processes.
    pub async fn run(&self, workers: usize, replicas: u8, jobs: usize) -> Result<ProcessRow> {
        let dir = self.dir.join(format!("procs-{workers}x{replicas}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let providers: Vec<Keypair> = (0..workers).map(|_| Keypair::new()).collect();
        let requesters: Vec<Keypair> = (0..4).map(|_| Keypair::new()).collect();
        let wallets: Vec<Pubkey> = providers
            .iter()
            .chain(&requesters)
            .map(|k| k.pubkey())
            .collect();
        let (chain, d) = start_chain(self.programs, &dir, &wallets)?;
        let rpc = DepinRpc::new(&d.rpc_url, CommitmentConfig::confirmed());
        let stake_mint = depin_migrations::Deployment::key(&d.deployment.stake_mint)?;
        let market = depin_migrations::Deployment::key(&d.deployment.market)?;
        let payment_mint = depin_migrations::Deployment::key(&d.deployment.payment_mint)?;
        // `depin localnet` funds the wallets after writing its deployment file.
        let funded = |owner: Pubkey, mint: Pubkey| {
            let account = depin_client::ops::token_account(&owner, &mint);
            let rpc = &rpc;
            async move { rpc.token_balance(&account).await.unwrap_or(0) > 0 }
        };
        let until = Instant::now() + Duration::from_secs(60);
        for (who, mint) in providers
            .iter()
            .map(|p| (p.pubkey(), stake_mint))
            .chain(requesters.iter().map(|r| (r.pubkey(), payment_mint)))
        {
            while !funded(who, mint).await {
                if Instant::now() > until {
                    bail!("`depin localnet` did not fund {who} in 60 s");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        for p in &providers {
            rpc.register_and_stake(p, p, &stake_mint, "", 500_000_000)
                .await?;
        }
        let mut procs = Vec::new();
        let mut addrs = Vec::new();
        for (i, p) in providers.iter().enumerate() {
            let (proc_, addr) = start_worker(&d, &dir, i, p)?;
            procs.push(proc_);
            addrs.push(addr);
        }
        // Every worker up and watching before the first post.
        let until = Instant::now() + Duration::from_secs(60);
        while addrs.iter().any(|a| get(*a, "/health").is_err()) {
            if Instant::now() > until {
                bail!("worker processes did not answer /health in 60 s");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let pids: Vec<String> = procs.iter().map(|p| p.0.id().to_string()).collect();
        let chain_pid = chain.0.id().to_string();
        let cpu = |pid: &str| cpu_seconds_of(pid);
        let settled = || {
            metric(
                &addrs,
                "depin_worker_transactions_total",
                "instruction=\"settle_job\"",
            )
        };
        let refused = || {
            metric(
                &addrs,
                "depin_worker_transaction_errors_total",
                "instruction=\"claim_job\"",
            )
        };
        let (base, refused0) = (settled(), refused());
        let (chain0, me0) = (cpu(&chain_pid), cpu("self"));
        let workers0: Vec<f64> = pids.iter().map(|p| cpu(p)).collect();
        let started = Instant::now();
        let per = jobs.div_ceil(requesters.len());
        let job = (self.manifest, self.store, replicas);
        let posted = post_in_parallel(&d.rpc_url, &requesters, market, job, per).await?;
        let total = posted as f64;
        let until = Instant::now() + Duration::from_secs(300);
        loop {
            let done = settled() - base;
            if done >= total {
                break;
            }
            if Instant::now() > until {
                bail!("process topology: {done} of {total} jobs settled after 300 s");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let seconds = started.elapsed().as_secs_f64();
        let worker_cpu: Vec<f64> = pids
            .iter()
            .zip(&workers0)
            .map(|(p, c0)| cpu(p) - c0)
            .collect();
        let (chain_cpu, me_cpu) = (cpu(&chain_pid) - chain0, cpu("self") - me0);
        let workers_cpu: f64 = worker_cpu.iter().sum();
        let row = ProcessRow {
            workers,
            replicas,
            jobs: total as usize,
            seconds,
            jobs_per_minute: total * 60.0 / seconds,
            chain_cores: chain_cpu / seconds,
            workers_cores: workers_cpu / seconds,
            busiest_worker_cores: worker_cpu.iter().cloned().fold(0.0, f64::max) / seconds,
            requesters_cores: me_cpu / seconds,
            cpu_ms_per_job: (chain_cpu + workers_cpu + me_cpu) * 1000.0 / total,
            refused_claims_per_replica: (refused() - refused0) / (total * f64::from(replicas)),
        };
        drop(procs);
        drop(chain);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(row)
    }
}
