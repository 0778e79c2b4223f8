//! `depin bench`: the published figures, measured. Writes a markdown report and its JSON.
//!
//! - compute units per instruction and per job lifecycle, read from
//!   `scenario-report --json` (SBF build in LiteSVM; `scripts/bench.sh` produces it);
//! - the sandbox: each example kernel under wasmtime vs the same Rust natively, module compile
//!   (cache miss) and start-up (cache hit) overhead;
//! - the local chain (embedded, 100 ms slots) with real in-process workers: post → first claim
//!   sent, post → settled, latency as replicas go 1 → 7, jobs settled per minute with 8 workers
//!   and as workers go 1 → 16, with the process's CPU use.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context, Result};
use depin_client::{
    blob::{sha256, BlobStore, FileStore},
    manifest::{Limits, Manifest},
    ops::JobTerms,
    ClientError,
};
use depin_jobs::state::job_status;
use depin_migrations::{local::LocalMarket, Plan};
use depin_worker::{sandbox::Sandbox, Worker, WorkerConfig};
use serde::Serialize;
use serde_json::Value;
use solana_sdk::signature::{Keypair, Signer};

/// Settings.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Folder with the SBF programs.
    pub programs: PathBuf,
    /// Folder with the example `.wasm` modules (`target/wasm`).
    pub wasm: PathBuf,
    /// `scenario-report --json` output (compute units), if measured.
    pub cu_json: Option<PathBuf>,
    /// Fewer repetitions (CI smoke run).
    pub quick: bool,
}

/// One kernel, WASM vs native.
#[derive(Clone, Debug, Serialize)]
pub struct KernelRow {
    /// Example.
    pub name: String,
    /// Input.
    pub input: String,
    /// Native median, ms.
    pub native_ms: f64,
    /// WASM median (module cached), ms.
    pub wasm_ms: f64,
    /// native / wasm (≥ 0.5 is the goal).
    pub speed_vs_native: f64,
    /// Compiling the module (cache miss), ms.
    pub compile_ms: f64,
    /// Fuel consumed.
    pub fuel: u64,
}

/// A latency measurement.
#[derive(Clone, Debug, Serialize)]
pub struct LatencyRow {
    /// Replicas.
    pub replicas: u8,
    /// Jobs measured.
    pub jobs: usize,
    /// Median slots from the slot before sending `post_job` to the first claimant's view.
    pub claim_seen_slots: f64,
    /// Median ms from sending `post_job` to the first claim sent.
    pub claim_ms: f64,
    /// 95th percentile of the same.
    pub claim_ms_p95: f64,
    /// Median slots from sending `post_job` to settlement seen.
    pub settle_slots: f64,
    /// Median ms from sending `post_job` to settlement seen.
    pub settle_ms: f64,
    /// 95th percentile of the same.
    pub settle_ms_p95: f64,
}

/// A throughput measurement: the median of `repeats` runs, with their spread.
#[derive(Clone, Debug, Serialize)]
pub struct ThroughputRow {
    /// Workers running.
    pub workers: usize,
    /// Replicas per job.
    pub replicas: u8,
    /// Jobs posted and settled in each run.
    pub jobs: usize,
    /// Runs measured.
    pub repeats: usize,
    /// Seconds from the first post to the last settlement (median run).
    pub seconds: f64,
    /// Jobs settled per minute (median of the runs).
    pub jobs_per_minute: f64,
    /// The slowest run's jobs per minute.
    pub jobs_per_minute_min: f64,
    /// The fastest run's jobs per minute.
    pub jobs_per_minute_max: f64,
    /// CPU used by the whole process (chain + workers + requesters), in cores (median).
    pub cpu_cores: f64,
    /// Claims the program refused (a lost race: full, outranked, not eligible...) per paid
    /// replica (`jobs × replicas`), median.
    pub refused_claims_per_replica: f64,
    /// RPC reads of the clock, of jobs, of the workers' own stake (provider and pool) and of
    /// lottery seeds (not of blobs, program-account queries or signature statuses) per settled
    /// job, all workers (median).
    pub rpc_reads_per_job: f64,
    /// Reads answered without RPC (the clock or stake read this slot, a subscription view)
    /// per settled job (median).
    pub shared_reads_per_job: f64,
    /// Journal commits (fsyncs) per settled job, all workers (median).
    pub journal_commits_per_job: f64,
    /// Journal records per settled job, all workers (median).
    pub journal_records_per_job: f64,
}

