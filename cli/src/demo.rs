//! `depin demo`: a whole market on this machine. Starts the embedded local chain with the SBF
//! programs, runs the migrations, funds a requester and N providers, starts N workers
//! in-process (one of them scripted to lie), posts a batch of jobs built from `examples/`,
//! shows their progress, and ends with a table of results, payouts, fees, slashes and latency.
//! One more job is private (docs/privacy.md): its input is sealed, the requester delivers each
//! claimant's key on chain as claims land, and only the requester's wallet opens its result.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context, Result};
use depin_client::{
    blob::{BlobFetcher, FileStore},
    manifest::{hex, DraftManifest},
    ops::{outcome_name, verified_result, JobTerms, SealedReader},
    pda, ClientError, Job,
};
use depin_core::{exec, settle::Verdict};
use depin_jobs::state::{job_status, slot_state};
use depin_migrations::{local::LocalMarket, Deployment, Plan};
use depin_worker::{config::Fault, Worker, WorkerConfig};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::Serialize;
use solana_sdk::signature::{Keypair, Signer};

/// Demo settings.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Providers (workers) to start.
    pub providers: usize,
    /// How many of them lie (reveal a wrong result).
    pub dishonest: usize,
    /// Jobs posted per example.
    pub jobs_per_example: usize,
    /// Replicas per job.
    pub replicas: u8,
    /// Folder with `depin_staking.so` / `depin_jobs.so`.
    pub programs: PathBuf,
    /// The `examples/` folder (each subfolder with a `job.json` is an example).
    pub examples: PathBuf,
    /// Give up after this long.
    pub timeout: Duration,
    /// Show progress bars.
    pub progress: bool,
}

/// One job's line of the final table.
#[derive(Clone, Debug, Serialize)]
pub struct JobRow {
    /// Example name.
    pub name: String,
    /// Job account.
    pub job: String,
    /// Replicas.
    pub replicas: u8,
    /// A private job: sealed input, keys delivered per claim, result sealed to the requester.
    pub private: bool,
    /// Settlement outcome.
    pub outcome: String,
    /// Agreed result hash (hex).
    pub result_hash: String,
    /// Exit code of the agreed result.
    pub exit_code: Option<i32>,
    /// The result's first line.
    pub summary: String,
    /// Paid to winners (from the settled job and the settlement rules of `depin_core`).
    pub paid: u64,
    /// Protocol fees (same).
    pub fees: u64,
    /// Providers slashed in this job.
    pub slashed: Vec<String>,
    /// Stake slashed in this job.
    pub slashed_amount: u64,
    /// Milliseconds from sending `post_job` to the first claim a worker sent.
    pub claim_ms: u64,
    /// Slots from the slot before sending `post_job` to the slot at which the first claimant
    /// saw the job.
    pub claim_slots: u64,
    /// Slots from post to settlement.
    pub latency_slots: u64,
    /// Milliseconds from post to settlement.
    pub latency_ms: u64,
}

/// One provider's line.
#[derive(Clone, Debug, Serialize)]
pub struct ProviderRow {
    /// Owner wallet.
    pub owner: String,
    /// Scripted to lie.
    pub dishonest: bool,
    /// Earned (payment token).
    pub earned: u64,
    /// Stake before and after.
    pub stake_before: u64,
    /// Stake after.
    pub stake_after: u64,
    /// Jobs completed (on-chain counter).
    pub jobs_completed: u64,
    /// Jobs slashed (on-chain counter).
    pub jobs_slashed: u64,
}

/// The demo's result.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// RPC URL of the local chain.
    pub rpc_url: String,
    /// Addresses set up by the migrations.
    pub deployment: Deployment,
    /// Jobs.
    pub jobs: Vec<JobRow>,
    /// Providers.
    pub providers: Vec<ProviderRow>,
    /// Wall time of the job batch (post of the first to the close of the last), ms.
    pub batch_ms: u64,
}

