//! `depin`: the depin-compute command line. Conventions of the `solana` CLI: `-u/--url` takes
//! `localhost`, `devnet`, `mainnet` or a URL; `-k/--keypair` a keypair file (default
//! `~/.config/solana/id.json`); `--output json` for machine-readable output.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use depin_cli::{
    crank::Only,
    ctx::{read_keypair, Ctx},
    demo, jobview,
    profile::{home, DeploymentFile, Profile},
};
use depin_client::{
    blob::{BlobFetcher, FileStore},
    history::HISTORY_LIMIT,
    manifest::{hex, DraftManifest},
    ops::JobTerms,
    pda,
    rpc::{cluster_url, websocket_url, DepinRpc, JobFilter, SendOptions},
    ClientError, Job,
};
use depin_jobs::state::job_status;
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_sdk::signature::Signer;

#[derive(Parser)]
#[command(
    name = "depin",
    version,
    about = "depin-compute: verifiable compute on Solana",
    after_help = "Examples:
  depin localnet &                                   # local chain on 8899/8900 with a market
  depin config set --deployment localnet.json        # market, mints and URL from it
  depin keygen && depin airdrop && depin balance
  depin job post examples/heat-diffusion/job.json --reward 2000000
  depin job wait JOB && depin job result JOB

Defaults come from flags, then DEPIN_* variables, then `depin config`, then the deployment file."
)]
struct Cli {
    /// RPC URL or moniker: localhost, devnet, mainnet (default: the config file's, the
    /// deployment's, or localhost).
    #[arg(short = 'u', long, global = true, env = "DEPIN_URL")]
    url: Option<String>,
    /// Websocket URL (default: the deployment's, or derived from the RPC URL).
    #[arg(long, global = true, env = "DEPIN_WS_URL")]
    ws_url: Option<String>,
    /// Keypair file (default: the config file's, or ~/.config/solana/id.json).
    #[arg(short = 'k', long, global = true, env = "DEPIN_KEYPAIR")]
    keypair: Option<PathBuf>,
    /// Deployment file (`depin localnet` / `depin-migrate -o` output): default market and
    /// mints.
    #[arg(long, global = true, env = "DEPIN_DEPLOYMENT")]
    deployment: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Output::Table, env = "DEPIN_OUTPUT")]
    output: Output,
    /// Priority fee, micro-lamports per compute unit.
    #[arg(long, global = true, default_value_t = 0)]
    priority_fee: u64,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Table,
    Json,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a whole market on this machine: local chain, workers, example jobs, final table.
    Demo {
        /// Providers (workers).
        #[arg(long, default_value_t = 4)]
        providers: usize,
        /// How many providers lie.
        #[arg(long, default_value_t = 1)]
        dishonest: usize,
        /// Jobs per example.
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        /// Replicas per job.
        #[arg(long, default_value_t = 3)]
        replicas: u8,
        /// Folder of the SBF programs.
        #[arg(long, default_value = "target/deploy")]
        programs: PathBuf,
        /// Folder of the examples.
        #[arg(long, default_value = "examples")]
        examples: PathBuf,
        /// Seconds before giving up.
        #[arg(long, default_value_t = 180)]
        timeout: u64,
    },
    /// Measure compute units (given), the sandbox and the local chain; write the report.
    Bench {
        /// Folder of the SBF programs.
        #[arg(long, default_value = "target/deploy")]
        programs: PathBuf,
        /// Folder of the example modules.
        #[arg(long, default_value = "target/wasm")]
        wasm: PathBuf,
        /// `scenario-report --json` output to include.
        #[arg(long)]
        cu_json: Option<PathBuf>,
        /// Markdown report.
        #[arg(long, default_value = "docs/benchmarks.md")]
        out: PathBuf,
        /// JSON report.
        #[arg(long, default_value = "docs/benchmarks.json")]
        json: PathBuf,
        /// Fewer repetitions.
        #[arg(long)]
        quick: bool,
        /// Only these in-process throughput rows, `WORKERSxREPLICAS` comma-separated (e.g.
        /// `8x3,16x1`): printed, nothing written (for profiling and quick re-measures).
        #[arg(long, value_delimiter = ',')]
        rows: Vec<String>,
        /// Only the sandbox rows (example kernels, WASM vs native): printed, nothing written.
        #[arg(long, conflicts_with = "rows")]
        kernels: bool,
    },
    /// Start the embedded local chain on 8899/8900 with the programs, run the migrations,
    /// save the deployment and its admin key (`localnet.json`, `localnet-admin.json`, or
    /// beside `--deployment`), and serve until Ctrl-C.
    Localnet(depin_cli::localnet::LocalnetCmd),
    /// Write a new keypair file (solana CLI format).
    Keygen(depin_cli::wallet::Keygen),
    /// Print your address.
    Address,
    /// SOL, stake and payment tokens (with a market or deployment), stake and earnings.
    Balance(depin_cli::wallet::Balance),
    /// SOL from the faucet; on a `depin localnet` chain also stake and payment tokens.
    Airdrop(depin_cli::wallet::Airdrop),
    /// Defaults for the URL, keypair and deployment (`get`, `set`).
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Serve a live web page of the market: jobs with their timelines, providers with stake,
    /// earnings and reputation (default http://127.0.0.1:8080).
    Dashboard(depin_cli::dashboard::DashboardCmd),
    /// Print a shell completion script (`depin completions bash > /etc/bash_completion.d/depin`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Jobs: post, status, wait, result, cancel, list.
    #[command(subcommand)]
    Job(JobCmd),
    /// Providers: register, stake, unstake, withdraw, show.
    #[command(subcommand)]
    Provider(ProviderCmd),
    /// Markets: create, update, show, pause, resume.
    #[command(subcommand)]
    Market(MarketCmd),
    /// Staking pools: create, update, show.
    #[command(subcommand)]
    Pool(PoolCmd),
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Show the configuration file and the values in effect.
    Get,
    /// Save the global flags given with it (`--url`, `--ws-url`, `--keypair`, `--deployment`).
    Set,
}