/// The report.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// Machine description.
    pub machine: String,
    /// Compute units (from `scenario-report --json`), if given.
    pub compute_units: Option<Value>,
    /// Sandbox.
    pub kernels: Vec<KernelRow>,
    /// Start-up of a trivial job with the module cached (instantiate + run), ms.
    pub start_overhead_ms: f64,
    /// Latency by replicas (8 workers).
    pub latency: Vec<LatencyRow>,
    /// Throughput.
    pub throughput: Vec<ThroughputRow>,
    /// Throughput with the chain, each worker and the requesters in separate processes.
    pub processes: Vec<crate::topology::ProcessRow>,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}

/// The `q` quantile (0 ..= 1) by nearest rank.
fn quantile(mut v: Vec<f64>, q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let rank = (q * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// CPU seconds used by this process so far.
fn cpu_seconds() -> f64 {
    crate::topology::cpu_seconds_of("self")
}

/// `os arch, N cores, CPU model`.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{} {}, {} cores, {cpu}",
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    )
}

/// The example kernels under the sandbox and natively, and the start-up of a cached module (ms).
pub fn kernels(opts: &BenchOptions) -> Result<(Vec<KernelRow>, f64)> {
    let reps = if opts.quick { 3 } else { 7 };
    let sandbox = Sandbox::new()?;
    let limits = Limits {
        fuel: 1 << 40,
        memory_bytes: 1 << 30,
        wall_ms: 600_000,
        output_bytes: 1 << 20,
    };
    type Native = fn(&[u8]) -> depin_kernels::KernelResult;
    let kmer: Native = |i| depin_kernels::kmer::run(&["21", "10"], i);
    let fasta = std::fs::read(opts.wasm.join("../../examples/kmer-count/input.fasta"))
        .unwrap_or_else(|_| {
            // Folder layouts other than the repository's: a synthetic genome.
            let mut s = b">bench\n".to_vec();
            let mut x: u64 = 7;
            for _ in 0..200_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push(b"ACGT"[(x & 3) as usize]);
            }
            s
        });
    // Bigger inputs than the demo's, so each run takes long enough to time.
    let mut big_fasta = Vec::new();
    for i in 0..8 {
        big_fasta.extend_from_slice(format!(">copy{i}\n").as_bytes());
        big_fasta.extend(fasta.iter().copied().filter(|&b| b != b'>'));
    }
    let cases: Vec<(&str, &str, Vec<u8>, Vec<String>, Native)> = vec![
        (
            "heat-diffusion",
            "heat_diffusion.wasm",
            b"256 256 300".to_vec(),
            vec![],
            depin_kernels::heat::run,
        ),
        (
            "kmer-count",
            "kmer_count.wasm",
            big_fasta,
            vec!["21".into(), "10".into()],
            kmer,
        ),
        (
            "monte-carlo-pi",
            "monte_carlo_pi.wasm",
            b"5000000 42".to_vec(),
            vec![],
            depin_kernels::pi::run,
        ),
    ];
    let mut rows = Vec::new();
    for (name, file, input, args, native) in cases {
        let wasm = std::fs::read(opts.wasm.join(file)).with_context(|| {
            format!(
                "{} (run scripts/build-examples.sh)",
                opts.wasm.join(file).display()
            )
        })?;
        let hash = sha256(&wasm);
        sandbox.clear_cache();
        let t = Instant::now();
        sandbox
            .module(&hash, &wasm)
            .map_err(|e| anyhow::anyhow!(e))?;
        let compile_ms = ms(t.elapsed());
        let input = Arc::new(input);
        let mut wasm_times = Vec::new();
        let mut fuel = 0;
        let mut wasm_out = Vec::new();
        for _ in 0..reps {
            let e = sandbox.run(&hash, &wasm, name, &args, input.clone(), &limits)?;
            if e.exit_code != 0 {
                bail!("{name}: exit {} ({})", e.exit_code, e.detail);
            }
            wasm_times.push(ms(e.elapsed));
            fuel = e.fuel_used;
            wasm_out = e.output;
        }
        let mut native_times = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            let out = native(&input).map_err(|e| anyhow::anyhow!(e))?;
            native_times.push(ms(t.elapsed()));
            if out != wasm_out {
                bail!("{name}: native and WASM outputs differ");
            }
        }
        let (native_ms, wasm_ms) = (median(native_times), median(wasm_times));
        rows.push(KernelRow {
            name: name.into(),
            input: if input.len() < 40 {
                String::from_utf8_lossy(&input).into_owned()
            } else {
                format!("{} bytes", input.len())
            },
            native_ms,
            wasm_ms,
            speed_vs_native: native_ms / wasm_ms.max(1e-9),
            compile_ms,
            fuel,
        });
    }
    let trivial = wat_ok();
    let h = sha256(&trivial);
    sandbox.run(&h, &trivial, "t", &[], Arc::new(vec![]), &limits)?;
    let mut starts = Vec::new();
    for _ in 0..50 {
        starts.push(ms(sandbox
            .run(&h, &trivial, "t", &[], Arc::new(vec![]), &limits)?
            .elapsed));
    }
    Ok((rows, median(starts)))
}

