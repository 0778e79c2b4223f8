//! Keys and money: `depin keygen`, `address`, `balance` and, on a local chain, `airdrop`.

use std::{path::PathBuf, time::Duration};

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context, Result};
use depin_client::{history::HISTORY_LIMIT, ops::token_account, pda};
use serde_json::json;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};

use crate::ctx::{amount, parse_amount, read_keypair, Ctx};

/// `depin keygen`: a new keypair file in the `solana` CLI's format.
#[derive(clap::Args)]
pub struct Keygen {
    /// Where to write it (default: the keypair path, `-k` or ~/.config/solana/id.json).
    #[arg(short = 'o', long)]
    outfile: Option<PathBuf>,
    /// Overwrite an existing file (whatever its key holds becomes unreachable).
    #[arg(long)]
    force: bool,
}

impl Keygen {
    /// Write the key; refuse to overwrite one without `--force`.
    pub fn execute(self, ctx: &Ctx) -> Result<()> {
        let path = self.outfile.unwrap_or_else(|| ctx.keypair.clone());
        if path.exists() && !self.force {
            bail!(
                "{} already exists: pass --force to overwrite it (whatever its key holds would be lost)",
                path.display()
            );
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let key = Keypair::new();
        write_keypair_file(&key, &path)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("restricting {}", path.display()))?;
        }
        ctx.print(
            json!({"address": key.pubkey().to_string(), "keypair": path.display().to_string()}),
            || println!("wrote {} (address {})", path.display(), key.pubkey()),
        );
        Ok(())
    }
}

/// `depin address`: the signer's address.
pub fn address(ctx: &Ctx) -> Result<()> {
    let me = ctx.me()?;
    ctx.print(json!({"address": me.to_string()}), || println!("{me}"));
    Ok(())
}

/// `depin balance`.
#[derive(clap::Args)]
pub struct Balance {
    /// Whose (default: your key).
    address: Option<Pubkey>,
    /// Market whose tokens and pool to show (default: the deployment's).
    #[arg(long)]
    market: Option<Pubkey>,
}

/// One token's balance.
async fn token(ctx: &Ctx, owner: &Pubkey, mint: &Pubkey) -> Result<(u64, u8)> {
    let decimals = ctx
        .rpc
        .mint_decimals(mint)
        .await
        .map_err(|e| ctx.explain(e))?;
    let base = ctx
        .rpc
        .token_balance(&token_account(owner, mint))
        .await
        .map_err(|e| ctx.explain(e))?;
    Ok((base, decimals))
}

fn tokens_json(base: u64, decimals: u8) -> serde_json::Value {
    json!({"amount": amount(base, decimals), "base_units": base})
}

impl Balance {
    /// SOL; with a market: both tokens, and stake and earnings when the address is a provider.
    pub async fn execute(self, ctx: &Ctx) -> Result<()> {
        let owner = match self.address {
            Some(a) => a,
            None => ctx.me()?,
        };
        let lamports = ctx
            .rpc
            .rpc()
            .get_balance(&owner)
            .await
            .map_err(|e| ctx.explain(depin_client::ClientError::Rpc(e.to_string())))?;
        let mut v = json!({
            "address": owner.to_string(),
            "sol": {"amount": amount(lamports, 9), "lamports": lamports},
        });
        let market = self.market.or(ctx.deployment.as_ref().map(|d| d.market));
        if let Some(market) = market {
            let m = ctx.rpc.market(&market).await.map_err(|e| ctx.explain(e))?;
            let pool = ctx
                .rpc
                .pool(&m.staking_pool)
                .await
                .map_err(|e| ctx.explain(e))?;
            let (pay, pay_dec) = token(ctx, &owner, &m.payment_mint).await?;
            let (stake, stake_dec) = token(ctx, &owner, &pool.stake_mint).await?;
            v["market"] = json!(market.to_string());
            v["payment_tokens"] = tokens_json(pay, pay_dec);
            v["stake_tokens"] = tokens_json(stake, stake_dec);
            let provider = ctx
                .rpc
                .provider(&m.staking_pool, &owner)
                .await
                .map_err(|e| ctx.explain(e))?;
            if let Some(p) = provider {
                let address = pda::provider(&m.staking_pool, &owner).0;
                let free = p.ledger().free().unwrap_or(0);
                let earned = ctx
                    .rpc
                    .provider_earnings(&address, HISTORY_LIMIT)
                    .await
                    .map_err(|e| ctx.explain(e))?;
                v["provider"] = json!({
                    "account": address.to_string(),
                    "staked": tokens_json(p.staked, stake_dec),
                    "locked": tokens_json(p.locked, stake_dec),
                    "unbonding": tokens_json(p.unbonding, stake_dec),
                    "free": tokens_json(free, stake_dec),
                    "earned": tokens_json(earned.paid, pay_dec),
                    "slashed": tokens_json(earned.slashed, stake_dec),
                    "slots_settled": earned.slots,
                    "transactions_read": earned.transactions,
                });
            }
        }
        ctx.print(v.clone(), || print_balance(&v));
        Ok(())
    }
}

