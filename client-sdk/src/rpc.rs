//! Async access to a cluster (or the local network) over JSON-RPC and the websocket, on
//! solana-client's nonblocking clients: sending with blockhash refresh, retries and
//! confirmation; typed account reads; `getProgramAccounts` queries with `memcmp` filters; and
//! waiting for a job by subscription with a polling fallback.

use std::time::{Duration, Instant};

use anchor_lang::{prelude::Pubkey, AccountDeserialize, Discriminator};
use depin_jobs::state::{job_status, Job, Slot};
use depin_staking::state::Provider;
use futures_util::StreamExt;
use solana_client::{
    client_error::ClientError as RpcClientError,
    nonblocking::{pubsub_client::PubsubClient, rpc_client::RpcClient},
    rpc_config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
    rpc_filter::{Memcmp, RpcFilterType},
};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client_api::{
    client_error::ErrorKind,
    request::{RpcError, RpcResponseErrorData},
};
use solana_sdk::{
    instruction::{Instruction, InstructionError},
    signature::{Keypair, Signature, Signer},
    transaction::{Transaction, TransactionError},
};

use crate::{
    accounts::decode_zero_copy,
    error::{program_error, program_name},
    ClientError, JOBS_PROGRAM_ID,
};

/// The RPC URL of a `solana`-CLI moniker (`localhost`, `devnet`, `testnet`, `mainnet`, or
/// their initials), or the argument itself when it is not one.
pub fn cluster_url(moniker: &str) -> String {
    match moniker {
        "localhost" | "l" => "http://127.0.0.1:8899".into(),
        "devnet" | "d" => "https://api.devnet.solana.com".into(),
        "testnet" | "t" => "https://api.testnet.solana.com".into(),
        "mainnet" | "mainnet-beta" | "m" => "https://api.mainnet-beta.solana.com".into(),
        url => url.into(),
    }
}

/// The `ws://` / `wss://` URL matching an RPC URL (port + 1 when a port is given, as
/// `solana-test-validator` and the local network serve them).
pub fn websocket_url(rpc: &str) -> String {
    let (scheme, rest) = match rpc.split_once("://") {
        Some(("https", r)) => ("wss", r),
        Some((_, r)) => ("ws", r),
        None => ("ws", rpc),
    };
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let host = match host.rsplit_once(':') {
        Some((h, port)) => match port.parse::<u16>() {
            Ok(p) => format!("{h}:{}", p.saturating_add(1)),
            Err(_) => host.to_string(),
        },
        None => host.to_string(),
    };
    if path.is_empty() {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/{path}")
    }
}

/// How [`DepinRpc::send_with`] sends, confirms and retries.
#[derive(Clone, Copy, Debug)]
pub struct SendOptions {
    /// Attempts in all (each with a fresh blockhash).
    pub attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub backoff: Duration,
    /// How often the signature status is polled while confirming.
    pub confirm_poll: Duration,
    /// Longest wait for one signed copy when the block height cannot be read (normally a
    /// copy is given up only once its blockhash has expired by block height); longer than
    /// any blockhash lives (150 blocks).
    pub confirm_timeout: Duration,
    /// Priority fee, in micro-lamports per compute unit (0: none). Adds a
    /// `ComputeBudget::SetComputeUnitPrice` instruction.
    pub priority_fee_micro_lamports: u64,
    /// Compute-unit limit to request (adds `ComputeBudget::SetComputeUnitLimit`); with a
    /// priority fee, a tight limit keeps the fee low.
    pub compute_unit_limit: Option<u32>,
    /// When no limit is given and a priority fee is: simulate the transaction first and
    /// request what it used plus 10 % and 1 000 units (the fee is paid on the limit, not on
    /// what is used).
    pub limit_from_simulation: bool,
}

/// SlotHashes entries read first when looking up a sortition seed (2.6 KB of the sysvar's
/// 20 KB): a job's seed slot is a few slots old when claims open.
pub const SEED_HEAD_ENTRIES: usize = 64;

/// The seed of `seed_slot` as a head of the SlotHashes sysvar ([`DepinRpc::slot_hashes_head`])
/// tells it: `Some(Some(seed))`; `Some(None)` when the head's newest slot is before `seed_slot`
/// (not recorded yet: the whole sysvar would not have it either); `None` when `seed_slot` is
/// older than the head reaches (read the whole sysvar).
pub fn seed_in_head(head: &[u8], seed_slot: u64) -> Option<Option<[u8; 32]>> {
    if let Some(seed) = depin_core::sortition::seed_from_slot_hashes(head, seed_slot) {
        return Some(Some(seed));
    }
    let newest = head
        .get(8..16)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
    match newest {
        Some(n) if n >= seed_slot => None,
        _ => Some(None),
    }
}

/// How often an unconfirmed transaction is sent again (the same signed bytes).
pub const REBROADCAST: Duration = Duration::from_secs(2);

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            attempts: 5,
            backoff: Duration::from_millis(200),
            confirm_poll: Duration::from_millis(50),
            confirm_timeout: Duration::from_secs(120),
            priority_fee_micro_lamports: 0,
            compute_unit_limit: None,
            limit_from_simulation: true,
        }
    }
}

impl SendOptions {
    /// The compute-budget instructions these options ask for (empty by default).
    pub fn budget_instructions(&self) -> Vec<Instruction> {
        use solana_compute_budget_interface::ComputeBudgetInstruction as Cb;
        let mut out = Vec::new();
        if let Some(limit) = self.compute_unit_limit {
            out.push(Cb::set_compute_unit_limit(limit));
        }
        if self.priority_fee_micro_lamports > 0 {
            out.push(Cb::set_compute_unit_price(self.priority_fee_micro_lamports));
        }
        out
    }
}

