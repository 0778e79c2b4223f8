//! Moving a job on and ending this worker's part: giving a slot back, reclaiming a late one, settling, releasing and the courtesy crank.

use super::*;

impl Worker {
    /// Send every step due on an open job this worker holds a slot in ([`crank::due`]:
    /// reclaim late co-claimants, settle once no reveal can come), so the job never waits on
    /// a stranger; `Wait` when nothing is due.
    pub(super) async fn crank_open(
        &self,
        addr: &Pubkey,
        info: &MarketInfo,
        job: &Job,
        now: i64,
    ) -> Result<Next> {
        let steps = crank::due(job, now);
        if steps.is_empty() {
            return Ok(Next::Wait);
        }
        let mut landed = false;
        for step in steps {
            let ix_ = match step {
                Crank::Settle => ix::jobs::settle_job(addr),
                Crank::Reclaim { provider, .. } => {
                    ix::jobs::reclaim_slot(&info.keys, addr, &provider)
                }
                Crank::Expire => ix::jobs::expire_job(addr),
                Crank::Release { .. } | Crank::Close => continue,
            };
            // Another crank may have sent it first: the next read shows the job moved on.
            match self.send(step.instruction(), &[ix_], &["JobNotOpen"]).await {
                Ok(()) => landed = true,
                Err(e) if program_error_name(&e).is_some() => {
                    tracing::info!(job = %addr, step = step.verb(), error = %e, "crank step refused");
                }
                Err(e) => return Err(e.into()),
            }
        }
        // Every step refused: wait for the job to change (or the next poll) rather than
        // re-read and re-send at once.
        Ok(if landed { Next::Again } else { Next::Wait })
    }

