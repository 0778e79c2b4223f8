//! Watching: the websocket subscription, the periodic reconcile and housekeeping loops, and the dispatch of each job update to its driver (started, supervised and deregistered here).

use super::*;

impl Worker {
    pub(super) fn on_update(self: &Arc<Self>, job: Pubkey, data: Job, slot: u64, live: bool) {
        self.saw_holders(&data);
        if let Some(tx) = self.drivers.lock().expect("lock").get(&job) {
            let _ = tx.send(Some((data, if live { slot } else { 0 })));
            return;
        }
        let Some(info) = self.markets.get(&data.market) else {
            return;
        };
        if let Some(i) = data.slot_of(&info.provider) {
            // Held on chain but not driven: a lost journal (drive it), or a settled job this
            // worker cranks whose crank a restart interrupted.
            let entry = self.journal.get(&job).ok().flatten();
            let crank_due = data.status == job_status::SETTLED && crank_rank(&data, i).is_some();
            if entry.as_ref().is_none_or(|e| !e.phase.terminal())
                || (crank_due && self.accepting.load(Ordering::SeqCst))
            {
                self.spawn_driver(job, entry, None);
            }
            return;
        }
        // A full job can still be claimed in its ranked phase by displacing a worse-ranked
        // holder (e.g. wallets that claimed first without being among the best scores).
        if !self.accepting.load(Ordering::SeqCst)
            || data.status != job_status::OPEN
            || (data.free_slot().is_none() && !data.ranked_phase(slot))
            || self.passed.lock().expect("lock").contains(&job)
            || self.holding() >= self.cfg.policy.max_concurrent
            || self.waiting() >= self.max_pending()
        {
            return;
        }
        if self.journal.get(&job).ok().flatten().is_some() {
            return; // tried before (dropped or done)
        }
        // A live view goes with it: the driver decides on it without reading the job again.
        let view = live.then_some((data, slot));
        self.spawn_driver_with(job, None, Some((now_ms(), slot)), view);
    }

    /// Start driving `job`; `seen` is when (unix ms, slot) an unclaimed job was first seen.
    pub(super) fn spawn_driver(
        self: &Arc<Self>,
        job: Pubkey,
        entry: Option<Entry>,
        seen: Option<(u64, u64)>,
    ) {
        self.spawn_driver_with(job, entry, seen, None);
    }