/// Which jobs a query returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobFilter {
    /// Jobs of a market; only open ones if `open_only`.
    Market {
        /// The market.
        market: Pubkey,
        /// Only jobs whose status is open.
        open_only: bool,
    },
    /// Jobs a requester posted.
    Requester(Pubkey),
    /// Jobs in which this provider account holds a slot.
    HeldBy(Pubkey),
    /// Open jobs of a market a provider that holds no slot needs to hear of: those with a
    /// free slot (never claimed, or given back by `abandon_job` / `reclaim_slot`, whatever
    /// has been committed), and those whose slots are all held but nothing is committed (or
    /// submitted) yet, which shows the claim that filled them. A job with every slot held
    /// leaves the set at its first commitment, so a watcher subscribed to it alone is not told
    /// of the commitments, reveals and settlement of jobs it can take no part in, and is told
    /// again when a slot comes free. Disjoint filter sets, one per replica count allowed
    /// (`depin_core::settle::replicas_allowed`) and claim count: a write matches at most one,
    /// so no notification arrives twice.
    Claimable(Pubkey),
}

impl JobFilter {
    /// The `getProgramAccounts` / `programSubscribe` filter sets whose union is this query
    /// (one set, except [`JobFilter::HeldBy`]: one per slot position, and
    /// [`JobFilter::Claimable`]: one per allowed replica count and claim count).
    pub fn queries(&self) -> Vec<Vec<RpcFilterType>> {
        let size = RpcFilterType::DataSize((8 + depin_core::limits::JOB_SIZE) as u64);
        let memcmp = |offset: usize, bytes: &[u8]| {
            RpcFilterType::Memcmp(Memcmp::new_raw_bytes(offset, bytes.to_vec()))
        };
        match *self {
            JobFilter::Market { market, open_only } => {
                let mut f = vec![size, memcmp(offsets::MARKET, market.as_ref())];
                if open_only {
                    f.push(memcmp(offsets::STATUS, &[job_status::OPEN]));
                }
                vec![f]
            }
            JobFilter::Requester(r) => vec![vec![size, memcmp(offsets::REQUESTER, r.as_ref())]],
            JobFilter::HeldBy(p) => (0..depin_core::limits::MAX_REPLICAS as usize)
                .map(|i| vec![size.clone(), memcmp(offsets::slot_provider(i), p.as_ref())])
                .collect(),
            JobFilter::Claimable(market) => {
                let set = |bytes: &[u8]| {
                    vec![
                        size.clone(),
                        memcmp(offsets::MARKET, market.as_ref()),
                        memcmp(offsets::REPLICAS, bytes),
                    ]
                };
                let open = job_status::OPEN;
                (1..=depin_core::limits::MAX_REPLICAS)
                    .filter(|&r| {
                        depin_core::settle::replicas_allowed(r, depin_core::limits::MAX_REPLICAS)
                    })
                    .flat_map(|r| {
                        let q = depin_core::settle::quorum_for(r);
                        // `replicas, quorum, status, claimed[, committed]`, adjacent bytes.
                        (0..r)
                            .map(move |claimed| vec![r, q, open, claimed])
                            .chain(std::iter::once(vec![r, q, open, r, 0]))
                    })
                    .map(|bytes| set(&bytes))
                    .collect()
            }
        }
    }
}

/// Byte offsets (account data, discriminator included) the `memcmp` filters use; computed from
/// the program's own `Job` layout, so they cannot drift.
pub mod offsets {
    use super::*;
    /// `Job::market`.
    pub const MARKET: usize = 8 + core::mem::offset_of!(Job, market);
    /// `Job::requester`.
    pub const REQUESTER: usize = 8 + core::mem::offset_of!(Job, requester);
    /// `Job::status`.
    pub const STATUS: usize = 8 + core::mem::offset_of!(Job, status);
    /// `Job::replicas`, followed by `quorum`, `status`, `claimed` and `committed`: one
    /// `memcmp` matches a prefix of those five bytes.
    pub const REPLICAS: usize = 8 + core::mem::offset_of!(Job, replicas);
    const _: () = {
        assert!(core::mem::offset_of!(Job, quorum) == core::mem::offset_of!(Job, replicas) + 1);
        assert!(core::mem::offset_of!(Job, status) == core::mem::offset_of!(Job, replicas) + 2);
        assert!(core::mem::offset_of!(Job, claimed) == core::mem::offset_of!(Job, replicas) + 3);
        assert!(core::mem::offset_of!(Job, committed) == core::mem::offset_of!(Job, replicas) + 4);
    };
    /// `Provider::pool` (Borsh layout: fixed fields first; `depin_staking::in_place`).
    pub const PROVIDER_POOL: usize = depin_staking::in_place::provider_layout::POOL;
    /// `Provider::operator`.
    pub const PROVIDER_OPERATOR: usize = depin_staking::in_place::provider_layout::OPERATOR;
    /// `Job::slots[i].provider`.
    pub const fn slot_provider(i: usize) -> usize {
        8 + core::mem::offset_of!(Job, slots)
            + i * core::mem::size_of::<Slot>()
            + core::mem::offset_of!(Slot, provider)
    }
}

/// A connection to one RPC endpoint (and optionally its websocket).
pub struct DepinRpc {
    rpc: RpcClient,
    ws_url: Option<String>,
    defaults: SendOptions,
}

impl DepinRpc {
    /// Client of `url` at `commitment` (each HTTP request given up after 30 s).
    pub fn new(url: impl Into<String>, commitment: CommitmentConfig) -> Self {
        Self::with_timeout(url, commitment, Duration::from_secs(30))
    }

