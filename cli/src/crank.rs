//! `depin job crank|settle|release|reclaim|expire|close`: the permissionless steps that move a
//! job on, sent by anyone (the requester, typically) so that a job never waits on a worker
//! that went away. The rule of what is due is the SDK's ([`depin_client::crank::due`]), the
//! same the worker follows.

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Result};
use depin_client::crank::{due, Crank};
use serde_json::json;
use solana_sdk::signature::Signer;

use crate::ctx::{iso, Ctx};

/// Which steps a command sends: one kind, or every kind (`crank`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Only {
    /// Whatever is due, round after round, until nothing is.
    All,
    /// Only steps of this verb (`settle`, `release`, `reclaim`, `expire`, `close`).
    Verb(&'static str),
}

/// Most rounds `crank` sends (a job needs at most: reclaim, settle or expire, release, close).
const MAX_ROUNDS: usize = 6;

/// Send the due steps of `job` that `only` selects; print what was sent and, when nothing
/// was due, why and when something will be.
pub async fn run(ctx: &Ctx, job: Pubkey, only: Only) -> Result<()> {
    let signer = ctx.signer()?;
    let mut sent: Vec<serde_json::Value> = Vec::new();
    let mut failed: Vec<((&'static str, Option<usize>), String)> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let before = sent.len();
        let j = match ctx.rpc.job(&job).await {
            Ok(j) => j,
            Err(depin_client::ClientError::AccountNotFound(_)) if !sent.is_empty() => break,
            Err(e) => return Err(ctx.explain(e)),
        };
        let now = ctx.rpc.chain_time().await.map_err(|e| ctx.explain(e))?;
        let steps: Vec<Crank> = due(&j, now)
            .into_iter()
            .filter(|s| only == Only::All || Only::Verb(s.verb()) == only)
            .collect();
        if steps.is_empty() {
            break;
        }
        for step in steps {
            let key = (step.verb(), slot_of(step));
            if failed.iter().any(|(k, _)| *k == key) {
                continue;
            }
            // One step failing (a refusal, a transport error) does not stop the others: each
            // is reported, and the command fails at the end if any did.
            let landed = match ctx
                .rpc
                .crank_instructions(&signer.pubkey(), &job, &j, step)
                .await
            {
                Ok(ixs) => ctx.rpc.send(&signer, &ixs, &[]).await,
                Err(e) => Err(e),
            };
            let slot = slot_of(step);
            match landed {
                Ok(sig) => {
                    if !ctx.json {
                        match slot {
                            Some(k) => println!("{} slot {k}: {sig}", step.verb()),
                            None => println!("{}: {sig}", step.verb()),
                        }
                    }
                    sent.push(
                        json!({"step": step.verb(), "slot": slot, "signature": sig.to_string()}),
                    );
                }
                Err(e) => failed.push((key, format!("{:#}", ctx.explain(e)))),
            }
        }
        let progressed = sent.len() != before;
        if only != Only::All || !progressed {
            break;
        }
    }
    if !failed.is_empty() {
        let why: Vec<String> = failed
            .iter()
            .map(|((verb, slot), e)| match slot {
                Some(k) => format!("{verb} slot {k}: {e}"),
                None => format!("{verb}: {e}"),
            })
            .collect();
        if ctx.json {
            ctx.print(
                json!({"job": job.to_string(), "sent": sent, "failed": why}),
                || {},
            );
        }
        bail!("{} step(s) failed: {}", why.len(), why.join("; "));
    }
    if sent.is_empty() {
        let why = not_due(ctx, &job).await?;
        if ctx.json {
            ctx.print(
                json!({"job": job.to_string(), "sent": [], "why": why}),
                || {},
            );
            return Ok(());
        }
        bail!("nothing to {} on {job}: {why}", verb_of(only));
    }
    ctx.print(json!({"job": job.to_string(), "sent": sent}), || {});
    Ok(())
}

fn slot_of(step: Crank) -> Option<usize> {
    match step {
        Crank::Reclaim { slot, .. } | Crank::Release { slot, .. } => Some(slot),
        _ => None,
    }
}

fn verb_of(only: Only) -> &'static str {
    match only {
        Only::All => "crank",
        Only::Verb(v) => v,
    }
}

/// Why nothing (of the kind asked) is due on `job` now, and when something will be.
async fn not_due(ctx: &Ctx, job: &Pubkey) -> Result<String> {
    let j = match ctx.rpc.job(job).await {
        Ok(j) => j,
        Err(depin_client::ClientError::AccountNotFound(_)) => {
            return Ok("the job account is closed (settled and refunded, or cancelled)".into())
        }
        Err(e) => return Err(ctx.explain(e)),
    };
    let now = ctx.rpc.chain_time().await.map_err(|e| ctx.explain(e))?;
    let other: Vec<&str> = due(&j, now).iter().map(Crank::verb).collect();
    if !other.is_empty() {
        return Ok(format!(
            "what is due now is {} (run `depin job crank {job}`)",
            other.join(", ")
        ));
    }
    let open = j.status == depin_jobs::state::job_status::OPEN;
    Ok(if !open {
        "it is settled and nothing is left to release or close".into()
    } else if now < j.claim_deadline && j.claimed == 0 {
        format!(
            "nobody has claimed it; the claim window closes at {} (then it can expire; or \
             cancel it now with `depin job cancel`)",
            iso(j.claim_deadline)
        )
    } else {
        format!(
            "its providers are within their windows; it can be settled by {} at the latest",
            iso(j.reveal_deadline)
        )
    })
}
