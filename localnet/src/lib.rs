//! # depin-localnet
//!
//! A whole Solana network in this process, for the demo, the end-to-end tests and local
//! development: [surfpool-core](https://crates.io/crates/surfpool-core) runs LiteSVM behind a
//! real JSON-RPC server and a real websocket (pubsub) server on loopback, produces slots on a
//! clock, answers airdrops, and has SPL Token and the associated-token program built in. The
//! depin-compute programs are written into it from their SBF builds before the first client
//! connects.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use depin_localnet::{Localnet, LocalnetConfig};
//! let net = Localnet::start(LocalnetConfig::with_programs_from("target/deploy")).await?;
//! println!("RPC {} websocket {}", net.rpc_url(), net.ws_url());
//! net.stop()?;
//! # Ok(()) }
//! ```
//!
//! It is offline: no datasource is contacted (surfpool's default forks mainnet).
//! See `docs/localnet.md` for what it is and is not.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context, Result};
use crossbeam_channel::{Receiver, Sender};
pub use solana_pubkey::Pubkey;
use surfpool_core::surfnet::{
    locker::SurfnetSvmLocker,
    svm::{SurfnetSvm, SurfnetSvmConfig},
};
use surfpool_types::{
    BlockProductionMode, RpcConfig, SimnetCommand, SimnetConfig, SimnetEvent, SurfpoolConfig,
};

/// Program id of `depin_staking` (as in `declare_id!`).
pub const STAKING_PROGRAM_ID: Pubkey =
    Pubkey::from_str_const("2rLAoiorbQfSjaSxBiBVK6n7anzdH6TAuLrGAPNwe1Qt");
/// Program id of `depin_jobs`.
pub const JOBS_PROGRAM_ID: Pubkey =
    Pubkey::from_str_const("AvzVCdj4Yt3mg4JUre26R8eXcVYKBXsVXfLRuYvYURaS");

/// How to start a local network.
#[derive(Clone, Debug)]
pub struct LocalnetConfig {
    /// Programs to load: (program id, path of the SBF `.so`). Empty: a chain without the
    /// depin-compute programs (to deploy them through the loader, as on a real cluster).
    pub programs: Vec<(Pubkey, PathBuf)>,
    /// Upgrade authority written into the ProgramData of the loaded programs: that key can
    /// upgrade them and sign their `initialize_config`. `None`: surfpool-core records the
    /// system program as the authority, which no one can sign for.
    pub upgrade_authority: Option<Pubkey>,
    /// Milliseconds per slot (the clock advances by itself).
    pub slot_time_ms: u64,
    /// Accounts funded at start.
    pub airdrop: Vec<Pubkey>,
    /// Lamports each of them gets.
    pub airdrop_lamports: u64,
    /// How long to wait for the network to come up.
    pub start_timeout: Duration,
    /// JSON-RPC port on 127.0.0.1; 0: a free port.
    pub rpc_port: u16,
    /// Websocket port on 127.0.0.1; 0: a free port.
    pub ws_port: u16,
}

impl LocalnetConfig {
    /// Both depin-compute programs from `deploy_dir` (`depin_staking.so`, `depin_jobs.so`),
    /// not upgradeable, 100 ms slots, nobody funded yet.
    pub fn with_programs_from(deploy_dir: impl AsRef<Path>) -> Self {
        let dir = deploy_dir.as_ref();
        LocalnetConfig {
            programs: vec![
                (STAKING_PROGRAM_ID, dir.join("depin_staking.so")),
                (JOBS_PROGRAM_ID, dir.join("depin_jobs.so")),
            ],
            upgrade_authority: None,
            slot_time_ms: 100,
            airdrop: Vec::new(),
            airdrop_lamports: 0,
            start_timeout: Duration::from_secs(30),
            rpc_port: 0,
            ws_port: 0,
        }
    }

    /// A chain without any depin-compute program (deploy them through the upgradeable loader,
    /// as on a real cluster), 100 ms slots, nobody funded yet.
    pub fn without_programs() -> Self {
        LocalnetConfig {
            programs: Vec::new(),
            ..Self::with_programs_from("")
        }
    }
}

/// A running local network. Dropping it stops it.
pub struct Localnet {
    rpc_url: String,
    ws_url: String,
    commands: Sender<SimnetCommand>,
    runloop: Option<JoinHandle<()>>,
    locker: SurfnetSvmLocker,
}

/// `port` if it is free on 127.0.0.1 (0: any free port), with a clear error when it is taken.
fn port(port: u16, what: &str) -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        anyhow!(
            "cannot listen for {what} on 127.0.0.1:{port} ({e}): another local chain or \
             solana-test-validator may be running; stop it or choose other ports"
        )
    })?;
    Ok(listener.local_addr()?.port())
}

