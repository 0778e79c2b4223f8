//! Running a job in the sandbox, publishing its result blob once revealed, and rebuilding a commitment whose journal record was lost.

use super::*;

impl Worker {
    /// Rebuild a commitment this worker made but whose journal record is lost: run the job
    /// again (deterministic), derive the salt from the operator key, and keep them if they
    /// open the commitment on chain; otherwise the slot cannot be revealed (and will count
    /// as withheld).
    pub(super) async fn recover_commitment(
        &self,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        entry: &mut Entry,
        i: usize,
    ) -> Result<Next> {
        tracing::warn!(job = %addr, "commitment without a journal record: recovering it");
        let key = match job.is_private().then(|| self.slot_key(job, i, i64::MAX)) {
            None => None,
            Some(keys::SlotKey::Ready(k)) => Some(k),
            // Committed, so the key was delivered: only an envelope that no longer opens
            // (another operator key now) gets here.
            Some(_) => {
                self.finish(
                    entry,
                    Phase::Dropped,
                    Outcome::Lost("the slot's key envelope does not open with this key".into()),
                )?;
                return Ok(Next::Finished);
            }
        };
        let (code, result, uri) = match self.execute(addr, job, None, key.as_ref()).await {
            Ok(r) => r,
            Err(why) => {
                self.finish(
                    entry,
                    Phase::Dropped,
                    Outcome::Lost(format!("re-running failed: {why}")),
                )?;
                return Ok(Next::Finished);
            }
        };
        let salt = derived_salt(&self.me, addr, &result);
        if hash::commitment(addr, &info.provider, &result, &salt) != job.slots[i].commitment {
            self.finish(
                entry,
                Phase::Dropped,
                Outcome::Lost(
                    "the re-run result and derived salt do not open the commitment".into(),
                ),
            )?;
            return Ok(Next::Finished);
        }
        entry.exit_code = (!job.is_private()).then_some(code);
        entry.result_hash = Some(result);
        entry.result_uri = Some(uri);
        entry.salt = Some(salt);
        entry.phase = Phase::Committed;
        self.journal.put(entry)?;
        self.metrics
            .inc(crate::metrics::COMMITMENTS_RECOVERED_TOTAL, "");
        tracing::info!(job = %addr, "commitment recovered");
        Ok(Next::Again)
    }

