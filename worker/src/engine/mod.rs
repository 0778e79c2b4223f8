//! The worker: watch → decide → claim → fetch + verify → execute → publish → commit → reveal
//! → settle → release → close, one driver task per job, every step decided from the chain's
//! current view of the job plus this worker's journal.
//!
//! Because each step is chosen from the job account as it is *now* (not from what the worker
//! believes it did last), a restarted worker, a transaction that landed although its
//! confirmation was lost, or a step another party already took ("already settled", "slot
//! already released") all resolve the same way: re-read, carry on.

mod capacity;
mod outcome;
pub use outcome::Outcome;
mod decide;
mod drive;
mod execute;
mod keys;
mod send;
mod settle;
mod watching;

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
    manifest::{hex, Manifest, MAX_MANIFEST_BYTES},
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
    rpc_filter::RpcFilterType,
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

/// A job update: address, decoded account, the slot of the view, and whether it came from
/// the subscription (whose slot is the slot the account was written in) rather than a
/// reconcile (whose slot is a label read before the query, possibly from another endpoint).
type Update = (Pubkey, Job, u64, bool);

/// A job as the subscription delivered it to its driver, with the slot it was written in
/// (0 for a reconcile's view: a driver then reads the job itself).
type View = (Job, u64);

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

/// A provider account and its pool as one read saw them ([`Worker::stake`]).
#[derive(Clone)]
struct StakeView {
    /// The chain slot (the shared clock's) the read was made in.
    slot: u64,
    /// This worker's [`Chain::landed_slot`] then: a transaction landed since (a claim locks a
    /// bond) makes the view stale.
    landed: u64,
    provider: Provider,
    pool: Pool,
}

/// What a driver step asks for next.
enum Next {
    /// Re-read the job at once.
    Again,
    /// Read the job from the chain (not a subscription's view) and step again at once: the
    /// step would act on a view.
    Confirm,
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
    drivers: Mutex<HashMap<Pubkey, watch::Sender<Option<View>>>>,
    /// Jobs in which this worker holds a slot, or has reserved one for a claim it is sending:
    /// what `policy.max_concurrent` caps. Drivers waiting for the seed, their turn or the open
    /// phase are not in it.
    held: Mutex<HashSet<Pubkey>>,
    /// Settled jobs whose driver is releasing or cranking: neither held nor waiting to claim,
    /// so they keep no new job out.
    settling: Mutex<HashSet<Pubkey>>,
    /// Jobs passed on before any claim was sent (not assigned, refused by the policy): not
    /// driven again unless this provider holds a slot; never journalled.
    passed: Mutex<RecentSet<Pubkey>>,
    /// Each pool's providers as the assignment lottery ranks them, read at most once per
    /// [`FIELD_TTL`] (one `getProgramAccounts`) and shared by every driver.
    fields: tokio::sync::Mutex<HashMap<Pubkey, (Instant, Arc<Vec<Contender>>)>>,
    /// Lottery seeds already read, by seed slot (a seed never changes).
    seeds: Mutex<BTreeMap<u64, hash::Hash32>>,
    /// The SlotHashes sysvar's newest entries as last read ([`Worker::seed`]).
    slot_hashes: tokio::sync::Mutex<Option<Vec<u8>>>,
    /// This worker's provider account and its pool, by provider, as the last read saw them:
    /// shared by every driver planning a claim in the same slot ([`Worker::stake`]).
    stakes: tokio::sync::Mutex<HashMap<Pubkey, StakeView>>,
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
/// Steps in a row an untouched job's unchanged subscription view may be decided on before
/// the job is read again (each wait is at most [`MAX_WAIT`]).
const MAX_VIEW_REUSES: u32 = 4;
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
            crate::chain::EndpointOptions {
                commitment: commitment_of(&cfg.commitment),
                send,
                cooldown: Duration::from_secs(cfg.cooldown_secs),
                request_timeout: Duration::from_secs(cfg.rpc_timeout_secs.max(1)),
            },
            metrics.clone(),
            health.clone(),
        );
        let journal =
            Journal::open(&cfg.data_dir.join("journal.redb"))?.with_metrics(metrics.clone());
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
            settling: Mutex::new(HashSet::new()),
            passed: Mutex::new(RecentSet::new(PASSED_KEPT)),
            fields: tokio::sync::Mutex::new(HashMap::new()),
            seeds: Mutex::new(BTreeMap::new()),
            slot_hashes: tokio::sync::Mutex::new(None),
            stakes: tokio::sync::Mutex::new(HashMap::new()),
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
                    let Some((job, data, slot, live)) = update else {
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
                    self.on_update(job, data, slot, live);
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
}