const TOKEN: u64 = 1_000_000;

struct Tracked {
    name: String,
    job: Pubkey,
    private: bool,
    send_ms: u64,
    send_slot: u64,
    posted_slot: u64,
    posted_at: Instant,
    settled: Option<(Job, u64, Instant)>,
    closed: bool,
    bar: ProgressBar,
}

fn stage(job: &Job) -> String {
    let n = job.replicas;
    if job.status == job_status::SETTLED {
        return format!(
            "settled ({}), releasing {}/{}",
            outcome_name(job.outcome),
            job.released,
            job.claimed
        );
    }
    let count = |s: u8| {
        job.slots
            .iter()
            .take(n as usize)
            .filter(|x| x.state >= s)
            .count()
    };
    format!(
        "claimed {}/{n}  committed {}/{n}  revealed {}/{n}",
        count(slot_state::CLAIMED),
        count(slot_state::COMMITTED),
        count(slot_state::REVEALED)
    )
}

/// Run the demo.
pub async fn run(opts: DemoOptions) -> Result<DemoReport> {
    if opts.providers < opts.replicas as usize {
        bail!(
            "{} providers cannot fill {} replicas",
            opts.providers,
            opts.replicas
        );
    }
    if 2 * opts.dishonest >= opts.replicas as usize && opts.dishonest > 0 {
        bail!(
            "{} dishonest providers could reach the quorum of {} replicas",
            opts.dishonest,
            opts.replicas
        );
    }
    let examples = find_examples(&opts.examples)?;
    for p in ["depin_staking.so", "depin_jobs.so"] {
        if !opts.programs.join(p).exists() {
            bail!(
                "{} not found: build the programs first (scripts/build-sbf.sh)",
                opts.programs.join(p).display()
            );
        }
    }
    let work = std::env::temp_dir().join(format!("depin-demo-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(work.clone());
    std::fs::create_dir_all(&work)?;

    // 1. The chain and the migrations.
    let requester = Keypair::new();
    let providers: Vec<Keypair> = (0..opts.providers).map(|_| Keypair::new()).collect();
    let wallets: Vec<Pubkey> = std::iter::once(requester.pubkey())
        .chain(providers.iter().map(|p| p.pubkey()))
        .collect();
    let local = LocalMarket::start(&opts.programs, &Plan::localnet(), &wallets).await?;
    println!(
        "local chain: {}  (websocket {})",
        local.rpc_url(),
        local.ws_url()
    );
    for s in &local.steps {
        println!("  migrate: {:<14} {:<8} {}", s.what, s.status, s.address);
    }
    let rpc = &local.rpc;
    let (market, pool) = (local.market, local.pool);

    // 2. Funding, registration, stake.
    local
        .fund_requester(&requester.pubkey(), 10_000 * TOKEN)
        .await?;
    for p in &providers {
        local.provider(p, 100 * TOKEN, 50 * TOKEN).await?;
    }
    let stake_before: Vec<u64> = {
        let mut v = Vec::new();
        for p in &providers {
            v.push(
                rpc.provider(&pool, &p.pubkey())
                    .await?
                    .map_or(0, |x| x.staked),
            );
        }
        v
    };
    println!(
        "funded a requester with 10000 tokens and {} providers with 50 staked tokens each ({} scripted to lie)",
        providers.len(),
        opts.dishonest
    );

    // 3. Workers, in-process.
    let mut workers = Vec::new();
    let mut runners = Vec::new();
    for (i, p) in providers.iter().enumerate() {
        let mut cfg = WorkerConfig::beside(
            &market,
            local.rpc_url(),
            local.ws_url(),
            work.join(format!("worker-{i}")),
        );
        cfg.reconcile_secs = 2;
        // Close soon after settlement to show the whole cycle (the demo reads each settled job
        // within this delay).
        cfg.close_delay_secs = 3;
        if i >= opts.providers - opts.dishonest {
            cfg.fault = Fault::WrongResult;
        }
        let w = Worker::new(cfg, p.insecure_clone()).await?;
        let runner = {
            let w = w.clone();
            tokio::spawn(async move { w.run().await })
        };
        workers.push(w);
        runners.push(runner);
    }
    println!("started {} workers", workers.len());

    // 4. The batch.
    let store = FileStore::new(work.join("requester-blobs"))?;
    let multi = MultiProgress::new();
    if !opts.progress {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let style = ProgressStyle::with_template("{spinner} {prefix:<16} {wide_msg}")?;
    let mut tracked = Vec::new();
    let batch_start = Instant::now();
    for (name, draft) in &examples {
        let manifest = draft.upload(&store).await?;
        for _ in 0..opts.jobs_per_example {
            let terms = JobTerms::majority(2 * TOKEN, opts.replicas);
            let send_slot = rpc
                .rpc()
                .get_slot()
                .await
                .map_err(|e| ClientError::Rpc(e.to_string()))?;
            let send_ms = depin_worker::journal::now_ms();
            let posted = rpc
                .post_manifest(&requester, &market, &manifest, &store, terms)
                .await?;
            let posted_slot = rpc
                .rpc()
                .get_slot()
                .await
                .map_err(|e| ClientError::Rpc(e.to_string()))?;
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(style.clone());
            bar.set_prefix(name.clone());
            bar.set_message("posted");
            bar.enable_steady_tick(Duration::from_millis(120));
            tracked.push(Tracked {
                name: name.clone(),
                job: posted.job,
                private: false,
                send_ms,
                send_slot,
                posted_slot,
                posted_at: Instant::now(),
                settled: None,
                closed: false,
                bar,
            });
        }
    }
    // One private job: the genomics example when there is one (the kind of data that is).
    let (name, draft) = examples
        .iter()
        .find(|(n, _)| n.contains("kmer"))
        .unwrap_or(&examples[0]);
    let send_slot = rpc
        .rpc()
        .get_slot()
        .await
        .map_err(|e| ClientError::Rpc(e.to_string()))?;
    let send_ms = depin_worker::journal::now_ms();
    let terms = JobTerms::majority(2 * TOKEN, opts.replicas);
    let posted = rpc
        .post_private(&requester, &market, draft, &store, terms, false)
        .await?;
    let bar = multi.add(ProgressBar::new_spinner());
    bar.set_style(style.clone());
    bar.set_prefix(format!("{name} (private)"));
    bar.set_message("posted, sealed");
    bar.enable_steady_tick(Duration::from_millis(120));
    tracked.push(Tracked {
        name: name.clone(),
        job: posted.job,
        private: true,
        send_ms,
        send_slot,
        posted_slot: rpc
            .rpc()
            .get_slot()
            .await
            .map_err(|e| ClientError::Rpc(e.to_string()))?,
        posted_at: Instant::now(),
        settled: None,
        closed: false,
        bar,
    });
    let deadline = Instant::now() + opts.timeout;
    while tracked.iter().any(|t| !t.closed) {
        if Instant::now() > deadline {
            bail!("jobs did not finish within {:?}", opts.timeout);
        }
        for t in tracked.iter_mut().filter(|t| !t.closed && t.private) {
            // The requester's side of a private job: a key envelope per claim, on chain.
            rpc.deliver_keys(&requester, &t.job).await?;
        }
        for t in tracked.iter_mut().filter(|t| !t.closed) {
            match rpc.job(&t.job).await {
                Ok(j) => {
                    if j.status == job_status::SETTLED && t.settled.is_none() {
                        let slot = rpc.rpc().get_slot().await.unwrap_or(t.posted_slot);
                        t.settled = Some((j, slot, Instant::now()));
                    } else if let Some(s) = t.settled.as_mut() {
                        s.0 = j; // keep the latest settled view (releases)
                    }
                    t.bar.set_message(stage(&j));
                }
                Err(ClientError::AccountNotFound(_)) => {
                    t.closed = true;
                    t.bar
                        .finish_with_message("closed: paid, fees to the treasury, rest refunded");
                }
                Err(e) => t.bar.set_message(format!("(read failed: {e})")),
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let batch_ms = batch_start.elapsed().as_millis() as u64;

    // 5. The report.
    let fetcher = BlobFetcher::for_results(local.rpc_url(), Duration::from_secs(30));
    let owners: BTreeMap<Pubkey, usize> = providers
        .iter()
        .enumerate()
        .map(|(i, p)| (pda::provider(&pool, &p.pubkey()).0, i))
        .collect();
    let mut earned = vec![0u64; providers.len()];
    let mut rows = Vec::new();
    for t in &tracked {
        let Some((job, slot, at)) = &t.settled else {
            bail!("job {} closed without being seen settled", t.job);
        };
        let mut slashed = Vec::new();
        let (mut slashed_amount, mut paid, mut fees) = (0, 0, 0);
        let terms = job.terms();
        for k in 0..job.replicas as usize {
            let who = job.slots[k].provider;
            let s = terms
                .settle(job.verdict(k))
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            if let Some(&i) = owners.get(&who) {
                earned[i] += s.payout;
            }
            paid += s.payout;
            fees += s.fee;
            if matches!(
                job.verdict(k),
                Verdict::Wrong | Verdict::NoShow | Verdict::Withheld
            ) {
                slashed.push(
                    owners
                        .get(&who)
                        .map_or(who.to_string(), |i| format!("provider {i}")),
                );
                slashed_amount += s.penalty;
            }
        }
        let reader = SealedReader {
            requester: &requester,
            job: t.job,
        };
        let reader = t.private.then_some(&reader);
        let (exit_code, summary) = match verified_result(job, reader, &fetcher, 1 << 20).await {
            Ok(r) => {
                let text = String::from_utf8_lossy(&r.output).into_owned();
                let mut lines = text.lines();
                let first = lines.next().unwrap_or("").to_string();
                (
                    Some(r.exit_code),
                    lines.next().map(str::to_string).unwrap_or(first),
                )
            }
            Err(e) => (None, format!("(no verified result: {e})")),
        };
        let summary = match exit_code {
            Some(c) if c != 0 => format!("{} {summary}", exec::describe_exit(c)),
            _ => summary,
        };
        let first_claim = crate::first_claim(workers.iter().map(|w| &**w), &t.job)?;
        let (claim_ms, claim_slots) = first_claim.map_or((0, 0), |(ms, slot)| {
            (
                ms.saturating_sub(t.send_ms),
                slot.saturating_sub(t.send_slot),
            )
        });
        rows.push(JobRow {
            name: t.name.clone(),
            job: t.job.to_string(),
            replicas: job.replicas,
            private: t.private,
            outcome: outcome_name(job.outcome).to_string(),
            result_hash: hex(&job.agreed_hash),
            exit_code,
            summary,
            paid,
            fees,
            slashed,
            slashed_amount,
            claim_ms,
            claim_slots,
            latency_slots: slot.saturating_sub(t.posted_slot),
            latency_ms: at.duration_since(t.posted_at).as_millis() as u64,
        });
    }
    let mut provider_rows = Vec::new();
    for (i, p) in providers.iter().enumerate() {
        let acc = rpc
            .provider(&pool, &p.pubkey())
            .await?
            .context("provider account")?;
        provider_rows.push(ProviderRow {
            owner: p.pubkey().to_string(),
            dishonest: i >= opts.providers - opts.dishonest,
            earned: earned[i],
            stake_before: stake_before[i],
            stake_after: acc.staked,
            jobs_completed: acc.jobs_completed,
            jobs_slashed: acc.jobs_slashed,
        });
    }
    for w in &workers {
        w.shutdown(Duration::from_secs(2)).await;
    }
    for r in runners {
        let _ = r.await;
    }
    let rpc_url = local.rpc_url().to_string();
    let deployment = local.deployment.clone();
    local.net.stop()?;
    Ok(DemoReport {
        rpc_url,
        deployment,
        jobs: rows,
        providers: provider_rows,
        batch_ms,
    })
}

fn find_examples(dir: &Path) -> Result<Vec<(String, DraftManifest)>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    dirs.sort();
    for d in dirs {
        let job = d.join("job.json");
        if job.exists() {
            let draft = DraftManifest::load(&job)?;
            draft.read_blobs().with_context(|| {
                format!(
                    "example {}: build the example jobs first (scripts/build-examples.sh)",
                    d.display()
                )
            })?;
            out.push((draft.name.clone(), draft));
        }
    }
    if out.is_empty() {
        bail!("no example jobs (*/job.json) under {}", dir.display());
    }
    Ok(out)
}

struct RemoveOnDrop(PathBuf);
impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tokens(units: u64) -> String {
    format!("{}.{:02}", units / TOKEN, (units % TOKEN) / (TOKEN / 100))
}

/// The final tables, for people.
pub fn print_report(r: &DemoReport) {
    println!();
    println!(
        "{:<18} {:>3} {:<8} {:<10} {:<44} {:>7} {:>6} {:>8} {:>6} {:>7}",
        "job", "rep", "outcome", "result", "output", "paid", "fees", "slashed", "slots", "ms"
    );
    for j in &r.jobs {
        let mut summary = j.summary.clone();
        summary.truncate(44);
        let name = if j.private {
            format!("{} (priv)", j.name)
        } else {
            j.name.clone()
        };
        println!(
            "{:<18} {:>3} {:<8} {:<10} {:<44} {:>7} {:>6} {:>8} {:>6} {:>7}",
            name,
            j.replicas,
            j.outcome,
            &j.result_hash[..8],
            summary,
            tokens(j.paid),
            tokens(j.fees),
            if j.slashed.is_empty() {
                "-".to_string()
            } else {
                tokens(j.slashed_amount)
            },
            j.latency_slots,
            j.latency_ms
        );
    }
    println!();
    println!(
        "{:<46} {:<9} {:>8} {:>12} {:>12} {:>5} {:>7}",
        "provider", "role", "earned", "stake before", "stake after", "jobs", "slashed"
    );
    for p in &r.providers {
        println!(
            "{:<46} {:<9} {:>8} {:>12} {:>12} {:>5} {:>7}",
            p.owner,
            if p.dishonest { "DISHONEST" } else { "honest" },
            tokens(p.earned),
            tokens(p.stake_before),
            tokens(p.stake_after),
            p.jobs_completed,
            p.jobs_slashed
        );
    }
    let (slots, n) = r
        .jobs
        .iter()
        .fold((0, 0), |(s, n), j| (s + j.latency_slots, n + 1));
    let n_f = n.max(1) as f64;
    let claim_ms = r.jobs.iter().map(|j| j.claim_ms).sum::<u64>() as f64 / n_f;
    let claim_slots = r.jobs.iter().map(|j| j.claim_slots).sum::<u64>() as f64 / n_f;
    println!();
    println!(
        "{} jobs settled and closed in {:.1} s; mean post → settle latency {:.1} slots",
        r.jobs.len(),
        r.batch_ms as f64 / 1000.0,
        slots as f64 / n.max(1) as f64
    );
    println!(
        "post_job sent → first claim sent: mean {claim_ms:.0} ms ({:.1} slot times); the first claimant saw each job {claim_slots:.1} slots after the slot current when post_job was sent",
        claim_ms / 100.0
    );
    println!("(the final rows come from the settled job accounts, the outputs from the winners' result URIs verified against the agreed hash)");
    if r.jobs.iter().any(|j| j.private) {
        println!("(priv: a private job: its input was sealed, each claimant got the key on chain once it held a slot, its result was sealed to the requester's wallet and its hash keyed; only the requester's key read the output above)");
    }
}
