//! Several RPC endpoints with failover: calls go to the preferred healthy endpoint; a transport
//! failure puts that endpoint in cooldown and the call moves to the next one. Program errors
//! are answers, not failures, and are returned at once. Each endpoint's `DepinRpc` already
//! refreshes blockhashes, retries and checks whether an earlier attempt landed.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use anchor_lang::prelude::Pubkey;
use depin_client::{rpc::DepinRpc, rpc::SendOptions, ClientError, Job};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::{
    instruction::Instruction,
    signature::{Keypair, Signature},
};

use crate::{health::Health, metrics::Metrics};

/// A boxed future borrowing an endpoint.
pub type RpcFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ClientError>> + Send + 'a>>;

struct Endpoint {
    rpc: DepinRpc,
    ws_url: String,
    cooling_until: Mutex<Option<Instant>>,
}

/// The endpoints.
pub struct Chain {
    endpoints: Vec<Endpoint>,
    current: AtomicUsize,
    cooldown: Duration,
    metrics: Arc<Metrics>,
    clock: Mutex<SlotClock>,
    /// See [`Chain::landed_slot`].
    landed: AtomicU64,
    /// Told of every slot read and landed transaction (`/health`).
    health: Arc<Health>,
    /// The clock as last read, shared by every driver until the chain moves on
    /// ([`Chain::tick`]); held across the read so concurrent callers wait for one answer.
    tick: tokio::sync::Mutex<Option<Tick>>,
    /// The newest slot the websocket announced ([`Chain::slot_announced`]).
    announced: AtomicU64,
}

/// The chain's clock as one read saw it: the slot and the Unix time programs compare
/// deadlines with, from the same bank.
#[derive(Clone, Copy, Debug)]
pub struct Tick {
    /// The slot.
    pub slot: u64,
    /// The Clock sysvar's `unix_timestamp`.
    pub unix_time: i64,
    /// When it was read here.
    read_at: Instant,
    /// The newest slot announced when it was read.
    announced: u64,
}

/// The cluster's slot rate as this worker observes it (first and latest slot reads), so a
/// driver can sleep until a given slot instead of polling for it.
#[derive(Debug, Default)]
struct SlotClock {
    first: Option<(Instant, u64)>,
    last: Option<(Instant, u64)>,
}

/// Slot time assumed before two reads far enough apart (mainnet's target).
const DEFAULT_SLOT_TIME: Duration = Duration::from_millis(400);

impl SlotClock {
    fn observe(&mut self, slot: u64) {
        let now = Instant::now();
        if self.first.is_none() {
            self.first = Some((now, slot));
        }
        self.last = Some((now, slot));
    }

    /// Mean slot time since the first read, once 20 slots went by; clamped to 20 ms ..= 2 s.
    fn slot_time(&self) -> Duration {
        match (self.first, self.last) {
            (Some((t0, s0)), Some((t1, s1))) if s1 >= s0 + 20 => ((t1 - t0) / (s1 - s0) as u32)
                .clamp(Duration::from_millis(20), Duration::from_secs(2)),
            _ => DEFAULT_SLOT_TIME,
        }
    }
}

/// Whether an error is the endpoint's fault (fail over) rather than an answer.
pub fn is_transport(e: &ClientError) -> bool {
    matches!(e, ClientError::Rpc(_) | ClientError::Timeout(_))
}

/// Whether the endpoint answered that it has not reached the read's `minContextSlot` yet
/// (JSON-RPC error -32016): healthy but behind, typically by the slot or two its `confirmed`
/// bank trails the one this worker's transaction landed in.
pub fn is_behind(e: &ClientError) -> bool {
    matches!(e, ClientError::Rpc(m) if m.contains("-32016") || m.contains("Minimum context slot"))
}

/// How long [`Chain::call`] waits, in slot times, for endpoints that are behind a read's
/// minimum slot to catch up before it returns their answer as an error.
const BEHIND_WAIT_SLOTS: u32 = 8;

/// How every endpoint is used.
#[derive(Clone, Copy, Debug)]
pub struct EndpointOptions {
    /// Commitment of reads and confirmations.
    pub commitment: CommitmentConfig,
    /// Defaults of every send.
    pub send: SendOptions,
    /// How long a failed endpoint is skipped.
    pub cooldown: Duration,
    /// How long one HTTP request may take before it counts as the endpoint's failure.
    pub request_timeout: Duration,
}

