//! Deciding on an unclaimed job: the assignment plan (seed, field, rank), the policy, and everything a run needs fetched, verified and compiled before the claim.

use super::*;

impl Worker {
    /// Decide on an unclaimed job: the manifest must verify and parse, its limits must fit the
    /// policy and its price must clear the floor; then everything the run needs is fetched,
    /// verified and compiled **before** the claim, so a requester who serves a manifest but
    /// not its module or input (or one too slow to compile here) costs claimants nothing: the
    /// job is passed on, never claimed and abandoned. `Err` holds the metric label (`policy`
    /// or `fetch`) and the reason.
    pub(super) async fn decide(&self, job: &Job) -> Result<Manifest, (&'static str, String)> {
        if job.allow_list != 0 {
            // An allow-listed job: claim only with an accreditation (nothing fetched without).
            let provider = self.markets.get(&job.market).map(|m| m.provider);
            let accredited = match provider {
                Some(p) => self.chain.accredited(&job.market, &p).await,
                None => Ok(false),
            };
            match accredited {
                Ok(true) => {}
                Ok(false) => {
                    return Err((
                        "policy",
                        "the job is allow-listed and this provider is not accredited in its market"
                            .into(),
                    ))
                }
                Err(e) => return Err(("fetch", format!("reading the accreditation: {e}"))),
            }
        }
        let manifest = self.manifest(job).await.map_err(|e| ("fetch", e))?;
        // The rule requesters' tools apply to the published policy (depin_client::policy).
        depin_client::policy::check(
            &self.cfg.policy.as_provider_policy(),
            &depin_client::policy::Ask::of(job, &manifest),
        )
        .map_err(|r| ("policy", r.to_string()))?;
        let max_bond = self.cfg.policy.max_bond;
        if max_bond > 0 && job.bond > max_bond {
            return Err((
                "policy",
                format!(
                    "the bond of {} is above policy.max_bond ({max_bond})",
                    job.bond
                ),
            ));
        }
        if let Some(engine) = manifest.engine.as_deref() {
            if engine != depin_client::manifest::ENGINE {
                return Err((
                    "engine",
                    format!(
                        "the manifest is for the sandbox `{engine}`, this worker runs `{}`",
                        depin_client::manifest::ENGINE
                    ),
                ));
            }
        }
        if (manifest.module.sealed || manifest.input.sealed) && !job.is_private() {
            return Err((
                "manifest",
                "it names a sealed blob but the job is not private: no key would ever come".into(),
            ));
        }
        let limit = self.cfg.policy.max_blob_bytes;
        let module = self
            .fetch(&manifest.module.uri, &manifest.module.sha256, limit)
            .await
            .map_err(|e| ("fetch", format!("module: {e}")))?;
        // Kept in the content-addressed cache for the run, not in memory meanwhile.
        self.fetch(&manifest.input.uri, &manifest.input.sha256, limit)
            .await
            .map_err(|e| ("fetch", format!("input: {e}")))?;
        if manifest.module.sealed {
            // Compiled once the key has come (it is fetched and verified now).
            return Ok(manifest);
        }
        let (sandbox, hash, budget) = (
            self.sandbox.clone(),
            manifest.module.sha256,
            self.cfg.compile_budget(),
        );
        // An invalid module is fine: it is a result every replica agrees on.
        tokio::task::spawn_blocking(move || sandbox.prepare(&hash, Arc::new(module), budget))
            .await
            .map_err(|e| ("fetch", format!("compiler task: {e}")))?
            .map_err(|e| ("compile", format!("module: {e}")))?;
        Ok(manifest)
    }

    pub(super) async fn manifest(&self, job: &Job) -> Result<Manifest, String> {
        let bytes = self
            .fetch(job.spec_uri(), &job.spec_hash, MAX_MANIFEST_BYTES as u64)
            .await
            .map_err(|e| format!("manifest: {e}"))?;
        Manifest::from_bytes(&bytes).map_err(|e| e.to_string())
    }

