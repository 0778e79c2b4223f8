//! A job's driver: re-read the job, take the one next step its state and the journal call for, and record how it ended.

use super::*;

impl Worker {
    pub(super) async fn drive(
        self: &Arc<Self>,
        addr: Pubkey,
        entry: Option<Entry>,
        mut rx: watch::Receiver<Option<View>>,
        seen: Option<(u64, u64)>,
    ) -> Result<()> {
        // A job first seen live and never touched by this worker: the subscription's view is
        // as good as a read (there is no write of this worker it could be missing).
        let handed = (entry.is_none() && seen.is_some())
            .then(|| *rx.borrow())
            .flatten()
            .filter(|(_, slot)| *slot > 0);
        let mut first = match handed {
            Some((job, _)) => {
                self.metrics.inc(
                    crate::metrics::CHAIN_READS_TOTAL,
                    "what=\"job\",source=\"subscription\"",
                );
                Ok(job)
            }
            None => self.chain.job(&addr).await,
        };
        if matches!(first, Err(ClientError::AccountNotFound(_))) && entry.is_some() {
            // Confirmed by a second read before the journal entry is finished.
            tokio::time::sleep(POLL).await;
            first = self.chain.job(&addr).await;
        }
        let first = match first {
            Ok(j) => j,
            Err(ClientError::AccountNotFound(_)) => {
                // (An entry already finished keeps its outcome: paid, slashed, released.)
                if let Some(mut e) = entry.filter(|e| !e.phase.terminal()) {
                    let finished = e.phase >= Phase::Revealed;
                    self.finish(&mut e, Phase::Done, Outcome::Closed { finished })?;
                }
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let Some(info) = self.markets.get(&first.market).cloned() else {
            bail!(
                "job {addr} belongs to market {} this worker does not serve",
                first.market
            );
        };
        let mut entry = match entry {
            Some(e) => e,
            None => match self.journal.get(&addr)? {
                Some(e) => e,
                None if first.slot_of(&info.provider).is_some() => {
                    let mut e = Entry::new(&addr, &first.market);
                    e.phase = Phase::Claimed;
                    self.journal.put(&e)?;
                    e
                }
                None => {
                    // Journalled when (and only if) a claim is about to be sent: a job this
                    // worker is not assigned, or refuses, leaves no record.
                    let mut e = Entry::new(&addr, &first.market);
                    if let Some((ms, slot)) = seen {
                        e.seen_ms = ms;
                        e.seen_slot = Some(slot);
                    }
                    e
                }
            },
        };
        let mut failures = 0u32;
        let mut gone_once = false;
        // The slot of the newest view decided on: a subscription view is used instead of a
        // read only when it is newer than that and shows this worker's landed writes.
        let mut decided_at = 0u64;
        // Steps in a row decided on the same (unchanged) view of an untouched job, and whether
        // the last step asked for a read before it acts (`Next::Confirm`).
        let (mut reuses, mut must_read) = (0u32, false);
        loop {
            let view = if must_read {
                None
            } else {
                self.subscribed_view(
                    &mut rx,
                    decided_at,
                    touched(&entry),
                    reuses < MAX_VIEW_REUSES,
                )
            };
            must_read = false;
            let from_view = view.is_some();
            reuses = match view {
                Some((_, slot)) if slot <= decided_at => reuses + 1,
                _ => 0,
            };
            let read = match view {
                Some(view) => Ok(view),
                None => self.chain.job_at(&addr).await,
            };
            let job = match read {
                Ok((j, slot)) => {
                    gone_once = false;
                    decided_at = decided_at.max(slot);
                    j
                }
                // A journal entry is never finished on one read: the second, a poll later,
                // may come from another endpoint.
                Err(ClientError::AccountNotFound(_)) if !gone_once => {
                    gone_once = true;
                    tokio::time::sleep(POLL).await;
                    continue;
                }
                Err(ClientError::AccountNotFound(_)) if entry.phase.terminal() => {
                    return Ok(());
                }
                Err(ClientError::AccountNotFound(_)) => {
                    let finished = entry.phase >= Phase::Revealed;
                    self.finish(&mut entry, Phase::Done, Outcome::Closed { finished })?;
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(job = %addr, error = %e, "reading the job failed; retrying");
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            let now = match self.chain.unix_time().await {
                Ok(t) => t,
                Err(_) => {
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            let stepped = self
                .step(&addr, &job, &info, &mut entry, now, !from_view)
                .await;
            match &stepped {
                Ok(_) => self.health.step_ok(&addr),
                Err(_) => self.health.step_failed(addr, failures + 1),
            }
            match stepped {
                Ok(Next::Again) => failures = 0,
                Ok(Next::Confirm) => {
                    failures = 0;
                    must_read = true;
                }
                Ok(Next::Finished) => return Ok(()),
                Ok(Next::Wait) => {
                    failures = 0;
                    let _ = tokio::time::timeout(POLL, rx.changed()).await;
                }
                Ok(Next::WaitFor(d)) => {
                    failures = 0;
                    let _ = tokio::time::timeout(d, rx.changed()).await;
                }
                Err(e) => {
                    failures += 1;
                    let wait = POLL * failures.min(10);
                    tracing::warn!(job = %addr, error = %e, failures, "step failed; re-reading the job");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// The job as the subscription last delivered it, if that view is newer than `decided_at`
    /// (the slot of the last view a step was decided on) and at least as recent as this
    /// worker's own landed transactions: then it is as good as a read, and saves one.
    ///
    /// Only a job this worker has `touched` (sent a transaction for, or holds) needs the view
    /// to be that recent and new: of a job it never wrote to, the newest notification misses
    /// nothing of its own, however busy it is landing transactions for other jobs, and stands
    /// until a newer one comes (`may_reuse`: for at most [`MAX_VIEW_REUSES`] steps in a row, so
    /// a job closed without a notification, e.g. cancelled, or a program stream gone quiet while
    /// slots still arrive, is read again soon).
    fn subscribed_view(
        &self,
        rx: &mut watch::Receiver<Option<View>>,
        decided_at: u64,
        touched: bool,
        may_reuse: bool,
    ) -> Option<View> {
        // Marked seen: the wait after this step waits for a newer notification.
        let view = (*rx.borrow_and_update())?;
        let fresh_enough = if touched {
            stands_in_for_a_read(view.1, decided_at, self.chain.landed_slot())
        } else {
            still_current(view.1, decided_at) && (view.1 > decided_at || may_reuse)
        };
        if !fresh_enough {
            return None;
        }
        self.metrics.inc(
            crate::metrics::CHAIN_READS_TOTAL,
            "what=\"job\",source=\"subscription\"",
        );
        Some(view)
    }

    pub(super) fn finish(&self, entry: &mut Entry, phase: Phase, outcome: Outcome) -> Result<()> {
        tracing::info!(job = %entry.job, ?phase, %outcome, "finished");
        let label = outcome.label();
        self.metrics
            .inc(crate::metrics::JOBS_TOTAL, &format!("outcome=\"{label}\""));
        entry.phase = phase;
        entry.outcome = Some(outcome.to_string());
        self.journal.put(entry)
    }

    /// `confirmed`: `job` was read from the chain (not a subscription's view).
    pub(super) async fn step(
        self: &Arc<Self>,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        entry: &mut Entry,
        now: i64,
        confirmed: bool,
    ) -> Result<Next> {
        let Some(i) = job.slot_of(&info.provider) else {
            return self.unclaimed(addr, job, info, entry, now, confirmed).await;
        };
        // Held (whatever the journal says: a claim whose confirmation was lost, a lost
        // journal): it counts against the capacity until settled (what is left then is a
        // release and a courtesy crank, which must not keep new jobs out).
        if job.status == job_status::SETTLED {
            self.held.lock().expect("lock").remove(addr);
            self.settling.lock().expect("lock").insert(*addr);
        } else {
            self.held.lock().expect("lock").insert(*addr);
        }
        if entry.phase.terminal() && job.status != job_status::SETTLED {
            return Ok(Next::Finished);
        }
        if job.status == job_status::SETTLED {
            return self.after_settlement(addr, job, info, entry, i, now).await;
        }
        // The claim window closed short of the quorum: whatever this slot's state, the job can
        // only expire (full refund, bonds released).
        if job.expirable(now) {
            self.send("expire_job", &[ix::jobs::expire_job(addr)], &["JobNotOpen"])
                .await?;
            return Ok(Next::Again);
        }
        match job.slots[i].state {
            slot_state::CLAIMED => self.claimed(addr, job, info, entry, i, now).await,
            slot_state::COMMITTED => self.committed(addr, job, info, entry, i, now).await,
            _ => self.revealed(addr, job, info, entry, now).await,
        }
    }

    /// This worker's reveal (or submission) has landed: serve its result blob and journal it.
    fn mark_revealed(&self, addr: &Pubkey, entry: &mut Entry) -> Result<()> {
        self.publish(entry)?;
        entry.phase = Phase::Revealed;
        self.journal.put(entry)?;
        tracing::info!(job = %addr, "phase=revealed");
        Ok(())
    }

    /// Not holding a slot: claim when the assignment lets the claim land (or pass on the job), or finish an entry whose slot was taken back.
    async fn unclaimed(
        self: &Arc<Self>,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        entry: &mut Entry,
        now: i64,
        confirmed: bool,
    ) -> Result<Next> {
        if entry.phase != Phase::Claiming {
            // Confirmed by a second read (views are at least as recent as this worker's
            // landed claim; the second may come from another endpoint) before the journal
            // gives the job up.
            tokio::time::sleep(POLL).await;
            match self.chain.job(addr).await {
                Ok(j) if j.slot_of(&info.provider).is_some() => return Ok(Next::Again),
                Ok(_) | Err(ClientError::AccountNotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
            self.finish(
                entry,
                Phase::Dropped,
                Outcome::Lost("the slot was taken back".into()),
            )?;
            return Ok(Next::Finished);
        }
        if !self.accepting.load(Ordering::SeqCst)
            || job.status != job_status::OPEN
            || now >= job.claim_deadline
        {
            self.pass(entry, "closed", Outcome::Skipped("no free slot".into()))?;
            return Ok(Next::Finished);
        }
        // Claim only when the assignment lottery lets the claim land (docs/sortition.md).
        // Waits sleep until the slot they wait for (a claim or other change of the job
        // wakes them earlier): a worker's turn comes when it should, not at the next poll.
        let until = |now: u64, at: u64| self.chain.until_slot(now, at).clamp(MIN_WAIT, MAX_WAIT);
        let displaced = match self.claim_plan(addr, job, info, now, confirmed).await? {
            (ClaimPlan::Claim { displaced, .. }, _) => displaced,
            (ClaimPlan::WaitForSeed { seed_slot }, now) => {
                return Ok(Next::WaitFor(until(now, seed_slot + 1)))
            }
            (ClaimPlan::WaitForOpenPhase { open_slot }, now) => {
                return Ok(Next::WaitFor(until(now, open_slot)))
            }
            (ClaimPlan::WaitForTurn { slot }, at) => {
                // Never wait past the end of the claim window for better-ranked providers
                // that do not come: in its last moments, claim (the open phase takes any
                // staked provider) rather than let the job expire.
                let margin = (self.claim_latency() * 2 + Duration::from_secs(1)).as_secs() as i64;
                let left = job.claim_deadline.saturating_sub(now);
                if left > margin {
                    let before_deadline = Duration::from_secs((left - margin) as u64);
                    return Ok(Next::WaitFor(until(at, slot).min(before_deadline)));
                }
                tracing::info!(job = %addr, "claim window closing before this worker's turn; claiming now");
                None
            }
            (ClaimPlan::Stay, _) => {
                self.pass(
                    entry,
                    "unassigned",
                    Outcome::Skipped("no slot within reach".into()),
                )?;
                return Ok(Next::Finished);
            }
        };
        // A claim is sent on a read, never on a subscription's view alone (the job may have
        // closed without a notification, or changed in one still on its way).
        if !confirmed {
            return Ok(Next::Confirm);
        }
        // At capacity: keep the place in the queue, claim when a held job finishes.
        if !self.reserve(addr) {
            return Ok(Next::Wait);
        }
        // The policy is checked only once the assignment says this worker may claim (a
        // worker that will not be assigned fetches nothing).
        let deciding = Instant::now();
        if let Err((label, why)) = self.decide(job).await {
            tracing::info!(job = %addr, %why, "not claiming");
            self.release_reservation(addr);
            self.pass(entry, label, Outcome::Skipped(why))?;
            return Ok(Next::Finished);
        }
        // A manifest fetch longer than a queue turn makes the plan stale (the next in line
        // may have claimed): plan again (the manifest is cached now).
        if deciding.elapsed() > self.chain.slot_time() * self.stagger_slots() as u32 {
            self.release_reservation(addr);
            return Ok(Next::Again);
        }
        entry.claim_sent_ms = Some(now_ms());
        self.journal.put(entry)?;
        self.metrics.inc(crate::metrics::CLAIMS_TOTAL, "");
        self.metrics.add(
            crate::metrics::SEEN_TO_CLAIM_MS_SUM,
            "",
            entry
                .claim_sent_ms
                .unwrap_or(0)
                .saturating_sub(entry.seen_ms) as f64,
        );
        self.metrics.inc(crate::metrics::SEEN_TO_CLAIM_COUNT, "");
        tracing::info!(job = %addr, displacing = ?displaced, "claim sent");
        let sent_at = Instant::now();
        let answer = self
            .send(
                "claim_job",
                &[if job.allow_list != 0 {
                    ix::jobs::claim_job_accredited
                } else {
                    ix::jobs::claim_job
                }(
                    &self.me.pubkey(),
                    &info.provider,
                    &info.keys,
                    addr,
                    displaced,
                )],
                &["AlreadyClaimed"],
            )
            .await;
        // A landed or refused claim measures the cluster's latency; a transport error does
        // not.
        if answer
            .as_ref()
            .map_or_else(|e| program_error_name(e).is_some(), |_| true)
        {
            self.observe_claim_latency(sent_at.elapsed());
        }
        match answer {
            Ok(()) => {
                entry.phase = Phase::Claimed;
                self.journal.put(entry)?;
                tracing::info!(job = %addr, "phase=claimed");
                Ok(Next::Again)
            }
            // Lost a ranked-phase race (another claim changed the holders since this
            // plan): plan again from a fresh read instead of giving up.
            Err(e)
                if program_error_name(&e)
                    .is_some_and(|n| ["OutRanked", "WrongDisplaced", "JobFull"].contains(&n))
                    && job.ranked_phase(self.chain.slot().await.unwrap_or(0)) =>
            {
                tracing::info!(job = %addr, error = %e, "claim race lost; planning again");
                self.release_reservation(addr);
                Ok(Next::Again)
            }
            Err(e) if program_error_name(&e).is_some() => {
                self.finish(
                    entry,
                    Phase::Dropped,
                    Outcome::Skipped(format!("claim refused: {e}")),
                )?;
                Ok(Next::Finished)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Holding a claimed slot: run (within the slot's deadline), then commit or submit once the ranked phase is over; give the slot back or reclaim it when the run cannot count.
    async fn claimed(
        self: &Arc<Self>,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        entry: &mut Entry,
        i: usize,
        now: i64,
    ) -> Result<Next> {
        let deadline = job.slot_deadline(i);
        if now >= deadline {
            // Too late to commit or to give the slot back: it can only be reclaimed
            // (the no-show rate, whoever sends it). Sent now rather than left to a
            // crank: the rest of the bond comes back at once and another provider can
            // take the slot while claims are open.
            return self.reclaim_own(addr, info, entry).await;
        }
        if let Some(why) = entry.giving_back.clone() {
            return self.give_back(addr, info, entry, &why).await;
        }
        // Execution starts at once, overlapping the ranked phase: the worker claimed only
        // among the best scores, so a displacement (wasted work, never a penalty) needs
        // a stale view. The commitment waits for the phase to end.
        if entry.result_hash.is_none() || entry.salt.is_none() {
            let key = if job.is_private() {
                match self.slot_key(job, i, now) {
                    keys::SlotKey::Ready(k) => Some(k),
                    keys::SlotKey::Waiting(d) => return Ok(Next::WaitFor(d)),
                    keys::SlotKey::GiveBack(why) => {
                        entry.giving_back = Some(why.clone());
                        self.journal.put(entry)?;
                        return self.give_back(addr, info, entry, &why).await;
                    }
                }
            } else {
                None
            };
            entry.phase = Phase::Claimed;
            tracing::info!(job = %addr, "phase=executing");
            // The run must end early enough to commit before the slot's deadline: counted
            // from now on this machine's clock, and measured again when the run starts
            // (after any fetch or compile the caches could not spare).
            let until =
                Instant::now() + Duration::from_secs(u64::try_from(deadline - now).unwrap_or(0));
            match self.execute(addr, job, Some(until), key.as_ref()).await {
                Ok((code, result, uri)) => {
                    // Derived from the operator key, so a lost journal can
                    // recompute it (`recovery`).
                    let salt = derived_salt(&self.me, addr, &result);
                    // A private job's exit code is part of its result: not journalled.
                    entry.exit_code = (!job.is_private()).then_some(code);
                    entry.result_hash = Some(result);
                    entry.result_uri = Some(uri);
                    entry.salt = Some(salt);
                    entry.phase = Phase::Executed;
                    // Durable before the commitment can be sent.
                    self.journal.put(entry)?;
                    if job.is_private() {
                        tracing::info!(job = %addr, "phase=executed");
                    } else {
                        tracing::info!(job = %addr, exit_code = code, "phase=executed");
                    }
                    // Re-read: the chain's clock has moved on during the run (the commit's
                    // deadline and its priority fee are judged from a fresh view).
                    return Ok(Next::Again);
                }
                Err(why) => {
                    // Journalled first: a failed run is given back, never re-run
                    // (after a restart or a failed abandon transaction alike).
                    entry.giving_back = Some(why.clone());
                    self.journal.put(entry)?;
                    return self.give_back(addr, info, entry, &why).await;
                }
            }
        }
        if now >= job.slot_deadline(i) {
            return Ok(Next::Again);
        }
        // Commitments are refused while the slot can still be displaced.
        if job.ranked_phase(self.chain.slot().await?) {
            return Ok(Next::Wait);
        }
        let (Some(result), Some(salt)) = (entry.result_hash, entry.salt) else {
            bail!("journal entry of {addr}: no result hash or salt after the run");
        };
        let uri = entry.result_uri.clone().unwrap_or_default();
        if job.replicas == 1 {
            let args = SubmitArgs {
                result_hash: result,
                result_uri: uri,
            };
            self.send_before(
                "submit_result",
                &[ix::jobs::submit_result(
                    &self.me.pubkey(),
                    &info.provider,
                    addr,
                    args,
                )],
                &["AlreadyCommitted", "AlreadyRevealed"],
                (deadline, now),
            )
            .await?;
            self.mark_revealed(addr, entry)?;
        } else {
            let c = hash::commitment(addr, &info.provider, &result, &salt);
            self.send_before(
                "commit_result",
                &[ix::jobs::commit_result(
                    &self.me.pubkey(),
                    &info.provider,
                    addr,
                    c,
                )],
                &["AlreadyCommitted"],
                (deadline, now),
            )
            .await?;
            entry.phase = Phase::Committed;
            self.journal.put(entry)?;
            tracing::info!(job = %addr, "phase=committed");
        }
        Ok(Next::Again)
    }

    /// Committed: reveal once the reveals open (recovering a lost commitment first); crank meanwhile.
    async fn committed(
        self: &Arc<Self>,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        entry: &mut Entry,
        i: usize,
        now: i64,
    ) -> Result<Next> {
        if entry.result_hash.is_none() || entry.salt.is_none() {
            // Only a lost journal gets here: recover the result by running the job
            // again, and the salt from the operator key.
            return self.recover_commitment(addr, job, info, entry, i).await;
        }
        if !job.reveal_open(now) {
            // Before the reveals open a late co-claimant can be reclaimed (which may
            // open them); after the reveal deadline only settlement is left.
            return self.crank_open(addr, info, job, now).await;
        }
        let (Some(result), Some(salt)) = (entry.result_hash, entry.salt) else {
            bail!("journal entry of {addr}: no result hash or salt");
        };
        let args = RevealArgs {
            result_hash: result,
            salt,
            result_uri: entry.result_uri.clone().unwrap_or_default(),
        };
        self.send_before(
            "reveal_result",
            &[ix::jobs::reveal_result(
                &self.me.pubkey(),
                &info.provider,
                addr,
                args,
            )],
            &["AlreadyRevealed"],
            (job.reveal_deadline, now),
        )
        .await?;
        self.mark_revealed(addr, entry)?;
        Ok(Next::Again)
    }

    /// Revealed: publish (after a restart) and crank until the job settles.
    async fn revealed(
        self: &Arc<Self>,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        entry: &mut Entry,
        now: i64,
    ) -> Result<Next> {
        if entry.phase < Phase::Revealed {
            // Revealed on chain before the journal said so (a restart): publish now.
            self.mark_revealed(addr, entry)?;
        }
        self.crank_open(addr, info, job, now).await
    }
}

/// Whether this worker may have written to the job of `entry`: a claim was sent (or is
/// about to be: the entry is journalled first), or the journal has it past claiming.
fn touched(entry: &Entry) -> bool {
    entry.phase != Phase::Claiming || entry.claim_sent_ms.is_some()
}

/// Whether a subscription view written in `view_slot` may replace a read: newer than the view
/// the last step was decided on (`decided_at`, the context slot of a read or the write slot of a
/// notification) and not older than this worker's landed transactions. A view without a
/// trustworthy slot (0: a reconcile's) never does.
fn stands_in_for_a_read(view_slot: u64, decided_at: u64, landed: u64) -> bool {
    view_slot > decided_at && view_slot >= landed && view_slot > 0
}

/// Whether the newest subscription view (written in `view_slot`) of a job this worker never
/// touched may stand for a read: any live view not older than the last one decided on. Nothing
/// newer delivered means nothing changed that the subscription knows of (a stalled one is
/// replaced, and its reconcile's views, slot 0, are read again).
fn still_current(view_slot: u64, decided_at: u64) -> bool {
    view_slot > 0 && view_slot >= decided_at
}

#[cfg(test)]
mod tests {
    use super::{stands_in_for_a_read, still_current, touched};
    use crate::journal::{Entry, Phase};

    #[test]
    fn an_untouched_job_is_decided_on_its_newest_live_view() {
        assert!(
            still_current(101, 0),
            "the view the driver was started with"
        );
        assert!(
            still_current(101, 101),
            "nothing newer came: it still stands"
        );
        assert!(still_current(105, 101), "a newer one");
        assert!(!still_current(100, 101), "older than the one decided on");
        assert!(!still_current(0, 0), "a reconcile's view is read again");
    }

    #[test]
    fn a_job_is_touched_once_a_claim_is_sent_or_the_journal_is_past_claiming() {
        let job = anchor_lang::prelude::Pubkey::new_unique();
        let mut e = Entry::new(&job, &job);
        assert!(!touched(&e), "seen, nothing sent");
        e.claim_sent_ms = Some(1);
        assert!(touched(&e), "a claim was sent (journalled before sending)");
        let mut held = Entry::new(&job, &job);
        held.phase = Phase::Claimed;
        assert!(touched(&held), "held (a lost journal rebuilt as claimed)");
    }

    #[test]
    fn a_subscription_view_replaces_a_read_only_when_newer_and_past_the_landed_writes() {
        assert!(
            stands_in_for_a_read(101, 100, 90),
            "newer, shows the landed write"
        );
        assert!(
            stands_in_for_a_read(101, 100, 101),
            "written in the landing slot"
        );
        assert!(
            !stands_in_for_a_read(100, 100, 90),
            "the view already decided on"
        );
        assert!(
            !stands_in_for_a_read(95, 100, 90),
            "older than the last read"
        );
        assert!(
            !stands_in_for_a_read(101, 100, 102),
            "misses this worker's write"
        );
        assert!(!stands_in_for_a_read(0, 0, 0), "a reconcile's view");
    }
}