#[derive(Subcommand)]
enum JobCmd {
    /// Post a job from a draft manifest (module and input by local path).
    Post {
        /// Draft manifest (JSON), e.g. examples/heat-diffusion/job.json.
        draft: PathBuf,
        /// Market address (default: the deployment's).
        #[arg(long)]
        market: Option<Pubkey>,
        /// Reward per replica (payment-token base units).
        #[arg(long)]
        reward: u64,
        /// Replicas (odd: the verdict is a strict majority of them, set by the protocol).
        #[arg(long, default_value_t = 3)]
        replicas: u8,
        /// Bond per provider, stake-token base units (default: the market's minimum).
        #[arg(long)]
        bond: Option<u64>,
        /// Folder the module, input and manifest are stored in (served as file:// URIs).
        #[arg(long, default_value = "depin-blobs")]
        store: PathBuf,
        /// Serve the store under this base URL instead of file:// URIs.
        #[arg(long)]
        store_url: Option<String>,
        /// Refuse to post if the market's fee is above this (basis points).
        #[arg(long)]
        max_fee_bps: Option<u16>,
        /// A private job: the input is sealed, each claimant gets the key from you once it
        /// holds a slot, and the output is sealed to your wallet (docs/privacy.md). The
        /// command stays to deliver the keys as claims come (see --no-keys).
        #[arg(long)]
        private: bool,
        /// With --private: seal the module too.
        #[arg(long, requires = "private")]
        seal_module: bool,
        /// With --private: post and return; deliver the keys with `depin job keys`.
        #[arg(long, requires = "private")]
        no_keys: bool,
    },
    /// Deliver the keys of a private job you posted to its claimants, until none can want one.
    Keys { job: Pubkey },
    /// Show a job: its state, what it waits for, and (after its account is closed) what its
    /// transaction history records.
    Status { job: Pubkey },
    /// The job's timeline from its transactions (also after its account is closed).
    History { job: Pubkey },
    /// Wait until a job settles.
    Wait {
        job: Pubkey,
        /// Seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// Fetch a settled job's output and verify it against the agreed hash.
    Result {
        job: Pubkey,
        /// Write the output here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Most output bytes to download.
        #[arg(long, default_value_t = 64 << 20)]
        max_bytes: u64,
    },
    /// The job's logs (its module's stderr, at most 64 KiB) as the replicas agreed on them:
    /// read from a winner's result blob and checked against the agreed hash.
    Logs {
        job: Pubkey,
        /// While the job runs, stream each worker's stderr as it is written (unverified; only
        /// the requester's key may read it), then print the agreed logs.
        #[arg(long)]
        follow: bool,
        /// Most output bytes to download with them.
        #[arg(long, default_value_t = 64 << 20)]
        max_bytes: u64,
    },
    /// Cancel a job nobody has claimed.
    Cancel { job: Pubkey },
    /// Move a job on by every permissionless step due now, round after round (reclaim late
    /// slots, settle or expire, release every slot, close and refund): a job never has to
    /// wait for its workers.
    Crank { job: Pubkey },
    /// Tally a job once no reveal can still come.
    Settle { job: Pubkey },
    /// Pay, release or slash the slots of a settled job as its verdict says.
    Release { job: Pubkey },
    /// Free the slots whose holders let their deadline pass (the no-show rate).
    Reclaim { job: Pubkey },
    /// End a job whose claim window closed short of its quorum (full refund, bonds back).
    Expire { job: Pubkey },
    /// Close a settled job whose slots are all released: fees to the market, the rest back to
    /// the requester.
    Close { job: Pubkey },
    /// List jobs of a market, of a requester (default: you), or held by a provider.
    List {
        #[arg(long)]
        market: Option<Pubkey>,
        /// Only open jobs (with --market).
        #[arg(long)]
        open: bool,
        #[arg(long)]
        requester: Option<Pubkey>,
        /// Also list this many of the requester's closed jobs, newest first, from its
        /// transaction history (0: none).
        #[arg(long, default_value_t = 20)]
        closed: usize,
    },
}

#[derive(Subcommand)]
enum ProviderCmd {
    /// Register in the pool of a stake mint (and optionally stake). Run it with the cold
    /// authority key (`-k`): it controls the stake; the worker runs with the operator key.
    Register {
        /// Stake mint of the pool (default: the deployment's).
        #[arg(long)]
        stake_mint: Option<Pubkey>,
        /// Keypair file of the key your worker signs job transactions with; it co-signs the
        /// registration (default: the authority itself; a separate key keeps the stake safe
        /// if the worker's machine is compromised).
        #[arg(long)]
        operator: Option<PathBuf>,
        /// Public endpoint of your worker.
        #[arg(long, default_value = "")]
        endpoint: String,
        /// Stake to add now, in stake-token base units (the local mints have 6 decimals:
        /// 50000000 is 50 tokens).
        #[arg(long, default_value_t = 0)]
        stake: u64,
    },
    /// Stake more.
    Stake {
        /// Stake mint of the pool (default: the deployment's).
        #[arg(long)]
        stake_mint: Option<Pubkey>,
        /// Stake-token base units.
        amount: u64,
    },
    /// Start unbonding free stake.
    Unstake {
        /// Stake mint of the pool (default: the deployment's).
        #[arg(long)]
        stake_mint: Option<Pubkey>,
        /// Stake-token base units.
        amount: u64,
    },
    /// Withdraw unbonded stake.
    Withdraw {
        /// Stake mint of the pool (default: the deployment's).
        #[arg(long)]
        stake_mint: Option<Pubkey>,
    },
    /// Change the operator key your worker signs with (authority only; the new operator's
    /// keypair file co-signs).
    SetOperator {
        /// Stake mint of the pool (default: the deployment's).
        #[arg(long)]
        stake_mint: Option<Pubkey>,
        operator: PathBuf,
    },
    /// Show a provider (default: you).
    Show {
        /// Stake mint of the pool (default: the deployment's).
        #[arg(long)]
        stake_mint: Option<Pubkey>,
        /// The provider's authority (default: your key).
        owner: Option<Pubkey>,
    },
}

#[derive(Subcommand)]
enum MarketCmd {
    /// Create a market (you become its admin).
    Create {
        /// Payment mint.
        #[arg(long)]
        payment_mint: Pubkey,
        /// Stake mint (its pool must be slashed by the jobs program).
        #[arg(long)]
        stake_mint: Pubkey,
        #[command(flatten)]
        config: MarketSettings,
    },
    /// Move accrued fees out of the market's fee vault (admin).
    WithdrawFees {
        /// Market (default: the deployment's).
        market: Option<Pubkey>,
        /// Destination token account (default: your token account of the payment mint).
        #[arg(long)]
        to: Option<Pubkey>,
        /// Amount in base units (default: everything).
        #[arg(long)]
        amount: Option<u64>,
    },
    /// Change the given settings of a market (admin); every setting not given keeps its value
    /// (that of the announced change, when one is pending).
    Update {
        /// Market (default: the deployment's).
        market: Option<Pubkey>,
        #[command(flatten)]
        changes: MarketChanges,
    },
    /// Show a market.
    Show {
        /// Market (default: the deployment's).
        market: Option<Pubkey>,
    },
    /// Pause a market (admin).
    Pause {
        /// Market (default: the deployment's).
        market: Option<Pubkey>,
    },
    /// Resume a market (admin).
    Resume {
        /// Market (default: the deployment's).
        market: Option<Pubkey>,
    },
    /// Admit a provider to an allow-listed market's jobs (admin).
    Accredit {
        /// The provider's wallet (its provider account in the market's pool is derived).
        provider: Pubkey,
        /// Market (default: the deployment's).
        #[arg(long)]
        market: Option<Pubkey>,
    },
    /// End a provider's admission to an allow-listed market (admin); slots it holds run on.
    Revoke {
        /// The provider's wallet.
        provider: Pubkey,
        /// Market (default: the deployment's).
        #[arg(long)]
        market: Option<Pubkey>,
    },
}

/// Market settings (defaults: the local-network plan's).
#[derive(clap::Args)]
struct MarketSettings {
    #[arg(long, default_value_t = 1)]
    market_id: u64,
    #[arg(long, default_value_t = 250)]
    fee_bps: u16,
    #[arg(long, default_value_t = 1_000_000)]
    min_bond: u64,
    #[arg(long, default_value_t = 30)]
    claim_window_secs: u32,
    #[arg(long, default_value_t = 60)]
    execution_window_secs: u32,
    #[arg(long, default_value_t = 30)]
    reveal_window_secs: u32,
    #[arg(long, default_value_t = 7)]
    max_replicas: u8,
    #[arg(long, default_value_t = 5_000)]
    slash_wrong_bps: u16,
    #[arg(long, default_value_t = 2_000)]
    slash_noshow_bps: u16,
    #[arg(long, default_value_t = 100)]
    abandon_penalty_bps: u16,
    /// Only providers the admin accredits (`market accredit`) may claim its jobs.
    #[arg(long)]
    allow_list: bool,
}

/// Settings to change (`market update`): only those given.
#[derive(clap::Args, Debug, Default)]
struct MarketChanges {
    #[arg(long)]
    fee_bps: Option<u16>,
    #[arg(long)]
    min_bond: Option<u64>,
    #[arg(long)]
    claim_window_secs: Option<u32>,
    #[arg(long)]
    execution_window_secs: Option<u32>,
    #[arg(long)]
    reveal_window_secs: Option<u32>,
    #[arg(long)]
    max_replicas: Option<u8>,
    #[arg(long)]
    slash_wrong_bps: Option<u16>,
    #[arg(long)]
    slash_noshow_bps: Option<u16>,
    #[arg(long)]
    abandon_penalty_bps: Option<u16>,
    /// Restrict claims to accredited providers (true) or open them to every staked provider
    /// (false); binds jobs posted from now on.
    #[arg(long)]
    allow_list: Option<bool>,
}

impl MarketChanges {
    /// `base` with the given settings changed; `None` when nothing is given.
    fn apply(
        &self,
        base: &depin_jobs::instructions::MarketConfig,
    ) -> Option<depin_jobs::instructions::MarketConfig> {
        let mut c = base.clone();
        let mut changed = false;
        macro_rules! set {
            ($($f:ident),*) => {$(
                if let Some(v) = self.$f {
                    c.$f = v;
                    changed = true;
                }
            )*};
        }
        set!(
            fee_bps,
            min_bond,
            claim_window_secs,
            execution_window_secs,
            reveal_window_secs,
            max_replicas,
            slash_wrong_bps,
            slash_noshow_bps,
            abandon_penalty_bps,
            allow_list
        );
        changed.then_some(c)
    }
}

impl MarketSettings {
    fn config(&self) -> depin_jobs::instructions::MarketConfig {
        depin_jobs::instructions::MarketConfig {
            market_id: self.market_id,
            fee_bps: self.fee_bps,
            min_bond: self.min_bond,
            claim_window_secs: self.claim_window_secs,
            execution_window_secs: self.execution_window_secs,
            reveal_window_secs: self.reveal_window_secs,
            max_replicas: self.max_replicas,
            slash_wrong_bps: self.slash_wrong_bps,
            slash_noshow_bps: self.slash_noshow_bps,
            abandon_penalty_bps: self.abandon_penalty_bps,
            allow_list: self.allow_list,
        }
    }
}

#[derive(Subcommand)]
enum PoolCmd {
    /// Create the staking pool of a stake mint, slashed by the jobs program (you become its
    /// admin).
    Create {
        /// Stake mint of the new pool.
        #[arg(long)]
        stake_mint: Pubkey,
        /// Treasury receiving slashed stake (default: your token account of the stake mint).
        #[arg(long)]
        treasury: Option<Pubkey>,
        /// Unbonding delay, seconds.
        #[arg(long, default_value_t = 604_800)]
        unbonding_secs: i64,
    },
    /// Change a pool's unbonding delay (admin).
    Update {
        /// Stake mint of the pool (default: the deployment's).
        #[arg(long)]
        stake_mint: Option<Pubkey>,
        #[arg(long)]
        unbonding_secs: i64,
    },
    /// Show the pool of a stake mint.
    Show {
        /// Stake mint of the pool (default: the deployment's).
        #[arg(long)]
        stake_mint: Option<Pubkey>,
    },
}

/// The job's account with its derived state, or, once the account is closed, its history.
async fn show_job(ctx: &Ctx, job: &Pubkey, j: Option<Job>) -> Result<()> {
    let j = match j {
        Some(j) => j,
        None => match ctx.rpc.job(job).await {
            Ok(j) => j,
            Err(ClientError::AccountNotFound(_)) => return show_history(ctx, job).await,
            Err(e) => return Err(ctx.explain(e)),
        },
    };
    let now = jobview::Now {
        time: ctx.rpc.chain_time().await.map_err(|e| ctx.explain(e))?,
        slot: ctx.rpc.slot().await.map_err(|e| ctx.explain(e))?,
    };
    let m = ctx
        .rpc
        .market(&j.market)
        .await
        .map_err(|e| ctx.explain(e))?;
    let pool = ctx
        .rpc
        .pool(&m.staking_pool)
        .await
        .map_err(|e| ctx.explain(e))?;
    let decimals = (
        ctx.rpc
            .mint_decimals(&m.payment_mint)
            .await
            .map_err(|e| ctx.explain(e))?,
        ctx.rpc
            .mint_decimals(&pool.stake_mint)
            .await
            .map_err(|e| ctx.explain(e))?,
    );
    let supply = if j.status == job_status::OPEN && j.claimed < j.replicas {
        let providers = ctx
            .rpc
            .providers_of(&m.staking_pool)
            .await
            .map_err(|e| ctx.explain(e))?;
        let addresses: Vec<Pubkey> = providers.iter().map(|(a, _)| *a).collect();
        let policies = ctx
            .rpc
            .policies_of(&addresses)
            .await
            .map_err(|e| ctx.explain(e))?;
        let providers: Vec<_> = providers
            .into_iter()
            .map(|(_, p)| p)
            .zip(policies)
            .collect();
        // The manifest, to apply the providers' published policies to its limits.
        let ask = ctx
            .rpc
            .manifest_of(&j)
            .await
            .ok()
            .map(|m| depin_client::policy::Ask::of(&j, &m));
        Some(jobview::Supply::of(
            &providers,
            j.bond,
            m.config.min_bond,
            ask.as_ref(),
        ))
    } else {
        None
    };
    let (state, hints) = jobview::explain(job, &j, &now, supply.as_ref());
    let mut v = jobview::job_json(job, &j);
    v["state"] = json!(state);
    v["hints"] = json!(hints);
    v["decimals"] = json!({"payment": decimals.0, "stake": decimals.1});
    ctx.print(v.clone(), || jobview::print_job(&v));
    Ok(())
}

/// A job's timeline from its transactions; an error when the node has no record of it.
async fn show_history(ctx: &Ctx, job: &Pubkey) -> Result<()> {
    let h = ctx
        .rpc
        .job_history(job, HISTORY_LIMIT)
        .await
        .map_err(|e| ctx.explain(e))?;
    if h.posted().is_none() {
        bail!(
            "no job {job} on {}: neither its account nor a transaction that posted it (a node that keeps no transaction history cannot show closed jobs)",
            ctx.url
        );
    }
    let v = jobview::history_json(job, &h);
    ctx.print(v.clone(), || jobview::print_history(&v));
    Ok(())
}

/// Which global settings were typed on the command line (not taken from a variable):
/// `config set` saves only those.
#[derive(Clone, Copy, Default)]
struct Typed {
    url: bool,
    ws_url: bool,
    keypair: bool,
    deployment: bool,
}

impl Typed {
    fn of(m: &clap::ArgMatches) -> Typed {
        let typed = |id: &str| m.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
        Typed {
            url: typed("url"),
            ws_url: typed("ws_url"),
            keypair: typed("keypair"),
            deployment: typed("deployment"),
        }
    }
}

async fn run(cli: Cli, typed: Typed) -> Result<()> {
    let profile_path = Profile::path();
    let profile = Profile::load(&profile_path)?;
    // `localnet` writes the deployment file (only where told by flag or variable: never over
    // the one the config file names); every other command reads it.
    let deployment = match (&cli.cmd, &cli.deployment, &profile.deployment) {
        (Cmd::Localnet(_), ..) => None,
        (_, Some(p), _) => Some(DeploymentFile::load(p)?),
        (_, None, Some(p)) => match DeploymentFile::load(p) {
            Ok(d) => Some(d),
            Err(e) => {
                // A saved deployment that went away must not block `keygen` or `config set`.
                eprintln!("warning: {e:#} (named in {}; `depin config set --deployment FILE` replaces it)", profile_path.display());
                None
            }
        },
        (_, None, None) => None,
    };
    // The websocket URL is taken from the same place as the RPC URL or a stronger one
    // (flag/variable > config file > deployment file), never from a weaker one: a saved local
    // websocket must not pair with `-u devnet`.
    let d_rpc = deployment.as_ref().and_then(|d| d.rpc_url.clone());
    let d_ws = deployment.as_ref().and_then(|d| d.ws_url.clone());
    let (url, url_rank) = match (&cli.url, &profile.url, &d_rpc) {
        (Some(u), ..) => (cluster_url(u), 3),
        (None, Some(u), _) => (cluster_url(u), 2),
        (None, None, Some(u)) => (u.clone(), 1),
        (None, None, None) => (cluster_url("localhost"), 0),
    };
    let ws = match (&cli.ws_url, &profile.ws_url, &d_ws) {
        (Some(w), ..) => Some(w.clone()),
        (None, Some(w), _) if url_rank <= 2 => Some(w.clone()),
        (None, _, Some(w)) if url_rank <= 1 => Some(w.clone()),
        _ => None,
    }
    .unwrap_or_else(|| websocket_url(&url));
    let rpc = DepinRpc::new(url.clone(), CommitmentConfig::confirmed())
        .with_websocket(ws.clone())
        .with_send_options(SendOptions {
            priority_fee_micro_lamports: cli.priority_fee,
            ..SendOptions::default()
        });
    let ctx = Ctx {
        url,
        rpc,
        keypair: cli
            .keypair
            .clone()
            .or(profile.keypair.clone())
            .unwrap_or_else(|| home().join(".config/solana/id.json")),
        json: cli.output == Output::Json,
        deployment,
    };
    if let Cmd::Config(cmd) = &cli.cmd {
        return config(&ctx, &cli, typed, cmd, &profile_path, profile, &ws);
    }
    match cli.cmd {
        Cmd::Demo {
            providers,
            dishonest,
            jobs,
            replicas,
            programs,
            examples,
            timeout,
        } => {
            let opts = demo::DemoOptions {
                providers,
                dishonest,
                jobs_per_example: jobs,
                replicas,
                programs,
                examples,
                timeout: Duration::from_secs(timeout),
                progress: !ctx.json,
            };
            let report = tokio::select! {
                r = demo::run(opts) => r?,
                _ = tokio::signal::ctrl_c() => bail!("interrupted: the local chain and workers were stopped"),
            };
            if ctx.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                demo::print_report(&report);
            }
        }
        Cmd::Bench {
            programs,
            wasm,
            cu_json,
            out,
            json,
            quick,
            rows,
            kernels,
        } => {
            let rows = rows
                .iter()
                .map(|r| depin_cli::bench::parse_row(r))
                .collect::<Result<Vec<_>>>()?;
            let opts = depin_cli::bench::BenchOptions {
                programs,
                wasm,
                cu_json,
                quick,
            };
            if kernels {
                let (rows, start_ms) = depin_cli::bench::kernels(&opts)?;
                for row in rows {
                    println!("{}", serde_json::to_string(&row)?);
                }
                println!("{}", json!({ "start_overhead_ms": start_ms }));
                return Ok(());
            }
            if !rows.is_empty() {
                for row in depin_cli::bench::throughput_rows(&opts, &rows).await? {
                    println!("{}", serde_json::to_string(&row)?);
                }
                return Ok(());
            }
            let report = depin_cli::bench::run(opts).await?;
            depin_cli::bench::write(&report, &out, &json)?;
            print!("{}", depin_cli::bench::markdown(&report));
        }
        Cmd::Localnet(cmd) => cmd.execute(&ctx, cli.deployment.as_deref()).await?,
        Cmd::Keygen(cmd) => cmd.execute(&ctx)?,
        Cmd::Address => depin_cli::wallet::address(&ctx)?,
        Cmd::Dashboard(cmd) => cmd.execute(&ctx).await?,
        Cmd::Balance(cmd) => cmd.execute(&ctx).await?,
        Cmd::Airdrop(cmd) => cmd.execute(&ctx).await?,
        Cmd::Config(_) => unreachable!("handled above"),
        Cmd::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "depin", &mut std::io::stdout());
        }
        Cmd::Job(cmd) => job(&ctx, cmd).await?,
        Cmd::Provider(cmd) => provider(&ctx, cmd).await?,
        Cmd::Market(cmd) => market(&ctx, cmd).await?,
        Cmd::Pool(PoolCmd::Create {
            stake_mint,
            treasury,
            unbonding_secs,
        }) => {
            let admin = ctx.signer()?;
            let treasury = ctx.treasury_or_own(&admin, treasury, &stake_mint).await?;
            let args = depin_staking::instructions::InitializePoolArgs {
                unbonding_seconds: unbonding_secs,
                slasher: pda::slasher().0,
            };
            // The signer is both the pool's admin and the staking config's authority.
            let ix = depin_client::ix::staking::initialize_pool(
                &admin.pubkey(),
                &admin.pubkey(),
                &stake_mint,
                &treasury,
                args,
            );
            ctx.rpc
                .send(&admin, &[ix], &[])
                .await
                .map_err(|e| ctx.explain(e))?;
            let pool = pda::pool(&stake_mint).0;
            ctx.print(
                json!({"pool": pool.to_string(), "treasury": treasury.to_string()}),
                || println!("created pool {pool}"),
            );
        }
        Cmd::Pool(PoolCmd::Update {
            stake_mint,
            unbonding_secs,
        }) => {
            let stake_mint = ctx.stake_mint(stake_mint)?;
            let admin = ctx.signer()?;
            let pool = pda::pool(&stake_mint).0;
            let args = depin_staking::instructions::UpdatePoolArgs {
                unbonding_seconds: Some(unbonding_secs),
                paused: None,
            };
            let ix =
                depin_client::ix::staking::update_pool(&admin.pubkey(), &pool, None, None, args);
            ctx.rpc
                .send(&admin, &[ix], &[])
                .await
                .map_err(|e| ctx.explain(e))?;
            ctx.print(
                json!({"pool": pool.to_string(), "unbonding_seconds": unbonding_secs}),
                || println!("updated pool {pool}"),
            );
        }
        Cmd::Pool(PoolCmd::Show { stake_mint }) => {
            let stake_mint = ctx.stake_mint(stake_mint)?;
            let pool = pda::pool(&stake_mint).0;
            let p = ctx.rpc.pool(&pool).await.map_err(|e| ctx.explain(e))?;
            let v = json!({
                "pool": pool.to_string(), "stake_mint": p.stake_mint.to_string(), "admin": p.admin.to_string(),
                "slasher": p.slasher.to_string(), "treasury": p.treasury.to_string(),
                "total_staked": p.total_staked, "pending_slashed": p.pending_slashed,
                "unbonding_seconds": p.unbonding_seconds,
            });
            ctx.print(v.clone(), || {
                for (k, val) in v.as_object().into_iter().flatten() {
                    println!("{k:<18} {}", val.to_string().trim_matches('"'));
                }
            });
        }
    }
    Ok(())
}