impl Chain {
    /// Endpoints `(rpc, ws)` in order of preference.
    pub fn new(
        urls: &[(String, String)],
        opts: EndpointOptions,
        metrics: Arc<Metrics>,
        health: Arc<Health>,
    ) -> Self {
        let endpoints = urls
            .iter()
            .map(|(rpc, ws)| Endpoint {
                rpc: DepinRpc::with_timeout(rpc.clone(), opts.commitment, opts.request_timeout)
                    .with_websocket(ws.clone())
                    .with_send_options(opts.send),
                ws_url: ws.clone(),
                cooling_until: Mutex::new(None),
            })
            .collect();
        Chain {
            endpoints,
            current: AtomicUsize::new(0),
            cooldown: opts.cooldown,
            metrics,
            clock: Mutex::new(SlotClock::default()),
            landed: AtomicU64::new(0),
            health,
            tick: tokio::sync::Mutex::new(None),
            announced: AtomicU64::new(0),
        }
    }

    /// The websocket's slot subscription saw `slot`: the shared clock is read again at the
    /// next call, and the slot rate is measured from these too.
    pub fn slot_announced(&self, slot: u64) {
        self.announced.fetch_max(slot, Ordering::SeqCst);
        self.clock.lock().expect("lock").observe(slot);
    }

    /// The chain's slot and time, read **once per slot** for every driver of this worker: a
    /// read is reused until the websocket announces a newer slot, or one slot time has passed
    /// (no websocket), and never when it is older than this worker's own landed transactions
    /// (the same minimum-context rule as job reads: the read itself asks for `minContextSlot`).
    /// A read from a lagging endpoint never replaces a newer one.
    pub async fn tick(&self) -> Result<Tick, ClientError> {
        let mut cached = self.tick.lock().await;
        if let Some(t) = *cached {
            if t.announced == self.announced.load(Ordering::SeqCst)
                && t.read_at.elapsed() < self.slot_time()
                && t.slot >= self.landed_slot()
            {
                self.metrics.inc(
                    crate::metrics::CHAIN_READS_TOTAL,
                    "what=\"clock\",source=\"shared\"",
                );
                return Ok(t);
            }
        }
        let announced = self.announced.load(Ordering::SeqCst);
        let min = self.landed_slot();
        let (slot, unix_time) = self
            .call(move |r| Box::pin(async move { r.clock_at(min).await }))
            .await?;
        self.metrics.inc(
            crate::metrics::CHAIN_READS_TOTAL,
            "what=\"clock\",source=\"rpc\"",
        );
        self.clock.lock().expect("lock").observe(slot);
        self.health.slot_seen(slot);
        let read = Tick {
            slot,
            unix_time,
            read_at: Instant::now(),
            announced,
        };
        match *cached {
            // Older than what was already seen (failover to a lagging node): keep the newer
            // view, and read again next time.
            Some(old) if old.slot > slot => Ok(old),
            _ => {
                *cached = Some(read);
                Ok(read)
            }
        }
    }

    /// The observed mean slot time (400 ms until enough slots went by).
    pub fn slot_time(&self) -> Duration {
        self.clock.lock().expect("lock").slot_time()
    }

    /// About how long until the chain, now at `now`, reaches `slot` (zero if it has).
    pub fn until_slot(&self, now: u64, slot: u64) -> Duration {
        let per = self.clock.lock().expect("lock").slot_time();
        per * slot.saturating_sub(now).min(10_000) as u32
    }

    /// Index of the endpoint to use among those not `tried` yet in this call: the first
    /// healthy one from the current, else the one whose cooldown ends first.
    fn pick(&self, tried: &[usize]) -> usize {
        let n = self.endpoints.len();
        let start = self.current.load(Ordering::Relaxed);
        let now = Instant::now();
        let mut soonest = (start, None::<Instant>);
        for k in 0..n {
            let i = (start + k) % n;
            if tried.contains(&i) {
                continue;
            }
            let until = *self.endpoints[i].cooling_until.lock().expect("lock");
            match until {
                None => return i,
                Some(t) if t <= now => return i,
                Some(t) => {
                    if soonest.1.is_none_or(|s| t < s) {
                        soonest = (i, Some(t));
                    }
                }
            }
        }
        soonest.0
    }

    fn fail(&self, i: usize, why: &ClientError) {
        self.metrics.inc(crate::metrics::RPC_ERRORS_TOTAL, "");
        tracing::warn!(endpoint = i, error = %why, "RPC endpoint failed; cooling down");
        *self.endpoints[i].cooling_until.lock().expect("lock") =
            Some(Instant::now() + self.cooldown);
        if self.endpoints.len() > 1 {
            self.current
                .store((i + 1) % self.endpoints.len(), Ordering::Relaxed);
        }
    }

