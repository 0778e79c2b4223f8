//! `depin localnet`: a local chain that stands alone. It serves on the ports the `solana`
//! tools expect (8899, websocket 8900), migrates a market, saves the deployment file and the
//! admin key beside it (the mint authority of both mints, so `depin airdrop` can mint test
//! tokens), funds the wallets asked for, and prints the `export` lines that point every other
//! command and the worker at it.

use std::path::{Path, PathBuf};

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use depin_localnet::LocalnetConfig;
use depin_migrations::{local::LocalMarket, Plan};
use serde_json::json;
use solana_sdk::signature::{write_keypair_file, Keypair};

use crate::{
    ctx::{amount, read_keypair, Ctx},
    profile::{admin_keypair_beside, LocalDeployment},
};

/// Tokens of each mint a `--fund` wallet gets (whole tokens).
const FUND_TOKENS: u64 = 1_000;

/// `depin localnet`.
#[derive(clap::Args)]
pub struct LocalnetCmd {
    /// Folder of the SBF programs.
    #[arg(long, default_value = "target/deploy")]
    programs: PathBuf,
    /// JSON-RPC port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8899)]
    rpc_port: u16,
    /// Websocket port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8900)]
    ws_port: u16,
    /// Wallets to fund with 100 SOL and 1 000 stake and payment tokens each.
    #[arg(long = "fund")]
    fund: Vec<Pubkey>,
}

impl LocalnetCmd {
    /// Start, write the files, print how to use it, serve until Ctrl-C or SIGTERM.
    pub async fn execute(self, ctx: &Ctx, deployment: Option<&Path>) -> Result<()> {
        let file = deployment
            .unwrap_or(Path::new("localnet.json"))
            .to_path_buf();
        let file = std::path::absolute(&file).unwrap_or(file);
        if file.exists()
            && std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| serde_json::from_str::<LocalDeployment>(&t).ok())
                .is_none()
        {
            anyhow::bail!(
                "{} exists and was not written by `depin localnet`: name another file with --deployment",
                file.display()
            );
        }
        let admin_file = admin_keypair_beside(&file);
        // The admin key is kept across restarts; a new chain gets new mints either way.
        let admin = if admin_file.exists() {
            read_keypair(&admin_file)?
        } else {
            Keypair::new()
        };
        let mut config = LocalnetConfig::with_programs_from(&self.programs);
        config.rpc_port = self.rpc_port;
        config.ws_port = self.ws_port;
        let local = LocalMarket::start_with(config, admin, &Plan::localnet(), &self.fund).await?;
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        if !admin_file.exists() {
            write_keypair_file(&local.admin, &admin_file)
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", admin_file.display()))?;
        }
        let saved = LocalDeployment {
            rpc_url: local.rpc_url().to_string(),
            ws_url: local.ws_url().to_string(),
            admin_keypair: admin_file
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| admin_file.clone()),
            deployment: local.deployment.clone(),
        };
        std::fs::write(&file, serde_json::to_string_pretty(&saved)? + "\n")
            .with_context(|| format!("writing {}", file.display()))?;
        let decimals = local.rpc.mint_decimals(&local.stake_mint).await?;
        let tokens = FUND_TOKENS * 10u64.pow(u32::from(decimals));
        for who in &self.fund {
            local.fund_provider(who, tokens).await?;
            local.fund_requester(who, tokens).await?;
        }
        let exports = format!(
            "export DEPIN_URL={} DEPIN_WS_URL={} DEPIN_DEPLOYMENT={} DEPIN_MARKET={}",
            local.rpc_url(),
            local.ws_url(),
            file.display(),
            local.market
        );
        ctx.print(
            json!({
                "rpc_url": local.rpc_url(), "ws_url": local.ws_url(),
                "deployment_file": file.display().to_string(),
                "admin_keypair": admin_file.display().to_string(),
                "deployment": local.deployment, "funded": self.fund.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
            }),
            || {
                println!(
                    "local chain up: {}  websocket {}",
                    local.rpc_url(),
                    local.ws_url()
                );
                for s in &local.steps {
                    println!("  {:<16} {:<8} {}", s.what, s.status, s.address);
                }
                println!("market {}", local.market);
                println!(
                    "wrote {} and the admin key {} (mint authority of both mints: `depin airdrop` mints with it)",
                    file.display(),
                    admin_file.display()
                );
                for who in &self.fund {
                    println!(
                        "funded {who}: 100 SOL, {} stake and {} payment tokens",
                        amount(tokens, decimals),
                        amount(tokens, decimals)
                    );
                }
                println!("point the CLI and workers at it (or once: depin config set --deployment {}):", file.display());
                println!("  {exports}");
                println!("Ctrl-C stops it.");
            },
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
        local.net.stop()?;
        Ok(())
    }
}
