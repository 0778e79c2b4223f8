//! The worker: watch → decide → claim → fetch + verify → execute → publish → commit → reveal
//! → settle → release → close, one driver task per job, every step decided from the chain's
//! current view of the job plus this worker's journal.
//!
//! Because each step is chosen from the job account as it is *now* (not from what the worker
//! believes it did last), a restarted worker, a transaction that landed although its
//! confirmation was lost, or a step another party already took ("already settled", "slot
//! already released") all resolve the same way: re-read, carry on.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    str::FromStr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context, Result};
use depin_client::{
    assign::{self, ClaimPlan, Contender, Field},
    blob::{BlobFetcher, FileStore},
    crank::{self, Crank},
    ix::{self, jobs::MarketKeys},
    manifest::{hex, parse_hex32, Manifest, MAX_MANIFEST_BYTES},
    rpc::{JobFilter, SendOptions},
    ClientError, Job, Market, Pool, Provider,
};
use depin_core::{exec, hash, settle::Verdict};
use depin_jobs::{
    instructions::{RevealArgs, SubmitArgs},
    state::{job_status, slot_state},
};
use futures_util::{stream::select_all, StreamExt};
use solana_client::{
    nonblocking::pubsub_client::PubsubClient,
    rpc_config::{RpcAccountInfoConfig, RpcProgramAccountsConfig, UiAccountEncoding},
    rpc_filter::{Memcmp, RpcFilterType},
};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::signature::{Keypair, Signer};
use tokio::sync::{mpsc, watch};

use crate::{
    chain::Chain,
    config::{Fault, WorkerConfig},
    health::Health,
    http::Server,
    journal::{now_ms, Entry, Journal, Phase},
    metrics::Metrics,
    presence::Presence,
    recent::RecentSet,
    recovery::derived_salt,
    sandbox::{Sandbox, SandboxError},
};

/// A job update: address, decoded account, the slot it was read at.
type Update = (Pubkey, Job, u64);

/// What this worker needs to know about a market it serves.
#[derive(Clone, Debug)]
struct MarketInfo {
    keys: MarketKeys,
    /// This worker's provider account in the market's pool.
    provider: Pubkey,
    /// Where its payouts go (the provider authority's associated token account for the
    /// payment mint).
    payout: Pubkey,
}

/// What a driver step asks for next.
enum Next {
    /// Re-read the job at once.
    Again,
    /// Wait for a notification or the poll interval.
    Wait,
    /// Wait for a notification or this long (a slot the assignment waits for).
    WaitFor(Duration),
    /// The job is finished for this worker.
    Finished,
}

/// The running worker.
pub struct Worker {
    cfg: WorkerConfig,
    me: Keypair,
    chain: Chain,
    journal: Journal,
    sandbox: Arc<Sandbox>,
    /// Stderr of running executions, for their requesters (`GET /logs/<job>`).
    live: Arc<crate::live::LiveLogs>,
    fetcher: BlobFetcher,
    results: FileStore,
    /// Where revealed results are served from (`<data_dir>/blobs`).
    blob_dir: std::path::PathBuf,
    cache: FileStore,
    /// The byte quota of `cache/`.
    cache_quota: crate::housekeeping::Quota,
    /// Metrics (also served at `/metrics`).
    pub metrics: Arc<Metrics>,
    /// Progress (served at `/health`).
    pub health: Arc<Health>,
    markets: HashMap<Pubkey, MarketInfo>,
    drivers: Mutex<HashMap<Pubkey, watch::Sender<Option<Job>>>>,
    /// Jobs in which this worker holds a slot, or has reserved one for a claim it is sending:
    /// what `policy.max_concurrent` caps. Drivers waiting for the seed, their turn or the open
    /// phase are not in it.
    held: Mutex<HashSet<Pubkey>>,
    /// Jobs passed on before any claim was sent (not assigned, refused by the policy): not
    /// driven again unless this provider holds a slot; never journalled.
    passed: Mutex<RecentSet<Pubkey>>,
    /// Each pool's providers as the assignment lottery ranks them, read at most once per
    /// [`FIELD_TTL`] (one `getProgramAccounts`) and shared by every driver.
    fields: tokio::sync::Mutex<HashMap<Pubkey, (Instant, Arc<Vec<Contender>>)>>,
    /// Lottery seeds already read, by seed slot (a seed never changes).
    seeds: Mutex<BTreeMap<u64, hash::Hash32>>,
    /// Providers the ranked phase of jobs called and that did not come (`presence`).
    presence: Mutex<Presence>,
    /// Moving average of the time from sending a claim to its answer (landed or refused).
    claim_latency: Mutex<Option<Duration>>,
    accepting: AtomicBool,
    stop: watch::Sender<bool>,
    /// Address of the HTTP server.
    pub http_addr: std::net::SocketAddr,
}

/// Poll interval of a driver waiting without notifications.
const POLL: Duration = Duration::from_millis(400);
/// Shortest wait for a slot (the slot estimate may be a little early).
const MIN_WAIT: Duration = Duration::from_millis(20);
/// Longest wait for a slot before planning again (keeps shutdown and a changing field prompt).
const MAX_WAIT: Duration = Duration::from_secs(2);
/// Jobs whose last-seen slot the run loop remembers.
const MAX_TRACKED: usize = 65_536;
/// Time between housekeeping passes.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(600);
/// Wall time kept between the end of a run and the slot's commit deadline, for storing the
/// result and landing the commitment (half the margin a job must leave at admission,
/// `depin_client::policy::COMMIT_MARGIN_MS`).
const RUN_RESERVE_MS: u64 = depin_client::policy::COMMIT_MARGIN_MS / 2;
/// Attempts at fetching a blob before giving the slot back.
const FETCH_ATTEMPTS: u32 = 3;
/// How old the cached list of a pool's providers may be when a claim is planned. Another
/// provider's stake seen this late can only make this worker wait for its open-phase turn, or
/// claim a slot a better-ranked provider then takes back; its own stake is read fresh.
const FIELD_TTL: Duration = Duration::from_secs(1);
/// Seeds kept in memory.
const MAX_SEEDS: usize = 4096;
/// Jobs passed on that are remembered (far more than are open at once).
const PASSED_KEPT: usize = 65_536;
/// Longest spacing of the open-phase queue, whatever the observed claim latency.
const MAX_STAGGER_SLOTS: u64 = 48;

fn commitment_of(name: &str) -> CommitmentConfig {
    match name {
        "processed" => CommitmentConfig::processed(),
        "finalized" => CommitmentConfig::finalized(),
        _ => CommitmentConfig::confirmed(),
    }
}

/// Where slot `i` stands in line to crank a settled job: the paid slots in index order
/// (winners, or revealers of a job without a quorum), or every held slot when none is paid.
/// The first cranks from settlement; each next one `close_delay_secs` later, in case those
/// before it went away, so a job is closed whoever of its holders is left.
fn crank_rank(job: &Job, i: usize) -> Option<usize> {
    let held: Vec<usize> = (0..job.replicas as usize)
        .filter(|&k| job.slots[k].state != slot_state::FREE)
        .collect();
    let paid: Vec<usize> = held
        .iter()
        .copied()
        .filter(|&k| job.verdict(k).paid())
        .collect();
    let line = if paid.is_empty() { held } else { paid };
    line.iter().position(|&k| k == i)
}

fn program_error_name(e: &ClientError) -> Option<&str> {
    match e {
        ClientError::Program { name, .. } => Some(name.as_str()),
        _ => None,
    }
}