/// `depin config get|set`.
fn config(
    ctx: &Ctx,
    cli: &Cli,
    typed: Typed,
    cmd: &ConfigCmd,
    path: &Path,
    mut profile: Profile,
    ws: &str,
) -> Result<()> {
    if let ConfigCmd::Set = cmd {
        // Only what was typed with `config set`: values from DEPIN_* variables are this
        // shell's, not settings to keep.
        let url = typed.url.then(|| cli.url.clone()).flatten();
        let ws_url = typed.ws_url.then(|| cli.ws_url.clone()).flatten();
        let keypair = typed.keypair.then(|| cli.keypair.clone()).flatten();
        let deployment = typed.deployment.then(|| cli.deployment.clone()).flatten();
        if url.is_none() && ws_url.is_none() && keypair.is_none() && deployment.is_none() {
            bail!("nothing to set: give --url, --ws-url, --keypair or --deployment with `depin config set`");
        }
        if let Some(d) = &deployment {
            // Checked now, so a typo does not break every later command.
            DeploymentFile::load(d)?;
            profile.deployment = Some(std::path::absolute(d).unwrap_or_else(|_| d.clone()));
        }
        if let Some(u) = url {
            profile.url = Some(u);
        }
        if let Some(u) = ws_url {
            profile.ws_url = Some(u);
        }
        if let Some(k) = keypair {
            profile.keypair = Some(std::path::absolute(&k).unwrap_or(k));
        }
        profile.save(path)?;
    }
    let d = ctx.deployment.as_ref();
    let v = json!({
        "config_file": path.display().to_string(),
        "saved": profile,
        "in_effect": {
            "url": ctx.url, "ws_url": ws, "keypair": ctx.keypair.display().to_string(),
            "deployment": d.map(|d| d.path.display().to_string()),
            "market": d.map(|d| d.market.to_string()),
            "stake_mint": d.map(|d| d.stake_mint.to_string()),
            "payment_mint": d.map(|d| d.payment_mint.to_string()),
        },
    });
    ctx.print(v.clone(), || {
        println!("config file  {}", path.display());
        for (k, val) in v["in_effect"].as_object().into_iter().flatten() {
            println!("{k:<12} {}", val.as_str().unwrap_or("-"));
        }
    });
    Ok(())
}

