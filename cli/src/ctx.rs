//! What every command gets: the RPC client, the signer's keypair file, the deployment (if one
//! is named), the output format, and helpers that turn SDK errors into messages a person can
//! act on.

use std::{path::PathBuf, time::Duration};

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Result};
use depin_client::{rpc::DepinRpc, ClientError};
use solana_sdk::signature::{Keypair, Signer};

use crate::profile::{required, DeploymentFile};

/// The command's context.
pub struct Ctx {
    /// RPC URL (resolved from the moniker).
    pub url: String,
    /// The client.
    pub rpc: DepinRpc,
    /// The signer's keypair file.
    pub keypair: PathBuf,
    /// `--output json`.
    pub json: bool,
    /// The deployment named by `--deployment`, `$DEPIN_DEPLOYMENT` or the config file.
    pub deployment: Option<DeploymentFile>,
}

/// A keypair file, with a clear error.
pub fn read_keypair(path: &std::path::Path) -> Result<Keypair> {
    if !path.exists() {
        bail!(
            "keypair file {} not found: pass -k/--keypair or create one with `depin keygen`",
            path.display()
        );
    }
    solana_sdk::signature::read_keypair_file(path).map_err(|e| {
        anyhow::anyhow!(
            "keypair file {} is not a valid keypair: {e}",
            path.display()
        )
    })
}

impl Ctx {
    /// The signer's keypair.
    pub fn signer(&self) -> Result<Keypair> {
        read_keypair(&self.keypair)
    }

    /// The signer's address (reads the keypair file).
    pub fn me(&self) -> Result<Pubkey> {
        Ok(self.signer()?.pubkey())
    }

    /// `given`, else the deployment's market.
    pub fn market(&self, given: Option<Pubkey>) -> Result<Pubkey> {
        required(
            given.or(self.deployment.as_ref().map(|d| d.market)),
            "--market",
        )
    }

    /// `given`, else the deployment's stake mint.
    pub fn stake_mint(&self, given: Option<Pubkey>) -> Result<Pubkey> {
        required(
            given.or(self.deployment.as_ref().map(|d| d.stake_mint)),
            "--stake-mint",
        )
    }

    /// `treasury` if given, else `admin`'s own token account of `mint` (created if missing).
    pub async fn treasury_or_own(
        &self,
        admin: &Keypair,
        treasury: Option<Pubkey>,
        mint: &Pubkey,
    ) -> Result<Pubkey> {
        match treasury {
            Some(t) => Ok(t),
            None => self
                .rpc
                .ensure_token_account(admin, &admin.pubkey(), mint)
                .await
                .map_err(|e| self.explain(e)),
        }
    }

    /// Map RPC transport errors to a clear "cannot reach" message.
    pub fn explain(&self, e: ClientError) -> anyhow::Error {
        match e {
            ClientError::Rpc(why) => {
                let transport = [
                    "error sending request",
                    "Connection refused",
                    "connect",
                    "dns",
                ]
                .iter()
                .any(|t| why.contains(t));
                let broke = [
                    "prior credit",
                    "insufficient funds for fee",
                    "insufficient lamports",
                ]
                .iter()
                .any(|t| why.contains(t));
                if transport {
                    anyhow::anyhow!("cannot reach the RPC endpoint {}: {why}", self.url)
                } else if broke {
                    anyhow::anyhow!(
                        "the signer has no SOL for the fee or rent ({why}): fund it (on a local chain: `depin airdrop`)"
                    )
                } else {
                    anyhow::anyhow!("the RPC endpoint {} answered: {why}", self.url)
                }
            }
            ClientError::AccountNotFound(a) => {
                anyhow::anyhow!("account {a} does not exist on {}", self.url)
            }
            other => other.into(),
        }
    }

    /// Print `value` as JSON, or run `human`.
    pub fn print(&self, value: serde_json::Value, human: impl FnOnce()) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        } else {
            human();
        }
    }

    /// A spinner on stderr with `message` (hidden with `--output json`).
    pub fn progress(&self, message: impl Into<String>) -> indicatif::ProgressBar {
        let bar = indicatif::ProgressBar::new_spinner();
        if self.json || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message(message.into());
        bar
    }
}

/// `base` units of a token with `decimals` decimals, as a decimal number without trailing
/// zeros (`1500000`, 6 → `1.5`).
pub fn amount(base: u64, decimals: u8) -> String {
    let scale = 10u64.checked_pow(u32::from(decimals));
    let Some(scale) = scale.filter(|_| decimals > 0) else {
        return base.to_string();
    };
    let (whole, frac) = (base / scale, base % scale);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:0width$}", width = decimals as usize);
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// Whole or fractional tokens (`"2.5"`) in base units of a token with `decimals` decimals.
pub fn parse_amount(text: &str, decimals: u8) -> Result<u64> {
    let bad = || anyhow::anyhow!("`{text}` is not an amount (e.g. 1000 or 2.5)");
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > decimals as usize {
        if frac.len() > decimals as usize {
            bail!("`{text}` has more than {decimals} decimals");
        }
        return Err(bad());
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(frac) {
        return Err(bad());
    }
    let scale = 10u64.pow(u32::from(decimals));
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let frac: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<width$}", width = decimals as usize)
            .parse()
            .map_err(|_| bad())?
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(|| anyhow::anyhow!("`{text}` is too large"))
}

/// A unix time as an ISO 8601 date and time in UTC (`2026-12-02T13:05:00Z`).
pub fn iso(unix: i64) -> String {
    match u64::try_from(unix) {
        Ok(secs) => {
            humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(secs))
                .to_string()
        }
        Err(_) => unix.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_with_decimals() {
        assert_eq!(amount(1_500_000, 6), "1.5");
        assert_eq!(amount(2_000_000, 6), "2");
        assert_eq!(amount(1, 6), "0.000001");
        assert_eq!(amount(7, 0), "7");
        assert_eq!(amount(1_000_000_000, 9), "1");
    }

    #[test]
    fn amounts_parse_from_decimals() {
        assert_eq!(parse_amount("1000", 6).unwrap(), 1_000_000_000);
        assert_eq!(parse_amount("2.5", 6).unwrap(), 2_500_000);
        assert_eq!(parse_amount(".5", 6).unwrap(), 500_000);
        assert_eq!(parse_amount("0.000001", 6).unwrap(), 1);
        assert!(parse_amount("0.0000001", 6).is_err());
        assert!(parse_amount("1e3", 6).is_err());
        assert!(parse_amount("-1", 6).is_err());
        assert!(parse_amount("", 6).is_err());
        assert!(parse_amount(".", 6).is_err());
        assert!(parse_amount("99999999999999999", 6).is_err());
    }

    #[test]
    fn times_are_iso_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_796_216_700), "2026-12-02T13:05:00Z");
        assert_eq!(iso(-5), "-5");
    }
}