    /// [`Self::spawn_driver`], handing the driver the subscription's `view` of the job.
    pub(super) fn spawn_driver_with(
        self: &Arc<Self>,
        job: Pubkey,
        entry: Option<Entry>,
        seen: Option<(u64, u64)>,
        view: Option<View>,
    ) {
        let (tx, rx) = watch::channel(view);
        {
            let mut drivers = self.drivers.lock().expect("lock");
            if drivers.contains_key(&job) {
                return;
            }
            drivers.insert(job, tx);
            self.metrics
                .set(crate::metrics::JOBS_IN_FLIGHT, "", drivers.len() as f64);
            if entry.as_ref().is_some_and(|e| e.phase != Phase::Claiming) {
                self.held.lock().expect("lock").insert(job);
            }
        }
        let this = self.clone();
        // Supervised: however the driver ends (an error, a panic), the job is deregistered so
        // the reconcile can start it again, and the failure is counted.
        let driver = tokio::spawn({
            let this = self.clone();
            async move { this.drive(job, entry, rx, seen).await }
        });
        tokio::spawn(async move {
            match driver.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(%job, error = %format!("{e:#}"), "driver stopped");
                }
                Err(e) => {
                    tracing::error!(%job, error = %e, "driver panicked");
                    this.metrics.inc(crate::metrics::DRIVER_PANICS_TOTAL, "");
                }
            }
            this.health.step_ok(&job);
            this.held.lock().expect("lock").remove(&job);
            this.settling.lock().expect("lock").remove(&job);
            let mut drivers = this.drivers.lock().expect("lock");
            drivers.remove(&job);
            this.metrics
                .set(crate::metrics::JOBS_IN_FLIGHT, "", drivers.len() as f64);
        });
    }

    pub(super) async fn reconcile_once(&self, tx: &mpsc::UnboundedSender<Update>) {
        let slot = self.chain.slot().await.unwrap_or(0);
        for info in self.markets.values() {
            let market = info.keys.market;
            let provider = info.provider;
            for filter in [
                JobFilter::Market {
                    market,
                    open_only: true,
                },
                JobFilter::HeldBy(provider),
            ] {
                match self
                    .chain
                    .call(move |r| Box::pin(async move { r.jobs(filter).await }))
                    .await
                {
                    Ok(jobs) => {
                        for (a, j) in jobs {
                            let _ = tx.send((a, j, slot, false));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "reconcile query failed"),
                }
            }
        }
    }

    /// Prune what a long-running worker accumulates (`housekeeping`), at start and every
    /// [`HOUSEKEEPING_EVERY`]. A failed pass is logged and tried again; it never stops work.
    pub(super) async fn housekeeping_loop(self: Arc<Self>) {
        let retention = Duration::from_secs(self.cfg.retention_secs);
        loop {
            let this = self.clone();
            let dir = self.cfg.data_dir.clone();
            let pass = tokio::task::spawn_blocking(move || {
                crate::housekeeping::prune(&this.journal, &dir, retention)
            })
            .await;
            match pass {
                Ok(Ok(p)) if p != crate::housekeeping::Pruned::default() => {
                    tracing::info!(
                        records = p.records,
                        files = p.files,
                        bytes = p.bytes,
                        "housekeeping: pruned"
                    );
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %format!("{e:#}"), "housekeeping failed"),
                Err(e) => tracing::warn!(error = %e, "housekeeping task failed"),
            }
            tokio::time::sleep(HOUSEKEEPING_EVERY).await;
        }
    }

    pub(super) async fn reconcile_loop(self: Arc<Self>, tx: mpsc::UnboundedSender<Update>) {
        let mut tick = tokio::time::interval(self.cfg.reconcile_every());
        tick.tick().await;
        loop {
            tick.tick().await;
            self.reconcile_once(&tx).await;
        }
    }

    /// The program subscriptions' filter sets: each market's jobs that a worker holding no
    /// slot needs to hear of ([`JobFilter::Claimable`]: a slot is free, or all are held and
    /// nothing is committed yet), and the jobs this worker's providers hold a slot in
    /// ([`JobFilter::HeldBy`], one set per slot position). A job whose slots are all held by
    /// others is not followed through its commitments, reveals and settlement: with many
    /// workers that was most of every worker's notifications (about 4r + 4 per job of r
    /// replicas, now r + 1 and the displacements); a slot given back later (`abandon_job`,
    /// `reclaim_slot`) puts the job back in the set, so bystanders hear of it at once. A job
    /// it claimed is followed from its claim on; what a notification misses a driver reads
    /// (its views of a job it touched must show its landed writes).
    fn subscriptions(&self) -> Vec<Vec<RpcFilterType>> {
        let mut providers: Vec<Pubkey> = self.markets.values().map(|i| i.provider).collect();
        providers.sort();
        providers.dedup();
        let mut sets: Vec<Vec<RpcFilterType>> = self
            .markets
            .values()
            .flat_map(|info| JobFilter::Claimable(info.keys.market).queries())
            .collect();
        sets.extend(
            providers
                .into_iter()
                .flat_map(|p| JobFilter::HeldBy(p).queries()),
        );
        sets
    }

    /// Program subscriptions ([`Self::subscriptions`]) and a slot subscription as the watchdog: when
    /// slots stop arriving for `stall_secs` the connection is considered dead and replaced.
    /// Reconnects back off from 200 ms to 5 s; a failing endpoint fails over.
    pub(super) async fn watch_loop(self: Arc<Self>, tx: mpsc::UnboundedSender<Update>) {
        let mut backoff = Duration::from_millis(200);
        let mut sessions = 0u64;
        let stall = Duration::from_secs(self.cfg.stall_secs.max(1));
        loop {
            let (endpoint, ws) = self.chain.websocket();
            let ps = match PubsubClient::new(&ws).await {
                Ok(ps) => ps,
                Err(e) => {
                    self.chain.websocket_failed(endpoint, &e.to_string());
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            let mut streams = Vec::new();
            let mut ok = true;
            for filters in self.subscriptions() {
                let config = RpcProgramAccountsConfig {
                    filters: Some(filters),
                    account_config: RpcAccountInfoConfig {
                        encoding: Some(UiAccountEncoding::Base64),
                        commitment: Some(commitment_of(&self.cfg.commitment)),
                        ..Default::default()
                    },
                    ..Default::default()
                };
                match ps
                    .program_subscribe(&depin_client::JOBS_PROGRAM_ID, Some(config))
                    .await
                {
                    Ok((s, _unsub)) => streams.push(s),
                    Err(e) => {
                        self.chain.websocket_failed(endpoint, &e.to_string());
                        ok = false;
                        break;
                    }
                }
            }
            let slots = if ok {
                ps.slot_subscribe().await.ok()
            } else {
                None
            };
            let Some((mut slots, _unsub)) = slots else {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            };
            if sessions > 0 {
                self.metrics
                    .inc(crate::metrics::WEBSOCKET_RECONNECTS_TOTAL, "");
            }
            sessions += 1;
            tracing::info!(endpoint, %ws, "subscribed");
            // Catch up on whatever happened while disconnected.
            self.reconcile_once(&tx).await;
            backoff = Duration::from_millis(200);
            let mut jobs = select_all(streams);
            loop {
                tokio::select! {
                    n = jobs.next() => {
                        let Some(n) = n else { break };
                        let Ok(address) = Pubkey::from_str(&n.value.pubkey) else { continue };
                        let Some(data) = n.value.account.data.decode() else { continue };
                        if let Ok(job) = depin_client::accounts::decode_zero_copy::<Job>(&address, &data) {
                            let _ = tx.send((address, job, n.context.slot, true));
                        }
                    }
                    s = tokio::time::timeout(stall, slots.next()) => {
                        match s {
                            Ok(Some(info)) => self.chain.slot_announced(info.slot),
                            Ok(None) | Err(_) => {
                                tracing::warn!(endpoint, "websocket stalled or closed; resubscribing");
                                break;
                            }
                        }
                    }
                }
            }
            drop(jobs);
            drop(slots);
            self.chain.websocket_failed(endpoint, "stalled or closed");
        }
    }
}
