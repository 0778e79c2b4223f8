//! `depin-migrate`: set up (or check) a deployment. Idempotent.
//!
//! ```text
//! depin-migrate -u http://127.0.0.1:8899 -k admin.json --create-mints -o deployment.json
//! depin-migrate -u devnet -k admin.json --stake-mint <MINT> --payment-mint <MINT>
//! ```

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, Result};
use clap::Parser;
use depin_client::rpc::{cluster_url, DepinRpc};
use depin_migrations::{migrate, Plan};
use solana_commitment_config::CommitmentConfig;

#[derive(Parser)]
#[command(
    name = "depin-migrate",
    version,
    about = "Idempotent set-up of a depin-compute deployment"
)]
struct Args {
    /// RPC URL or moniker (localhost, devnet, mainnet).
    #[arg(short = 'u', long, default_value = "localhost")]
    url: String,
    /// Admin keypair file.
    #[arg(short = 'k', long)]
    keypair: PathBuf,
    /// Existing stake mint (else one is created: local networks).
    #[arg(long)]
    stake_mint: Option<String>,
    /// Existing payment mint (else one is created).
    #[arg(long)]
    payment_mint: Option<String>,
    /// Write the deployment's addresses here (JSON).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

async fn run(args: Args) -> Result<()> {
    let admin = solana_sdk::signature::read_keypair_file(&args.keypair)
        .map_err(|e| anyhow::anyhow!("reading keypair {}: {e}", args.keypair.display()))?;
    let rpc = DepinRpc::new(cluster_url(&args.url), CommitmentConfig::confirmed());
    let mut plan = Plan::localnet();
    plan.stake_mint = args
        .stake_mint
        .as_deref()
        .map(str::parse)
        .transpose()
        .context("--stake-mint")?;
    plan.payment_mint = args
        .payment_mint
        .as_deref()
        .map(str::parse)
        .transpose()
        .context("--payment-mint")?;
    let (deployment, steps) = migrate(&rpc, &admin, &plan).await?;
    for s in &steps {
        println!("{:<16} {:<8} {}", s.what, s.status, s.address);
    }
    let json = serde_json::to_string_pretty(&deployment)?;
    match args.output {
        Some(path) => std::fs::write(&path, json + "\n")
            .with_context(|| format!("writing {}", path.display()))?,
        None => println!("{json}"),
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