    /// Client of `url` at `commitment` whose every HTTP request (a read, a send, one poll of
    /// a confirmation) is given up after `timeout` with [`ClientError::Rpc`], so a hung
    /// endpoint holds no caller longer than that and failover can move on.
    pub fn with_timeout(
        url: impl Into<String>,
        commitment: CommitmentConfig,
        timeout: Duration,
    ) -> Self {
        DepinRpc {
            rpc: RpcClient::new_with_timeout_and_commitment(url.into(), timeout, commitment),
            ws_url: None,
            defaults: SendOptions::default(),
        }
    }

    /// Use `opts` for [`Self::send`] (priority fee, retries, confirmation polling).
    pub fn with_send_options(mut self, opts: SendOptions) -> Self {
        self.defaults = opts;
        self
    }

    /// The [`SendOptions`] [`Self::send`] uses (for callers that size transactions: the
    /// compute-budget instructions they add take room in the packet).
    pub fn send_options(&self) -> SendOptions {
        self.defaults
    }

    /// The websocket URL, if one is configured.
    pub fn ws_url(&self) -> Option<&str> {
        self.ws_url.as_deref()
    }

    /// Also use the websocket at `ws_url` (subscriptions; polling otherwise).
    pub fn with_websocket(mut self, ws_url: impl Into<String>) -> Self {
        self.ws_url = Some(ws_url.into());
        self
    }