    fn ok(&self, i: usize) {
        *self.endpoints[i].cooling_until.lock().expect("lock") = None;
        self.current.store(i, Ordering::Relaxed);
    }

    /// Run `f` on endpoints until one answers (each endpoint tried at most once per round).
    /// A transport failure cools its endpoint down and moves on. An endpoint that is only
    /// behind the read's minimum slot ([`is_behind`]) is not the endpoint's fault: the next
    /// one is asked, and when every endpoint is behind the round is tried again a quarter of
    /// a slot later, for up to [`BEHIND_WAIT_SLOTS`] slot times, before the answer is returned
    /// as the error. (A read just after this worker's own transaction landed is the common
    /// case: the `confirmed` view trails the landing slot by a slot or so.)
    pub async fn call<'a, T>(
        &'a self,
        f: impl Fn(&'a DepinRpc) -> RpcFuture<'a, T>,
    ) -> Result<T, ClientError> {
        let n = self.endpoints.len();
        let started = Instant::now();
        let mut last = None;
        loop {
            let mut tried = Vec::with_capacity(n);
            let mut behind = false;
            for _ in 0..n {
                let i = self.pick(&tried);
                tried.push(i);
                match f(&self.endpoints[i].rpc).await {
                    Err(e) if is_behind(&e) => {
                        behind = true;
                        last = Some(e);
                    }
                    Err(e) if is_transport(&e) => {
                        self.fail(i, &e);
                        last = Some(e);
                    }
                    other => {
                        self.ok(i);
                        return other;
                    }
                }
            }
            let slot = self.slot_time();
            if !behind || started.elapsed() >= slot * BEHIND_WAIT_SLOTS {
                break;
            }
            self.metrics.inc(crate::metrics::RPC_BEHIND_TOTAL, "");
            tokio::time::sleep(
                (slot / 4).clamp(Duration::from_millis(10), Duration::from_millis(200)),
            )
            .await;
        }
        Err(last.unwrap_or_else(|| ClientError::Rpc("no endpoint".into())))
    }

    /// Send and confirm (with failover) paying `fee` micro-lamports per compute unit (the
    /// limit then set from a simulation); the slot it landed in raises [`Self::landed_slot`].
    pub async fn send(
        &self,
        payer: &Keypair,
        ixs: &[Instruction],
        fee: u64,
    ) -> Result<Signature, ClientError> {
        let (sig, slot) = self
            .call(|r| {
                let opts = SendOptions {
                    priority_fee_micro_lamports: fee,
                    ..r.send_options()
                };
                Box::pin(r.send_landed(payer, ixs, &[], opts))
            })
            .await?;
        self.landed.fetch_max(slot, Ordering::SeqCst);
        self.health.slot_seen(slot);
        Ok(sig)
    }

    /// The latest slot in which a transaction of this worker landed: every job read asks for a
    /// view at least that recent.
    pub fn landed_slot(&self) -> u64 {
        self.landed.load(Ordering::SeqCst)
    }

    /// The job at `address`, as of [`Self::landed_slot`] or later: an endpoint whose view is
    /// older (lagging, or a load balancer's stale node) is refused and the next one is asked,
    /// so the worker never decides on a view that does not show its own landed transactions.
    pub async fn job(&self, address: &Pubkey) -> Result<Job, ClientError> {
        Ok(self.job_at(address).await?.0)
    }

    /// [`Self::job`] with the slot of the view.
    pub async fn job_at(&self, address: &Pubkey) -> Result<(Job, u64), ClientError> {
        let (a, min) = (*address, self.landed_slot());
        let view = self
            .call(move |r| Box::pin(async move { r.job_at(&a, min).await }))
            .await;
        if view.is_ok() {
            self.metrics.inc(
                crate::metrics::CHAIN_READS_TOTAL,
                "what=\"job\",source=\"rpc\"",
            );
        }
        view
    }

    /// Whether `provider` is accredited in allow-listed `market` (its accreditation account
    /// exists).
    pub async fn accredited(
        &self,
        market: &Pubkey,
        provider: &Pubkey,
    ) -> Result<bool, ClientError> {
        let at = depin_client::pda::accreditation(market, provider).0;
        self.call(move |r| {
            Box::pin(async move {
                match r.account::<depin_jobs::state::Accreditation>(&at).await {
                    Ok(_) => Ok(true),
                    Err(ClientError::AccountNotFound(_)) => Ok(false),
                    Err(e) => Err(e),
                }
            })
        })
        .await
    }