fn print_balance(v: &serde_json::Value) {
    let s = |x: &serde_json::Value| x["amount"].as_str().unwrap_or("?").to_string();
    println!("address         {}", v["address"].as_str().unwrap_or(""));
    println!("SOL             {}", s(&v["sol"]));
    if v.get("market").is_some() {
        println!("payment tokens  {}", s(&v["payment_tokens"]));
        println!("stake tokens    {}", s(&v["stake_tokens"]));
    } else {
        println!(
            "(no market: pass --market or `depin config set --deployment FILE` for token balances)"
        );
    }
    if let Some(p) = v.get("provider") {
        println!(
            "staked          {} (locked {}, unbonding {}, free {})",
            s(&p["staked"]),
            s(&p["locked"]),
            s(&p["unbonding"]),
            s(&p["free"])
        );
        println!(
            "earned          {} payment tokens over {} settled slots (slashed {})",
            s(&p["earned"]),
            p["slots_settled"],
            s(&p["slashed"])
        );
    }
}

/// `depin airdrop`: SOL from the cluster's faucet, and on a chain started by `depin localnet`
/// stake and payment tokens minted by its admin key.
#[derive(clap::Args)]
pub struct Airdrop {
    /// Recipient (default: your key).
    to: Option<Pubkey>,
    /// SOL.
    #[arg(long, default_value = "10")]
    sol: String,
    /// Stake tokens (whole or fractional tokens; 0 for none).
    #[arg(long, default_value = "1000")]
    stake: String,
    /// Payment tokens (whole or fractional tokens; 0 for none).
    #[arg(long, default_value = "1000")]
    payment: String,
}

impl Airdrop {
    /// Request the SOL, then mint the tokens.
    pub async fn execute(self, ctx: &Ctx) -> Result<()> {
        let to = match self.to {
            Some(a) => a,
            None => ctx.me()?,
        };
        let lamports = parse_amount(&self.sol, 9)?;
        let admin_mints = match &ctx.deployment {
            Some(d) => d
                .admin_keypair
                .clone()
                .map(|k| (k, d.stake_mint, d.payment_mint)),
            None => None,
        };
        let wants_tokens = self.stake.trim_start_matches(['0', '.']) != ""
            || self.payment.trim_start_matches(['0', '.']) != "";
        if wants_tokens && admin_mints.is_none() {
            bail!(
                "tokens can only be airdropped on a chain started by `depin localnet` (its deployment \
                 file names the key that mints them): pass --deployment FILE or \
                 `depin config set --deployment FILE`, or --stake 0 --payment 0 for SOL only"
            );
        }
        if lamports > 0 {
            let sig = ctx
                .rpc
                .rpc()
                .request_airdrop(&to, lamports)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("the faucet of {} refused the airdrop: {e}", ctx.url)
                })?;
            wait_confirmed(ctx, &sig).await?;
        }
        let mut minted = json!({});
        if let Some((admin, stake_mint, payment_mint)) = admin_mints {
            let admin = read_keypair(&admin)?;
            for (name, mint, text) in [
                ("stake_tokens", stake_mint, &self.stake),
                ("payment_tokens", payment_mint, &self.payment),
            ] {
                let decimals = ctx
                    .rpc
                    .mint_decimals(&mint)
                    .await
                    .map_err(|e| ctx.explain(e))?;
                let base = parse_amount(text, decimals)?;
                if base > 0 {
                    depin_migrations::mint_to(&ctx.rpc, &admin, &mint, &to, base).await?;
                }
                minted[name] = json!({"amount": amount(base, decimals), "base_units": base});
            }
        }
        ctx.print(
            json!({"to": to.to_string(), "sol": amount(lamports, 9), "tokens": minted}),
            || {
                println!("airdropped {} SOL to {to}", amount(lamports, 9));
                if let Some(m) = minted.as_object().filter(|m| !m.is_empty()) {
                    for (k, val) in m {
                        println!(
                            "  {:<15} {}",
                            k.replace('_', " "),
                            val["amount"].as_str().unwrap_or("")
                        );
                    }
                }
            },
        );
        Ok(())
    }
}

/// Wait until `sig` is confirmed (30 s at most).
async fn wait_confirmed(ctx: &Ctx, sig: &solana_sdk::signature::Signature) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = ctx
            .rpc
            .rpc()
            .get_signature_statuses(&[*sig])
            .await
            .map_err(|e| ctx.explain(depin_client::ClientError::Rpc(e.to_string())))?;
        if let Some(Some(s)) = status.value.first() {
            if let Some(err) = &s.err {
                bail!("the airdrop {sig} failed: {err}");
            }
            if s.satisfies_commitment(solana_commitment_config::CommitmentConfig::confirmed()) {
                return Ok(());
            }
        }
        if std::time::Instant::now() >= deadline {
            bail!("the airdrop {sig} was not confirmed within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