    /// The underlying nonblocking RPC client.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// [`Self::send_with`] with this client's [`SendOptions`] (see
    /// [`Self::with_send_options`]).
    pub async fn send(
        &self,
        payer: &Keypair,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Signature, ClientError> {
        self.send_with(payer, ixs, signers, self.defaults).await
    }

    /// Sign with a fresh blockhash, send, and wait for confirmation at the client's commitment.
    /// Transport errors, an expired or unknown blockhash and confirmation time-outs are
    /// retried (with a new blockhash, after checking whether an earlier attempt landed after
    /// all, so a retry never executes the transaction twice). A program error is returned at
    /// once as [`ClientError::Program`] with its name.
    pub async fn send_with(
        &self,
        payer: &Keypair,
        ixs: &[Instruction],
        signers: &[&Keypair],
        opts: SendOptions,
    ) -> Result<Signature, ClientError> {
        self.send_landed(payer, ixs, signers, opts)
            .await
            .map(|(sig, _)| sig)
    }

    /// [`Self::send_with`], also returning the slot the transaction landed in (`0` when only
    /// an earlier attempt's status was found without one): reads that must see its effects
    /// pass it as their minimum context slot ([`Self::job_at`]).
    ///
    /// A signed transaction is rebroadcast (the same bytes, so it can land at most once) until
    /// it lands or its blockhash expires by block height (`lastValidBlockHeight`); only then is
    /// the transaction signed again with a new blockhash, after checking that no earlier copy
    /// landed. Two copies with different blockhashes are therefore never in flight at once,
    /// whatever the confirmation latency, so a retry never executes an instruction twice.
    pub async fn send_landed(
        &self,
        payer: &Keypair,
        ixs: &[Instruction],
        signers: &[&Keypair],
        opts: SendOptions,
    ) -> Result<(Signature, u64), ClientError> {
        let mut all: Vec<&Keypair> = vec![payer];
        all.extend(signers.iter().filter(|k| k.pubkey() != payer.pubkey()));
        let mut opts = opts;
        if opts.priority_fee_micro_lamports > 0
            && opts.compute_unit_limit.is_none()
            && opts.limit_from_simulation
        {
            opts.compute_unit_limit = Some(self.simulated_limit(payer, ixs, &all).await?);
        }
        let mut with_budget = opts.budget_instructions();
        with_budget.extend_from_slice(ixs);
        let ixs = &with_budget[..];
        let mut sent: Vec<Signature> = Vec::new();
        let mut backoff = opts.backoff;
        let mut last = String::new();
        for attempt in 0..opts.attempts.max(1) {
            if attempt > 0 {
                // Every earlier copy has expired: one of them may have landed before it did.
                if let Some(landed) = self.landed(&sent, ixs).await? {
                    return Ok(landed);
                }
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
            let (blockhash, last_valid) = match self
                .rpc
                .get_latest_blockhash_with_commitment(self.rpc.commitment())
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    last = e.to_string();
                    continue;
                }
            };
            let tx =
                Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &all, blockhash);
            sent.push(tx.signatures[0]);
            let config = solana_client::rpc_config::RpcSendTransactionConfig {
                preflight_commitment: Some(self.rpc.commitment().commitment),
                ..Default::default()
            };
            let send_error = match self.rpc.send_transaction_with_config(&tx, config).await {
                Ok(_) => String::new(),
                Err(e) => match classify(&e, ixs) {
                    Failure::Final(err) => return Err(err),
                    // The copy may have reached the cluster all the same (a transport error
                    // after submission): it is watched, and rebroadcast, until it expires.
                    Failure::Retry(why) => format!(" (sending it: {why})"),
                },
            };
            match self.confirm(&tx, last_valid, ixs, opts).await? {
                Some(landed) => return Ok(landed),
                None => {
                    last = format!(
                        "{} not confirmed before its blockhash expired{send_error}",
                        tx.signatures[0]
                    )
                }
            }
        }
        if let Some(landed) = self.landed(&sent, ixs).await? {
            return Ok(landed);
        }
        Err(ClientError::Rpc(format!(
            "gave up after {} attempts: {last}",
            opts.attempts
        )))
    }

    /// The compute-unit limit `ixs` need: simulated under the largest limit, what they used
    /// plus 10 % and 1 000 units. A program error in the simulation is returned as the send
    /// would have returned it.
    async fn simulated_limit(
        &self,
        payer: &Keypair,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<u32, ClientError> {
        use solana_compute_budget_interface::ComputeBudgetInstruction as Cb;
        const MAX: u32 = 1_400_000;
        let mut probe = vec![Cb::set_compute_unit_limit(MAX)];
        probe.extend_from_slice(ixs);
        let blockhash = self
            .rpc
            .get_latest_blockhash()
            .await
            .map_err(|e| ClientError::Rpc(e.to_string()))?;
        let tx =
            Transaction::new_signed_with_payer(&probe, Some(&payer.pubkey()), signers, blockhash);
        let sim = self
            .rpc
            .simulate_transaction(&tx)
            .await
            .map_err(|e| ClientError::Rpc(e.to_string()))?
            .value;
        if let Some(err) = sim.err {
            return Err(transaction_error(
                &err.into(),
                &probe,
                &sim.logs.unwrap_or_default(),
            ));
        }
        let used = sim.units_consumed.unwrap_or(u64::from(MAX));
        let limit = used.saturating_add(used / 10).saturating_add(1_000);
        Ok(u32::try_from(limit).unwrap_or(MAX).min(MAX))
    }

    /// Poll `tx` until it reaches the client's commitment (`Some`) or fails (the program
    /// error), rebroadcasting it every [`REBROADCAST`]; `None` once its blockhash has expired
    /// (the confirmed block height is past `last_valid`) without it landing, or after
    /// `opts.confirm_timeout` (longer than any blockhash lives) when the height cannot be read.
    async fn confirm(
        &self,
        tx: &Transaction,
        last_valid: u64,
        ixs: &[Instruction],
        opts: SendOptions,
    ) -> Result<Option<(Signature, u64)>, ClientError> {
        let sig = tx.signatures[0];
        let started = Instant::now();
        let mut broadcast = Instant::now();
        let mut polls = 0u32;
        loop {
            tokio::time::sleep(opts.confirm_poll).await;
            polls += 1;
            if started.elapsed() > opts.confirm_timeout {
                // Landed but not reaching the commitment, or no answer: one last look.
                return self.landed(&[sig], ixs).await;
            }
            if let Ok(statuses) = self.rpc.get_signature_statuses(&[sig]).await {
                if let Some(Some(status)) = statuses.value.into_iter().next() {
                    if let Some(e) = status.err {
                        return Err(transaction_error(&e, ixs, &[]));
                    }
                    if status.satisfies_commitment(self.rpc.commitment()) {
                        return Ok(Some((sig, status.slot)));
                    }
                    continue; // processed, not yet at the commitment: it has landed
                }
            }
            if broadcast.elapsed() >= REBROADCAST {
                broadcast = Instant::now();
                let again = solana_client::rpc_config::RpcSendTransactionConfig {
                    skip_preflight: true,
                    ..Default::default()
                };
                let _ = self.rpc.send_transaction_with_config(tx, again).await;
            }
            if polls.is_multiple_of(10) {
                let height = self
                    .rpc
                    .get_block_height_with_commitment(self.rpc.commitment())
                    .await;
                if height.is_ok_and(|h| h > last_valid) {
                    // Expired: one last look, since it may have landed in its last block.
                    return match self.landed(&[sig], ixs).await? {
                        Some(landed) => Ok(Some(landed)),
                        None => Ok(None),
                    };
                }
            }
        }
    }

    /// The first of `sent` that the cluster has processed: `Ok(Some)` if it succeeded, the
    /// program error if it failed.
    async fn landed(
        &self,
        sent: &[Signature],
        ixs: &[Instruction],
    ) -> Result<Option<(Signature, u64)>, ClientError> {
        if sent.is_empty() {
            return Ok(None);
        }
        // Not knowing is not "not landed": signing a new copy now could execute the
        // instructions twice. Reported as a transaction error (not a transport one, which
        // would send a fresh copy through the next endpoint); the caller decides from the
        // chain's state what to do next.
        let statuses = self.rpc.get_signature_statuses(sent).await.map_err(|e| {
            ClientError::Transaction(format!(
                "could not tell whether an earlier copy of the transaction landed: {e}"
            ))
        })?;
        for (sig, status) in sent.iter().zip(statuses.value) {
            if let Some(status) = status {
                return match status.err {
                    None => Ok(Some((*sig, status.slot))),
                    Some(e) => Err(transaction_error(&e, ixs, &[])),
                };
            }
        }
        Ok(None)
    }

    /// The cluster's Unix time (the Clock sysvar's `unix_timestamp`), which is what the
    /// programs compare deadlines and notice periods with.
    pub async fn chain_time(&self) -> Result<i64, ClientError> {
        Ok(self.clock_at(0).await?.1)
    }

    /// The Clock sysvar's `(slot, unix_timestamp)` in one read (the slot and the time the
    /// programs see, from the same bank), as of slot `min_slot` or later (a lagging endpoint
    /// answers with an error, not an older clock).
    pub async fn clock_at(&self, min_slot: u64) -> Result<(u64, i64), ClientError> {
        let (data, _) = self
            .data_at(&solana_sdk::sysvar::clock::ID, min_slot)
            .await?;
        // Clock: slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp.
        let field = |at: usize| -> Result<[u8; 8], ClientError> {
            data.get(at..at + 8)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| ClientError::Invalid("the Clock sysvar is too short".into()))
        };
        Ok((
            u64::from_le_bytes(field(0)?),
            i64::from_le_bytes(field(32)?),
        ))
    }

    /// The current slot at the client's commitment.
    pub async fn slot(&self) -> Result<u64, ClientError> {
        self.rpc
            .get_slot()
            .await
            .map_err(|e| ClientError::Rpc(e.to_string()))
    }

    /// Wait (polling every 100 ms) until the cluster has reached `slot`.
    pub async fn wait_for_slot(&self, slot: u64, timeout: Duration) -> Result<(), ClientError> {
        let until = tokio::time::Instant::now() + timeout;
        while self.slot().await? < slot {
            if tokio::time::Instant::now() >= until {
                return Err(ClientError::Timeout(format!("slot {slot}")));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// The assignment-lottery seed of a job whose seed slot is `seed_slot`, from the SlotHashes
    /// sysvar (`None` until that slot has been recorded).
    pub async fn sortition_seed(&self, seed_slot: u64) -> Result<Option<[u8; 32]>, ClientError> {
        if let Some(seed) = seed_in_head(&self.slot_hashes_head(0).await?, seed_slot) {
            return Ok(seed);
        }
        Ok(depin_core::sortition::seed_from_slot_hashes(
            &self.slot_hashes().await?,
            seed_slot,
        ))
    }

    /// The head of the SlotHashes sysvar's data: its count and newest [`SEED_HEAD_ENTRIES`]
    /// entries (2.6 KB of 20 KB), for [`seed_in_head`]; as of slot `min_slot` or later (0: any),
    /// at [`Self::seed_commitment`].
    pub async fn slot_hashes_head(&self, min_slot: u64) -> Result<Vec<u8>, ClientError> {
        let head = 8 + SEED_HEAD_ENTRIES * 40;
        let sysvar = solana_sdk::sysvar::slot_hashes::ID;
        let slice = Some((0, head));
        let commitment = self.seed_commitment();
        Ok(self
            .data_sliced(&sysvar, min_slot, slice, commitment)
            .await?
            .0)
    }

    /// The whole SlotHashes sysvar's data, at [`Self::seed_commitment`].
    pub async fn slot_hashes(&self) -> Result<Vec<u8>, ClientError> {
        let sysvar = solana_sdk::sysvar::slot_hashes::ID;
        Ok(self
            .data_sliced(&sysvar, 0, None, self.seed_commitment())
            .await?
            .0)
    }

    /// The commitment lottery seeds are read at: this client's, but never below `confirmed`.
    /// A seed is kept once read (it never changes on the chain that settles the job), so it
    /// must not come from a bank a minority fork may drop: there the seed slot may have been
    /// skipped and the next produced slot's hash taken instead.
    pub fn seed_commitment(&self) -> CommitmentConfig {
        let own = self.rpc.commitment();
        if own.is_at_least_confirmed() {
            own
        } else {
            CommitmentConfig::confirmed()
        }
    }

    /// Decode the Anchor account at `address`.
    pub async fn account<T: AccountDeserialize>(&self, address: &Pubkey) -> Result<T, ClientError> {
        let data = self.data(address).await?;
        crate::accounts::decode(address, &data)
    }

    /// The job at `address`.
    pub async fn job(&self, address: &Pubkey) -> Result<Job, ClientError> {
        let data = self.data(address).await?;
        decode_zero_copy(address, &data)
    }

    /// The job at `address` as of slot `min_slot` or later, with the slot of the view: an
    /// endpoint that has not reached `min_slot` (a lagging or load-balanced node) answers
    /// with an error instead of an older view, so a decision never rests on a view older
    /// than what this caller knows landed.
    pub async fn job_at(&self, address: &Pubkey, min_slot: u64) -> Result<(Job, u64), ClientError> {
        let (data, slot) = self.data_at(address, min_slot).await?;
        Ok((decode_zero_copy(address, &data)?, slot))
    }

    /// The raw data of the account at `address` as of slot `min_slot` or later, with the slot
    /// of the view (see [`Self::job_at`]).
    pub async fn data_at(
        &self,
        address: &Pubkey,
        min_slot: u64,
    ) -> Result<(Vec<u8>, u64), ClientError> {
        self.data_sliced(address, min_slot, None, self.rpc.commitment())
            .await
    }

    /// [`Self::data_at`] at `commitment`, only `slice` (offset, length) of the data when given.
    async fn data_sliced(
        &self,
        address: &Pubkey,
        min_slot: u64,
        slice: Option<(usize, usize)>,
        commitment: CommitmentConfig,
    ) -> Result<(Vec<u8>, u64), ClientError> {
        let config = RpcAccountInfoConfig {
            encoding: Some(solana_client::rpc_config::UiAccountEncoding::Base64),
            commitment: Some(commitment),
            min_context_slot: (min_slot > 0).then_some(min_slot),
            data_slice: slice.map(|(offset, length)| {
                solana_client::rpc_config::UiDataSliceConfig { offset, length }
            }),
        };
        // `getAccountInfo` read raw: the typed helpers of the RPC client turn every error
        // (the node's "minimum context slot has not been reached" included) into
        // "AccountNotFound".
        let answer: serde_json::Value = self
            .rpc
            .send(
                solana_rpc_client_api::request::RpcRequest::GetAccountInfo,
                serde_json::json!([address.to_string(), config]),
            )
            .await
            .map_err(|e| ClientError::Rpc(e.to_string()))?;
        let slot = answer["context"]["slot"].as_u64().ok_or_else(|| {
            ClientError::Rpc(format!("getAccountInfo without a context: {answer}"))
        })?;
        let encoded = match &answer["value"] {
            serde_json::Value::Null => {
                return Err(ClientError::AccountNotFound(address.to_string()))
            }
            value => value["data"][0].as_str().ok_or_else(|| {
                ClientError::Rpc(format!("getAccountInfo: no base64 data in {value}"))
            })?,
        };
        use base64::Engine;
        let data = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| ClientError::Rpc(format!("getAccountInfo: bad base64: {e}")))?;
        Ok((data, slot))
    }

    async fn data(&self, address: &Pubkey) -> Result<Vec<u8>, ClientError> {
        let response = self
            .rpc
            .get_account_with_commitment(address, self.rpc.commitment())
            .await
            .map_err(|e| ClientError::Rpc(e.to_string()))?;
        response
            .value
            .map(|a| a.data)
            .ok_or_else(|| ClientError::AccountNotFound(address.to_string()))
    }

    /// Jobs matching `filter` (one `getProgramAccounts` per filter set of
    /// [`JobFilter::queries`]), sorted by address.
    pub async fn jobs(&self, filter: JobFilter) -> Result<Vec<(Pubkey, Job)>, ClientError> {
        let queries = filter.queries();
        let mut out = Vec::new();
        for filters in queries {
            for (address, data) in self
                .program_accounts(&JOBS_PROGRAM_ID, filters, "Job")
                .await?
            {
                out.push((address, decode_zero_copy(&address, &data)?));
            }
        }
        out.sort_by_key(|(a, _)| *a);
        out.dedup_by_key(|(a, _)| *a);
        Ok(out)
    }

    /// One `getProgramAccounts` of `program` with `filters` (base64, this client's commitment):
    /// each account's address and raw data (`expected` names the type in errors).
    async fn program_accounts(
        &self,
        program: &Pubkey,
        filters: Vec<RpcFilterType>,
        expected: &'static str,
    ) -> Result<Vec<(Pubkey, Vec<u8>)>, ClientError> {
        let config = RpcProgramAccountsConfig {
            filters: Some(filters),
            account_config: RpcAccountInfoConfig {
                encoding: Some(solana_client::rpc_config::UiAccountEncoding::Base64),
                commitment: Some(self.rpc.commitment()),
                ..RpcAccountInfoConfig::default()
            },
            ..RpcProgramAccountsConfig::default()
        };
        let accounts = self
            .rpc
            .get_program_ui_accounts_with_config(program, config)
            .await
            .map_err(|e| ClientError::Rpc(e.to_string()))?;
        accounts
            .into_iter()
            .map(|(address, account)| {
                let data = account
                    .data
                    .decode()
                    .ok_or_else(|| ClientError::BadAccount {
                        address: address.to_string(),
                        expected,
                        reason: "undecodable account data".into(),
                    })?;
                Ok((address, data))
            })
            .collect()
    }

    /// The provider accounts of `pool` whose operator is `operator` (what a worker signing
    /// with `operator` acts for), sorted by address.
    pub async fn providers_operated_by(
        &self,
        pool: &Pubkey,
        operator: &Pubkey,
    ) -> Result<Vec<(Pubkey, Provider)>, ClientError> {
        self.providers(pool, Some(operator)).await
    }

    /// Every provider account of `pool` (what the assignment lottery ranks), sorted by address.
    pub async fn providers_of(
        &self,
        pool: &Pubkey,
    ) -> Result<Vec<(Pubkey, Provider)>, ClientError> {
        self.providers(pool, None).await
    }

    async fn providers(
        &self,
        pool: &Pubkey,
        operator: Option<&Pubkey>,
    ) -> Result<Vec<(Pubkey, Provider)>, ClientError> {
        let memcmp = |offset: usize, bytes: &[u8]| {
            RpcFilterType::Memcmp(Memcmp::new_raw_bytes(offset, bytes.to_vec()))
        };
        let mut filters = vec![
            RpcFilterType::DataSize((8 + depin_core::limits::PROVIDER_SIZE) as u64),
            memcmp(0, Provider::DISCRIMINATOR),
            memcmp(offsets::PROVIDER_POOL, pool.as_ref()),
        ];
        if let Some(op) = operator {
            filters.push(memcmp(offsets::PROVIDER_OPERATOR, op.as_ref()));
        }
        let mut out = Vec::new();
        for (address, data) in self
            .program_accounts(&crate::STAKING_PROGRAM_ID, filters, "Provider")
            .await?
        {
            out.push((address, crate::accounts::decode(&address, &data)?));
        }
        out.sort_by_key(|(a, _)| *a);
        Ok(out)
    }

    /// Wait until the job at `address` is settled (or already closed: `None`), by account
    /// subscription when a websocket is configured, and by polling every `poll` either way (a
    /// dropped or silent subscription cannot make the wait miss it).
    pub async fn wait_settled(
        &self,
        address: &Pubkey,
        poll: Duration,
        timeout: Duration,
    ) -> Result<Option<Job>, ClientError> {
        let deadline = Instant::now() + timeout;
        let pubsub = match &self.ws_url {
            Some(url) => PubsubClient::new(url).await.ok(),
            None => None,
        };
        let config = RpcAccountInfoConfig {
            encoding: Some(solana_client::rpc_config::UiAccountEncoding::Base64),
            commitment: Some(self.rpc.commitment()),
            ..RpcAccountInfoConfig::default()
        };
        let mut subscription = match &pubsub {
            Some(ps) => ps.account_subscribe(address, Some(config)).await.ok(),
            None => None,
        };
        loop {
            match self.job(address).await {
                Ok(job) if job.status == job_status::SETTLED => return Ok(Some(job)),
                Ok(_) => {}
                Err(ClientError::AccountNotFound(_)) => return Ok(None),
                Err(e) => return Err(e),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ClientError::Timeout(format!("job {address} not settled")));
            }
            let wait = poll.min(left);
            match subscription.as_mut() {
                // A notification (or the poll interval, whichever first) triggers a re-read.
                Some((stream, _)) => {
                    if let Ok(None) = tokio::time::timeout(wait, stream.next()).await {
                        subscription = None; // the stream ended: keep polling
                    }
                }
                None => tokio::time::sleep(wait).await,
            }
        }
    }
}

