//! Configuration: a TOML file, overridden by environment variables (`DEPIN_WORKER_*`), overridden
//! by command-line flags. Every field has a default except the keypair and the markets.
//!
//! ```toml
//! keypair = "/etc/depin/provider.json"
//! markets = ["<market address>"]
//! rpc_urls = ["http://127.0.0.1:8899", "https://backup.example"]
//! ws_urls = ["ws://127.0.0.1:8900"]
//! data_dir = "/var/lib/depin-worker"
//! listen = "0.0.0.0:9400"
//! public_url = "http://provider.example:9400"
//! fetch_allow = ["10.20.0.0/16"]  # non-public networks blob fetches may reach
//!
//! [policy]
//! min_reward_per_gfuel = 1000   # payment-token units per 10^9 fuel
//! max_fuel = 100000000000
//! max_memory_bytes = 1073741824
//! max_output_bytes = 67108864
//! max_wall_ms = 600000
//! max_concurrent = 4
//! ```

use std::{net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context, Result};
use depin_client::rpc::websocket_url;
use serde::{Deserialize, Serialize};

/// What jobs the worker accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Least reward per replica, in payment-token base units, per 10^9 fuel the manifest allows
    /// (0: any price).
    pub min_reward_per_gfuel: u64,
    /// Most fuel a job may ask for.
    pub max_fuel: u64,
    /// Most linear memory a job may ask for, bytes.
    pub max_memory_bytes: u64,
    /// Most output a job may ask for, bytes.
    pub max_output_bytes: u64,
    /// Most wall-clock time a job may ask for, milliseconds.
    pub max_wall_ms: u64,
    /// Largest module or input downloaded, bytes.
    pub max_blob_bytes: u64,
    /// Jobs held at once.
    pub max_concurrent: usize,
    /// Largest bond this worker locks for one job, stake-token base units (0: any the free
    /// stake allows). Local to this worker (not published yet).
    pub max_bond: u64,
    /// Accept `file://` blob URIs (manifests, modules, inputs read from this machine's disk).
    /// Off by default: a requester must not be able to point a worker at its local files. On
    /// for single-machine set-ups (the demo, tests) where requester and worker share a disk.
    pub allow_file_uris: bool,
}

impl Policy {
    /// The part of the policy published on the provider account (`set_policy`).
    pub fn published(&self) -> depin_client::staking_program::instructions::SetPolicyArgs {
        depin_client::staking_program::instructions::SetPolicyArgs {
            min_reward_per_gfuel: self.min_reward_per_gfuel,
            max_fuel: self.max_fuel,
            max_memory_bytes: self.max_memory_bytes,
            max_output_bytes: self.max_output_bytes,
            max_wall_ms: self.max_wall_ms,
            allow_file_uris: u8::from(self.allow_file_uris),
        }
    }

    /// The policy as its account stores it (provider, time and bump left zero).
    pub fn as_provider_policy(&self) -> depin_client::staking_program::state::ProviderPolicy {
        let p = self.published();
        depin_client::staking_program::state::ProviderPolicy {
            min_reward_per_gfuel: p.min_reward_per_gfuel,
            max_fuel: p.max_fuel,
            max_memory_bytes: p.max_memory_bytes,
            max_output_bytes: p.max_output_bytes,
            max_wall_ms: p.max_wall_ms,
            allow_file_uris: p.allow_file_uris,
            ..Default::default()
        }
    }

    /// Whether `on_chain` already says what [`Self::published`] would (provider, time and
    /// bump aside).
    pub fn same_as(
        &self,
        on_chain: Option<&depin_client::staking_program::state::ProviderPolicy>,
    ) -> bool {
        on_chain.is_some_and(|p| {
            depin_client::staking_program::state::ProviderPolicy {
                provider: Default::default(),
                published_at: 0,
                bump: 0,
                ..p.clone()
            } == self.as_provider_policy()
        })
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_reward_per_gfuel: 0,
            max_fuel: 100_000_000_000,
            max_memory_bytes: 1 << 30,
            max_output_bytes: 64 << 20,
            max_wall_ms: 600_000,
            max_blob_bytes: 256 << 20,
            max_concurrent: 4,
            max_bond: 0,
            allow_file_uris: false,
        }
    }
}

/// Deliberate misbehaviour, for tests and the demo's dishonest provider only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Honest.
    #[default]
    None,
    /// Commit and reveal a result hash that is not the one computed.
    WrongResult,
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Fault::None),
            "wrong-result" => Ok(Fault::WrongResult),
            _ => Err(format!("unknown fault `{s}` (none, wrong-result)")),
        }
    }
}

