//! Defaults a person sets once, like the `solana` CLI's config: the configuration file
//! (`~/.config/depin/config.json`, or `$DEPIN_CONFIG`) holds the URL, the keypair and a
//! deployment file; a deployment file names the market, the mints and, when `depin localnet`
//! wrote it, the chain's URLs and the key that can mint local tokens.
//!
//! Precedence, highest first: a flag, its environment variable (`DEPIN_URL`, `DEPIN_WS_URL`,
//! `DEPIN_KEYPAIR`, `DEPIN_DEPLOYMENT`), the configuration file, the deployment file, the
//! built-in default (`localhost`, `~/.config/solana/id.json`).

use std::path::{Path, PathBuf};

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context, Result};
use depin_migrations::Deployment;
use serde::{Deserialize, Serialize};

/// The configuration file's contents: every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// RPC URL or moniker (`localhost`, `devnet`, `mainnet`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Websocket URL (default: derived from the RPC URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ws_url: Option<String>,
    /// Keypair file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keypair: Option<PathBuf>,
    /// Deployment file (`depin localnet` or `depin-migrate -o` output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<PathBuf>,
}

impl Profile {
    /// Where the configuration file lives: `$DEPIN_CONFIG`, else `~/.config/depin/config.json`.
    pub fn path() -> PathBuf {
        match std::env::var_os("DEPIN_CONFIG") {
            Some(p) => PathBuf::from(p),
            None => home().join(".config/depin/config.json"),
        }
    }

    /// The file at `path`; an empty profile when there is none.
    pub fn load(path: &Path) -> Result<Profile> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).with_context(|| {
                format!(
                    "configuration file {} is not valid (fix or delete it; `depin config set` rewrites it)",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Profile::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Write to `path` (parent folders created), replacing the file atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(self)? + "\n")
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    }
}

/// The home folder (`$HOME`), or the current folder when unset.
pub fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// `depin localnet`'s deployment file: the addresses plus how to reach the chain and which key
/// mints its tokens. `depin-migrate -o` writes the addresses alone; both are read.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LocalDeployment {
    /// JSON-RPC URL of the chain.
    pub rpc_url: String,
    /// Websocket URL of the chain.
    pub ws_url: String,
    /// Keypair file of the admin (mint authority of both mints), beside this file.
    pub admin_keypair: PathBuf,
    /// Addresses.
    pub deployment: Deployment,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AnyDeployment {
    Local(LocalDeployment),
    Plain(Deployment),
}

/// A deployment file as read: addresses parsed, paths made absolute.
#[derive(Clone, Debug)]
pub struct DeploymentFile {
    /// The file.
    pub path: PathBuf,
    /// JSON-RPC URL (files written by `depin localnet`).
    pub rpc_url: Option<String>,
    /// Websocket URL (files written by `depin localnet`).
    pub ws_url: Option<String>,
    /// Keypair file of the mint authority (files written by `depin localnet`).
    pub admin_keypair: Option<PathBuf>,
    /// The market.
    pub market: Pubkey,
    /// Its stake mint.
    pub stake_mint: Pubkey,
    /// Its payment mint.
    pub payment_mint: Pubkey,
}

impl DeploymentFile {
    /// Read and check `path`.
    pub fn load(path: &Path) -> Result<DeploymentFile> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "deployment file {} cannot be read (written by `depin localnet` or `depin-migrate -o`)",
                path.display()
            )
        })?;
        let any: AnyDeployment = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a deployment file", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let (rpc_url, ws_url, admin, d) = match any {
            AnyDeployment::Local(l) => (
                Some(l.rpc_url),
                Some(l.ws_url),
                Some(dir.join(l.admin_keypair)),
                l.deployment,
            ),
            AnyDeployment::Plain(d) => (None, None, None, d),
        };
        let key = |what: &str, s: &str| {
            Deployment::key(s).with_context(|| format!("{}: field `{what}`", path.display()))
        };
        Ok(DeploymentFile {
            path: path.to_path_buf(),
            rpc_url,
            ws_url,
            admin_keypair: admin,
            market: key("market", &d.market)?,
            stake_mint: key("stake_mint", &d.stake_mint)?,
            payment_mint: key("payment_mint", &d.payment_mint)?,
        })
    }
}

