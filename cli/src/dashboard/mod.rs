//! `depin dashboard`: a live web page of markets, jobs (with their timelines, also after the
//! job accounts are closed) and providers (stake, earnings, reputation counters), served by
//! this binary. One task refreshes a [`page::Snapshot`] every second from the chain (an
//! incremental read of the jobs program's transactions, the markets and the pools' provider
//! accounts); the HTTP server only renders the latest snapshot, so page views cost the RPC
//! node nothing.

pub mod index;
pub mod page;
mod server;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anchor_lang::prelude::Pubkey;
use anyhow::Result;
use depin_client::{pda, rpc::DepinRpc, ClientError};
use tokio::sync::RwLock;

use crate::ctx::{iso, Ctx};
use index::Index;
use page::{MarketView, ProviderView, Snapshot};

/// Jobs shown on the page.
const JOBS_SHOWN: usize = 50;
/// Jobs kept in memory.
const JOBS_KEPT: usize = 2_000;

/// `depin dashboard`.
#[derive(clap::Args)]
pub struct DashboardCmd {
    /// Address to serve on (keep it on loopback unless you mean to publish it).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Markets to show (repeatable; default: the deployment's).
    #[arg(long = "market")]
    markets: Vec<Pubkey>,
    /// Milliseconds between refreshes from the chain.
    #[arg(long, default_value_t = 1_000)]
    refresh_ms: u64,
    /// Transactions of the jobs program read back at start.
    #[arg(long, default_value_t = 1_000)]
    backfill: usize,
}

/// What the server shares with the refresher.
pub struct Shared {
    /// The latest snapshot.
    pub snapshot: RwLock<Snapshot>,
    /// Unix ms of the last successful refresh (0: none yet).
    pub last_ok_ms: std::sync::atomic::AtomicU64,
    /// The page title.
    pub title: String,
}

impl DashboardCmd {
    /// Serve until Ctrl-C.
    pub async fn execute(self, ctx: &Ctx) -> Result<()> {
        let markets = if self.markets.is_empty() {
            vec![ctx.market(None)?]
        } else {
            self.markets.clone()
        };
        // Checked before serving: a wrong address is an error now, not a blank page.
        for m in &markets {
            ctx.rpc.market(m).await.map_err(|e| ctx.explain(e))?;
        }
        let shared = Arc::new(Shared {
            snapshot: RwLock::new(Snapshot::default()),
            last_ok_ms: std::sync::atomic::AtomicU64::new(0),
            title: page::title_for(&markets),
        });
        let (addr, server) = server::serve(self.listen, shared.clone()).await?;
        println!("dashboard on http://{addr} (Ctrl-C stops it)");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let period = Duration::from_millis(self.refresh_ms.max(100));
        let refresher = refresh_forever(&ctx.rpc, markets, shared.clone(), period, self.backfill);
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            () = refresher => {}
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
        server.abort();
        Ok(())
    }
}

async fn refresh_forever(
    rpc: &DepinRpc,
    markets: Vec<Pubkey>,
    shared: Arc<Shared>,
    period: Duration,
    backfill: usize,
) {
    let mut index = Index::new(markets.iter().copied(), JOBS_KEPT);
    let mut decimals = None;
    let mut refreshes = 0u64;
    loop {
        let started = tokio::time::Instant::now();
        refreshes += 1;
        match refresh(rpc, &markets, &mut index, &mut decimals, backfill).await {
            Ok(mut s) => {
                s.refreshes = refreshes;
                *shared.snapshot.write().await = s;
                shared
                    .last_ok_ms
                    .store(unix_ms(), std::sync::atomic::Ordering::Relaxed);
            }
            Err(e) => {
                // The endpoint's URL may carry an API key: never shown on the page.
                let why = e.to_string().replace(&rpc.rpc().url(), "<rpc endpoint>");
                let mut s = shared.snapshot.write().await;
                s.refreshes = refreshes;
                s.error = Some(why);
            }
        }
        tokio::time::sleep_until(started + period).await;
    }
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One refresh: new transactions into the index, then markets and providers read afresh.
async fn refresh(
    rpc: &DepinRpc,
    markets: &[Pubkey],
    index: &mut Index,
    decimals: &mut Option<(u8, u8)>,
    backfill: usize,
) -> Result<Snapshot, ClientError> {
    index.poll(rpc, backfill).await?;
    let mut views = Vec::new();
    let mut pools = Vec::new();
    for m in markets {
        let market = rpc.market(m).await?;
        let c = &market.config;
        views.push(MarketView {
            address: m.to_string(),
            fee_bps: c.fee_bps,
            min_bond: c.min_bond,
            windows: (
                c.claim_window_secs,
                c.execution_window_secs,
                c.reveal_window_secs,
            ),
            paused: market.paused,
            jobs: index.counts(m),
        });
        if decimals.is_none() {
            let pool = rpc.pool(&market.staking_pool).await?;
            *decimals = Some((
                rpc.mint_decimals(&market.payment_mint).await?,
                rpc.mint_decimals(&pool.stake_mint).await?,
            ));
        }
        if !pools.contains(&market.staking_pool) {
            pools.push(market.staking_pool);
        }
    }
    let mut providers = Vec::new();
    for pool in &pools {
        let accounts = rpc.providers_of(pool).await?;
        let addresses: Vec<Pubkey> = accounts.iter().map(|(a, _)| *a).collect();
        let policies = rpc.policies_of(&addresses).await?;
        for ((address, p), policy) in accounts.into_iter().zip(policies) {
            debug_assert_eq!(address, pda::provider(pool, &p.authority).0);
            providers.push(ProviderView {
                authority: p.authority.to_string(),
                staked: p.staked,
                locked: p.locked,
                unbonding: p.unbonding,
                jobs_completed: p.jobs_completed,
                jobs_slashed: p.jobs_slashed,
                total_slashed: p.total_slashed,
                earned: index.earned.get(&address).map_or(0, |e| e.paid),
                endpoint: p.uri.clone(),
                floor: policy.map(|p| p.min_reward_per_gfuel),
            });
        }
    }
    providers.sort_by(|a, b| b.staked.cmp(&a.staked).then(a.authority.cmp(&b.authority)));
    Ok(Snapshot {
        markets: views,
        jobs: index
            .recent(JOBS_SHOWN)
            .iter()
            .map(page::job_view)
            .collect(),
        providers,
        slot: rpc.slot().await?,
        chain_time: iso(rpc.chain_time().await?),
        refreshes: 0,
        transactions: index.transactions,
        error: None,
        decimals: decimals.unwrap_or((0, 0)),
    })
}