/// The worker's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    /// Provider keypair file (solana CLI JSON format).
    pub keypair: PathBuf,
    /// Markets to serve (addresses).
    pub markets: Vec<String>,
    /// JSON-RPC endpoints, in order of preference.
    pub rpc_urls: Vec<String>,
    /// Websocket endpoints (one per RPC endpoint; derived from the RPC URL when empty).
    pub ws_urls: Vec<String>,
    /// Commitment for reads and confirmations (`processed`, `confirmed`, `finalized`).
    pub commitment: String,
    /// Journal and blob folder.
    pub data_dir: PathBuf,
    /// Where the HTTP server (result blobs, `/metrics`, `/health`) listens.
    pub listen: SocketAddr,
    /// Base URL under which others reach the HTTP server (result URIs are
    /// `<public_url>/blobs/<sha256>`); defaults to `http://<listen>`.
    pub public_url: Option<String>,
    /// Gateway for `ipfs://` blobs (always reachable, whatever its address).
    pub ipfs_gateway: String,
    /// Networks (`10.0.0.0/8`), addresses or host names that blob fetches may reach although
    /// they are not public. Every other loopback, private, link-local or otherwise
    /// non-public address is refused (`depin_client::netguard`): requesters name the URIs a
    /// worker fetches and must not reach the operator's network through it.
    pub fetch_allow: Vec<String>,
    /// Most milliseconds compiling a module may take before a claim; a module slower to
    /// compile on this machine is passed on, never claimed.
    pub compile_budget_ms: u64,
    /// Seconds between full reconciles with `getProgramAccounts`.
    pub reconcile_secs: u64,
    /// Seconds without a websocket notification (while slots advance) before resubscribing.
    pub stall_secs: u64,
    /// Seconds an endpoint is skipped after it failed.
    pub cooldown_secs: u64,
    /// Seconds one RPC request (a read, a send, one confirmation poll) may take before it
    /// counts as the endpoint's failure and the call fails over. Reads that share one answer
    /// (the clock, the stake, the seed) hold their waiters at most this long.
    pub rpc_timeout_secs: u64,
    /// Priority fee, micro-lamports per compute unit.
    pub priority_fee: u64,
    /// Priority fee at least paid by a commitment or reveal within 30 s of its deadline
    /// (multiplied by 4 within 15 s and 16 within 5 s), micro-lamports per compute unit.
    pub urgent_priority_fee: u64,
    /// Highest priority fee ever paid, micro-lamports per compute unit.
    pub max_priority_fee: u64,
    /// Seconds a graceful shutdown waits for in-flight jobs before parking them.
    pub shutdown_grace_secs: u64,
    /// Seconds after settlement before this worker closes a job it cranks (the requester can
    /// read the agreed result and URIs from the job account until it is closed).
    pub close_delay_secs: u64,
    /// Job acceptance policy.
    pub policy: Policy,
    /// Seconds finished journal records, and result blobs no unfinished job needs, are kept.
    pub retention_secs: u64,
    /// Most bytes of downloaded modules and inputs kept in `cache/` (oldest evicted first).
    pub cache_max_bytes: u64,
    /// Start even though the journal is empty while the chain shows this provider holding
    /// slots of open jobs (a lost journal): re-run them and recover the commitments' salts
    /// from the operator key (`recovery`). Without it the worker refuses to start then.
    pub recover: bool,
    /// Deliberate misbehaviour (tests and the demo only).
    pub fault: Fault,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            keypair: PathBuf::from("provider.json"),
            markets: Vec::new(),
            rpc_urls: vec!["http://127.0.0.1:8899".into()],
            ws_urls: Vec::new(),
            commitment: "confirmed".into(),
            data_dir: PathBuf::from("depin-worker-data"),
            listen: "127.0.0.1:9400".parse().expect("a valid address"),
            public_url: None,
            ipfs_gateway: "https://ipfs.io".into(),
            fetch_allow: Vec::new(),
            compile_budget_ms: 10_000,
            reconcile_secs: 10,
            stall_secs: 15,
            cooldown_secs: 10,
            rpc_timeout_secs: 10,
            priority_fee: 0,
            urgent_priority_fee: 1_000,
            max_priority_fee: 1_000_000,
            shutdown_grace_secs: 30,
            close_delay_secs: 30,
            policy: Policy::default(),
            retention_secs: 7 * 24 * 3600,
            cache_max_bytes: 4 << 30,
            recover: false,
            fault: Fault::None,
        }
    }
}

impl WorkerConfig {
    /// A worker on the same machine as the chain endpoint and the requesters (the demo, the
    /// benchmarks, tests): serves `market` at `rpc_url` / `ws_url`, keeps its state in
    /// `data_dir`, binds an ephemeral HTTP port, and accepts `file://` blobs (the requesters'
    /// store is on this disk). Everything else is the default.
    pub fn beside(market: &Pubkey, rpc_url: &str, ws_url: &str, data_dir: PathBuf) -> Self {
        let mut cfg = WorkerConfig {
            markets: vec![market.to_string()],
            rpc_urls: vec![rpc_url.to_string()],
            ws_urls: vec![ws_url.to_string()],
            data_dir,
            listen: "127.0.0.1:0".parse().expect("a valid address"),
            ..WorkerConfig::default()
        };
        cfg.policy.allow_file_uris = true;
        cfg
    }