impl Localnet {
    /// Start the network on the configured loopback ports (free ones where 0), wait until it
    /// serves, load the programs.
    pub async fn start(config: LocalnetConfig) -> Result<Localnet> {
        let elfs = config
            .programs
            .iter()
            .map(|(id, path)| {
                std::fs::read(path)
                    .with_context(|| {
                        format!(
                            "reading program {id} from {} (run scripts/build-sbf.sh first)",
                            path.display()
                        )
                    })
                    .map(|elf| (*id, elf))
            })
            .collect::<Result<Vec<_>>>()?;
        let bind_port = port(config.rpc_port, "JSON-RPC")?;
        let ws_port = port(config.ws_port, "the websocket")?;
        if bind_port == ws_port {
            bail!("the JSON-RPC and websocket ports must differ (both {bind_port})");
        }
        let surfpool = SurfpoolConfig {
            simnets: vec![SimnetConfig {
                offline_mode: true,
                remote_rpc_url: None,
                slot_time: config.slot_time_ms,
                block_production_mode: BlockProductionMode::Clock,
                airdrop_addresses: config.airdrop.clone(),
                airdrop_token_amount: config.airdrop_lamports,
                // Profiling re-executes every instruction; not wanted for latency figures.
                instruction_profiling_enabled: false,
                ..SimnetConfig::default()
            }],
            rpc: RpcConfig {
                bind_host: "127.0.0.1".into(),
                bind_port,
                ws_port,
                ..RpcConfig::default()
            },
            ..SurfpoolConfig::default()
        };
        let (svm, events, geyser) = SurfnetSvm::new(SurfnetSvmConfig {
            slot_time: config.slot_time_ms,
            instruction_profiling_enabled: false,
            ..SurfnetSvmConfig::default()
        })
        .map_err(|e| anyhow!("creating the SVM: {e}"))?;
        let locker = SurfnetSvmLocker::new(svm);
        let (commands, commands_rx) = crossbeam_channel::unbounded();
        let runloop = {
            let (locker, commands) = (locker.clone(), commands.clone());
            std::thread::Builder::new()
                .name("depin-localnet".into())
                .spawn(move || {
                    let runtime = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .enable_all()
                        .build()
                        .expect("localnet runtime");
                    let run = surfpool_core::runloops::start_local_surfnet_runloop(
                        locker,
                        surfpool,
                        commands,
                        commands_rx,
                        geyser,
                    );
                    if let Err(e) = runtime.block_on(run) {
                        eprintln!("depin-localnet: runloop ended with an error: {e}");
                    }
                })?
        };
        let mut net = Localnet {
            rpc_url: format!("http://127.0.0.1:{bind_port}"),
            ws_url: format!("ws://127.0.0.1:{ws_port}"),
            commands,
            runloop: Some(runloop),
            locker,
        };
        wait_started(&events, config.start_timeout)?;
        drain(events);
        for (id, elf) in elfs {
            net.locker
                .write_program(id, config.upgrade_authority, 0, &elf, &None)
                .await
                .map_err(|e| anyhow!("loading program {id}: {e}"))?;
        }
        net.wait_serving(config.start_timeout).await?;
        Ok(net)
    }

    /// The JSON-RPC endpoint (`http://127.0.0.1:<port>`).
    pub fn rpc_url(&self) -> &str {
        &self.rpc_url
    }

    /// The websocket (pubsub) endpoint (`ws://127.0.0.1:<port>`).
    pub fn ws_url(&self) -> &str {
        &self.ws_url
    }

    /// Whether `program_id` is loaded and executable.
    pub fn has_program(&self, program_id: &Pubkey) -> bool {
        self.locker
            .with_svm_reader(|svm| svm.get_account(program_id))
            .ok()
            .flatten()
            .is_some_and(|a| a.executable)
    }

    /// Poll the RPC port until it accepts connections.
    async fn wait_serving(&mut self, timeout: Duration) -> Result<()> {
        let addr = self.rpc_url.trim_start_matches("http://").to_owned();
        let deadline = Instant::now() + timeout;
        while tokio::net::TcpStream::connect(&addr).await.is_err() {
            if Instant::now() >= deadline {
                bail!("the local network did not open {addr} within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Stop the network and wait for its thread.
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        let Some(thread) = self.runloop.take() else {
            return Ok(());
        };
        let _ = self.commands.send(SimnetCommand::Terminate(None));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !thread.is_finished() {
            if Instant::now() >= deadline {
                bail!("the local network did not stop within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        thread
            .join()
            .map_err(|_| anyhow!("the local network's thread panicked"))
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            eprintln!("depin-localnet: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_taken_port_is_a_clear_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let e = super::port(port, "JSON-RPC").unwrap_err().to_string();
        assert!(e.contains(&format!("127.0.0.1:{port}")), "{e}");
        assert!(e.contains("another local chain"), "{e}");
        assert_ne!(super::port(0, "JSON-RPC").unwrap(), 0);
    }
}

fn wait_started(events: &Receiver<SimnetEvent>, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(SimnetEvent::CoreStarted(_)) => return Ok(()),
            Ok(_) => {}
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                bail!("the local network did not start within {timeout:?}")
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                bail!("the local network stopped while starting")
            }
        }
    }
}

/// Keep reading the network's event channel (unbounded) so it cannot grow without limit.
fn drain(events: Receiver<SimnetEvent>) {
    std::thread::Builder::new()
        .name("depin-localnet-events".into())
        .spawn(move || while events.recv().is_ok() {})
        .ok();
}