/// The keypair file that sits beside deployment file `deployment` (`localnet.json` →
/// `localnet-admin.json`).
pub fn admin_keypair_beside(deployment: &Path) -> PathBuf {
    let stem = deployment
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "deployment".into());
    deployment.with_file_name(format!("{stem}-admin.json"))
}

/// `value` given on the command line or by `what`'s source, else an error that says how to set
/// it once.
pub fn required<T: Copy>(value: Option<T>, flag: &str) -> Result<T> {
    match value {
        Some(v) => Ok(v),
        None => bail!(
            "no {flag} given: pass {flag}, or name a deployment once with \
             `depin config set --deployment FILE` (written by `depin localnet` or `depin-migrate -o`)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("depin-profile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn addresses() -> Deployment {
        let k = || Pubkey::new_unique().to_string();
        Deployment {
            admin: k(),
            stake_mint: k(),
            payment_mint: k(),
            pool: k(),
            pool_treasury: k(),
            market: k(),
            fee_vault: k(),
        }
    }

    #[test]
    fn profile_round_trips_and_a_missing_file_is_empty() {
        let d = dir("roundtrip");
        let path = d.join("nested/config.json");
        assert_eq!(Profile::load(&path).unwrap(), Profile::default());
        let p = Profile {
            url: Some("devnet".into()),
            keypair: Some("/k.json".into()),
            ..Profile::default()
        };
        p.save(&path).unwrap();
        assert_eq!(Profile::load(&path).unwrap(), p);
    }

    #[test]
    fn a_broken_profile_names_the_file() {
        let d = dir("broken");
        let path = d.join("config.json");
        std::fs::write(&path, "{\"urll\": 1}").unwrap();
        let e = format!("{:#}", Profile::load(&path).unwrap_err());
        assert!(e.contains("config.json") && e.contains("not valid"), "{e}");
    }

    #[test]
    fn both_deployment_formats_are_read() {
        let d = dir("formats");
        let plain = addresses();
        std::fs::write(d.join("plain.json"), serde_json::to_string(&plain).unwrap()).unwrap();
        let f = DeploymentFile::load(&d.join("plain.json")).unwrap();
        assert_eq!(f.market.to_string(), plain.market);
        assert!(f.rpc_url.is_none() && f.admin_keypair.is_none());

        let local = LocalDeployment {
            rpc_url: "http://127.0.0.1:8899".into(),
            ws_url: "ws://127.0.0.1:8900".into(),
            admin_keypair: "localnet-admin.json".into(),
            deployment: addresses(),
        };
        std::fs::write(
            d.join("localnet.json"),
            serde_json::to_string(&local).unwrap(),
        )
        .unwrap();
        let f = DeploymentFile::load(&d.join("localnet.json")).unwrap();
        assert_eq!(f.stake_mint.to_string(), local.deployment.stake_mint);
        assert_eq!(f.rpc_url.as_deref(), Some("http://127.0.0.1:8899"));
        assert_eq!(f.admin_keypair, Some(d.join("localnet-admin.json")));
        assert_eq!(
            admin_keypair_beside(&d.join("localnet.json")),
            d.join("localnet-admin.json")
        );
    }

    #[test]
    fn a_bad_address_names_the_field() {
        let d = dir("badaddr");
        let mut a = addresses();
        a.market = "not-a-key".into();
        std::fs::write(d.join("x.json"), serde_json::to_string(&a).unwrap()).unwrap();
        let e = format!("{:#}", DeploymentFile::load(&d.join("x.json")).unwrap_err());
        assert!(e.contains("market"), "{e}");
    }
}