enum Failure {
    Final(ClientError),
    Retry(String),
}

fn classify(e: &RpcClientError, ixs: &[Instruction]) -> Failure {
    let logs = match e.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::SendTransactionPreflightFailure(r),
            ..
        }) => r.logs.clone().unwrap_or_default(),
        _ => Vec::new(),
    };
    match e.get_transaction_error() {
        Some(TransactionError::BlockhashNotFound) => Failure::Retry("blockhash expired".into()),
        Some(TransactionError::AlreadyProcessed) => Failure::Retry("already processed".into()),
        Some(err) => Failure::Final(transaction_error(&err, ixs, &logs)),
        None => Failure::Retry(e.to_string()),
    }
}

/// A transaction error as a [`ClientError`], naming our programs' custom errors. The failing
/// program is taken from the logs when they are there (an error raised inside a CPI is
/// reported on the outer instruction), else from the failing instruction.
fn transaction_error(err: &TransactionError, ixs: &[Instruction], logs: &[String]) -> ClientError {
    let TransactionError::InstructionError(index, InstructionError::Custom(code)) = err else {
        return ClientError::Transaction(err.to_string());
    };
    let from_logs = logs.iter().find_map(|l| {
        let rest = l.strip_prefix("Program ")?;
        let (id, tail) = rest.split_once(' ')?;
        tail.starts_with("failed: custom program error")
            .then(|| id.to_owned())
    });
    let program = from_logs
        .or_else(|| ixs.get(*index as usize).map(|ix| ix.program_id.to_string()))
        .unwrap_or_default();
    let named = program_error(&program, *code)
        .or_else(|| anchor_error_in_logs(logs, *code))
        .or_else(|| token_error(&program, *code));
    match named {
        Some((name, message)) => ClientError::Program {
            program: program_name(&program),
            code: *code,
            name,
            message,
        },
        None => ClientError::Transaction(err.to_string()),
    }
}