/// A module that writes `ok\n` and exits 0, encoded by hand (no `wat` dependency).
fn wat_ok() -> Vec<u8> {
    // (module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
    //   (memory (export "memory") 1) (data (i32.const 16) "ok\n")
    //   (func (export "_start") (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
    //     (drop (call 0 (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    let section = |m: &mut Vec<u8>, id: u8, body: &[u8]| {
        m.push(id);
        m.push(body.len() as u8);
        m.extend_from_slice(body);
    };
    section(
        &mut m,
        1,
        &[2, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f, 0x60, 0, 0],
    );
    let mut imp = vec![1, 22];
    imp.extend_from_slice(b"wasi_snapshot_preview1");
    imp.push(8);
    imp.extend_from_slice(b"fd_write");
    imp.extend_from_slice(&[0, 0]);
    section(&mut m, 2, &imp);
    section(&mut m, 3, &[1, 1]);
    section(&mut m, 5, &[1, 0, 1]);
    let mut exp = vec![2, 6];
    exp.extend_from_slice(b"memory");
    exp.extend_from_slice(&[2, 0, 6]);
    exp.extend_from_slice(b"_start");
    exp.extend_from_slice(&[0, 1]);
    section(&mut m, 7, &exp);
    let body = [
        0, 0x41, 0, 0x41, 16, 0x36, 2, 0, 0x41, 4, 0x41, 3, 0x36, 2, 0, 0x41, 1, 0x41, 0, 0x41, 1,
        0x41, 8, 0x10, 0, 0x1a, 0x0b,
    ];
    let mut code = vec![1, body.len() as u8];
    code.extend_from_slice(&body);
    section(&mut m, 10, &code);
    section(&mut m, 11, &[1, 0, 0x41, 16, 0x0b, 3, b'o', b'k', b'\n']);
    m
}

struct Chain {
    local: LocalMarket,
    providers: Vec<Keypair>,
    requesters: Vec<Keypair>,
    store: FileStore,
    manifest: Manifest,
    dir: PathBuf,
}

async fn start_workers(
    c: &Chain,
    n: usize,
    tag: &str,
) -> Result<Vec<(Arc<Worker>, tokio::task::JoinHandle<Result<()>>)>> {
    let mut out = Vec::new();
    for (i, p) in c.providers.iter().take(n).enumerate() {
        let mut cfg = WorkerConfig::beside(
            &c.local.market,
            c.local.rpc_url(),
            c.local.ws_url(),
            c.dir.join(format!("{tag}-w{i}")),
        );
        cfg.close_delay_secs = 2;
        cfg.policy.max_concurrent = 64;
        let w = Worker::new(cfg, p.insecure_clone()).await?;
        let r = w.clone();
        out.push((w, tokio::spawn(async move { r.run().await })));
    }
    Ok(out)
}

async fn stop_workers(ws: Vec<(Arc<Worker>, tokio::task::JoinHandle<Result<()>>)>) {
    for (w, _) in &ws {
        w.shutdown(Duration::from_secs(5)).await;
    }
    for (_, h) in ws {
        let _ = h.await;
    }
}

