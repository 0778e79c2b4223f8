//! `depin-worker`: the provider daemon. See `depin-worker --help` and docs/worker.md.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::{Context, Result};
use clap::Parser;
use depin_worker::{config::Fault, Worker, WorkerConfig};

/// Flags override environment variables, which override the config file. Without a config
/// file, the `depin` CLI's `DEPIN_URL`, `DEPIN_WS_URL`, `DEPIN_KEYPAIR` and `DEPIN_MARKET` are
/// read when the worker's own are not set.
#[derive(Parser, Debug)]
#[command(
    name = "depin-worker",
    version,
    about = "depin-compute provider daemon"
)]
struct Args {
    /// TOML config file.
    #[arg(short, long, env = "DEPIN_WORKER_CONFIG")]
    config: Option<PathBuf>,
    /// Provider keypair file.
    #[arg(short = 'k', long, env = "DEPIN_WORKER_KEYPAIR")]
    keypair: Option<PathBuf>,
    /// RPC endpoint or moniker (localhost, devnet, mainnet); repeat for failover, in order
    /// of preference.
    #[arg(
        short = 'u',
        long = "url",
        env = "DEPIN_WORKER_RPC_URLS",
        value_delimiter = ','
    )]
    urls: Vec<String>,
    /// Websocket endpoint per RPC endpoint (default: derived from the RPC URL).
    #[arg(long = "ws-url", env = "DEPIN_WORKER_WS_URLS", value_delimiter = ',')]
    ws_urls: Vec<String>,
    /// Market to serve (repeatable).
    #[arg(
        short,
        long = "market",
        env = "DEPIN_WORKER_MARKETS",
        value_delimiter = ','
    )]
    markets: Vec<String>,
    /// Journal and blob folder.
    #[arg(long, env = "DEPIN_WORKER_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// HTTP listen address (blobs, /metrics, /health).
    #[arg(long, env = "DEPIN_WORKER_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    /// Public base URL of the HTTP server.
    #[arg(long, env = "DEPIN_WORKER_PUBLIC_URL")]
    public_url: Option<String>,
    /// Most jobs held at once.
    #[arg(long, env = "DEPIN_WORKER_MAX_CONCURRENT")]
    max_concurrent: Option<usize>,
    /// Least reward per 10^9 fuel.
    #[arg(long, env = "DEPIN_WORKER_MIN_REWARD_PER_GFUEL")]
    min_reward_per_gfuel: Option<u64>,
    /// Accept `file://` blobs (only where requesters share this machine's disk).
    #[arg(long, env = "DEPIN_WORKER_ALLOW_FILE_URIS")]
    allow_file_uris: bool,
    /// Let blob fetches reach a network, address or host name that is not public
    /// (repeatable; e.g. `10.0.0.0/8`, `127.0.0.1`, `mirror.lan`). By default only public
    /// addresses are fetched (plus the IPFS gateway).
    #[arg(
        long = "fetch-allow",
        env = "DEPIN_WORKER_FETCH_ALLOW",
        value_delimiter = ','
    )]
    fetch_allow: Vec<String>,
    /// Start although the journal is empty while this provider holds slots of open jobs (a
    /// lost journal): re-run them and recover the commitments' salts from the operator key.
    #[arg(long, env = "DEPIN_WORKER_RECOVER")]
    recover: bool,
    /// Priority fee, micro-lamports per compute unit.
    #[arg(long, env = "DEPIN_WORKER_PRIORITY_FEE")]
    priority_fee: Option<u64>,
    /// Deliberate misbehaviour for tests and demos (`wrong-result`).
    #[arg(long, env = "DEPIN_WORKER_FAULT", hide = true)]
    fault: Option<Fault>,
    /// Log filter (tracing's EnvFilter syntax), e.g. `info,depin_worker=debug`.
    #[arg(long, env = "DEPIN_WORKER_LOG", default_value = "info")]
    log: String,
}

/// The `depin` CLI's variable `name` (`DEPIN_URL`, ...), read when the worker's own flag and
/// variable are not given, so the `export` lines `depin localnet` prints serve both.
fn cli_env(name: &str) -> Vec<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default()
}