    /// Read a TOML file.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("config file {}", path.display()))
    }

    /// Check the configuration and fill derived fields.
    pub fn finish(mut self) -> Result<Self> {
        if self.markets.is_empty() {
            bail!("no market configured (set `markets` in the config file, DEPIN_WORKER_MARKETS or --market)");
        }
        for m in &self.markets {
            Pubkey::from_str(m).with_context(|| format!("market `{m}` is not a valid address"))?;
        }
        if self.rpc_urls.is_empty() {
            bail!("no RPC endpoint configured (rpc_urls / --url)");
        }
        for u in &self.rpc_urls {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                bail!("RPC endpoint `{u}` must be an http(s):// URL");
            }
        }
        if self.ws_urls.is_empty() {
            self.ws_urls = self.rpc_urls.iter().map(|u| websocket_url(u)).collect();
        }
        if self.ws_urls.len() != self.rpc_urls.len() {
            bail!(
                "{} websocket URLs for {} RPC endpoints: give one per endpoint or none",
                self.ws_urls.len(),
                self.rpc_urls.len()
            );
        }
        if !["processed", "confirmed", "finalized"].contains(&self.commitment.as_str()) {
            bail!(
                "commitment `{}`: expected processed, confirmed or finalized",
                self.commitment
            );
        }
        if self.policy.max_concurrent == 0 {
            bail!("policy.max_concurrent must be at least 1");
        }
        self.net_policy()?;
        Ok(self)
    }

    /// Where blob fetches may go: public addresses plus [`Self::fetch_allow`].
    pub fn net_policy(&self) -> Result<depin_client::netguard::NetPolicy> {
        let mut net = depin_client::netguard::NetPolicy::public_only();
        for item in &self.fetch_allow {
            net.allow(item)
                .map_err(|e| anyhow::anyhow!("fetch_allow: {e}"))?;
        }
        Ok(net)
    }

    /// How long compiling a module may take before a claim.
    pub fn compile_budget(&self) -> Duration {
        Duration::from_millis(self.compile_budget_ms.max(1))
    }

    /// The markets as addresses.
    pub fn market_keys(&self) -> Vec<Pubkey> {
        self.markets
            .iter()
            .filter_map(|m| Pubkey::from_str(m).ok())
            .collect()
    }

    /// Base URL of the blob server.
    pub fn public_base(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_string()
    }

    /// The priority fee of a transaction that must land within `left_secs` (`None`: no
    /// deadline): the base fee while there is time, then at least
    /// [`Self::urgent_priority_fee`], raised as the deadline nears, never above
    /// [`Self::max_priority_fee`]. A slashed bond costs far more than any of these fees.
    pub fn priority_fee(&self, left_secs: Option<i64>) -> u64 {
        let base = self.priority_fee;
        let Some(left) = left_secs.filter(|l| *l <= 30) else {
            return base.min(self.max_priority_fee.max(base));
        };
        let factor = match left {
            l if l <= 5 => 16,
            l if l <= 15 => 4,
            _ => 1,
        };
        base.max(self.urgent_priority_fee)
            .saturating_mul(factor)
            .min(self.max_priority_fee.max(base))
    }

    /// Reconcile interval.
    pub fn reconcile_every(&self) -> Duration {
        Duration::from_secs(self.reconcile_secs.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_defaults_and_checks() {
        let cfg: WorkerConfig = toml::from_str(
            "markets = [\"11111111111111111111111111111111\"]\n[policy]\nmax_concurrent = 2\n",
        )
        .unwrap();
        let cfg = cfg.finish().unwrap();
        assert_eq!(cfg.policy.max_concurrent, 2);
        assert_eq!(cfg.ws_urls, vec!["ws://127.0.0.1:8900".to_string()]);
        let err = toml::from_str::<WorkerConfig>("markets = []\nsurprise = 1\n").unwrap_err();
        assert!(err.to_string().contains("surprise"), "{err}");
        let err = WorkerConfig::default().finish().unwrap_err();
        assert!(err.to_string().contains("no market"), "{err}");
        let bad = WorkerConfig {
            markets: vec!["nope".into()],
            ..WorkerConfig::default()
        };
        assert!(bad.finish().unwrap_err().to_string().contains("nope"));
        let cfg: WorkerConfig = toml::from_str(
            "markets = [\"11111111111111111111111111111111\"]\nfetch_allow = [\"10.0.0.0/8\", \"mirror.lan\"]\n",
        )
        .unwrap();
        let net = cfg.finish().unwrap().net_policy().unwrap();
        assert!(net.allows_ip("10.9.9.9".parse().unwrap()));
        assert!(!net.allows_ip("169.254.169.254".parse().unwrap()));
        assert!(net.allows_host("mirror.lan"));
        let bad = WorkerConfig {
            markets: vec!["11111111111111111111111111111111".into()],
            fetch_allow: vec!["http://x/".into()],
            ..WorkerConfig::default()
        };
        assert!(bad
            .finish()
            .unwrap_err()
            .to_string()
            .contains("fetch_allow"));
    }
}