impl Worker {
    /// Connect, check the provider's registration in every market, open the journal, start the
    /// HTTP server. Nothing is claimed until [`Worker::run`].
    pub async fn new(cfg: WorkerConfig, me: Keypair) -> Result<Arc<Self>> {
        let cfg = cfg.finish()?;
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("creating data dir {}", cfg.data_dir.display()))?;
        let metrics = Arc::new(Metrics::default());
        let health = Arc::new(Health::default());
        let send = SendOptions {
            priority_fee_micro_lamports: cfg.priority_fee,
            ..SendOptions::default()
        };
        let urls: Vec<(String, String)> = cfg
            .rpc_urls
            .iter()
            .cloned()
            .zip(cfg.ws_urls.iter().cloned())
            .collect();
        let chain = Chain::new(
            &urls,
            commitment_of(&cfg.commitment),
            send,
            Duration::from_secs(cfg.cooldown_secs),
            metrics.clone(),
            health.clone(),
        );
        let journal = Journal::open(&cfg.data_dir.join("journal.redb"))?;
        // Results are written to `pending/` and served from `blobs/` only once this worker's
        // reveal (or single-replica submit) has landed: before that, a co-claimant could probe
        // `/blobs/<hash>` for candidate outputs and commit the one that exists.
        let blob_dir = cfg.data_dir.join("blobs");
        std::fs::create_dir_all(&blob_dir)
            .with_context(|| format!("creating {}", blob_dir.display()))?;
        let results = FileStore::new(cfg.data_dir.join("pending"))?;
        let cache = FileStore::new(cfg.data_dir.join("cache"))?;
        let live = Arc::new(crate::live::LiveLogs::default());
        let server = Server {
            blob_dir: blob_dir.clone(),
            metrics: metrics.clone(),
            live: live.clone(),
            health: health.clone(),
            limits: crate::http::HttpLimits::default(),
        };
        let (http_addr, _task) = server.serve(cfg.listen).await?;
        let public = match &cfg.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{http_addr}"),
        };
        let results = results.served_at(format!("{public}/blobs"));

        let mut markets = HashMap::new();
        for market in cfg.market_keys() {
            let m: Market = chain
                .call(move |r| Box::pin(async move { r.market(&market).await }))
                .await
                .with_context(|| format!("reading market {market}"))?;
            // The worker holds the operator key only: it acts for the provider account of the
            // market's pool that names this key as its operator.
            let operator = me.pubkey();
            let pool = m.staking_pool;
            let found = chain
                .call(move |r| {
                    Box::pin(async move { r.providers_operated_by(&pool, &operator).await })
                })
                .await?;
            let (provider, authority) = match found.as_slice() {
                [(address, p)] => (*address, p.authority),
                [] => bail!(
                    "no provider account of pool {pool} (market {market}) names {operator} as its operator: register with `depin -k <AUTHORITY> provider register --operator <THIS KEYPAIR FILE>` (or `provider set-operator`) and stake first"
                ),
                many => bail!(
                    "{} provider accounts of pool {pool} name {operator} as their operator; give each worker its own operator key",
                    many.len()
                ),
            };
            let mint = m.payment_mint;
            let me_ref = &me;
            // Payouts go to the authority's token account; the operator pays its rent once.
            let payout = chain
                .call(move |r| {
                    Box::pin(async move { r.ensure_token_account(me_ref, &authority, &mint).await })
                })
                .await
                .context("creating the authority's payout token account")?;
            // Publish the acceptance policy on the provider account when it changed, so a
            // requester can see why this worker would not claim a job.
            let want = cfg.policy.published();
            let published = chain
                .call(move |r| Box::pin(async move { r.policies_of(&[provider]).await }))
                .await
                .ok()
                .and_then(|mut v| v.pop().flatten());
            if !cfg.policy.same_as(published.as_ref()) {
                let ix = depin_client::ix::staking::set_policy(&me.pubkey(), &provider, want);
                // Informational only: a failure (no SOL yet) must not keep the worker down.
                match chain
                    .call(move |r| {
                        let ix = ix.clone();
                        Box::pin(async move { r.send(me_ref, &[ix], &[]).await.map(|_| ()) })
                    })
                    .await
                {
                    Ok(()) => tracing::info!(%provider, "acceptance policy published"),
                    Err(e) => {
                        tracing::warn!(%provider, "could not publish the acceptance policy: {e:#}")
                    }
                }
            }
            markets.insert(
                market,
                MarketInfo {
                    keys: MarketKeys {
                        market,
                        fee_vault: m.fee_vault,
                        staking_pool: m.staking_pool,
                    },
                    provider,
                    payout,
                },
            );
        }
        // A lost journal must not pass unnoticed (`recovery`).
        if !cfg.recover && journal.all()?.is_empty() {
            let mut held = Vec::new();
            for info in markets.values() {
                let provider = info.provider;
                let jobs = chain
                    .call(move |r| {
                        Box::pin(async move { r.jobs(JobFilter::HeldBy(provider)).await })
                    })
                    .await?;
                held.extend(
                    jobs.iter()
                        .filter(|(_, j)| {
                            j.status == job_status::OPEN
                                && j.slot_of(&provider).is_some_and(|i| {
                                    matches!(
                                        j.slots[i].state,
                                        slot_state::CLAIMED | slot_state::COMMITTED
                                    )
                                })
                        })
                        .map(|(a, _)| *a),
                );
            }
            if !held.is_empty() {
                return Err(crate::recovery::refuse_fresh_start(
                    &cfg.data_dir.join("journal.redb"),
                    &held,
                ));
            }
        }
        let cache_quota = crate::housekeeping::Quota::new(cache.dir(), cfg.cache_max_bytes);
        let (stop, _) = watch::channel(false);
        Ok(Arc::new(Worker {
            fetcher: BlobFetcher::guarded(
                cfg.ipfs_gateway.clone(),
                Duration::from_secs(30),
                cfg.net_policy()?,
            ),
            cfg,
            me,
            chain,
            journal,
            sandbox: Arc::new(Sandbox::new()?),
            live,
            results,
            blob_dir,
            cache_quota,
            cache,
            metrics,
            health,
            markets,
            drivers: Mutex::new(HashMap::new()),
            held: Mutex::new(HashSet::new()),
            passed: Mutex::new(RecentSet::new(PASSED_KEPT)),
            fields: tokio::sync::Mutex::new(HashMap::new()),
            seeds: Mutex::new(BTreeMap::new()),
            presence: Mutex::new(Presence::default()),
            claim_latency: Mutex::new(None),
            accepting: AtomicBool::new(true),
            stop,
            http_addr,
        }))
    }

    /// The provider's wallet.
    pub fn owner(&self) -> Pubkey {
        self.me.pubkey()
    }

    /// Journal records (for tests, the CLI and the demo).
    pub fn journal_entries(&self) -> Result<Vec<Entry>> {
        self.journal.all()
    }

    /// When this worker sent its claim of `job` (unix ms) and the slot at which it first saw
    /// the job, if it claimed it.
    pub fn claim_timing(&self, job: &Pubkey) -> Result<Option<(u64, u64)>> {
        Ok(self
            .journal
            .get(job)?
            .and_then(|e| Some((e.claim_sent_ms?, e.seen_slot?))))
    }

    /// Jobs being driven now.
    pub fn in_flight(&self) -> usize {
        self.drivers.lock().expect("lock").len()
    }

    /// Providers holding a slot of `job` are present.
    fn saw_holders(&self, job: &Job) {
        let mut presence = self.presence.lock().expect("lock");
        for s in &job.slots[..(job.replicas as usize).min(job.slots.len())] {
            if s.state != slot_state::FREE {
                presence.seen(&s.provider, s.claimed_at);
            }
        }
    }

    /// Fold one claim's send → answer time into the moving average (weight 1/4).
    fn observe_claim_latency(&self, took: Duration) {
        let mut l = self.claim_latency.lock().expect("lock");
        *l = Some(match *l {
            None => took,
            Some(avg) => (avg * 3 + took) / 4,
        });
        self.metrics.set(
            "depin_worker_claim_latency_ms",
            "",
            l.unwrap_or_default().as_millis() as f64,
        );
    }

    /// The moving average of claim latency (zero before any claim).
    fn claim_latency(&self) -> Duration {
        self.claim_latency.lock().expect("lock").unwrap_or_default()
    }

    /// Slots between two places of the open-phase queue: the default doubled until it covers
    /// twice the claim latency this worker observes (a loaded cluster confirms claims slowly,
    /// and the next in line must see a claim before its turn comes). Powers of two of the
    /// default, so that workers whose estimates differ a little still agree on the spacing.
    fn stagger_slots(&self) -> u64 {
        let latency = self.claim_latency();
        let slot = self.chain.slot_time().as_millis().max(1);
        let needed = (latency.as_millis() * 2).div_ceil(slot) as u64;
        let mut stagger = assign::OPEN_STAGGER_SLOTS;
        while stagger < needed && stagger < MAX_STAGGER_SLOTS {
            stagger *= 2;
        }
        stagger.min(MAX_STAGGER_SLOTS)
    }

    /// Jobs in which this worker holds or is claiming a slot: what `policy.max_concurrent`
    /// caps.
    fn holding(&self) -> usize {
        self.held.lock().expect("lock").len()
    }

    /// Drivers waiting to claim.
    fn waiting(&self) -> usize {
        self.in_flight().saturating_sub(self.holding())
    }

    /// Reserve capacity for a claim of `job` (check and reservation under one lock, so
    /// concurrent drivers cannot all pass the check); `false` at capacity.
    fn reserve(&self, job: &Pubkey) -> bool {
        let mut held = self.held.lock().expect("lock");
        if held.contains(job) {
            return true;
        }
        if held.len() >= self.cfg.policy.max_concurrent {
            return false;
        }
        held.insert(*job);
        true
    }

    /// Give back the capacity reserved for a claim of `job` that was not sent or lost a race.
    fn release_reservation(&self, job: &Pubkey) {
        self.held.lock().expect("lock").remove(job);
    }

    /// How many drivers may wait for a claim at once (each polls the chain while it waits).
    fn max_pending(&self) -> usize {
        (4 * self.cfg.policy.max_concurrent).max(16)
    }

    /// Resume every unfinished job, then watch and reconcile until [`Worker::shutdown`].
    pub async fn run(self: &Arc<Self>) -> Result<()> {
        let ran = self.run_loops().await;
        if let Err(e) = &ran {
            self.health.fatal(format!("{e:#}"));
        }
        ran
    }

    async fn run_loops(self: &Arc<Self>) -> Result<()> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Update>();
        // 1. Replay the journal: every job not finished gets its driver back.
        for entry in self.journal.unfinished()? {
            let job = Pubkey::from_str(&entry.job)?;
            tracing::info!(%job, phase = ?entry.phase, "resuming from the journal");
            self.spawn_driver(job, Some(entry), None);
        }
        // 2. Jobs the chain says this provider holds but the journal does not know (a lost
        //    journal): drive them too (they can finish unless a commitment's salt was lost).
        self.reconcile_once(&tx).await;
        // 3. Watch + reconcile.
        let mut watcher = tokio::spawn(self.clone().watch_loop(tx.clone()));
        let mut reconciler = tokio::spawn(self.clone().reconcile_loop(tx));
        let mut housekeeper = tokio::spawn(self.clone().housekeeping_loop());
        let mut stop = self.stop.subscribe();
        let mut last_slot: HashMap<Pubkey, u64> = HashMap::new();
        // Supervised: the watch and reconcile loops never end by themselves; if one does (a
        // panic), the worker is stopped and says so (`/health`, a non-zero exit).
        let fatal = loop {
            tokio::select! {
                _ = stop.changed() => break None,
                ended = &mut watcher => break Some(format!("the watch loop ended: {ended:?}")),
                ended = &mut reconciler => break Some(format!("the reconcile loop ended: {ended:?}")),
                ended = &mut housekeeper => break Some(format!("housekeeping ended: {ended:?}")),
                update = rx.recv() => {
                    let Some((job, data, slot)) = update else {
                        break Some("the update channel closed".to_string());
                    };
                    self.health.slot_seen(slot);
                    // Merge by slot: an older view never overrides a newer one. (Bounded: once
                    // forgotten, at worst one older view is looked at again, and every driver
                    // reads the chain itself.)
                    if last_slot.len() >= MAX_TRACKED && !last_slot.contains_key(&job) {
                        last_slot.clear();
                    }
                    let seen = last_slot.entry(job).or_insert(0);
                    if slot < *seen {
                        continue;
                    }
                    *seen = slot;
                    self.on_update(job, data, slot);
                }
            }
        };
        watcher.abort();
        reconciler.abort();
        housekeeper.abort();
        match fatal {
            None => Ok(()),
            Some(why) => {
                self.health.fatal(why.clone());
                self.accepting.store(false, Ordering::SeqCst);
                bail!(why)
            }
        }
    }

    /// Stop claiming, give in-flight jobs up to `grace` to finish, then stop (unfinished jobs
    /// stay in the journal and resume on the next start).
    pub async fn shutdown(&self, grace: Duration) {
        self.accepting.store(false, Ordering::SeqCst);
        let until = Instant::now() + grace;
        while self.in_flight() > 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let parked = self.in_flight();
        if parked > 0 {
            tracing::info!(
                parked,
                "shutting down; unfinished jobs are parked in the journal"
            );
        }
        let _ = self.stop.send(true);
    }

    fn on_update(self: &Arc<Self>, job: Pubkey, data: Job, slot: u64) {
        self.saw_holders(&data);
        if let Some(tx) = self.drivers.lock().expect("lock").get(&job) {
            let _ = tx.send(Some(data));
            return;
        }
        let Some(info) = self.markets.get(&data.market) else {
            return;
        };
        if let Some(i) = data.slot_of(&info.provider) {
            // Held on chain but not driven: a lost journal (drive it), or a settled job this
            // worker cranks whose crank a restart interrupted.
            let entry = self.journal.get(&job).ok().flatten();
            let crank_due = data.status == job_status::SETTLED && crank_rank(&data, i).is_some();
            if entry.as_ref().is_none_or(|e| !e.phase.terminal())
                || (crank_due && self.accepting.load(Ordering::SeqCst))
            {
                self.spawn_driver(job, entry, None);
            }
            return;
        }
        // A full job can still be claimed in its ranked phase by displacing a worse-ranked
        // holder (e.g. wallets that claimed first without being among the best scores).
        if !self.accepting.load(Ordering::SeqCst)
            || data.status != job_status::OPEN
            || (data.free_slot().is_none() && !data.ranked_phase(slot))
            || self.passed.lock().expect("lock").contains(&job)
            || self.holding() >= self.cfg.policy.max_concurrent
            || self.waiting() >= self.max_pending()
        {
            return;
        }
        if self.journal.get(&job).ok().flatten().is_some() {
            return; // tried before (dropped or done)
        }
        self.spawn_driver(job, None, Some((now_ms(), slot)));
    }

    /// Start driving `job`; `seen` is when (unix ms, slot) an unclaimed job was first seen.
    fn spawn_driver(self: &Arc<Self>, job: Pubkey, entry: Option<Entry>, seen: Option<(u64, u64)>) {
        let (tx, rx) = watch::channel(None);
        {
            let mut drivers = self.drivers.lock().expect("lock");
            if drivers.contains_key(&job) {
                return;
            }
            drivers.insert(job, tx);
            self.metrics
                .set("depin_worker_jobs_in_flight", "", drivers.len() as f64);
            if entry.as_ref().is_some_and(|e| e.phase != Phase::Claiming) {
                self.held.lock().expect("lock").insert(job);
            }
        }
        let this = self.clone();
        // Supervised: however the driver ends (an error, a panic), the job is deregistered so
        // the reconcile can start it again, and the failure is counted.
        let driver = tokio::spawn({
            let this = self.clone();
            async move { this.drive(job, entry, rx, seen).await }
        });
        tokio::spawn(async move {
            match driver.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(%job, error = %format!("{e:#}"), "driver stopped");
                }
                Err(e) => {
                    tracing::error!(%job, error = %e, "driver panicked");
                    this.metrics.inc("depin_worker_driver_panics_total", "");
                }
            }
            this.health.step_ok(&job);
            this.held.lock().expect("lock").remove(&job);
            let mut drivers = this.drivers.lock().expect("lock");
            drivers.remove(&job);
            this.metrics
                .set("depin_worker_jobs_in_flight", "", drivers.len() as f64);
        });
    }

    /// Decide on an unclaimed job: the manifest must verify and parse, its limits must fit the
    /// policy and its price must clear the floor; then everything the run needs is fetched,
    /// verified and compiled **before** the claim, so a requester who serves a manifest but
    /// not its module or input (or one too slow to compile here) costs claimants nothing: the
    /// job is passed on, never claimed and abandoned. `Err` holds the metric label (`policy`
    /// or `fetch`) and the reason.
    async fn decide(&self, job: &Job) -> Result<Manifest, (&'static str, String)> {
        let manifest = self.manifest(job).await.map_err(|e| ("fetch", e))?;
        // The rule requesters' tools apply to the published policy (depin_client::policy).
        depin_client::policy::check(
            &self.cfg.policy.as_provider_policy(),
            &depin_client::policy::Ask::of(job, &manifest),
        )
        .map_err(|r| ("policy", r.to_string()))?;
        let max_bond = self.cfg.policy.max_bond;
        if max_bond > 0 && job.bond > max_bond {
            return Err((
                "policy",
                format!(
                    "the bond of {} is above policy.max_bond ({max_bond})",
                    job.bond
                ),
            ));
        }
        if let Some(engine) = manifest.engine.as_deref() {
            if engine != depin_client::manifest::ENGINE {
                return Err((
                    "engine",
                    format!(
                        "the manifest is for the sandbox `{engine}`, this worker runs `{}`",
                        depin_client::manifest::ENGINE
                    ),
                ));
            }
        }
        let limit = self.cfg.policy.max_blob_bytes;
        let module = self
            .fetch(&manifest.module.uri, &manifest.module.sha256, limit)
            .await
            .map_err(|e| ("fetch", format!("module: {e}")))?;
        // Kept in the content-addressed cache for the run, not in memory meanwhile.
        self.fetch(&manifest.input.uri, &manifest.input.sha256, limit)
            .await
            .map_err(|e| ("fetch", format!("input: {e}")))?;
        let (sandbox, hash, budget) = (
            self.sandbox.clone(),
            manifest.module.sha256,
            self.cfg.compile_budget(),
        );
        // An invalid module is fine: it is a result every replica agrees on.
        tokio::task::spawn_blocking(move || sandbox.prepare(&hash, Arc::new(module), budget))
            .await
            .map_err(|e| ("fetch", format!("compiler task: {e}")))?
            .map_err(|e| ("compile", format!("module: {e}")))?;
        Ok(manifest)
    }

    async fn manifest(&self, job: &Job) -> Result<Manifest, String> {
        let bytes = self
            .fetch(job.spec_uri(), &job.spec_hash, MAX_MANIFEST_BYTES as u64)
            .await
            .map_err(|e| format!("manifest: {e}"))?;
        Manifest::from_bytes(&bytes).map_err(|e| e.to_string())
    }

    /// A blob from the local cache, or fetched (with retries), verified and cached.
    async fn fetch(&self, uri: &str, sha: &hash::Hash32, limit: u64) -> Result<Vec<u8>, String> {
        if uri.starts_with("file://") && !self.cfg.policy.allow_file_uris {
            return Err(format!(
                "{uri}: file:// blobs are disabled (policy.allow_file_uris)"
            ));
        }
        let cached = self.cache.path_of(sha);
        if let Ok(bytes) = tokio::fs::read(&cached).await {
            if depin_client::blob::sha256(&bytes) == *sha {
                return Ok(bytes);
            }
        }
        let mut last = String::new();
        for attempt in 0..FETCH_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(300 << attempt)).await;
            }
            match self.fetcher.fetch(uri, sha, limit).await {
                Ok(bytes) => {
                    if self.cache.put_sync(&bytes).is_ok() {
                        let evicted =
                            self.cache_quota
                                .added(self.cache.dir(), bytes.len() as u64, &hex(sha));
                        if evicted.files > 0 {
                            tracing::info!(
                                files = evicted.files,
                                bytes = evicted.bytes,
                                "cache quota: evicted the oldest downloads"
                            );
                        }
                    }
                    return Ok(bytes);
                }
                // A digest mismatch or an oversized blob will not change on retry.
                Err(
                    e @ (depin_client::blob::BlobError::HashMismatch { .. }
                    | depin_client::blob::BlobError::TooLarge { .. }
                    | depin_client::blob::BlobError::Forbidden { .. }
                    | depin_client::blob::BlobError::BadUri(_)),
                ) => return Err(e.to_string()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(last)
    }

    async fn drive(
        self: &Arc<Self>,
        addr: Pubkey,
        entry: Option<Entry>,
        mut rx: watch::Receiver<Option<Job>>,
        seen: Option<(u64, u64)>,
    ) -> Result<()> {
        let mut first = self.chain.job(&addr).await;
        if matches!(first, Err(ClientError::AccountNotFound(_))) && entry.is_some() {
            // Confirmed by a second read before the journal entry is finished.
            tokio::time::sleep(POLL).await;
            first = self.chain.job(&addr).await;
        }
        let first = match first {
            Ok(j) => j,
            Err(ClientError::AccountNotFound(_)) => {
                // (An entry already finished keeps its outcome: paid, slashed, released.)
                if let Some(mut e) = entry.filter(|e| !e.phase.terminal()) {
                    self.finish(&mut e, Phase::Done, "job closed".into())?;
                }
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let Some(info) = self.markets.get(&first.market).cloned() else {
            bail!(
                "job {addr} belongs to market {} this worker does not serve",
                first.market
            );
        };
        let mut entry = match entry {
            Some(e) => e,
            None => match self.journal.get(&addr)? {
                Some(e) => e,
                None if first.slot_of(&info.provider).is_some() => {
                    let mut e = Entry::new(&addr, &first.market);
                    e.phase = Phase::Claimed;
                    self.journal.put(&e)?;
                    e
                }
                None => {
                    // Journalled when (and only if) a claim is about to be sent: a job this
                    // worker is not assigned, or refuses, leaves no record.
                    let mut e = Entry::new(&addr, &first.market);
                    if let Some((ms, slot)) = seen {
                        e.seen_ms = ms;
                        e.seen_slot = Some(slot);
                    }
                    e
                }
            },
        };
        let mut failures = 0u32;
        let mut gone_once = false;
        loop {
            let job = match self.chain.job(&addr).await {
                Ok(j) => {
                    gone_once = false;
                    j
                }
                // A journal entry is never finished on one read: the second, a poll later,
                // may come from another endpoint.
                Err(ClientError::AccountNotFound(_)) if !gone_once => {
                    gone_once = true;
                    tokio::time::sleep(POLL).await;
                    continue;
                }
                Err(ClientError::AccountNotFound(_)) if entry.phase.terminal() => {
                    return Ok(());
                }
                Err(ClientError::AccountNotFound(_)) => {
                    let why = if entry.phase >= Phase::Revealed {
                        "job closed"
                    } else {
                        "job closed before this worker finished"
                    };
                    self.finish(&mut entry, Phase::Done, why.into())?;
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(job = %addr, error = %e, "reading the job failed; retrying");
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            let now = match self.chain.unix_time().await {
                Ok(t) => t,
                Err(_) => {
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            let stepped = self.step(&addr, &job, &info, &mut entry, now).await;
            match &stepped {
                Ok(_) => self.health.step_ok(&addr),
                Err(_) => self.health.step_failed(addr, failures + 1),
            }
            match stepped {
                Ok(Next::Again) => failures = 0,
                Ok(Next::Finished) => return Ok(()),
                Ok(Next::Wait) => {
                    failures = 0;
                    let _ = tokio::time::timeout(POLL, rx.changed()).await;
                }
                Ok(Next::WaitFor(d)) => {
                    failures = 0;
                    let _ = tokio::time::timeout(d, rx.changed()).await;
                }
                Err(e) => {
                    failures += 1;
                    let wait = POLL * failures.min(10);
                    tracing::warn!(job = %addr, error = %e, failures, "step failed; re-reading the job");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Where this provider stands in `job`'s slot assignment now, from the chain slot, the
    /// job's seed, this provider's fresh stake, the pool's total and the stake of every other
    /// provider it expects to claim (cached for [`FIELD_TTL`]); also returns the chain slot.
    /// In the open phase, providers the ranked phase called and that did not come are noted
    /// as absent first, so the plan (and the next ones) do not wait for them.
    async fn claim_plan(
        &self,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        now: i64,
    ) -> Result<(ClaimPlan, u64)> {
        let slot = self.chain.slot().await?;
        if !job.ranked_phase(slot) && job.free_slot().is_none() {
            return Ok((ClaimPlan::Stay, slot));
        }
        let (provider, pool_key) = (info.provider, info.keys.staking_pool);
        let (seed, me, pool, others) = tokio::try_join!(
            self.seed(job.seed_slot, slot),
            self.chain
                .call(move |r| Box::pin(async move { r.account::<Provider>(&provider).await })),
            self.chain
                .call(move |r| Box::pin(async move { r.account::<Pool>(&pool_key).await })),
            self.field(&pool_key),
        )?;
        let mut contenders: Vec<Contender> = others
            .iter()
            .filter(|c| {
                c.provider != provider && self.presence.lock().expect("lock").expected(&c.provider)
            })
            .copied()
            .collect();
        contenders.push(Contender::of(provider, &me));
        let field = Field {
            total: pool.total_staked,
            contenders: &contenders,
            stagger_slots: self.stagger_slots(),
        };
        if let Some(seed) = &seed {
            let missed = assign::no_shows(job, addr, field, slot, seed);
            if !missed.is_empty() {
                let mut presence = self.presence.lock().expect("lock");
                for p in &missed {
                    presence.missed(p, addr, now);
                }
                self.metrics.set(
                    "depin_worker_providers_absent",
                    "",
                    presence.absent() as f64,
                );
            }
        }
        let plan = assign::plan(job, addr, &provider, field, slot, seed.as_ref());
        tracing::debug!(job = %addr, ?plan, "assignment");
        Ok((plan, slot))
    }

    /// The seed of a job whose seed slot is `seed_slot`, once the chain (now at `slot`) has
    /// recorded it; `None` before, or when the SlotHashes sysvar no longer reaches it.
    async fn seed(&self, seed_slot: u64, slot: u64) -> Result<Option<hash::Hash32>, ClientError> {
        if slot <= seed_slot {
            return Ok(None);
        }
        if let Some(s) = self.seeds.lock().expect("lock").get(&seed_slot) {
            return Ok(Some(*s));
        }
        let seed = self
            .chain
            .call(move |r| Box::pin(async move { r.sortition_seed(seed_slot).await }))
            .await?;
        if let Some(s) = seed {
            let mut seeds = self.seeds.lock().expect("lock");
            seeds.insert(seed_slot, s);
            while seeds.len() > MAX_SEEDS {
                seeds.pop_first();
            }
        }
        Ok(seed)
    }

    /// Every provider of `pool` (at most [`FIELD_TTL`] old).
    async fn field(&self, pool: &Pubkey) -> Result<Arc<Vec<Contender>>, ClientError> {
        let mut fields = self.fields.lock().await;
        if let Some((at, f)) = fields.get(pool) {
            if at.elapsed() < FIELD_TTL {
                return Ok(f.clone());
            }
        }
        let pool_key = *pool;
        let providers = match self
            .chain
            .call(move |r| Box::pin(async move { r.providers_of(&pool_key).await }))
            .await
        {
            Ok(p) => p,
            // A failed read must not stop every claim: plan with the last list read.
            Err(e) => match fields.get(pool) {
                Some((_, f)) => {
                    tracing::warn!(error = %e, "reading the pool's providers failed; using the last list");
                    return Ok(f.clone());
                }
                None => return Err(e),
            },
        };
        let f: Arc<Vec<Contender>> = Arc::new(
            providers
                .iter()
                .map(|(a, p)| Contender::of(*a, p))
                .collect(),
        );
        fields.insert(*pool, (Instant::now(), f.clone()));
        Ok(f)
    }

    /// Pass on a job before claiming it: recorded as dropped if a claim was ever journalled
    /// (an earlier attempt), else only remembered in memory so it is not driven again.
    /// `why` labels the `depin_worker_jobs_passed_total` metric.
    fn pass(&self, entry: &mut Entry, why: &str, outcome: &str) -> Result<()> {
        let job = Pubkey::from_str(&entry.job)?;
        self.passed.lock().expect("lock").insert(job);
        if self.journal.get(&job)?.is_some() {
            return self.finish(entry, Phase::Dropped, outcome.into());
        }
        tracing::debug!(%job, outcome, "passed");
        self.metrics
            .inc("depin_worker_jobs_passed_total", &format!("why=\"{why}\""));
        Ok(())
    }

    fn finish(&self, entry: &mut Entry, phase: Phase, outcome: String) -> Result<()> {
        tracing::info!(job = %entry.job, ?phase, %outcome, "finished");
        let label = outcome
            .split(' ')
            .next()
            .unwrap_or("other")
            .trim_end_matches(':');
        self.metrics
            .inc("depin_worker_jobs_total", &format!("outcome=\"{label}\""));
        entry.phase = phase;
        entry.outcome = Some(outcome);
        self.journal.put(entry)
    }

    /// Send `ixs`; a refusal named in `already` means the step was already taken (counts as
    /// success).
    async fn send(
        &self,
        what: &str,
        ixs: &[solana_sdk::instruction::Instruction],
        already: &[&str],
    ) -> Result<(), ClientError> {
        self.send_paying(what, ixs, already, self.cfg.priority_fee(None))
            .await
    }

    /// [`Self::send`] of a transaction that must land by `deadline` (chain time, `now` now):
    /// its priority fee rises as the deadline nears (`WorkerConfig::priority_fee`).
    async fn send_before(
        &self,
        what: &str,
        ixs: &[solana_sdk::instruction::Instruction],
        already: &[&str],
        (deadline, now): (i64, i64),
    ) -> Result<(), ClientError> {
        let fee = self.cfg.priority_fee(Some(deadline.saturating_sub(now)));
        self.send_paying(what, ixs, already, fee).await
    }

    async fn send_paying(
        &self,
        what: &str,
        ixs: &[solana_sdk::instruction::Instruction],
        already: &[&str],
        fee: u64,
    ) -> Result<(), ClientError> {
        match self.chain.send(&self.me, ixs, fee).await {
            Ok(sig) => {
                self.metrics.inc(
                    "depin_worker_transactions_total",
                    &format!("instruction=\"{what}\""),
                );
                tracing::debug!(%sig, what, "confirmed");
                self.health.landed(what);
                Ok(())
            }
            Err(e) if program_error_name(&e).is_some_and(|n| already.contains(&n)) => {
                tracing::info!(what, error = %e, "already done");
                Ok(())
            }
            Err(e) => {
                self.metrics.inc(
                    "depin_worker_transaction_errors_total",
                    &format!("instruction=\"{what}\""),
                );
                Err(e)
            }
        }
    }

    async fn step(
        self: &Arc<Self>,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        entry: &mut Entry,
        now: i64,
    ) -> Result<Next> {
        let Some(i) = job.slot_of(&info.provider) else {
            if entry.phase != Phase::Claiming {
                // Confirmed by a second read (views are at least as recent as this worker's
                // landed claim; the second may come from another endpoint) before the journal
                // gives the job up.
                tokio::time::sleep(POLL).await;
                match self.chain.job(addr).await {
                    Ok(j) if j.slot_of(&info.provider).is_some() => return Ok(Next::Again),
                    Ok(_) | Err(ClientError::AccountNotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
                self.finish(
                    entry,
                    Phase::Dropped,
                    "lost: the slot was taken back".into(),
                )?;
                return Ok(Next::Finished);
            }
            if !self.accepting.load(Ordering::SeqCst)
                || job.status != job_status::OPEN
                || now >= job.claim_deadline
            {
                self.pass(entry, "closed", "skipped: no free slot")?;
                return Ok(Next::Finished);
            }
            // Claim only when the assignment lottery lets the claim land (docs/sortition.md).
            // Waits sleep until the slot they wait for (a claim or other change of the job
            // wakes them earlier): a worker's turn comes when it should, not at the next poll.
            let until =
                |now: u64, at: u64| self.chain.until_slot(now, at).clamp(MIN_WAIT, MAX_WAIT);
            let displaced = match self.claim_plan(addr, job, info, now).await? {
                (ClaimPlan::Claim { displaced, .. }, _) => displaced,
                (ClaimPlan::WaitForSeed { seed_slot }, now) => {
                    return Ok(Next::WaitFor(until(now, seed_slot + 1)))
                }
                (ClaimPlan::WaitForOpenPhase { open_slot }, now) => {
                    return Ok(Next::WaitFor(until(now, open_slot)))
                }
                (ClaimPlan::WaitForTurn { slot }, at) => {
                    // Never wait past the end of the claim window for better-ranked providers
                    // that do not come: in its last moments, claim (the open phase takes any
                    // staked provider) rather than let the job expire.
                    let margin =
                        (self.claim_latency() * 2 + Duration::from_secs(1)).as_secs() as i64;
                    let left = job.claim_deadline.saturating_sub(now);
                    if left > margin {
                        let before_deadline = Duration::from_secs((left - margin) as u64);
                        return Ok(Next::WaitFor(until(at, slot).min(before_deadline)));
                    }
                    tracing::info!(job = %addr, "claim window closing before this worker's turn; claiming now");
                    None
                }
                (ClaimPlan::Stay, _) => {
                    self.pass(entry, "unassigned", "skipped: no slot within reach")?;
                    return Ok(Next::Finished);
                }
            };
            // At capacity: keep the place in the queue, claim when a held job finishes.
            if !self.reserve(addr) {
                return Ok(Next::Wait);
            }
            // The policy is checked only once the assignment says this worker may claim (a
            // worker that will not be assigned fetches nothing).
            let deciding = Instant::now();
            if let Err((label, why)) = self.decide(job).await {
                tracing::info!(job = %addr, %why, "not claiming");
                self.release_reservation(addr);
                self.pass(entry, label, &format!("skipped: {why}"))?;
                return Ok(Next::Finished);
            }
            // A manifest fetch longer than a queue turn makes the plan stale (the next in line
            // may have claimed): plan again (the manifest is cached now).
            if deciding.elapsed() > self.chain.slot_time() * self.stagger_slots() as u32 {
                self.release_reservation(addr);
                return Ok(Next::Again);
            }
            entry.claim_sent_ms = Some(now_ms());
            self.journal.put(entry)?;
            self.metrics.inc("depin_worker_claims_total", "");
            self.metrics.add(
                "depin_worker_seen_to_claim_ms_sum",
                "",
                entry
                    .claim_sent_ms
                    .unwrap_or(0)
                    .saturating_sub(entry.seen_ms) as f64,
            );
            self.metrics.inc("depin_worker_seen_to_claim_count", "");
            tracing::info!(job = %addr, displacing = ?displaced, "claim sent");
            let sent_at = Instant::now();
            let answer = self
                .send(
                    "claim_job",
                    &[ix::jobs::claim_job(
                        &self.me.pubkey(),
                        &info.provider,
                        &info.keys,
                        addr,
                        displaced,
                    )],
                    &["AlreadyClaimed"],
                )
                .await;
            // A landed or refused claim measures the cluster's latency; a transport error does
            // not.
            if answer
                .as_ref()
                .map_or_else(|e| program_error_name(e).is_some(), |_| true)
            {
                self.observe_claim_latency(sent_at.elapsed());
            }
            return match answer {
                Ok(()) => {
                    entry.phase = Phase::Claimed;
                    self.journal.put(entry)?;
                    tracing::info!(job = %addr, "phase=claimed");
                    Ok(Next::Again)
                }
                // Lost a ranked-phase race (another claim changed the holders since this
                // plan): plan again from a fresh read instead of giving up.
                Err(e)
                    if program_error_name(&e).is_some_and(|n| {
                        ["OutRanked", "WrongDisplaced", "JobFull"].contains(&n)
                    }) && job.ranked_phase(self.chain.slot().await.unwrap_or(0)) =>
                {
                    tracing::info!(job = %addr, error = %e, "claim race lost; planning again");
                    self.release_reservation(addr);
                    Ok(Next::Again)
                }
                Err(e) if program_error_name(&e).is_some() => {
                    self.finish(
                        entry,
                        Phase::Dropped,
                        format!("skipped: claim refused: {e}"),
                    )?;
                    Ok(Next::Finished)
                }
                Err(e) => Err(e.into()),
            };
        };
        // Held (whatever the journal says: a claim whose confirmation was lost, a lost
        // journal): it counts against the capacity until settled (what is left then is a
        // release and a courtesy crank, which must not keep new jobs out).
        if job.status == job_status::SETTLED {
            self.held.lock().expect("lock").remove(addr);
        } else {
            self.held.lock().expect("lock").insert(*addr);
        }
        let slot = &job.slots[i];
        if entry.phase.terminal() && job.status != job_status::SETTLED {
            return Ok(Next::Finished);
        }
        if job.status == job_status::SETTLED {
            return self.after_settlement(addr, job, info, entry, i, now).await;
        }
        // The claim window closed short of the quorum: whatever this slot's state, the job can
        // only expire (full refund, bonds released).
        if job.expirable(now) {
            self.send("expire_job", &[ix::jobs::expire_job(addr)], &["JobNotOpen"])
                .await?;
            return Ok(Next::Again);
        }
        match slot.state {
            slot_state::CLAIMED => {
                let deadline = job.slot_deadline(i);
                if now >= deadline {
                    // Too late to commit or to give the slot back: it can only be reclaimed
                    // (the no-show rate, whoever sends it). Sent now rather than left to a
                    // crank: the rest of the bond comes back at once and another provider can
                    // take the slot while claims are open.
                    return self.reclaim_own(addr, info, entry).await;
                }
                if let Some(why) = entry.giving_back.clone() {
                    return self.give_back(addr, info, entry, &why).await;
                }
                // Execution starts at once, overlapping the ranked phase: the worker claimed only
                // among the best scores, so a displacement (wasted work, never a penalty) needs
                // a stale view. The commitment waits for the phase to end.
                if entry.result_hash.is_none() || entry.salt.is_none() {
                    entry.phase = Phase::Claimed;
                    tracing::info!(job = %addr, "phase=executing");
                    // The run must end early enough to commit before the slot's deadline.
                    let left_ms = u64::try_from(deadline - now)
                        .unwrap_or(0)
                        .saturating_mul(1000)
                        .saturating_sub(RUN_RESERVE_MS);
                    match self.execute(addr, job, left_ms).await {
                        Ok((code, result, uri)) => {
                            // Derived from the operator key, so a lost journal can
                            // recompute it (`recovery`).
                            let salt = derived_salt(&self.me, addr, &result);
                            entry.exit_code = Some(code);
                            entry.result_hash = Some(hex(&result));
                            entry.result_uri = Some(uri);
                            entry.salt = Some(hex(&salt));
                            entry.phase = Phase::Executed;
                            // Durable before the commitment can be sent.
                            self.journal.put(entry)?;
                            tracing::info!(job = %addr, exit_code = code, "phase=executed");
                        }
                        Err(why) => {
                            // Journalled first: a failed run is given back, never re-run
                            // (after a restart or a failed abandon transaction alike).
                            entry.giving_back = Some(why.clone());
                            self.journal.put(entry)?;
                            return self.give_back(addr, info, entry, &why).await;
                        }
                    }
                }
                if now >= job.slot_deadline(i) {
                    return Ok(Next::Again);
                }
                // Commitments are refused while the slot can still be displaced.
                if job.ranked_phase(self.chain.slot().await?) {
                    return Ok(Next::Wait);
                }
                let result = parse_hex32(entry.result_hash.as_deref().unwrap_or_default())
                    .context("journal result hash")?;
                let salt = parse_hex32(entry.salt.as_deref().unwrap_or_default())
                    .context("journal salt")?;
                let uri = entry.result_uri.clone().unwrap_or_default();
                if job.replicas == 1 {
                    let args = SubmitArgs {
                        result_hash: result,
                        result_uri: uri,
                    };
                    self.send_before(
                        "submit_result",
                        &[ix::jobs::submit_result(
                            &self.me.pubkey(),
                            &info.provider,
                            addr,
                            args,
                        )],
                        &["AlreadyCommitted", "AlreadyRevealed"],
                        (deadline, now),
                    )
                    .await?;
                    self.publish(entry)?;
                    entry.phase = Phase::Revealed;
                    self.journal.put(entry)?;
                    tracing::info!(job = %addr, "phase=revealed");
                } else {
                    let c = hash::commitment(addr, &info.provider, &result, &salt);
                    self.send_before(
                        "commit_result",
                        &[ix::jobs::commit_result(
                            &self.me.pubkey(),
                            &info.provider,
                            addr,
                            c,
                        )],
                        &["AlreadyCommitted"],
                        (deadline, now),
                    )
                    .await?;
                    entry.phase = Phase::Committed;
                    self.journal.put(entry)?;
                    tracing::info!(job = %addr, "phase=committed");
                }
                Ok(Next::Again)
            }
            slot_state::COMMITTED => {
                if entry.result_hash.is_none() || entry.salt.is_none() {
                    // Only a lost journal gets here: recover the result by running the job
                    // again, and the salt from the operator key.
                    return self.recover_commitment(addr, job, info, entry, i).await;
                }
                if !job.reveal_open(now) {
                    // Before the reveals open a late co-claimant can be reclaimed (which may
                    // open them); after the reveal deadline only settlement is left.
                    return self.crank_open(addr, info, job, now).await;
                }
                let (Some(result), Some(salt)) = (
                    entry.result_hash.as_deref().and_then(parse_hex32),
                    entry.salt.as_deref().and_then(parse_hex32),
                ) else {
                    bail!("journal entry of {addr}: unreadable result hash or salt");
                };
                let args = RevealArgs {
                    result_hash: result,
                    salt,
                    result_uri: entry.result_uri.clone().unwrap_or_default(),
                };
                self.send_before(
                    "reveal_result",
                    &[ix::jobs::reveal_result(
                        &self.me.pubkey(),
                        &info.provider,
                        addr,
                        args,
                    )],
                    &["AlreadyRevealed"],
                    (job.reveal_deadline, now),
                )
                .await?;
                self.publish(entry)?;
                entry.phase = Phase::Revealed;
                self.journal.put(entry)?;
                tracing::info!(job = %addr, "phase=revealed");
                Ok(Next::Again)
            }
            _ => {
                if entry.phase < Phase::Revealed {
                    // Revealed on chain before the journal said so (a restart): publish now.
                    self.publish(entry)?;
                    entry.phase = Phase::Revealed;
                    self.journal.put(entry)?;
                }
                self.crank_open(addr, info, job, now).await
            }
        }
    }

    /// Rebuild a commitment this worker made but whose journal record is lost: run the job
    /// again (deterministic), derive the salt from the operator key, and keep them if they
    /// open the commitment on chain; otherwise the slot cannot be revealed (and will count
    /// as withheld).
    async fn recover_commitment(
        &self,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        entry: &mut Entry,
        i: usize,
    ) -> Result<Next> {
        tracing::warn!(job = %addr, "commitment without a journal record: recovering it");
        let (code, result, uri) = match self.execute(addr, job, u64::MAX).await {
            Ok(r) => r,
            Err(why) => {
                self.finish(
                    entry,
                    Phase::Dropped,
                    format!("lost: re-running failed: {why}"),
                )?;
                return Ok(Next::Finished);
            }
        };
        let salt = derived_salt(&self.me, addr, &result);
        if hash::commitment(addr, &info.provider, &result, &salt) != job.slots[i].commitment {
            self.finish(
                entry,
                Phase::Dropped,
                "lost: the re-run result and derived salt do not open the commitment".into(),
            )?;
            return Ok(Next::Finished);
        }
        entry.exit_code = Some(code);
        entry.result_hash = Some(hex(&result));
        entry.result_uri = Some(uri);
        entry.salt = Some(hex(&salt));
        entry.phase = Phase::Committed;
        self.journal.put(entry)?;
        self.metrics
            .inc("depin_worker_commitments_recovered_total", "");
        tracing::info!(job = %addr, "commitment recovered");
        Ok(Next::Again)
    }

    /// Send every step due on an open job this worker holds a slot in ([`crank::due`]:
    /// reclaim late co-claimants, settle once no reveal can come), so the job never waits on
    /// a stranger; `Wait` when nothing is due.
    async fn crank_open(
        &self,
        addr: &Pubkey,
        info: &MarketInfo,
        job: &Job,
        now: i64,
    ) -> Result<Next> {
        let steps = crank::due(job, now);
        if steps.is_empty() {
            return Ok(Next::Wait);
        }
        for step in steps {
            let ix_ = match step {
                Crank::Settle => ix::jobs::settle_job(addr),
                Crank::Reclaim { provider, .. } => {
                    ix::jobs::reclaim_slot(&info.keys, addr, &provider)
                }
                Crank::Expire => ix::jobs::expire_job(addr),
                Crank::Release { .. } | Crank::Close => continue,
            };
            // Another crank may have sent it first: the next read shows the job moved on.
            if let Err(e) = self.send(step.instruction(), &[ix_], &["JobNotOpen"]).await {
                if program_error_name(&e).is_none() {
                    return Err(e.into());
                }
                tracing::info!(job = %addr, step = step.verb(), error = %e, "crank step refused");
            }
        }
        Ok(Next::Again)
    }

    /// Give back a held, uncommitted slot whose run failed in a way that is not a result
    /// (`why`): `abandon_job` (the abandon penalty early, the no-show rate later). A refusal
    /// because the deadline passed meanwhile leads, on the next step, to reclaiming it.
    async fn give_back(
        &self,
        addr: &Pubkey,
        info: &MarketInfo,
        entry: &mut Entry,
        why: &str,
    ) -> Result<Next> {
        tracing::warn!(job = %addr, %why, "giving the slot back");
        let abandon = ix::jobs::abandon_job(&self.me.pubkey(), &info.provider, &info.keys, addr);
        match self.send("abandon_job", &[abandon], &[]).await {
            Ok(()) => {
                self.finish(entry, Phase::Dropped, format!("abandoned: {why}"))?;
                Ok(Next::Finished)
            }
            // Re-read: the slot is late now (reclaim), or no longer this worker's.
            Err(e) if program_error_name(&e).is_some() => {
                tracing::info!(job = %addr, error = %e, "abandon refused; re-reading the job");
                Ok(Next::Again)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reclaim this worker's own slot, past its deadline without a commitment (the no-show
    /// rate, as any crank would take), so the bond's remainder is released now.
    async fn reclaim_own(
        &self,
        addr: &Pubkey,
        info: &MarketInfo,
        entry: &mut Entry,
    ) -> Result<Next> {
        let why = entry
            .giving_back
            .clone()
            .unwrap_or_else(|| "no result before the slot's deadline".into());
        tracing::warn!(job = %addr, %why, "slot late: reclaiming it");
        let reclaim = ix::jobs::reclaim_slot(&info.keys, addr, &info.provider);
        match self.send("reclaim_slot", &[reclaim], &[]).await {
            Ok(()) => {
                self.finish(
                    entry,
                    Phase::Dropped,
                    format!("late: {why}; slot reclaimed at the no-show rate"),
                )?;
                Ok(Next::Finished)
            }
            // Someone else reclaimed it, or the job moved on: the next read says which.
            Err(e) if program_error_name(&e).is_some() => Ok(Next::Again),
            Err(e) => Err(e.into()),
        }
    }

    /// Release this worker's slot (paid, slashed or released as the verdict says); the
    /// lowest-indexed winner also releases every slot that earns nothing (which its holder has
    /// no reason to) and, `close_delay_secs` after settlement (time for the requester to read
    /// the agreed result from the job account), closes the job once all are released, so the
    /// requester's refund never waits on a stranger.
    async fn after_settlement(
        &self,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        entry: &mut Entry,
        i: usize,
        now: i64,
    ) -> Result<Next> {
        if job.slots[i].released == 0 {
            let release =
                ix::jobs::release_for(job, i, info.payout).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            self.send(
                "release_slot",
                &[ix::jobs::release_slot(
                    &info.keys,
                    addr,
                    &info.provider,
                    release,
                )],
                &["SlotAlreadyReleased"],
            )
            .await?;
            return Ok(Next::Again);
        }
        // This worker's obligations end with its own release: record the outcome once.
        if !entry.phase.terminal() {
            let s = job
                .terms()
                .settle(job.verdict(i))
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let outcome = match job.verdict(i) {
                Verdict::Winner | Verdict::Unresolved => {
                    self.metrics
                        .add("depin_worker_earnings_total", "", s.payout as f64);
                    format!("paid {}", s.payout)
                }
                Verdict::Wrong | Verdict::NoShow | Verdict::Withheld => {
                    format!("slashed {}", s.penalty)
                }
                Verdict::Released => "released".to_string(),
            };
            self.finish(entry, Phase::Done, outcome)?;
        }
        // A courtesy crank (not journalled: after a restart the reconcile finds the job held
        // and settled and starts it again). The first in line (`crank_rank`) releases the
        // slots that earn nothing at once and, `close_delay_secs` after settlement (time for
        // winners to release themselves and for the requester to read the result from the
        // account), any winner that did not (paid into its authority's account), then closes
        // the job; each next in line does the same one `close_delay_secs` later.
        let Some(rank) = crank_rank(job, i) else {
            return Ok(Next::Finished);
        };
        if !self.accepting.load(Ordering::SeqCst) {
            return Ok(Next::Finished);
        }
        let delay = self.cfg.close_delay_secs as i64;
        let turn = job
            .settled_at
            .saturating_add(delay.saturating_mul(rank as i64));
        let close_at = turn.saturating_add(delay);
        if now < turn {
            let wait = u64::try_from(turn - now).unwrap_or(0);
            return Ok(Next::WaitFor(Duration::from_secs(wait.max(1))));
        }
        let mut later = false;
        for step in crank::due(job, now) {
            let early = match step {
                Crank::Release { slot, .. } if slot == i => continue,
                Crank::Release { slot, .. } => job.verdict(slot).paid() && now < close_at,
                Crank::Close => now < close_at,
                _ => false,
            };
            if early {
                later = true;
                continue;
            }
            let (a, j) = (*addr, *job);
            let ix_ = match self
                .chain
                .call(move |r| Box::pin(async move { r.crank_instruction(&a, &j, step).await }))
                .await
            {
                Ok(ix_) => ix_,
                Err(e) => {
                    // A winner without a payout account: only it can release its slot.
                    tracing::warn!(job = %addr, step = step.verb(), error = %e, "cannot crank; leaving the job");
                    return Ok(Next::Finished);
                }
            };
            match self
                .send(step.instruction(), &[ix_], &["SlotAlreadyReleased"])
                .await
            {
                Ok(()) => {}
                // Another holder in line took the step first (expected under load: each one
                // waits only `close_delay_secs` for the one before it).
                Err(e)
                    if program_error_name(&e).is_some()
                        || e.to_string().contains("AccountOwnedByWrongProgram") =>
                {
                    tracing::info!(job = %addr, step = step.verb(), error = %e, "crank step already taken");
                }
                Err(e) => {
                    tracing::warn!(job = %addr, step = step.verb(), error = %e, "crank step failed");
                }
            }
            if step == Crank::Close {
                return Ok(Next::Finished);
            }
        }
        if later {
            let wait = u64::try_from(close_at.saturating_sub(now)).unwrap_or(0);
            return Ok(Next::WaitFor(Duration::from_secs(wait.max(1))));
        }
        Ok(Next::Again)
    }

    /// Fetch, verify and run the job; publish the result blob. `Err` (a reason) means the slot
    /// should be given back: a blob that cannot be fetched or does not verify, or a run that
    /// hit the wall-clock limit.
    /// Move this entry's result blob from `pending/` to the served `blobs/` folder (its reveal
    /// has landed). Idempotent; a blob already published or never stored is no error.
    fn publish(&self, entry: &Entry) -> anyhow::Result<()> {
        let Some(name) = entry
            .result_uri
            .as_deref()
            .and_then(|u| u.rsplit('/').next())
            .filter(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            return Ok(());
        };
        let from = self.results.dir().join(name);
        let to = self.blob_dir.join(name);
        match std::fs::rename(&from, &to) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("publishing {}", to.display())),
        }
    }

    /// Run `job`'s module; `left_ms` is the wall time left before the run must end to commit
    /// in time (the manifest's limit applies when shorter). `Err` is a failure that is not a
    /// result (the slot is given back).
    async fn execute(
        &self,
        address: &Pubkey,
        job: &Job,
        left_ms: u64,
    ) -> Result<(i32, hash::Hash32, String), String> {
        let manifest = self.manifest(job).await?;
        if left_ms == 0 {
            return Err("no time left to run before the slot's deadline".into());
        }
        let limit = self.cfg.policy.max_blob_bytes;
        let module = self
            .fetch(&manifest.module.uri, &manifest.module.sha256, limit)
            .await
            .map_err(|e| format!("module: {e}"))?;
        let input = self
            .fetch(&manifest.input.uri, &manifest.input.sha256, limit)
            .await
            .map_err(|e| format!("input: {e}"))?;
        let sandbox = self.sandbox.clone();
        let mut limits = manifest.limits;
        let cut_short = left_ms < limits.wall_ms;
        limits.wall_ms = limits.wall_ms.min(left_ms);
        let (name, args, hash_) = (
            manifest.name.clone(),
            manifest.args.clone(),
            manifest.module.sha256,
        );
        let live = self.live.start(*address, job.requester);
        let run = tokio::task::spawn_blocking(move || {
            sandbox.run_observed(
                &hash_,
                &module,
                &name,
                &args,
                Arc::new(input),
                &limits,
                Some(live),
            )
        })
        .await;
        self.live.finish(address);
        let run = run.map_err(|e| format!("sandbox task: {e}"))?;
        let exec_ = match run {
            Ok(e) => e,
            Err(e @ SandboxError::WallClock(_)) | Err(e @ SandboxError::Internal(_)) => {
                self.metrics
                    .inc("depin_worker_executions_total", "result=\"aborted\"");
                if cut_short && matches!(e, SandboxError::WallClock(_)) {
                    return Err(format!(
                        "the run would not end {} s before the slot's deadline ({e})",
                        RUN_RESERVE_MS / 1000
                    ));
                }
                return Err(e.to_string());
            }
        };
        self.metrics.inc(
            "depin_worker_executions_total",
            &format!(
                "result=\"{}\"",
                exec::describe_exit(exec_.exit_code).replace(' ', "_")
            ),
        );
        self.metrics.add(
            "depin_worker_execution_seconds_sum",
            "",
            exec_.elapsed.as_secs_f64(),
        );
        self.metrics
            .add("depin_worker_fuel_used_total", "", exec_.fuel_used as f64);
        tracing::info!(
            exit_code = exec_.exit_code,
            detail = %exec_.detail,
            fuel = exec_.fuel_used,
            ms = exec_.elapsed.as_millis() as u64,
            cache_hit = exec_.cache_hit,
            "executed"
        );
        let mut output = exec_.output;
        if self.cfg.fault == Fault::WrongResult {
            output.extend_from_slice(b"\n(tampered by a dishonest provider)\n");
        }
        // The logs (stderr) are part of the result: replicas agree on them like on the output.
        let blob = exec::encode_result_blob(exec_.exit_code, &output, &exec_.stderr);
        let stored = self
            .results
            .put_sync(&blob)
            .map_err(|e| format!("storing the result: {e}"))?;
        Ok((
            exec_.exit_code,
            hash::result_hash(exec_.exit_code, &output, &exec_.stderr),
            stored.uri,
        ))
    }

    async fn reconcile_once(&self, tx: &mpsc::UnboundedSender<Update>) {
        let slot = self.chain.slot().await.unwrap_or(0);
        for info in self.markets.values() {
            let market = info.keys.market;
            let provider = info.provider;
            for filter in [
                JobFilter::Market {
                    market,
                    open_only: true,
                },
                JobFilter::HeldBy(provider),
            ] {
                match self
                    .chain
                    .call(move |r| Box::pin(async move { r.jobs(filter).await }))
                    .await
                {
                    Ok(jobs) => {
                        for (a, j) in jobs {
                            let _ = tx.send((a, j, slot));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "reconcile query failed"),
                }
            }
        }
    }

    /// Prune what a long-running worker accumulates (`housekeeping`), at start and every
    /// [`HOUSEKEEPING_EVERY`]. A failed pass is logged and tried again; it never stops work.
    async fn housekeeping_loop(self: Arc<Self>) {
        let retention = Duration::from_secs(self.cfg.retention_secs);
        loop {
            let this = self.clone();
            let dir = self.cfg.data_dir.clone();
            let pass = tokio::task::spawn_blocking(move || {
                crate::housekeeping::prune(&this.journal, &dir, retention)
            })
            .await;
            match pass {
                Ok(Ok(p)) if p != crate::housekeeping::Pruned::default() => {
                    tracing::info!(
                        records = p.records,
                        files = p.files,
                        bytes = p.bytes,
                        "housekeeping: pruned"
                    );
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %format!("{e:#}"), "housekeeping failed"),
                Err(e) => tracing::warn!(error = %e, "housekeeping task failed"),
            }
            tokio::time::sleep(HOUSEKEEPING_EVERY).await;
        }
    }

    async fn reconcile_loop(self: Arc<Self>, tx: mpsc::UnboundedSender<Update>) {
        let mut tick = tokio::time::interval(self.cfg.reconcile_every());
        tick.tick().await;
        loop {
            tick.tick().await;
            self.reconcile_once(&tx).await;
        }
    }

    /// Program subscriptions (one per market) and a slot subscription as the watchdog: when
    /// slots stop arriving for `stall_secs` the connection is considered dead and replaced.
    /// Reconnects back off from 200 ms to 5 s; a failing endpoint fails over.
    async fn watch_loop(self: Arc<Self>, tx: mpsc::UnboundedSender<Update>) {
        let mut backoff = Duration::from_millis(200);
        let mut sessions = 0u64;
        let stall = Duration::from_secs(self.cfg.stall_secs.max(1));
        loop {
            let (endpoint, ws) = self.chain.websocket();
            let ps = match PubsubClient::new(&ws).await {
                Ok(ps) => ps,
                Err(e) => {
                    self.chain.websocket_failed(endpoint, &e.to_string());
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            let mut streams = Vec::new();
            let mut ok = true;
            for info in self.markets.values() {
                let config = RpcProgramAccountsConfig {
                    filters: Some(vec![
                        RpcFilterType::DataSize((8 + depin_core::limits::JOB_SIZE) as u64),
                        RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
                            8,
                            info.keys.market.to_bytes().to_vec(),
                        )),
                    ]),
                    account_config: RpcAccountInfoConfig {
                        encoding: Some(UiAccountEncoding::Base64),
                        commitment: Some(commitment_of(&self.cfg.commitment)),
                        ..Default::default()
                    },
                    ..Default::default()
                };
                match ps
                    .program_subscribe(&depin_client::JOBS_PROGRAM_ID, Some(config))
                    .await
                {
                    Ok((s, _unsub)) => streams.push(s),
                    Err(e) => {
                        self.chain.websocket_failed(endpoint, &e.to_string());
                        ok = false;
                        break;
                    }
                }
            }
            let slots = if ok {
                ps.slot_subscribe().await.ok()
            } else {
                None
            };
            let Some((mut slots, _unsub)) = slots else {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            };
            if sessions > 0 {
                self.metrics
                    .inc("depin_worker_websocket_reconnects_total", "");
            }
            sessions += 1;
            tracing::info!(endpoint, %ws, "subscribed");
            // Catch up on whatever happened while disconnected.
            self.reconcile_once(&tx).await;
            backoff = Duration::from_millis(200);
            let mut jobs = select_all(streams);
            loop {
                tokio::select! {
                    n = jobs.next() => {
                        let Some(n) = n else { break };
                        let Ok(address) = Pubkey::from_str(&n.value.pubkey) else { continue };
                        let Some(data) = n.value.account.data.decode() else { continue };
                        if let Ok(job) = depin_client::accounts::decode_zero_copy::<Job>(&address, &data) {
                            let _ = tx.send((address, job, n.context.slot));
                        }
                    }
                    s = tokio::time::timeout(stall, slots.next()) => {
                        match s {
                            Ok(Some(_)) => {}
                            Ok(None) | Err(_) => {
                                tracing::warn!(endpoint, "websocket stalled or closed; resubscribing");
                                break;
                            }
                        }
                    }
                }
            }
            drop(jobs);
            drop(slots);
            self.chain.websocket_failed(endpoint, "stalled or closed");
        }
    }
}