async fn latency(
    c: &Chain,
    workers: &[(Arc<Worker>, tokio::task::JoinHandle<Result<()>>)],
    replicas: u8,
    jobs: usize,
) -> Result<LatencyRow> {
    let rpc = &c.local.rpc;
    let (mut claim_slots, mut claim_ms, mut settle_slots, mut settle_ms) =
        (vec![], vec![], vec![], vec![]);
    for _ in 0..jobs {
        let send_slot = rpc
            .rpc()
            .get_slot()
            .await
            .map_err(|e| ClientError::Rpc(e.to_string()))?;
        let send_ms = depin_worker::journal::now_ms();
        let started = Instant::now();
        let posted = rpc
            .post_manifest(
                &c.requesters[0],
                &c.local.market,
                &c.manifest,
                &c.store,
                JobTerms::majority(1_000_000, replicas),
            )
            .await?;
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            let settled = match rpc.job(&posted.job).await {
                Ok(j) => j.status == job_status::SETTLED,
                Err(ClientError::AccountNotFound(_)) => true,
                Err(e) => return Err(e.into()),
            };
            if settled {
                let slot = rpc
                    .rpc()
                    .get_slot()
                    .await
                    .map_err(|e| ClientError::Rpc(e.to_string()))?;
                settle_slots.push(slot.saturating_sub(send_slot) as f64);
                settle_ms.push(ms(started.elapsed()));
                break;
            }
            if Instant::now() > until {
                bail!("a {replicas}-replica job did not settle within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let first = crate::first_claim(workers.iter().map(|(w, _)| &**w), &posted.job)?;
        if let Some((m, s)) = first {
            claim_ms.push(m.saturating_sub(send_ms) as f64);
            claim_slots.push(s.saturating_sub(send_slot) as f64);
        }
        // Let the crank close it so the next job starts from a quiet chain.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Ok(LatencyRow {
        replicas,
        jobs,
        claim_seen_slots: median(claim_slots),
        claim_ms_p95: quantile(claim_ms.clone(), 0.95),
        claim_ms: median(claim_ms),
        settle_slots: median(settle_slots),
        settle_ms_p95: quantile(settle_ms.clone(), 0.95),
        settle_ms: median(settle_ms),
    })
}

/// One throughput run's figures.
struct Run {
    seconds: f64,
    jobs_per_minute: f64,
    cpu_cores: f64,
    refused_claims_per_replica: f64,
    rpc_reads_per_job: f64,
    shared_reads_per_job: f64,
    journal_commits_per_job: f64,
    journal_records_per_job: f64,
}

async fn throughput_run(
    c: &Chain,
    workers: &[(Arc<Worker>, tokio::task::JoinHandle<Result<()>>)],
    replicas: u8,
    jobs: usize,
) -> Result<Run> {
    use depin_worker::metrics as m;
    // Each job's settle_job succeeds exactly once (a second sender gets "already settled",
    // which the worker does not count as a transaction).
    let sum = |metric: &str, label: &str| -> f64 {
        workers
            .iter()
            .map(|(w, _)| w.metrics.get(metric, label))
            .sum()
    };
    let counters = || {
        let reads = |what: &str, source: &str| {
            sum(
                m::CHAIN_READS_TOTAL,
                &format!("what=\"{what}\",source=\"{source}\""),
            )
        };
        [
            sum(m::TRANSACTIONS_TOTAL, "instruction=\"settle_job\""),
            sum(m::TRANSACTION_ERRORS_TOTAL, "instruction=\"claim_job\""),
            reads("clock", "rpc")
                + reads("job", "rpc")
                + reads("stake", "rpc")
                + reads("seed", "rpc"),
            reads("clock", "shared") + reads("job", "subscription") + reads("stake", "shared"),
            sum(m::JOURNAL_COMMITS_TOTAL, ""),
            sum(m::JOURNAL_RECORDS_TOTAL, ""),
        ]
    };
    let before = counters();
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let per = jobs.div_ceil(c.requesters.len());
    let job = (&c.manifest, &c.store, replicas);
    let posted = crate::topology::post_in_parallel(
        c.local.rpc_url(),
        &c.requesters,
        c.local.market,
        job,
        per,
    )
    .await?;
    let total = posted as f64;
    let until = Instant::now() + Duration::from_secs(300);
    while counters()[0] - before[0] < total {
        if Instant::now() > until {
            bail!(
                "throughput run: {} of {total} jobs settled after 300 s",
                counters()[0] - before[0]
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu_cores = (cpu_seconds() - cpu0) / seconds;
    // Reads and journal records are counted to the end of each job (releases, close), so the
    // run waits until no worker drives a job any more (bounded).
    let quiet = Instant::now() + Duration::from_secs(60);
    while sum(m::JOBS_IN_FLIGHT, "") > 0.0 && Instant::now() < quiet {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = counters();
    let per_job = |i: usize| (after[i] - before[i]) / total;
    Ok(Run {
        seconds,
        jobs_per_minute: total * 60.0 / seconds,
        cpu_cores,
        refused_claims_per_replica: (after[1] - before[1]) / (total * replicas as f64),
        rpc_reads_per_job: per_job(2),
        shared_reads_per_job: per_job(3),
        journal_commits_per_job: per_job(4),
        journal_records_per_job: per_job(5),
    })
}

/// `repeats` throughput runs of `jobs` jobs on the same workers: the median and the spread.
async fn throughput(
    c: &Chain,
    workers: &[(Arc<Worker>, tokio::task::JoinHandle<Result<()>>)],
    replicas: u8,
    jobs: usize,
    repeats: usize,
) -> Result<ThroughputRow> {
    let mut runs = Vec::new();
    for _ in 0..repeats.max(1) {
        runs.push(throughput_run(c, workers, replicas, jobs).await?);
    }
    let of = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    let rates: Vec<f64> = runs.iter().map(|r| r.jobs_per_minute).collect();
    Ok(ThroughputRow {
        workers: workers.len(),
        replicas,
        jobs,
        repeats: runs.len(),
        seconds: of(|r| r.seconds),
        jobs_per_minute: of(|r| r.jobs_per_minute),
        jobs_per_minute_min: rates.iter().copied().fold(f64::INFINITY, f64::min),
        jobs_per_minute_max: rates.iter().copied().fold(0.0, f64::max),
        cpu_cores: of(|r| r.cpu_cores),
        refused_claims_per_replica: of(|r| r.refused_claims_per_replica),
        rpc_reads_per_job: of(|r| r.rpc_reads_per_job),
        shared_reads_per_job: of(|r| r.shared_reads_per_job),
        journal_commits_per_job: of(|r| r.journal_commits_per_job),
        journal_records_per_job: of(|r| r.journal_records_per_job),
    })
}

/// The embedded local chain with the market, 16 staked providers and 4 funded requesters, and
/// the trivial job's blobs.
async fn start_chain(opts: &BenchOptions) -> Result<Chain> {
    let providers: Vec<Keypair> = (0..16).map(|_| Keypair::new()).collect();
    let requesters: Vec<Keypair> = (0..4).map(|_| Keypair::new()).collect();
    let wallets: Vec<Pubkey> = providers
        .iter()
        .chain(&requesters)
        .map(|k| k.pubkey())
        .collect();
    let local = LocalMarket::start(&opts.programs, &Plan::localnet(), &wallets).await?;
    for r in &requesters {
        local.fund_requester(&r.pubkey(), 1_000_000_000_000).await?;
    }
    for p in &providers {
        local.provider(p, 10_000_000_000, 5_000_000_000).await?;
    }
    let dir = std::env::temp_dir().join(format!("depin-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = FileStore::new(dir.join("blobs"))?;
    let module = store.put(&wat_ok()).await?;
    let input = store.put(b"").await?;
    let mut manifest = Manifest::new("trivial", module, input);
    manifest.limits = Limits {
        fuel: 1_000_000,
        memory_bytes: 1 << 20,
        wall_ms: 10_000,
        output_bytes: 1024,
    };
    Ok(Chain {
        local,
        providers,
        requesters,
        store,
        manifest,
        dir,
    })
}

/// `WORKERSxREPLICAS` (e.g. `8x3`).
pub fn parse_row(s: &str) -> Result<(usize, u8)> {
    let (w, r) = s
        .split_once('x')
        .with_context(|| format!("`{s}`: expected WORKERSxREPLICAS, e.g. 8x3"))?;
    let (w, r): (usize, u8) = (
        w.trim()
            .parse()
            .with_context(|| format!("`{s}`: workers"))?,
        r.trim()
            .parse()
            .with_context(|| format!("`{s}`: replicas"))?,
    );
    if !(1..=16).contains(&w) || !(1..=w as u8).contains(&r) {
        bail!("`{s}`: 1 to 16 workers, 1 to that many replicas");
    }
    Ok((w, r))
}

/// Only the in-process throughput rows `rows` (workers, replicas), each the median of the
/// usual runs: for profiling and quick re-measures.
pub async fn throughput_rows(
    opts: &BenchOptions,
    rows: &[(usize, u8)],
) -> Result<Vec<ThroughputRow>> {
    let chain = start_chain(opts).await?;
    let (jobs, repeats) = if opts.quick { (40, 1) } else { (120, 3) };
    let mut out = Vec::new();
    for &(n, replicas) in rows {
        let workers = start_workers(&chain, n, &format!("tp{n}")).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        eprintln!("[bench] throughput, {n} workers, {replicas} replicas");
        out.push(throughput(&chain, &workers, replicas, jobs, repeats).await?);
        stop_workers(workers).await;
    }
    chain.local.net.stop()?;
    let _ = std::fs::remove_dir_all(&chain.dir);
    Ok(out)
}

/// Run every benchmark.
pub async fn run(opts: BenchOptions) -> Result<BenchReport> {
    let compute_units = match &opts.cu_json {
        Some(p) => {
            let mut v: Value = serde_json::from_slice(
                &std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
            )?;
            // Keep the per-instruction and lifecycle tables, not every transaction.
            if let Some(o) = v.as_object_mut() {
                o.remove("transactions");
            }
            Some(v)
        }
        None => None,
    };
    eprintln!("[bench] sandbox: WASM vs native");
    let (kernels, start_overhead_ms) = kernels(&opts)?;

    eprintln!("[bench] local chain");
    let chain = start_chain(&opts).await?;
    let dir = chain.dir.clone();

    let reps = if opts.quick { 3 } else { 20 };
    let mut latency_rows = Vec::new();
    let workers = start_workers(&chain, 8, "lat").await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    for replicas in [1u8, 3, 5, 7] {
        eprintln!("[bench] latency, {replicas} replicas");
        let row = latency(&chain, &workers, replicas, reps).await?;
        eprintln!("[bench] {}", serde_json::to_string(&row)?);
        latency_rows.push(row);
    }
    stop_workers(workers).await;
    // Workers 1 -> 16 for 1 replica, 3 -> 16 for 3 (a 3-replica job needs three), each the
    // median of `repeats` runs on the same workers.
    let (jobs, repeats) = if opts.quick { (40, 1) } else { (120, 3) };
    let mut throughput_rows = Vec::new();
    let plan: &[(usize, &[u8])] = if opts.quick {
        &[(1, &[1]), (2, &[1]), (8, &[1, 3]), (16, &[1])]
    } else {
        &[
            (1, &[1]),
            (2, &[1]),
            (3, &[3]),
            (4, &[1, 3]),
            (8, &[1, 3]),
            (16, &[1, 3]),
        ]
    };
    for &(n, replica_counts) in plan {
        let workers = start_workers(&chain, n, &format!("tp{n}")).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        for &replicas in replica_counts {
            eprintln!("[bench] throughput, {n} workers, {replicas} replicas");
            let row = throughput(&chain, &workers, replicas, jobs, repeats).await?;
            eprintln!("[bench] {}", serde_json::to_string(&row)?);
            throughput_rows.push(row);
        }
        stop_workers(workers).await;
    }
    let Chain {
        local,
        store,
        manifest,
        ..
    } = chain;
    local.net.stop()?;
    // Like a deployment: the chain, each worker and the requesters in their own processes.
    let topology = crate::topology::Topology {
        programs: &opts.programs,
        dir: dir.clone(),
        manifest: &manifest,
        store: &store,
    };
    let mut processes = Vec::new();
    let runs: &[(usize, u8, usize)] = if opts.quick {
        &[(2, 1, 20), (8, 3, 40)]
    } else {
        &[
            (1, 1, 100),
            (4, 1, 100),
            (16, 1, 100),
            (3, 3, 60),
            (4, 3, 100),
            (8, 3, 200),
            (16, 3, 200),
        ]
    };
    for &(n, replicas, jobs) in runs {
        eprintln!("[bench] separate processes: {n} workers, {replicas} replicas");
        let row = topology.run(n, replicas, jobs).await?;
        eprintln!("[bench] {}", serde_json::to_string(&row)?);
        processes.push(row);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(BenchReport {
        machine: machine(),
        compute_units,
        kernels,
        start_overhead_ms,
        latency: latency_rows,
        throughput: throughput_rows,
        processes,
    })
}

fn cu_section(cu: &Value, out: &mut String) {
    use std::fmt::Write;
    let _ = writeln!(out, "## Compute units (SBF build, LiteSVM)\n");
    let _ = writeln!(
        out,
        "| program | instruction | max CU | ≤ 25k |\n|---|---|---:|:---:|"
    );
    if let Some(per) = cu["instructions"].as_array() {
        for i in per {
            let max = i["max_cu"].as_u64().unwrap_or(0);
            let full = i["instruction"].as_str().unwrap_or("");
            let (program, name) = full.split_once("::").unwrap_or(("", full));
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} |",
                program,
                name,
                max,
                if max <= 25_000 { "yes" } else { "**no**" }
            );
        }
    }
    let _ = writeln!(
        out,
        "\n| job lifecycle | transactions | total CU | goal |\n|---|---:|---:|---|"
    );
    if let Some(l) = cu["lifecycles"].as_array() {
        for x in l {
            let name = x["lifecycle"].as_str().unwrap_or("");
            let cu_total = x["compute_units"].as_u64().unwrap_or(0);
            let goal = if name.starts_with("3 replicas, all agree") {
                if cu_total <= 180_000 {
                    "≤ 180k: met"
                } else {
                    "≤ 180k: **missed**"
                }
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "| {name} | {} | {cu_total} | {goal} |",
                x["transactions"].as_u64().unwrap_or(0)
            );
        }
    }
    out.push('\n');
}

/// The report as markdown.
pub fn markdown(r: &BenchReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Generated by `scripts/bench.sh` on **{}**. Optimised build (`--profile bench-opt`: release \
without fat LTO, see `Cargo.toml`), as validators and worker daemons run; the local chain is the \
embedded surfpool-core network (100 ms slots) in the same process as the workers and the \
requesters, or in its own (`depin localnet`) for the separate-process table.\n",
        r.machine
    );
    if let Some(cu) = &r.compute_units {
        cu_section(cu, &mut out);
    }
    let _ = writeln!(
        out,
        "## Sandbox: example kernels, WASM (wasmtime, Cranelift) vs native Rust\n"
    );
    let _ = writeln!(out, "| kernel | input | native ms | WASM ms | WASM speed / native (goal ≥ 0.5) | compile (cache miss) ms | fuel |\n|---|---|---:|---:|---:|---:|---:|");
    for k in &r.kernels {
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} | {:.1} | {:.2} | {:.1} | {} |",
            k.name, k.input, k.native_ms, k.wasm_ms, k.speed_vs_native, k.compile_ms, k.fuel
        );
    }
    let _ = writeln!(
        out,
        "\nStarting a job whose module is cached (instantiate, link WASI, run a module that writes 3 bytes): **{:.2} ms** (median of 50).\n",
        r.start_overhead_ms
    );
    let _ = writeln!(
        out,
        "## Latency on the local chain (8 workers, trivial job)\n"
    );
    let _ = writeln!(out, "| replicas | jobs | post → first claim sent, ms (median / p95) | claimant saw the job, slots after posting | post → settled, slots | post → settled, ms (median / p95) |\n|---:|---:|---:|---:|---:|---:|");
    for l in &r.latency {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} / {:.0} | {:.1} | {:.1} | {:.0} / {:.0} |",
            l.replicas,
            l.jobs,
            l.claim_ms,
            l.claim_ms_p95,
            l.claim_seen_slots,
            l.settle_slots,
            l.settle_ms,
            l.settle_ms_p95
        );
    }
    let _ = writeln!(out, "\nGoals: first claim ≤ 1 slot after the post lands; 3-replica post → settled ≤ 8 slots. Medians and 95th percentiles.\n");
    let _ = writeln!(
        out,
        "## Throughput on the local chain (trivial jobs, 4 requesters posting in parallel)\n"
    );
    let _ = writeln!(out, "| workers | replicas | jobs × runs | seconds | jobs settled / min, median (min – max) | CPU used (cores, whole process) | refused claims per paid replica | clock, job, stake and seed reads by RPC / job (shared) | journal fsyncs / job (records) |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for t in &r.throughput {
        let _ = writeln!(
            out,
            "| {} | {} | {} × {} | {:.1} | {:.0} ({:.0} – {:.0}) | {:.2} | {:.2} | {:.0} ({:.0}) | {:.1} ({:.1}) |",
            t.workers,
            t.replicas,
            t.jobs,
            t.repeats,
            t.seconds,
            t.jobs_per_minute,
            t.jobs_per_minute_min,
            t.jobs_per_minute_max,
            t.cpu_cores,
            t.refused_claims_per_replica,
            t.rpc_reads_per_job,
            t.shared_reads_per_job,
            t.journal_commits_per_job,
            t.journal_records_per_job
        );
    }
    let _ = writeln!(out, "\nGoals: ≥ 500 jobs/min with 8 workers (3 replicas); non-decreasing as workers are added; ≤ 0.2 refused claims per paid replica. Each row is the median of its runs, the spread in brackets.\n");
    if !r.processes.is_empty() {
        let _ = writeln!(
            out,
            "## Throughput, separate processes (`depin localnet`, one `depin-worker` each, requesters apart)\n"
        );
        let _ = writeln!(out, "| workers | replicas | jobs | seconds | jobs settled / min | chain cores | workers cores (busiest) | requesters cores | CPU ms per job | refused claims per paid replica |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for p in &r.processes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} | {:.0} | {:.2} | {:.2} ({:.2}) | {:.2} | {:.0} | {:.2} |",
                p.workers,
                p.replicas,
                p.jobs,
                p.seconds,
                p.jobs_per_minute,
                p.chain_cores,
                p.workers_cores,
                p.busiest_worker_cores,
                p.requesters_cores,
                p.cpu_ms_per_job,
                p.refused_claims_per_replica
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "Re-run: `scripts/bench.sh` (writes this file and `docs/benchmarks.json`)."
    );
    out
}

/// Write the markdown and JSON reports.
pub fn write(r: &BenchReport, md: &Path, json: &Path) -> Result<()> {
    std::fs::write(md, markdown(r)).with_context(|| format!("writing {}", md.display()))?;
    std::fs::write(json, serde_json::to_string_pretty(r)? + "\n")
        .with_context(|| format!("writing {}", json.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hand_encoded_trivial_job_runs() {
        let sb = Sandbox::new().unwrap();
        let m = wat_ok();
        let limits = Limits {
            fuel: 10_000,
            memory_bytes: 1 << 20,
            wall_ms: 5_000,
            output_bytes: 16,
        };
        let e = sb
            .run(&sha256(&m), &m, "t", &[], Arc::new(vec![]), &limits)
            .unwrap();
        assert_eq!(
            (e.exit_code, e.output.as_slice()),
            (0, &b"ok\n"[..]),
            "{}",
            e.detail
        );
    }

    #[test]
    fn medians_and_markdown() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![]), 0.0);
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(hundred.clone(), 0.95), 95.0);
        assert_eq!(quantile(hundred, 0.5), 50.0);
        assert_eq!(quantile(vec![7.0], 0.95), 7.0);
        assert_eq!(quantile(vec![], 0.95), 0.0);
        let r = BenchReport {
            machine: machine(),
            compute_units: Some(serde_json::json!({
                "instructions": [{"instruction": "depin_jobs::PostJob", "min_cu": 1, "max_cu": 30000, "samples": 1}],
                "lifecycles": [{"lifecycle": "3 replicas, all agree", "transactions": 15, "compute_units": 190000}],
            })),
            kernels: vec![],
            start_overhead_ms: 0.1,
            latency: vec![LatencyRow {
                replicas: 3,
                jobs: 9,
                claim_seen_slots: 1.0,
                claim_ms: 390.0,
                claim_ms_p95: 420.0,
                settle_slots: 18.0,
                settle_ms: 1800.0,
                settle_ms_p95: 2100.0,
            }],
            throughput: vec![ThroughputRow {
                workers: 8,
                replicas: 3,
                jobs: 120,
                repeats: 3,
                seconds: 14.4,
                jobs_per_minute: 500.0,
                jobs_per_minute_min: 480.0,
                jobs_per_minute_max: 520.0,
                cpu_cores: 1.9,
                refused_claims_per_replica: 0.05,
                rpc_reads_per_job: 40.0,
                shared_reads_per_job: 60.0,
                journal_commits_per_job: 9.5,
                journal_records_per_job: 15.0,
            }],
            processes: vec![crate::topology::ProcessRow {
                workers: 8,
                replicas: 3,
                jobs: 200,
                seconds: 60.0,
                jobs_per_minute: 200.0,
                chain_cores: 0.9,
                workers_cores: 0.8,
                busiest_worker_cores: 0.2,
                requesters_cores: 0.1,
                cpu_ms_per_job: 540.0,
                refused_claims_per_replica: 0.1,
            }],
        };
        let md = markdown(&r);
        assert!(
            md.contains("| 8 | 3 | 200 | 60.0 | 200 | 0.90 | 0.80 (0.20) | 0.10 | 540 | 0.10 |"),
            "{md}"
        );
        assert!(
            md.contains("| depin_jobs | `PostJob` | 30000 | **no** |"),
            "{md}"
        );
        assert!(md.contains("≤ 180k: **missed**"), "{md}");
        assert!(
            md.contains("| 3 | 9 | 390 / 420 | 1.0 | 18.0 | 1800 / 2100 |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| 8 | 3 | 120 × 3 | 14.4 | 500 (480 – 520) | 1.90 | 0.05 | 40 (60) | 9.5 (15.0) |"
            ),
            "{md}"
        );
    }
}