    /// A blob from the local cache, or fetched (with retries), verified and cached.
    pub(super) async fn fetch(
        &self,
        uri: &str,
        sha: &hash::Hash32,
        limit: u64,
    ) -> Result<Vec<u8>, String> {
        if uri.starts_with("file://") && !self.cfg.policy.allow_file_uris {
            return Err(format!(
                "{uri}: file:// blobs are disabled (policy.allow_file_uris)"
            ));
        }
        let cached = self.cache.path_of(sha);
        if let Ok(bytes) = tokio::fs::read(&cached).await {
            if depin_client::blob::sha256(&bytes) == *sha {
                return Ok(bytes);
            }
        }
        let mut last = String::new();
        for attempt in 0..FETCH_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(300 << attempt)).await;
            }
            match self.fetcher.fetch(uri, sha, limit).await {
                Ok(bytes) => {
                    if self.cache.put_sync(&bytes).is_ok() {
                        let evicted =
                            self.cache_quota
                                .added(self.cache.dir(), bytes.len() as u64, &hex(sha));
                        if evicted.files > 0 {
                            tracing::info!(
                                files = evicted.files,
                                bytes = evicted.bytes,
                                "cache quota: evicted the oldest downloads"
                            );
                        }
                    }
                    return Ok(bytes);
                }
                // A digest mismatch or an oversized blob will not change on retry.
                Err(
                    e @ (depin_client::blob::BlobError::HashMismatch { .. }
                    | depin_client::blob::BlobError::TooLarge { .. }
                    | depin_client::blob::BlobError::Forbidden { .. }
                    | depin_client::blob::BlobError::BadUri(_)),
                ) => return Err(e.to_string()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(last)
    }

    /// Where this provider stands in `job`'s slot assignment now, from the chain slot, the
    /// job's seed, this provider's fresh stake, the pool's total and the stake of every other
    /// provider it expects to claim (cached for [`FIELD_TTL`]); also returns the chain slot.
    /// In the open phase, providers the ranked phase called and that did not come are noted
    /// as absent first, so the plan (and the next ones) do not wait for them: only on a view
    /// `confirmed` by a read (a subscription stops telling a worker of a job it holds no slot
    /// in once the job's first commitment lands, so a view of it can lack claims made since).
    pub(super) async fn claim_plan(
        &self,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        now: i64,
        confirmed: bool,
    ) -> Result<(ClaimPlan, u64)> {
        let slot = self.chain.slot().await?;
        if !job.ranked_phase(slot) && job.free_slot().is_none() {
            return Ok((ClaimPlan::Stay, slot));
        }
        let (provider, pool_key) = (info.provider, info.keys.staking_pool);
        let (
            seed,
            StakeView {
                provider: me, pool, ..
            },
            others,
        ) = tokio::try_join!(
            self.seed(job.seed_slot, slot),
            self.stake(info, slot),
            self.field(&pool_key),
        )?;
        let mut contenders: Vec<Contender> = others
            .iter()
            .filter(|c| {
                c.provider != provider && self.presence.lock().expect("lock").expected(&c.provider)
            })
            .copied()
            .collect();
        contenders.push(Contender::of(provider, &me));
        let field = Field {
            total: pool.total_staked,
            contenders: &contenders,
            stagger_slots: self.stagger_slots(),
        };
        if let Some(seed) = seed.as_ref().filter(|_| confirmed) {
            let missed = assign::no_shows(job, addr, field, slot, seed);
            if !missed.is_empty() {
                let mut presence = self.presence.lock().expect("lock");
                for p in &missed {
                    presence.missed(p, addr, now);
                }
                self.metrics.set(
                    crate::metrics::PROVIDERS_ABSENT,
                    "",
                    presence.absent() as f64,
                );
            }
        }
        let plan = assign::plan(job, addr, &provider, field, slot, seed.as_ref());
        tracing::debug!(job = %addr, ?plan, "assignment");
        Ok((plan, slot))
    }

    /// The seed of a job whose seed slot is `seed_slot`, once the chain (now at `slot`) has
    /// recorded it; `None` before, or when the SlotHashes sysvar no longer reaches it.
    pub(super) async fn seed(
        &self,
        seed_slot: u64,
        slot: u64,
    ) -> Result<Option<hash::Hash32>, ClientError> {
        if slot <= seed_slot {
            return Ok(None);
        }
        if let Some(s) = self.seeds.lock().expect("lock").get(&seed_slot) {
            return Ok(Some(*s));
        }
        // The newest SlotHashes entries, read once for every job whose seed slot they cover
        // (held across the read: drivers looking up at once wait for one answer).
        let mut head = self.slot_hashes.lock().await;
        let known = head
            .as_deref()
            .and_then(|h| depin_client::rpc::seed_in_head(h, seed_slot))
            .flatten();
        let seed = match known {
            Some(s) => {
                drop(head);
                Some(s)
            }
            None => {
                // At least the slot after the seed slot: a lagging node fails over.
                let fresh = self
                    .chain
                    .call(move |r| Box::pin(r.slot_hashes_head(seed_slot + 1)))
                    .await?;
                self.metrics.inc(
                    crate::metrics::CHAIN_READS_TOTAL,
                    "what=\"seed\",source=\"rpc\"",
                );
                let found = depin_client::rpc::seed_in_head(&fresh, seed_slot);
                *head = Some(fresh);
                drop(head);
                match found {
                    Some(s) => s,
                    // Older than the newest entries (a job seen late): the whole sysvar, read
                    // once (the seed is then cached like any other).
                    None => {
                        let all = self.chain.call(|r| Box::pin(r.slot_hashes())).await?;
                        depin_core::sortition::seed_from_slot_hashes(&all, seed_slot)
                    }
                }
            }
        };
        if let Some(s) = seed {
            let mut seeds = self.seeds.lock().expect("lock");
            seeds.insert(seed_slot, s);
            while seeds.len() > MAX_SEEDS {
                seeds.pop_first();
            }
        }
        Ok(seed)
    }

    /// This worker's provider account and its market's pool, read **once per slot** for every
    /// driver planning in it (`slot`, from the shared clock), and again once this worker has
    /// landed a transaction since (its claims lock bonds), each read as of that landed slot
    /// (`minContextSlot`): a plan then rests on the same freshness as one read of its own,
    /// without one read per driver and per wake.
    pub(super) async fn stake(
        &self,
        info: &MarketInfo,
        slot: u64,
    ) -> Result<StakeView, ClientError> {
        // Held across the read: drivers planning at once wait for one answer.
        let mut stakes = self.stakes.lock().await;
        let landed = self.chain.landed_slot();
        if let Some(v) = stakes.get(&info.provider) {
            if v.slot >= slot && v.landed == landed {
                self.metrics.inc(
                    crate::metrics::CHAIN_READS_TOTAL,
                    "what=\"stake\",source=\"shared\"",
                );
                return Ok(v.clone());
            }
        }
        let (provider, pool_key) = (info.provider, info.keys.staking_pool);
        // As of this worker's landed transactions: a lagging node's older view (without the
        // bond its last claim locked) is refused and the next endpoint asked.
        let (me, pool) = tokio::try_join!(
            self.chain
                .call(move |r| Box::pin(async move { r.data_at(&provider, landed).await })),
            self.chain
                .call(move |r| Box::pin(async move { r.data_at(&pool_key, landed).await })),
        )?;
        let me = depin_client::accounts::decode::<Provider>(&provider, &me.0)?;
        let pool = depin_client::accounts::decode::<Pool>(&pool_key, &pool.0)?;
        self.metrics.inc(
            crate::metrics::CHAIN_READS_TOTAL,
            "what=\"stake\",source=\"rpc\"",
        );
        let view = StakeView {
            slot,
            landed,
            provider: me,
            pool,
        };
        stakes.insert(info.provider, view.clone());
        Ok(view)
    }

    /// Every provider of `pool` (at most [`FIELD_TTL`] old).
    pub(super) async fn field(&self, pool: &Pubkey) -> Result<Arc<Vec<Contender>>, ClientError> {
        let mut fields = self.fields.lock().await;
        if let Some((at, f)) = fields.get(pool) {
            if at.elapsed() < FIELD_TTL {
                return Ok(f.clone());
            }
        }
        let pool_key = *pool;
        let providers = match self
            .chain
            .call(move |r| Box::pin(async move { r.providers_of(&pool_key).await }))
            .await
        {
            Ok(p) => p,
            // A failed read must not stop every claim: plan with the last list read.
            Err(e) => match fields.get(pool) {
                Some((_, f)) => {
                    tracing::warn!(error = %e, "reading the pool's providers failed; using the last list");
                    return Ok(f.clone());
                }
                None => return Err(e),
            },
        };
        let f: Arc<Vec<Contender>> = Arc::new(
            providers
                .iter()
                .map(|(a, p)| Contender::of(*a, p))
                .collect(),
        );
        fields.insert(*pool, (Instant::now(), f.clone()));
        Ok(f)
    }

    /// Pass on a job before claiming it: recorded as dropped if a claim was ever journalled
    /// (an earlier attempt), else only remembered in memory so it is not driven again.
    /// `why` labels the `depin_worker_jobs_passed_total` metric.
    pub(super) fn pass(&self, entry: &mut Entry, why: &str, outcome: Outcome) -> Result<()> {
        let job = Pubkey::from_str(&entry.job)?;
        self.passed.lock().expect("lock").insert(job);
        if self.journal.get(&job)?.is_some() {
            return self.finish(entry, Phase::Dropped, outcome);
        }
        tracing::debug!(%job, %outcome, "passed");
        self.metrics
            .inc(crate::metrics::JOBS_PASSED_TOTAL, &format!("why=\"{why}\""));
        Ok(())
    }
}