async fn job(ctx: &Ctx, cmd: JobCmd) -> Result<()> {
    match cmd {
        JobCmd::Post {
            draft,
            market,
            reward,
            replicas,
            bond,
            store,
            store_url,
            max_fee_bps,
            private,
            seal_module,
            no_keys,
        } => {
            let market = ctx.market(market)?;
            let requester = ctx.signer()?;
            let draft = DraftManifest::load(&draft)?;
            let terms = JobTerms {
                reward_per_replica: reward,
                replicas,
                bond,
                nonce: None,
                max_fee_bps,
            };
            // Everything the chain would refuse is checked before a blob is written or uploaded.
            ctx.rpc
                .check_post(&requester.pubkey(), &market, &terms)
                .await
                .map_err(|e| ctx.explain(e))?;
            let mut store = FileStore::new(&store)?;
            if let Some(base) = store_url {
                store = store.served_at(base);
            }
            if private {
                let post = depin_cli::private::PrivatePost {
                    market,
                    draft: &draft,
                    store: &store,
                    terms,
                    seal_module,
                    deliver: !no_keys,
                };
                return depin_cli::private::post(ctx, post).await;
            }
            let bar = indicatif::ProgressBar::new_spinner();
            if ctx.json {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_message("uploading module and input");
            let manifest = draft.upload(&store).await.map_err(|e| ctx.explain(e))?;
            bar.set_message("posting the job");
            let posted = ctx
                .rpc
                .post_manifest(&requester, &market, &manifest, &store, terms)
                .await
                .map_err(|e| ctx.explain(e))?;
            bar.finish_and_clear();
            let v = json!({
                "job": posted.job.to_string(), "escrow": posted.escrow.to_string(),
                "nonce": posted.nonce,
                "manifest_uri": posted.manifest.uri, "spec_hash": hex(&posted.manifest.sha256),
                "signature": posted.signature.to_string(),
            });
            ctx.print(v, || {
                println!("posted job {}", posted.job);
                println!(
                    "manifest  {} (sha256 {})",
                    posted.manifest.uri,
                    hex(&posted.manifest.sha256)
                );
                println!("tx        {}", posted.signature);
            });
        }
        JobCmd::Status { job } => show_job(ctx, &job, None).await?,
        JobCmd::Keys { job } => {
            let delivered = depin_cli::private::deliver(ctx, &job).await?;
            if ctx.json {
                ctx.print(
                    json!({"job": job.to_string(), "keys_delivered": delivered}),
                    || {},
                );
            }
        }
        JobCmd::History { job } => show_history(ctx, &job).await?,
        JobCmd::Wait { job, timeout } => {
            let bar = indicatif::ProgressBar::new_spinner();
            if ctx.json {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_message(format!("waiting for {job} to settle"));
            let settled = ctx
                .rpc
                .wait_job(&job, Duration::from_secs(timeout))
                .await
                .map_err(|e| ctx.explain(e))?;
            bar.finish_and_clear();
            match settled {
                Some(j) => show_job(ctx, &job, Some(j)).await?,
                // Settled and closed before we looked: the history has the verdict.
                None => show_history(ctx, &job).await?,
            }
        }
        JobCmd::Result {
            job,
            out,
            max_bytes,
        } => {
            // A private job's result is sealed to its requester: opened with this wallet.
            let me = ctx.signer().ok();
            let r = ctx
                .rpc
                .fetch_result_as(
                    &job,
                    me.as_ref(),
                    &BlobFetcher::for_results(&ctx.url, Duration::from_secs(30)),
                    max_bytes,
                )
                .await
                .map_err(|e| ctx.explain(e))?;
            if let Some(path) = &out {
                std::fs::write(path, &r.output)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            let v = json!({
                "job": job.to_string(), "exit_code": r.exit_code, "result_hash": hex(&r.result_hash),
                "uri": r.uri, "output_bytes": r.output.len(), "sealed": r.sealed,
                "output": if out.is_none() { Some(String::from_utf8_lossy(&r.output).into_owned()) } else { None },
                "logs": String::from_utf8_lossy(&r.logs),
            });
            ctx.print(v, || {
                eprintln!(
                    "verified: {} bytes of output and {} of logs from {} match the agreed hash {} (exit: {})",
                    r.output.len(),
                    r.logs.len(),
                    r.uri,
                    hex(&r.result_hash),
                    depin_core::exec::describe_exit(r.exit_code)
                );
                if out.is_none() {
                    use std::io::Write;
                    let _ = std::io::stdout().write_all(&r.output);
                }
            });
        }
        JobCmd::Logs {
            job,
            follow,
            max_bytes,
        } => {
            if follow {
                depin_cli::follow::follow(ctx, &job).await?;
            }
            let me = ctx.signer().ok();
            let r = ctx
                .rpc
                .fetch_result_as(
                    &job,
                    me.as_ref(),
                    &BlobFetcher::for_results(&ctx.url, Duration::from_secs(30)),
                    max_bytes,
                )
                .await
                .map_err(|e| ctx.explain(e))?;
            let v = json!({
                "job": job.to_string(), "result_hash": hex(&r.result_hash), "uri": r.uri,
                "logs": String::from_utf8_lossy(&r.logs), "logs_bytes": r.logs.len(),
                "verified": true,
            });
            ctx.print(v, || {
                eprintln!(
                    "verified: the {} bytes of logs below are covered by the agreed hash {} (from {})",
                    r.logs.len(),
                    hex(&r.result_hash),
                    r.uri
                );
                use std::io::Write;
                let _ = std::io::stdout().write_all(&r.logs);
            });
        }
        JobCmd::Crank { job } => depin_cli::crank::run(ctx, job, Only::All).await?,
        JobCmd::Settle { job } => depin_cli::crank::run(ctx, job, Only::Verb("settle")).await?,
        JobCmd::Release { job } => depin_cli::crank::run(ctx, job, Only::Verb("release")).await?,
        JobCmd::Reclaim { job } => depin_cli::crank::run(ctx, job, Only::Verb("reclaim")).await?,
        JobCmd::Expire { job } => depin_cli::crank::run(ctx, job, Only::Verb("expire")).await?,
        JobCmd::Close { job } => depin_cli::crank::run(ctx, job, Only::Verb("close")).await?,
        JobCmd::Cancel { job } => {
            let requester = ctx.signer()?;
            let sig = ctx
                .rpc
                .cancel_job(&requester, &job)
                .await
                .map_err(|e| ctx.explain(e))?;
            ctx.print(
                json!({"job": job.to_string(), "signature": sig.to_string()}),
                || println!("cancelled {job}; escrow refunded ({sig})"),
            );
        }
        JobCmd::List {
            market,
            open,
            requester,
            closed,
        } => {
            let (filter, requester) = match (market, requester) {
                (Some(m), _) => (
                    JobFilter::Market {
                        market: m,
                        open_only: open,
                    },
                    None,
                ),
                (None, Some(r)) => (JobFilter::Requester(r), Some(r)),
                (None, None) => {
                    let me = ctx.me()?;
                    (JobFilter::Requester(me), Some(me))
                }
            };
            let jobs = ctx.rpc.jobs(filter).await.map_err(|e| ctx.explain(e))?;
            let mut rows: Vec<serde_json::Value> =
                jobs.iter().map(|(a, j)| jobview::job_json(a, j)).collect();
            // A requester's closed jobs live on in its transaction history.
            if let Some(r) = requester.filter(|_| closed > 0 && !open) {
                let posted = ctx
                    .rpc
                    .jobs_posted_by(&r, HISTORY_LIMIT)
                    .await
                    .map_err(|e| ctx.explain(e))?;
                let live: std::collections::HashSet<_> = jobs.iter().map(|(a, _)| *a).collect();
                for (job, _) in posted
                    .into_iter()
                    .filter(|(j, _)| !live.contains(j))
                    .take(closed)
                {
                    let h = ctx
                        .rpc
                        .job_history(&job, HISTORY_LIMIT)
                        .await
                        .map_err(|e| ctx.explain(e))?;
                    let mut v = jobview::history_json(&job, &h);
                    v["status"] = json!("closed");
                    if let Some(depin_client::history::JobEventKind::Posted {
                        replicas,
                        reward_per_replica,
                        ..
                    }) = h.posted().map(|e| &e.kind)
                    {
                        v["replicas"] = json!(replicas);
                        v["reward_per_replica"] = json!(reward_per_replica);
                    }
                    v["outcome"] = json!(v["outcome"].as_str().unwrap_or("cancelled"));
                    v.as_object_mut().map(|o| o.remove("events"));
                    rows.push(v);
                }
            }
            ctx.print(json!(rows), || {
                println!(
                    "{:<44} {:<8} {:<9} {:>4} {:>12}",
                    "job", "status", "outcome", "rep", "reward"
                );
                for v in &rows {
                    println!(
                        "{:<44} {:<8} {:<9} {:>4} {:>12}",
                        v["job"].as_str().unwrap_or(""),
                        v["status"].as_str().unwrap_or(""),
                        v["outcome"].as_str().unwrap_or(""),
                        v["replicas"].as_u64().map_or("-".into(), |n| n.to_string()),
                        v["reward_per_replica"]
                            .as_u64()
                            .map_or("-".into(), |n| n.to_string())
                    );
                }
                println!("{} job(s)", rows.len());
            });
        }
    }
    Ok(())
}

async fn provider(ctx: &Ctx, cmd: ProviderCmd) -> Result<()> {
    match cmd {
        ProviderCmd::Register {
            stake_mint,
            operator,
            endpoint,
            stake,
        } => {
            let stake_mint = ctx.stake_mint(stake_mint)?;
            let owner = ctx.signer()?;
            let operator = match operator {
                Some(path) => read_keypair(&path)?,
                None => owner.insecure_clone(),
            };
            ctx.rpc
                .register_and_stake(&owner, &operator, &stake_mint, &endpoint, stake)
                .await
                .map_err(|e| ctx.explain(e))?;
            ctx.print(
                json!({"authority": owner.pubkey().to_string(), "operator": operator.pubkey().to_string(), "staked_now": stake}),
                || {
                    println!(
                        "registered {} in pool {} (operator {}, staked {stake})",
                        owner.pubkey(),
                        pda::pool(&stake_mint).0,
                        operator.pubkey()
                    )
                },
            );
        }
        ProviderCmd::SetOperator {
            stake_mint,
            operator,
        } => {
            let stake_mint = ctx.stake_mint(stake_mint)?;
            let owner = ctx.signer()?;
            let operator_key = read_keypair(&operator)?;
            let operator = operator_key.pubkey();
            let pool = pda::pool(&stake_mint).0;
            let ix = depin_client::ix::staking::set_operator(&owner.pubkey(), &pool, &operator);
            ctx.rpc
                .send(&owner, &[ix], &[&operator_key])
                .await
                .map_err(|e| ctx.explain(e))?;
            ctx.print(json!({"operator": operator.to_string()}), || {
                println!("operator set to {operator}")
            });
        }
        ProviderCmd::Stake { stake_mint, amount } => {
            let stake_mint = ctx.stake_mint(stake_mint)?;
            let owner = ctx.signer()?;
            let pool = pda::pool(&stake_mint).0;
            if ctx
                .rpc
                .provider(&pool, &owner.pubkey())
                .await
                .map_err(|e| ctx.explain(e))?
                .is_none()
            {
                bail!(
                    "{} is not registered in pool {pool}: run `depin provider register` first",
                    owner.pubkey()
                );
            }
            ctx.rpc
                .register_and_stake(&owner, &owner, &stake_mint, "", amount)
                .await
                .map_err(|e| ctx.explain(e))?;
            ctx.print(json!({"staked": amount}), || println!("staked {amount}"));
        }
        ProviderCmd::Unstake { stake_mint, amount } => {
            let stake_mint = ctx.stake_mint(stake_mint)?;
            let owner = ctx.signer()?;
            let sig = ctx
                .rpc
                .request_unstake(&owner, &stake_mint, amount)
                .await
                .map_err(|e| ctx.explain(e))?;
            ctx.print(
                json!({"unbonding": amount, "signature": sig.to_string()}),
                || println!("unbonding {amount}; withdraw after the pool's unbonding delay"),
            );
        }
        ProviderCmd::Withdraw { stake_mint } => {
            let stake_mint = ctx.stake_mint(stake_mint)?;
            let owner = ctx.signer()?;
            let sig = ctx
                .rpc
                .withdraw(&owner, &stake_mint)
                .await
                .map_err(|e| ctx.explain(e))?;
            ctx.print(json!({"signature": sig.to_string()}), || {
                println!("withdrawn ({sig})")
            });
        }
        ProviderCmd::Show { stake_mint, owner } => {
            let stake_mint = ctx.stake_mint(stake_mint)?;
            let owner = match owner {
                Some(o) => o,
                None => ctx.signer()?.pubkey(),
            };
            let pool = pda::pool(&stake_mint).0;
            let Some(p) = ctx
                .rpc
                .provider(&pool, &owner)
                .await
                .map_err(|e| ctx.explain(e))?
            else {
                bail!("{owner} is not registered in pool {pool}");
            };
            let free = p.ledger().free().unwrap_or(0);
            let policy = ctx
                .rpc
                .policies_of(&[pda::provider(&pool, &owner).0])
                .await
                .map_err(|e| ctx.explain(e))?
                .pop()
                .flatten();
            let v = json!({
                "authority": p.authority.to_string(), "operator": p.operator.to_string(),
                "provider": pda::provider(&pool, &owner).0.to_string(),
                "staked": p.staked, "locked": p.locked, "unbonding": p.unbonding, "free": free,
                "unbond_at": (p.unbond_at != 0).then(|| depin_cli::ctx::iso(p.unbond_at)), "jobs_completed": p.jobs_completed,
                "jobs_slashed": p.jobs_slashed, "total_slashed": p.total_slashed, "endpoint": p.uri,
                "policy": policy.map(|p| json!({
                    "min_reward_per_gfuel": p.min_reward_per_gfuel, "max_fuel": p.max_fuel,
                    "max_memory_bytes": p.max_memory_bytes, "max_output_bytes": p.max_output_bytes,
                    "max_wall_ms": p.max_wall_ms, "allow_file_uris": p.allow_file_uris != 0,
                    "published_at": depin_cli::ctx::iso(p.published_at),
                })),
            });
            ctx.print(v.clone(), || {
                for (k, val) in v.as_object().into_iter().flatten() {
                    println!("{k:<16} {}", val.to_string().trim_matches('"'));
                }
            });
        }
    }
    Ok(())
}

async fn market(ctx: &Ctx, cmd: MarketCmd) -> Result<()> {
    match cmd {
        MarketCmd::Show { market } => {
            let market = ctx.market(market)?;
            let m = ctx.rpc.market(&market).await.map_err(|e| ctx.explain(e))?;
            let c = &m.config;
            let v = json!({
                "market": market.to_string(), "admin": m.admin.to_string(),
                "payment_mint": m.payment_mint.to_string(), "staking_pool": m.staking_pool.to_string(),
                "fee_vault": m.fee_vault.to_string(), "paused": m.paused, "market_id": c.market_id,
                "fee_bps": c.fee_bps, "min_bond": c.min_bond, "claim_window_secs": c.claim_window_secs,
                "execution_window_secs": c.execution_window_secs, "reveal_window_secs": c.reveal_window_secs,
                "max_replicas": c.max_replicas, "slash_wrong_bps": c.slash_wrong_bps,
                "slash_noshow_bps": c.slash_noshow_bps, "abandon_penalty_bps": c.abandon_penalty_bps,
                "allow_list": c.allow_list, "pending_at": m.pending_at,
                "pending": (m.pending_at != 0).then(|| json!({
                    "fee_bps": m.pending_config.fee_bps,
                    "slash_wrong_bps": m.pending_config.slash_wrong_bps,
                    "slash_noshow_bps": m.pending_config.slash_noshow_bps,
                    "abandon_penalty_bps": m.pending_config.abandon_penalty_bps,
                    "min_bond": m.pending_config.min_bond,
                    "claim_window_secs": m.pending_config.claim_window_secs,
                    "execution_window_secs": m.pending_config.execution_window_secs,
                    "reveal_window_secs": m.pending_config.reveal_window_secs,
                    "max_replicas": m.pending_config.max_replicas,
                })),
            });
            ctx.print(v.clone(), || {
                for (k, val) in v.as_object().into_iter().flatten() {
                    println!("{k:<22} {}", val.to_string().trim_matches('"'));
                }
            });
        }
        MarketCmd::Create {
            payment_mint,
            stake_mint,
            config,
        } => {
            let admin = ctx.signer()?;
            let pool = pda::pool(&stake_mint).0;
            let config = config.config();
            let market = pda::market(&payment_mint, config.market_id).0;
            // The signer is both the market's admin and the jobs config's authority.
            let ix = depin_client::ix::jobs::initialize_market(
                &admin.pubkey(),
                &admin.pubkey(),
                &payment_mint,
                &pool,
                config,
            );
            ctx.rpc
                .send(&admin, &[ix], &[])
                .await
                .map_err(|e| ctx.explain(e))?;
            ctx.print(json!({"market": market.to_string()}), || {
                println!("created market {market}")
            });
        }
        MarketCmd::Update { market, changes } => {
            let market = ctx.market(market)?;
            let admin = ctx.signer()?;
            let before = ctx.rpc.market(&market).await.map_err(|e| ctx.explain(e))?;
            // Settings not given keep their value: the announced one while a change is
            // pending (an update replaces the pending change), else the current one.
            let base = if before.pending_at != 0 {
                &before.pending_config
            } else {
                &before.config
            };
            let Some(config) = changes.apply(base) else {
                bail!("nothing to change: give at least one setting (see `depin market update --help`)");
            };
            let args = depin_jobs::instructions::UpdateMarketArgs {
                config: Some(config),
                paused: None,
            };
            let ix = depin_client::ix::jobs::update_market(&admin.pubkey(), &market, None, args);
            ctx.rpc
                .send(&admin, &[ix], &[])
                .await
                .map_err(|e| ctx.explain(e))?;
            let m = ctx.rpc.market(&market).await.map_err(|e| ctx.explain(e))?;
            let pending = m.pending_at != 0;
            ctx.print(
                json!({"market": market.to_string(), "pending_at": m.pending_at}),
                || {
                    if pending {
                        println!(
                            "updated market {market}: the rate increase binds jobs posted from unix time {} on (notice)",
                            m.pending_at
                        )
                    } else {
                        println!("updated market {market}")
                    }
                },
            );
        }
        MarketCmd::WithdrawFees { market, to, amount } => {
            let market = ctx.market(market)?;
            let admin = ctx.signer()?;
            let m = ctx.rpc.market(&market).await.map_err(|e| ctx.explain(e))?;
            let to = ctx.treasury_or_own(&admin, to, &m.payment_mint).await?;
            let ix = depin_client::ix::jobs::withdraw_fees(&admin.pubkey(), &market, &to, amount);
            ctx.rpc
                .send(&admin, &[ix], &[])
                .await
                .map_err(|e| ctx.explain(e))?;
            let left = ctx
                .rpc
                .token_balance(&m.fee_vault)
                .await
                .map_err(|e| ctx.explain(e))?;
            ctx.print(
                json!({"market": market.to_string(), "to": to.to_string(), "fee_vault_left": left}),
                || println!("fees withdrawn to {to}; {left} left in the fee vault"),
            );
        }
        MarketCmd::Pause { market } => set_paused(ctx, ctx.market(market)?, true).await?,
        MarketCmd::Resume { market } => set_paused(ctx, ctx.market(market)?, false).await?,
        MarketCmd::Accredit { provider, market } => {
            depin_cli::private::accredit(ctx, ctx.market(market)?, provider, false).await?
        }
        MarketCmd::Revoke { provider, market } => {
            depin_cli::private::accredit(ctx, ctx.market(market)?, provider, true).await?
        }
    }
    Ok(())
}

async fn set_paused(ctx: &Ctx, market: Pubkey, pause: bool) -> Result<()> {
    {
        {
            ctx.rpc.market(&market).await.map_err(|e| ctx.explain(e))?;
            let admin = ctx.signer()?;
            let args = depin_jobs::instructions::UpdateMarketArgs {
                config: None,
                paused: Some(pause),
            };
            let ix = depin_client::ix::jobs::update_market(&admin.pubkey(), &market, None, args);
            ctx.rpc
                .send(&admin, &[ix], &[])
                .await
                .map_err(|e| ctx.explain(e))?;
            ctx.print(
                json!({"market": market.to_string(), "paused": pause}),
                || {
                    println!(
                        "market {market} {}",
                        if pause { "paused" } else { "resumed" }
                    )
                },
            );
        }
    }
    Ok(())
}

/// An error as JSON (`--output json`): the message, and for a program's refusal its name and
/// code.
fn error_json(e: &anyhow::Error) -> serde_json::Value {
    let mut v = json!({"error": {"message": format!("{e:#}")}});
    if let Some(ClientError::Program {
        program,
        code,
        name,
        message,
    }) = e.chain().find_map(|c| c.downcast_ref::<ClientError>())
    {
        v["error"]["program"] = json!(program);
        v["error"]["code"] = json!(code);
        v["error"]["name"] = json!(name);
        v["error"]["reason"] = json!(message);
    }
    v
}

fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let typed = Typed::of(&matches);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Worker and SDK logs (the demo runs workers in-process): DEPIN_LOG=info to see them.
    let filter = std::env::var("DEPIN_LOG").unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = cli.output == Output::Json;
    match rt.block_on(run(cli, typed)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&error_json(&e)).unwrap_or_default()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