    /// The cluster's current unix time (the Clock sysvar, as programs see it), from the
    /// shared per-slot read ([`Self::tick`]).
    pub async fn unix_time(&self) -> Result<i64, ClientError> {
        Ok(self.tick().await?.unix_time)
    }

    /// The current slot, from the shared per-slot read ([`Self::tick`]).
    pub async fn slot(&self) -> Result<u64, ClientError> {
        Ok(self.tick().await?.slot)
    }

    /// The preferred endpoint's websocket URL (and its index).
    pub fn websocket(&self) -> (usize, String) {
        let i = self.pick(&[]);
        (i, self.endpoints[i].ws_url.clone())
    }

    /// Mark endpoint `i` failed (the websocket dropped).
    pub fn websocket_failed(&self, i: usize, why: &str) {
        self.fail(i, &ClientError::Rpc(format!("websocket: {why}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(endpoints: usize) -> Chain {
        let urls: Vec<(String, String)> = (0..endpoints)
            .map(|i| {
                (
                    format!("http://127.0.0.1:{}", 9 + i),
                    format!("ws://127.0.0.1:{}", 9 + i),
                )
            })
            .collect();
        Chain::new(
            &urls,
            EndpointOptions {
                commitment: CommitmentConfig::confirmed(),
                send: SendOptions::default(),
                cooldown: Duration::from_secs(10),
                request_timeout: Duration::from_secs(1),
            },
            Arc::new(Metrics::default()),
            Arc::new(Health::default()),
        )
    }

    fn behind() -> ClientError {
        ClientError::Rpc(
            "RPC error: RPC response error -32016: Minimum context slot has not been reached; "
                .into(),
        )
    }

    #[tokio::test]
    async fn an_endpoint_behind_the_minimum_slot_is_asked_again_not_cooled_down() {
        let c = chain(1);
        let calls = AtomicUsize::new(0);
        let answer = c
            .call(|_| {
                let k = calls.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move {
                    if k < 2 {
                        Err(behind())
                    } else {
                        Ok(7u64)
                    }
                })
            })
            .await;
        assert_eq!(answer.unwrap(), 7, "answered once it caught up");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(c.metrics.get(crate::metrics::RPC_BEHIND_TOTAL, ""), 2.0);
        assert_eq!(
            c.metrics.get(crate::metrics::RPC_ERRORS_TOTAL, ""),
            0.0,
            "being behind is not a failure"
        );
        assert!(c.endpoints[0].cooling_until.lock().unwrap().is_none());
    }

    #[tokio::test]
    async fn a_behind_endpoint_passes_the_read_to_the_next_one_at_once() {
        let c = chain(2);
        let asked = Mutex::new(Vec::new());
        let answer = c
            .call(|r| {
                let first = std::ptr::eq(r, &c.endpoints[0].rpc);
                asked.lock().unwrap().push(first);
                Box::pin(async move {
                    if first {
                        Err(behind())
                    } else {
                        Ok(1u8)
                    }
                })
            })
            .await;
        assert_eq!(answer.unwrap(), 1);
        assert_eq!(
            *asked.lock().unwrap(),
            vec![true, false],
            "no wait in between"
        );
        assert_eq!(c.metrics.get(crate::metrics::RPC_BEHIND_TOTAL, ""), 0.0);
    }

    #[tokio::test]
    async fn an_endpoint_behind_for_good_is_an_error_after_the_bounded_wait() {
        let c = chain(1);
        let started = Instant::now();
        let answer: Result<u8, _> = c.call(|_| Box::pin(async { Err(behind()) })).await;
        assert!(answer.as_ref().is_err_and(is_behind), "{answer:?}");
        let waited = started.elapsed();
        let bound = DEFAULT_SLOT_TIME * BEHIND_WAIT_SLOTS;
        assert!(
            waited >= bound && waited < bound + Duration::from_secs(2),
            "waited {waited:?} for a bound of {bound:?}"
        );
    }

    #[test]
    fn slot_time_from_observations() {
        let mut c = SlotClock::default();
        assert_eq!(c.slot_time(), DEFAULT_SLOT_TIME);
        let t0 = Instant::now();
        c.first = Some((t0, 100));
        c.last = Some((t0 + Duration::from_millis(1000), 110));
        assert_eq!(c.slot_time(), DEFAULT_SLOT_TIME, "too few slots to tell");
        c.last = Some((t0 + Duration::from_millis(4000), 140));
        assert_eq!(c.slot_time(), Duration::from_millis(100));
        c.last = Some((t0 + Duration::from_secs(400), 120));
        assert_eq!(c.slot_time(), Duration::from_secs(2), "clamped");
    }
}