fn config(args: &Args) -> Result<WorkerConfig> {
    let mut cfg = match &args.config {
        Some(path) => WorkerConfig::from_file(path)?,
        None => WorkerConfig::default(),
    };
    let from_file = args.config.is_some();
    if let Some(k) = args.keypair.clone().or_else(|| {
        (!from_file)
            .then(|| cli_env("DEPIN_KEYPAIR").pop().map(PathBuf::from))
            .flatten()
    }) {
        cfg.keypair = k;
    }
    let pick = |own: &Vec<String>, cli: &str| {
        if own.is_empty() && !from_file {
            cli_env(cli)
        } else {
            own.clone()
        }
    };
    // Monikers as in the CLI: `-u localhost`, `devnet`, `mainnet`.
    let urls: Vec<String> = pick(&args.urls, "DEPIN_URL")
        .iter()
        .map(|u| depin_client::rpc::cluster_url(u))
        .collect();
    // The CLI's websocket variable pairs only with the CLI's URL variable, never with a URL
    // given to the worker itself (a local websocket must not follow `-u devnet`).
    let urls_from_cli_env = args.urls.is_empty() && !from_file && !urls.is_empty();
    let ws_urls = if args.ws_urls.is_empty() && !urls_from_cli_env {
        Vec::new()
    } else {
        pick(&args.ws_urls, "DEPIN_WS_URL")
    };
    if !urls.is_empty() {
        cfg.rpc_urls = urls;
        cfg.ws_urls = ws_urls;
    } else if !ws_urls.is_empty() {
        cfg.ws_urls = ws_urls;
    }
    let markets = pick(&args.markets, "DEPIN_MARKET");
    if !markets.is_empty() {
        cfg.markets = markets;
    }
    if let Some(d) = &args.data_dir {
        cfg.data_dir = d.clone();
    }
    if let Some(l) = args.listen {
        cfg.listen = l;
    }
    if let Some(u) = &args.public_url {
        cfg.public_url = Some(u.clone());
    }
    if let Some(n) = args.max_concurrent {
        cfg.policy.max_concurrent = n;
    }
    if let Some(p) = args.min_reward_per_gfuel {
        cfg.policy.min_reward_per_gfuel = p;
    }
    if args.allow_file_uris {
        cfg.policy.allow_file_uris = true;
    }
    cfg.fetch_allow.extend(args.fetch_allow.iter().cloned());
    if args.recover {
        cfg.recover = true;
    }
    if let Some(p) = args.priority_fee {
        cfg.priority_fee = p;
    }
    if let Some(f) = args.fault {
        cfg.fault = f;
    }
    cfg.finish()
}

async fn run(args: Args) -> Result<()> {
    let cfg = config(&args)?;
    let keypair = solana_sdk::signature::read_keypair_file(&cfg.keypair)
        .map_err(|e| anyhow::anyhow!("reading keypair {}: {e}", cfg.keypair.display()))?;
    let grace = Duration::from_secs(cfg.shutdown_grace_secs);
    let worker = Worker::new(cfg, keypair)
        .await
        .context("starting the worker")?;
    tracing::info!(provider = %worker.owner(), http = %worker.http_addr, "worker started");
    let mut runner = {
        let w = worker.clone();
        tokio::spawn(async move { w.run().await })
    };
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    // Supervised: a run loop that stops by itself (a fatal error) ends the process with a
    // non-zero status instead of leaving an idle daemon whose HTTP server still answers.
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        ended = &mut runner => {
            let why = match ended {
                Ok(Ok(())) => anyhow::anyhow!("the run loop ended unexpectedly"),
                Ok(Err(e)) => e,
                Err(e) => anyhow::anyhow!("the run loop panicked: {e}"),
            };
            return Err(why.context("the worker stopped"));
        }
    }
    tracing::info!("shutdown requested: no new claims; finishing in-flight jobs");
    worker.shutdown(grace).await;
    runner.await??;
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
