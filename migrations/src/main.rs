//! `depin-migrate`: deploy the programs (with `--deploy`) and set up (or check) a deployment.
//! Idempotent.
//!
//! ```text
//! depin-migrate -u http://127.0.0.1:8899 -k admin.json -o deployment.json
//! depin-migrate -u devnet -k admin.json --deploy --program-dir target/deploy \
//!     --stake-mint <MINT> --payment-mint <MINT>
//! ```

use std::{path::PathBuf, process::ExitCode, sync::Mutex};

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use clap::Parser;
use depin_client::rpc::{cluster_url, DepinRpc, SendOptions};
use depin_migrations::{
    deploy::{deploy_all, DeployOptions, DeployPhase, DeployProgress, ProgramFiles},
    migrate, Plan,
};
use indicatif::{ProgressBar, ProgressStyle};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::signature::Keypair;

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
    /// First deploy (or upgrade) both programs from --program-dir through the upgradeable
    /// loader, the admin paying and holding the upgrade authority. Unchanged programs are
    /// left alone.
    #[arg(long)]
    deploy: bool,
    /// Folder with depin_staking.so, depin_jobs.so and their <name>-keypair.json (--deploy).
    #[arg(long, default_value = "target/deploy")]
    program_dir: PathBuf,
    /// With --deploy: stop after the programs, without the set-up steps.
    #[arg(long, requires = "deploy")]
    deploy_only: bool,
    /// Buffer writes in flight at once (--deploy).
    #[arg(long, default_value_t = DeployOptions::default().concurrency)]
    write_concurrency: usize,
    /// Priority fee of every transaction, micro-lamports per compute unit (0: none).
    #[arg(long, default_value_t = 0)]
    priority_fee: u64,
}

/// Deploy both programs, one progress bar each; prints one line per program.
async fn deploy(rpc: &DepinRpc, admin: &Keypair, args: &Args) -> Result<()> {
    let style = ProgressStyle::with_template(
        "{prefix:<14} [{bar:30}] {bytes:>9}/{total_bytes:<9} {wide_msg}",
    )?
    .progress_chars("=> ");
    let bars: Mutex<Vec<(Pubkey, ProgressBar)>> = Mutex::new(Vec::new());
    let progress = |files: &ProgramFiles, p: &DeployProgress| {
        let mut bars = bars.lock().expect("progress bars");
        let bar = match bars.iter().find(|(id, _)| *id == p.program) {
            Some((_, bar)) => bar.clone(),
            None => {
                let bar = ProgressBar::new(p.total as u64)
                    .with_style(style.clone())
                    .with_prefix(files.name);
                bars.push((p.program, bar.clone()));
                bar
            }
        };
        bar.set_position(p.written as u64);
        bar.set_message(p.phase.to_string());
        if let DeployPhase::Done(_) = p.phase {
            bar.finish_and_clear();
        }
    };
    let options = DeployOptions {
        concurrency: args.write_concurrency,
        ..DeployOptions::default()
    };
    let result = deploy_all(rpc, admin, &args.program_dir, &options, &progress).await;
    for (_, bar) in bars.lock().expect("progress bars").iter() {
        bar.finish_and_clear();
    }
    for report in result? {
        let step = report.step();
        let detail = match report.buffer {
            Some(_) => format!(
                " ({} bytes, {} write transactions, {:.1} s)",
                report.elf_len,
                report.write_transactions,
                report.elapsed.as_secs_f64()
            ),
            None => String::new(),
        };
        println!(
            "{:<16} {:<8} {}{detail}",
            step.what, step.status, step.address
        );
    }
    Ok(())
}

async fn run(args: Args) -> Result<()> {
    let admin = solana_sdk::signature::read_keypair_file(&args.keypair)
        .map_err(|e| anyhow::anyhow!("reading keypair {}: {e}", args.keypair.display()))?;
    let rpc = DepinRpc::new(cluster_url(&args.url), CommitmentConfig::confirmed())
        .with_send_options(SendOptions {
            priority_fee_micro_lamports: args.priority_fee,
            ..SendOptions::default()
        });
    if args.deploy {
        deploy(&rpc, &admin, &args).await?;
        if args.deploy_only {
            return Ok(());
        }
    }
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