/// Name and message of an Anchor framework error (constraints, account checks) from the log
/// line every Anchor program writes: `... Error Code: NAME. Error Number: N. Error Message: M.`
fn anchor_error_in_logs(logs: &[String], code: u32) -> Option<(String, String)> {
    logs.iter().find_map(|l| {
        let rest = &l[l.find("Error Code: ")? + "Error Code: ".len()..];
        let (name, rest) = rest.split_once(". Error Number: ")?;
        let (number, message) = rest.split_once(". Error Message: ")?;
        (number.trim().parse::<u32>().ok()? == code).then(|| {
            (
                name.trim().to_string(),
                message.trim().trim_end_matches('.').to_string(),
            )
        })
    })
}

/// Name and message of an SPL Token program error (e.g. `InsufficientFunds`).
fn token_error(program: &str, code: u32) -> Option<(String, String)> {
    use anchor_spl::token::spl_token::error::TokenError;
    if program != anchor_spl::token::ID.to_string() {
        return None;
    }
    let e = TokenError::try_from(code).ok()?;
    Some((format!("{e:?}"), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a `programSubscribe` / `getProgramAccounts` filter set selects `data`.
    fn selects(set: &[RpcFilterType], data: &[u8]) -> bool {
        set.iter().all(|f| match f {
            RpcFilterType::DataSize(n) => data.len() as u64 == *n,
            RpcFilterType::Memcmp(m) => m.bytes_match(data),
            other => panic!("unexpected filter {other:?}"),
        })
    }

    #[tokio::test]
    async fn a_request_to_a_hung_endpoint_fails_at_the_timeout_as_a_transport_error() {
        // Accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let _held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let rpc = DepinRpc::with_timeout(
            url,
            CommitmentConfig::confirmed(),
            Duration::from_millis(300),
        );
        let started = Instant::now();
        let answer = rpc.slot().await;
        assert!(
            matches!(answer, Err(ClientError::Rpc(_))),
            "a transport error (so callers fail over), got {answer:?}"
        );
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(5),
            "given up at the timeout, after {took:?}"
        );
    }

    #[test]
    fn claimable_jobs_are_those_with_a_free_slot_or_nothing_committed_each_in_one_set() {
        use depin_core::{limits::MAX_REPLICAS, settle};
        let market = Pubkey::new_unique();
        let sets = JobFilter::Claimable(market).queries();
        let mut selected = 0;
        for in_market in [market, Pubkey::new_unique()] {
            for status in [job_status::OPEN, job_status::SETTLED] {
                for r in 1..=MAX_REPLICAS {
                    for claimed in 0..=r {
                        for committed in 0..=claimed {
                            let mut data = vec![0u8; 8 + depin_core::limits::JOB_SIZE];
                            data[offsets::MARKET..offsets::MARKET + 32]
                                .copy_from_slice(in_market.as_ref());
                            let q = settle::quorum_for(r);
                            data[offsets::REPLICAS..offsets::REPLICAS + 5]
                                .copy_from_slice(&[r, q, status, claimed, committed]);
                            let want = in_market == market
                                && status == job_status::OPEN
                                && settle::replicas_allowed(r, MAX_REPLICAS)
                                && (claimed < r || committed == 0);
                            let n = sets.iter().filter(|s| selects(s, &data)).count();
                            assert_eq!(
                                n,
                                usize::from(want),
                                "r {r}, claimed {claimed}, committed {committed}, \
                                 status {status}, own market {}",
                                in_market == market
                            );
                            selected += n;
                        }
                    }
                }
            }
        }
        // Odd r of 1 ..= 7: r sets with a free slot and one full, nothing committed.
        assert_eq!(sets.len(), (1 + 1) + (3 + 1) + (5 + 1) + (7 + 1));
        assert!(selected > 0);
    }

    /// SlotHashes data as a sliced read returns it: the sysvar's full count, then only the
    /// newest entries (`slots`, newest first, each hashed to `[slot as u8; 32]`).
    fn head(count: u64, slots: &[u64]) -> Vec<u8> {
        let mut d = count.to_le_bytes().to_vec();
        for &s in slots {
            d.extend_from_slice(&s.to_le_bytes());
            d.extend_from_slice(&[s as u8; 32]);
        }
        d
    }

    #[test]
    fn a_seed_is_found_in_the_head_or_known_to_need_the_whole_sysvar() {
        // Slots 110 down to 100, 105 skipped; the sysvar holds 512 entries, the head 10.
        let slots: Vec<u64> = (100..=110).rev().filter(|&s| s != 105).collect();
        let h = head(512, &slots);
        assert_eq!(seed_in_head(&h, 107), Some(Some([107; 32])));
        assert_eq!(
            seed_in_head(&h, 105),
            Some(Some([106; 32])),
            "a skipped seed slot falls to the next produced one"
        );
        assert_eq!(seed_in_head(&h, 111), Some(None), "not recorded yet");
        assert_eq!(
            seed_in_head(&h, 99),
            None,
            "older than the head: read it all"
        );
        assert_eq!(
            seed_in_head(&[], 5),
            Some(None),
            "no data: nothing recorded"
        );
    }

    #[test]
    fn cluster_and_websocket_urls() {
        assert_eq!(cluster_url("devnet"), "https://api.devnet.solana.com");
        assert_eq!(cluster_url("http://h:1"), "http://h:1");
        assert_eq!(
            websocket_url("http://127.0.0.1:8899"),
            "ws://127.0.0.1:8900"
        );
        assert_eq!(
            websocket_url("https://api.devnet.solana.com"),
            "wss://api.devnet.solana.com"
        );
        assert_eq!(websocket_url("https://h:443/x"), "wss://h:444/x");
    }

    #[test]
    fn filter_offsets_match_the_layout() {
        assert_eq!(offsets::MARKET, 8);
        assert_eq!(offsets::REQUESTER, 40);
        let mut job: Job = bytemuck::Zeroable::zeroed();
        job.status = 0xAB;
        job.slots[3].provider = Pubkey::new_from_array([0xCD; 32]);
        let mut data = vec![0u8; 8];
        data.extend_from_slice(bytemuck::bytes_of(&job));
        assert_eq!(data[offsets::STATUS], 0xAB);
        assert_eq!(data[offsets::slot_provider(3)..][..32], [0xCD; 32]);
    }

    #[test]
    fn custom_errors_are_named_from_the_failing_program() {
        let ix = Instruction {
            program_id: JOBS_PROGRAM_ID,
            accounts: vec![],
            data: vec![],
        };
        let code: u32 = depin_jobs::JobsError::JobFull.into();
        let err = TransactionError::InstructionError(0, InstructionError::Custom(code));
        match transaction_error(&err, &[ix.clone()], &[]) {
            ClientError::Program { name, program, .. } => {
                assert_eq!((name.as_str(), program.as_str()), ("JobFull", "depin_jobs"))
            }
            other => panic!("{other:?}"),
        }
        // Raised inside the staking CPI: the logs name the inner program.
        let code: u32 = depin_staking::StakingError::InsufficientFreeStake.into();
        let err = TransactionError::InstructionError(0, InstructionError::Custom(code));
        let logs = vec![format!(
            "Program {} failed: custom program error: {code:#x}",
            crate::STAKING_PROGRAM_ID
        )];
        match transaction_error(&err, &[ix], &logs) {
            ClientError::Program { name, program, .. } => assert_eq!(
                (name.as_str(), program.as_str()),
                ("InsufficientFreeStake", "depin_staking")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn framework_and_token_errors_are_named_too() {
        let ix = Instruction {
            program_id: JOBS_PROGRAM_ID,
            accounts: vec![],
            data: vec![],
        };
        // An Anchor constraint: not in the IDL, named in the program's own log line.
        let err = TransactionError::InstructionError(0, InstructionError::Custom(2006));
        let logs = vec![
            "Program log: AnchorError caused by account: job. Error Code: ConstraintSeeds. Error Number: 2006. Error Message: A seeds constraint was violated.".to_string(),
        ];
        match transaction_error(&err, &[ix.clone()], &logs) {
            ClientError::Program { name, message, .. } => {
                assert_eq!(name, "ConstraintSeeds");
                assert_eq!(message, "A seeds constraint was violated");
            }
            other => panic!("{other:?}"),
        }
        // SPL Token's errors by name.
        let token = Instruction {
            program_id: anchor_spl::token::ID,
            ..ix
        };
        let err = TransactionError::InstructionError(0, InstructionError::Custom(1));
        match transaction_error(&err, &[token], &[]) {
            ClientError::Program { name, program, .. } => {
                assert_eq!(
                    (name.as_str(), program.as_str()),
                    ("InsufficientFunds", "spl_token")
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