    /// Give back a held, uncommitted slot whose run failed in a way that is not a result
    /// (`why`): `abandon_job` (the abandon penalty early, the no-show rate later). A refusal
    /// because the deadline passed meanwhile leads, on the next step, to reclaiming it.
    pub(super) async fn give_back(
        &self,
        addr: &Pubkey,
        info: &MarketInfo,
        entry: &mut Entry,
        why: &str,
    ) -> Result<Next> {
        tracing::warn!(job = %addr, %why, "giving the slot back");
        let abandon = ix::jobs::abandon_job(&self.me.pubkey(), &info.provider, &info.keys, addr);
        match self.send("abandon_job", &[abandon], &[]).await {
            Ok(()) => {
                self.finish(entry, Phase::Dropped, Outcome::Abandoned(why.into()))?;
                Ok(Next::Finished)
            }
            // Re-read: the slot is late now (reclaim), or no longer this worker's.
            Err(e) if program_error_name(&e).is_some() => {
                tracing::info!(job = %addr, error = %e, "abandon refused; re-reading the job");
                Ok(Next::Again)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reclaim this worker's own slot, past its deadline without a commitment (the no-show
    /// rate, as any crank would take), so the bond's remainder is released now.
    pub(super) async fn reclaim_own(
        &self,
        addr: &Pubkey,
        info: &MarketInfo,
        entry: &mut Entry,
    ) -> Result<Next> {
        let why = entry
            .giving_back
            .clone()
            .unwrap_or_else(|| "no result before the slot's deadline".into());
        tracing::warn!(job = %addr, %why, "slot late: reclaiming it");
        let reclaim = ix::jobs::reclaim_slot(&info.keys, addr, &info.provider);
        match self.send("reclaim_slot", &[reclaim], &[]).await {
            Ok(()) => {
                self.finish(entry, Phase::Dropped, Outcome::Late(why))?;
                Ok(Next::Finished)
            }
            // Someone else reclaimed it, or the job moved on: the next read says which.
            Err(e) if program_error_name(&e).is_some() => Ok(Next::Again),
            Err(e) => Err(e.into()),
        }
    }

    /// Release this worker's slot (paid, slashed or released as the verdict says); the
    /// lowest-indexed winner also releases every slot that earns nothing (which its holder has
    /// no reason to) and, `close_delay_secs` after settlement (time for the requester to read
    /// the agreed result from the job account), closes the job once all are released, so the
    /// requester's refund never waits on a stranger.
    pub(super) async fn after_settlement(
        &self,
        addr: &Pubkey,
        job: &Job,
        info: &MarketInfo,
        entry: &mut Entry,
        i: usize,
        now: i64,
    ) -> Result<Next> {
        if job.slots[i].released == 0 {
            let release =
                ix::jobs::release_for(job, i, info.payout).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            self.send(
                "release_slot",
                &[ix::jobs::release_slot(
                    &info.keys,
                    addr,
                    &job.escrow,
                    &info.provider,
                    release,
                )],
                &["SlotAlreadyReleased"],
            )
            .await?;
            return Ok(Next::Again);
        }
        // This worker's obligations end with its own release: record the outcome once.
        if !entry.phase.terminal() {
            let s = job
                .terms()
                .settle(job.verdict(i))
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let outcome = match job.verdict(i) {
                Verdict::Winner | Verdict::Unresolved => {
                    self.metrics
                        .add(crate::metrics::EARNINGS_TOTAL, "", s.payout as f64);
                    Outcome::Paid(s.payout)
                }
                Verdict::Wrong | Verdict::NoShow | Verdict::Withheld => Outcome::Slashed(s.penalty),
                Verdict::Released => Outcome::Released,
            };
            self.finish(entry, Phase::Done, outcome)?;
        }
        // A courtesy crank (not journalled: after a restart the reconcile finds the job held
        // and settled and starts it again). The first in line (`crank_rank`) releases the
        // slots that earn nothing at once and, `close_delay_secs` after settlement (time for
        // winners to release themselves and for the requester to read the result from the
        // account), any winner that did not (paid into its authority's account), then closes
        // the job; each next in line does the same one `close_delay_secs` later.
        let Some(rank) = crank_rank(job, i) else {
            return Ok(Next::Finished);
        };
        if !self.accepting.load(Ordering::SeqCst) {
            return Ok(Next::Finished);
        }
        let delay = self.cfg.close_delay_secs as i64;
        let turn = job
            .settled_at
            .saturating_add(delay.saturating_mul(rank as i64));
        let close_at = turn.saturating_add(delay);
        if now < turn {
            let wait = u64::try_from(turn - now).unwrap_or(0);
            return Ok(Next::WaitFor(Duration::from_secs(wait.max(1))));
        }
        let mut later = false;
        for step in crank::due(job, now) {
            let early = match step {
                Crank::Release { slot, .. } if slot == i => continue,
                Crank::Release { slot, .. } => job.verdict(slot).paid() && now < close_at,
                Crank::Close => now < close_at,
                _ => false,
            };
            if early {
                later = true;
                continue;
            }
            let (a, j, payer) = (*addr, *job, self.me.pubkey());
            let ixs = self
                .chain
                .call(move |r| {
                    Box::pin(async move { r.crank_instructions(&payer, &a, &j, step).await })
                })
                .await?;
            match self
                .send(step.instruction(), &ixs, &["SlotAlreadyReleased"])
                .await
            {
                Ok(()) => {}
                // Another holder in line took the step first (expected under load: each one
                // waits only `close_delay_secs` for the one before it).
                Err(e)
                    if program_error_name(&e).is_some()
                        || e.to_string().contains("AccountOwnedByWrongProgram") =>
                {
                    tracing::info!(job = %addr, step = step.verb(), error = %e, "crank step already taken");
                }
                Err(e) => {
                    tracing::warn!(job = %addr, step = step.verb(), error = %e, "crank step failed");
                }
            }
            if step == Crank::Close {
                return Ok(Next::Finished);
            }
        }
        if later {
            let wait = u64::try_from(close_at.saturating_sub(now)).unwrap_or(0);
            return Ok(Next::WaitFor(Duration::from_secs(wait.max(1))));
        }
        Ok(Next::Again)
    }
}