    /// Fetch, verify and run the job; publish the result blob. `Err` (a reason) means the slot
    /// should be given back: a blob that cannot be fetched or does not verify, or a run that
    /// hit the wall-clock limit.
    /// Move this entry's result blob from `pending/` to the served `blobs/` folder (its reveal
    /// has landed). Idempotent; a blob already published or never stored is no error.
    pub(super) fn publish(&self, entry: &Entry) -> anyhow::Result<()> {
        let Some(name) = entry
            .result_uri
            .as_deref()
            .and_then(|u| u.rsplit('/').next())
            .filter(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            return Ok(());
        };
        let from = self.results.dir().join(name);
        let to = self.blob_dir.join(name);
        match std::fs::rename(&from, &to) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("publishing {}", to.display())),
        }
    }

    /// Run `job`'s module; `until` is when the slot's commit deadline falls on this machine's
    /// clock (`None`: no deadline, the manifest's wall-time limit alone). The run's own limit
    /// is cut to end [`RUN_RESERVE_MS`] before it, measured once the module and input are at
    /// hand and the module compiled. `Err` is a failure that is not a result (the slot is
    /// given back).
    ///
    /// A private job (`secret`, opened from the slot's envelope) runs on its opened blobs,
    /// which stay in memory; its result hash is keyed with the job's secret and its result
    /// blob (output and logs) is stored and served only sealed to the requester's wallet key;
    /// nothing of it is streamed live.
    pub(super) async fn execute(
        &self,
        address: &Pubkey,
        job: &Job,
        until: Option<Instant>,
        key: Option<&keys::RunKey>,
    ) -> Result<(i32, hash::Hash32, String), String> {
        use depin_client::privacy::BlobRole;
        let secret = key.map(|k| &k.secret);
        let manifest = self.manifest(job).await?;
        let limit = self.cfg.policy.max_blob_bytes;
        let module = self
            .fetch(&manifest.module.uri, &manifest.module.sha256, limit)
            .await
            .map_err(|e| format!("module: {e}"))?;
        let module = keys::opened(
            module,
            manifest.module.sealed,
            BlobRole::Module,
            address,
            secret,
        )
        .map_err(|e| format!("module: {e}"))?;
        let input = self
            .fetch(&manifest.input.uri, &manifest.input.sha256, limit)
            .await
            .map_err(|e| format!("input: {e}"))?;
        let input = keys::opened(
            input,
            manifest.input.sealed,
            BlobRole::Input,
            address,
            secret,
        )
        .map_err(|e| format!("input: {e}"))?;
        // The compile cache is keyed by the bytes compiled: a sealed module's plaintext hash,
        // never its ciphertext's (a public job naming that ciphertext must not run the cached
        // plaintext).
        let module_hash = if manifest.module.sealed {
            depin_client::blob::sha256(&module)
        } else {
            manifest.module.sha256
        };
        let module = Arc::new(module);
        let budget = match key {
            Some(k) if manifest.module.sealed => k.compile_budget(self.cfg.compile_budget()),
            _ => self.cfg.compile_budget(),
        };
        if budget.is_zero() {
            return Err(
                "no time left to compile the sealed module while the slot can be given back free"
                    .into(),
            );
        }
        let (sandbox, hash_) = (self.sandbox.clone(), module_hash);
        let wasm = module.clone();
        // Compiled before the clock is read (from the cache, normally): compiling is not
        // counted by the run's own wall-time limit.
        tokio::task::spawn_blocking(move || sandbox.prepare(&hash_, wasm, budget))
            .await
            .map_err(|e| format!("compiler task: {e}"))?
            .map_err(|e| format!("module: {e}"))?;
        let left_ms = match until {
            Some(t) => (t.saturating_duration_since(Instant::now()).as_millis() as u64)
                .saturating_sub(RUN_RESERVE_MS),
            None => u64::MAX,
        };
        if left_ms == 0 {
            return Err("no time left to run before the slot's deadline".into());
        }
        let sandbox = self.sandbox.clone();
        let mut limits = manifest.limits;
        let cut_short = left_ms < limits.wall_ms;
        limits.wall_ms = limits.wall_ms.min(left_ms);
        let (name, args, hash_) = (manifest.name.clone(), manifest.args.clone(), module_hash);
        // Nothing of a private job is streamed (its logs reach the requester sealed).
        let live = secret
            .is_none()
            .then(|| self.live.start(*address, job.requester));
        let input = Arc::new(input);
        let kept = (input.clone(), module.clone());
        let run = tokio::task::spawn_blocking(move || {
            sandbox.run_observed(&hash_, &module[..], &name, &args, input, &limits, live)
        })
        .await;
        if secret.is_none() {
            self.live.finish(address);
        }
        if secret.is_some() {
            keys::wipe(kept.0);
            if manifest.module.sealed {
                keys::wipe(kept.1);
            }
        }
        let run = run.map_err(|e| format!("sandbox task: {e}"))?;
        let exec_ = match run {
            Ok(e) => e,
            Err(e @ SandboxError::WallClock(_)) | Err(e @ SandboxError::Internal(_)) => {
                let label = if secret.is_some() {
                    "result=\"private\""
                } else {
                    "result=\"aborted\""
                };
                self.metrics.inc(crate::metrics::EXECUTIONS_TOTAL, label);
                if cut_short && matches!(e, SandboxError::WallClock(_)) {
                    return Err(format!(
                        "the run would not end {} s before the slot's deadline ({e})",
                        RUN_RESERVE_MS / 1000
                    ));
                }
                return Err(e.to_string());
            }
        };
        if secret.is_some() {
            // Exit code, fuel and time depend on the plaintext: none of them reaches the
            // metrics (a stranger could diff them around a run) or the log.
            self.metrics
                .inc(crate::metrics::EXECUTIONS_TOTAL, "result=\"private\"");
            tracing::info!(cache_hit = exec_.cache_hit, "executed (private job)");
        } else {
            self.metrics.inc(
                crate::metrics::EXECUTIONS_TOTAL,
                &format!(
                    "result=\"{}\"",
                    exec::describe_exit(exec_.exit_code).replace(' ', "_")
                ),
            );
            self.metrics.add(
                crate::metrics::EXECUTION_SECONDS_SUM,
                "",
                exec_.elapsed.as_secs_f64(),
            );
            self.metrics
                .add(crate::metrics::FUEL_USED_TOTAL, "", exec_.fuel_used as f64);
            tracing::info!(
                exit_code = exec_.exit_code,
                detail = %exec_.detail,
                fuel = exec_.fuel_used,
                ms = exec_.elapsed.as_millis() as u64,
                cache_hit = exec_.cache_hit,
                "executed"
            );
        }
        let mut stderr = exec_.stderr;
        let mut output = exec_.output;
        if self.cfg.fault == Fault::WrongResult {
            output.extend_from_slice(b"\n(tampered by a dishonest provider)\n");
        }
        // The logs (stderr) are part of the result: replicas agree on them like on the output.
        let mut blob = exec::encode_result_blob(exec_.exit_code, &output, &stderr);
        let result = match secret {
            Some(s) => s.result_hash(address, exec_.exit_code, &output, &stderr),
            None => hash::result_hash(exec_.exit_code, &output, &stderr),
        };
        if secret.is_some() {
            let sealed = depin_client::privacy::seal_result(&job.requester, &blob)
                .map_err(|e| format!("sealing the result: {e}"))?;
            zeroize::Zeroize::zeroize(&mut blob);
            zeroize::Zeroize::zeroize(&mut output);
            zeroize::Zeroize::zeroize(&mut stderr);
            blob = sealed;
        }
        let stored = self
            .results
            .put_sync(&blob)
            .map_err(|e| format!("storing the result: {e}"))?;
        Ok((exec_.exit_code, result, stored.uri))
    }
}
