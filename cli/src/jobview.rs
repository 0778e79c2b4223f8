//! How a job is shown: its account as JSON and text, what it is waiting for and what the
//! requester can do ("1/3 claimed, claim window closes in 12 s", "expired: cancel to
//! refund"), and, once the account is closed, its timeline rebuilt from the transaction
//! history.

use anchor_lang::prelude::Pubkey;
use depin_client::{
    history::{JobEventKind, JobHistory},
    manifest::hex,
    ops::outcome_name,
    policy::{check, Ask},
    staking_program::state::ProviderPolicy,
    Job, Provider,
};
use depin_core::settle;
use depin_jobs::state::{job_status, slot_state};
use serde_json::{json, Value};

use crate::ctx::{amount, iso};

/// What the chain looked like when the job was read.
pub struct Now {
    /// Unix time of the chain's clock.
    pub time: i64,
    /// Current slot.
    pub slot: u64,
}

/// The providers of the job's pool, for "why nobody claims".
pub struct Supply {
    /// Registered providers.
    pub providers: usize,
    /// Those whose free stake covers the job's bond.
    pub can_bond: usize,
    /// The market's least bond (a job's bond can be lowered to it, not below).
    pub min_bond: u64,
    /// Of those, how many published a policy that accepts the job, and how many published
    /// none (`None`: the manifest could not be read to tell).
    pub accept: Option<(usize, usize)>,
}

impl Supply {
    /// Count `providers` able to lock `bond`, and, given the job's `ask`, those whose
    /// published policy accepts it (the rule the worker applies: `depin_client::policy`).
    pub fn of(
        providers: &[(Provider, Option<ProviderPolicy>)],
        bond: u64,
        min_bond: u64,
        ask: Option<&Ask>,
    ) -> Supply {
        let able: Vec<&Option<ProviderPolicy>> = providers
            .iter()
            .filter(|(p, _)| p.ledger().free().unwrap_or(0) >= bond)
            .map(|(_, policy)| policy)
            .collect();
        let accept = ask.map(|ask| {
            let unpublished = able.iter().filter(|p| p.is_none()).count();
            let accepting = able
                .iter()
                .filter_map(|p| p.as_ref())
                .filter(|p| check(p, ask).is_ok())
                .count();
            (accepting, unpublished)
        });
        Supply {
            providers: providers.len(),
            can_bond: able.len(),
            min_bond,
            accept,
        }
    }
}

fn secs(n: i64) -> String {
    match n {
        ..=0 => "now".into(),
        1..=119 => format!("in {n} s"),
        _ => format!("in {} min", n / 60),
    }
}

/// Derived state: one short phrase for the state, then hints, most important first.
pub fn explain(
    addr: &Pubkey,
    j: &Job,
    now: &Now,
    supply: Option<&Supply>,
) -> (String, Vec<String>) {
    let held = j.claimed;
    let mut hints = Vec::new();
    if j.status == job_status::SETTLED {
        let state = match j.outcome {
            settle::outcome::AGREED => {
                hints.push(format!("read the verified output: depin job result {addr}"));
                format!("settled: {} of {} agreed", j.winners, j.replicas)
            }
            settle::outcome::EXPIRED => {
                hints.push("expired: the escrow is refunded to you when the job is closed (workers close it)".into());
                "expired: too few claims before the claim window closed".into()
            }
            o => format!("settled: {}", outcome_name(o)),
        };
        if j.released < held {
            hints.push(format!(
                "{} of {held} bonds released; the job closes (and refunds what is left) after the last",
                j.released
            ));
        }
        return (state, hints);
    }
    let mut state = format!("open: {held}/{} claimed", j.replicas);
    let waiting_for_keys = (0..j.replicas as usize)
        .filter(|&k| {
            let s = &j.slots[k];
            j.is_private() && s.state == slot_state::CLAIMED && s.key_at == 0
        })
        .map(|k| (k, j.key_deadline(k)))
        .filter(|&(_, deadline)| now.time < deadline)
        .collect::<Vec<_>>();
    if let Some(&(k, deadline)) = waiting_for_keys.first() {
        hints.push(format!(
            "a private job: {} claimant(s) wait for their key (slot {k} until {}); keep `depin job keys {addr}` running as the requester, or they give their slots back free",
            waiting_for_keys.len(),
            secs(deadline - now.time)
        ));
    }
    if now.time < j.claim_deadline && held < j.replicas {
        state.push_str(&format!(
            ", claim window closes {}",
            secs(j.claim_deadline - now.time)
        ));
        if now.slot < j.seed_slot {
            hints.push(format!(
                "waiting for the lottery seed (slot {}, now {})",
                j.seed_slot, now.slot
            ));
        } else if now.slot < j.ranked_until_slot {
            hints.push(format!(
                "ranked phase until slot {} (now {}): only the best-ranked providers may claim",
                j.ranked_until_slot, now.slot
            ));
        }
    } else if held < j.quorum && now.time >= j.claim_deadline {
        state = format!("expired: {held} of the {} claims needed", j.quorum);
        if held == 0 {
            hints.push(format!(
                "nobody holds a slot: `depin job cancel {addr}` refunds the escrow now"
            ));
        } else {
            hints.push(
                "a worker's crank expires it; held bonds are returned and your escrow refunded"
                    .into(),
            );
        }
    } else if j.replicas == 1 && held == 1 {
        let due = j.slot_deadline(0).min(j.commit_deadline);
        if j.revealed == 1 {
            state.push_str(", result submitted: waiting for settlement");
        } else if now.time < due {
            state.push_str(&format!(
                ", running: the result is due {}",
                secs(due - now.time)
            ));
        } else {
            state.push_str(", the result is overdue: the slot can be reclaimed and claimed again");
        }
    } else if held > 0 && j.revealed == held {
        state.push_str(&format!(
            ", all {held} results revealed: waiting for settlement"
        ));
    } else if j.committed < held && now.time < j.commit_deadline {
        state.push_str(&format!(
            ", {}/{held} committed, commit window closes {}",
            j.committed,
            secs(j.commit_deadline - now.time)
        ));
    } else if now.time < j.reveal_deadline {
        state.push_str(&format!(
            ", {}/{} revealed, reveal window closes {}",
            j.revealed,
            j.committed,
            secs(j.reveal_deadline - now.time)
        ));
    } else {
        state
            .push_str(", windows over: waiting for settlement (any worker or `settle_job` caller)");
    }
    if held < j.replicas && now.time < j.claim_deadline {
        if let Some(s) = supply {
            hints.push(format!(
                "{} of {} providers in the pool have the free stake for the bond ({})",
                s.can_bond, s.providers, j.bond
            ));
            if s.can_bond < usize::from(j.quorum) {
                hints.push(if j.bond > s.min_bond {
                    format!(
                        "fewer than the {} claims needed can be made: post with a lower --bond (the market's least is {}) or wait for stake",
                        j.quorum, s.min_bond
                    )
                } else {
                    format!(
                        "fewer than the {} claims needed can be made until providers stake more (the bond is already the market's least)",
                        j.quorum
                    )
                });
            }
            if let Some((accepting, unpublished)) = s.accept {
                let mut line = format!(
                    "{accepting} of them accept this job's price and limits by their published policy"
                );
                if unpublished > 0 {
                    line.push_str(&format!(" ({unpublished} published none)"));
                }
                hints.push(line);
                if accepting + unpublished < usize::from(j.quorum) {
                    hints.push(format!(
                        "fewer than the {} claims needed would be made: raise --reward or lower the manifest's limits",
                        j.quorum
                    ));
                }
            }
        }
        if j.spec_uri().starts_with("file://") {
            hints.push(
                "the manifest is a file:// URI: only workers on this machine started with --allow-file-uris fetch it (post with --store-url to serve it over HTTP)".into(),
            );
        }
    }
    (state, hints)
}

/// The account as JSON (the derived state added when given).
pub fn job_json(addr: &Pubkey, j: &Job) -> Value {
    let slots: Vec<_> = j
        .slots
        .iter()
        .take(j.replicas as usize)
        .map(|s| {
            json!({
                "provider": if s.provider == Pubkey::default() { None } else { Some(s.provider.to_string()) },
                "state": match s.state { slot_state::FREE => "free", slot_state::CLAIMED => "claimed", slot_state::COMMITTED => "committed", _ => "revealed" },
                "result_hash": if s.state == slot_state::REVEALED { Some(hex(&s.result_hash)) } else { None },
                "released": s.released != 0,
                "key_delivered": (j.is_private() && s.key_at != 0).then(|| iso(s.key_at)),
            })
        })
        .collect();
    json!({
        "job": addr.to_string(),
        "market": j.market.to_string(),
        "requester": j.requester.to_string(),
        "status": if j.status == job_status::OPEN { "open" } else { "settled" },
        "outcome": outcome_name(j.outcome),
        "spec_uri": j.spec_uri(),
        "spec_hash": hex(&j.spec_hash),
        "agreed_hash": if j.status == job_status::SETTLED { Some(hex(&j.agreed_hash)) } else { None },
        "reward_per_replica": j.reward_per_replica,
        "replicas": j.replicas,
        "quorum": j.quorum,
        "private": j.is_private(),
        "allow_list": j.allow_list != 0,
        "bond": j.bond,
        "deposited": j.deposited,
        "paid": j.paid,
        "fees": j.fees,
        "created_at": iso(j.created_at),
        "claim_deadline": iso(j.claim_deadline),
        "reveal_deadline": iso(j.reveal_deadline),
        "slots": slots,
    })
}

/// Text of [`job_json`] plus the derived state and hints.
pub fn print_job(v: &Value) {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    println!("job          {}", s("job"));
    println!("state        {}", s("state"));
    println!("market       {}", s("market"));
    println!("requester    {}", s("requester"));
    println!("manifest     {}", s("spec_uri"));
    // Tokens with their decimals, base units beside them.
    let tokens = |k: &str, which: &str| {
        let base = v[k].as_u64().unwrap_or(0);
        match v["decimals"][which]
            .as_u64()
            .and_then(|d| u8::try_from(d).ok())
        {
            Some(d) => format!("{} ({base})", amount(base, d)),
            None => base.to_string(),
        }
    };
    println!(
        "reward       {} x {} replicas (quorum {}), bond {}",
        tokens("reward_per_replica", "payment"),
        v["replicas"],
        v["quorum"],
        tokens("bond", "stake")
    );
    println!(
        "escrow       deposited {}, paid {}, fees {}",
        tokens("deposited", "payment"),
        tokens("paid", "payment"),
        tokens("fees", "payment")
    );
    println!("posted       {}", s("created_at"));
    if v["private"].as_bool() == Some(true) {
        println!("private      yes: sealed input, a key envelope per claim, result sealed to the requester");
    }
    if v["allow_list"].as_bool() == Some(true) {
        println!("allow-list   only providers the market's admin accredited may claim");
    }
    if let Some(h) = v["agreed_hash"].as_str() {
        println!("agreed hash  {h}");
    }
    for (i, slot) in v["slots"].as_array().into_iter().flatten().enumerate() {
        let key = match slot["key_delivered"].as_str() {
            Some(at) => format!("  (key delivered {at})"),
            None if v["private"].as_bool() == Some(true) && slot["state"] == "claimed" => {
                "  (waiting for its key)".to_string()
            }
            None => String::new(),
        };
        println!(
            "slot {i}       {:<10} {}{key}",
            slot["state"].as_str().unwrap_or(""),
            slot["provider"].as_str().unwrap_or("-")
        );
    }
    for h in v["hints"].as_array().into_iter().flatten() {
        println!("  → {}", h.as_str().unwrap_or(""));
    }
}

fn event_json(kind: &JobEventKind) -> Value {
    match kind {
        JobEventKind::Posted {
            market,
            requester,
            spec_uri,
            reward_per_replica,
            replicas,
            quorum,
            bond,
            deposited,
            ..
        } => {
            json!({"event": "posted", "market": market.to_string(), "requester": requester.to_string(),
            "spec_uri": spec_uri, "reward_per_replica": reward_per_replica, "replicas": replicas,
            "quorum": quorum, "bond": bond, "deposited": deposited})
        }
        JobEventKind::Claimed {
            provider,
            slot,
            bond,
        } => {
            json!({"event": "claimed", "provider": provider.to_string(), "slot": slot, "bond": bond})
        }
        JobEventKind::Displaced { provider, slot } => {
            json!({"event": "displaced", "provider": provider.to_string(), "slot": slot})
        }
        JobEventKind::Abandoned {
            provider,
            slot,
            penalty,
        } => {
            json!({"event": "abandoned", "provider": provider.to_string(), "slot": slot, "penalty": penalty})
        }
        JobEventKind::Committed { provider, slot } => {
            json!({"event": "committed", "provider": provider.to_string(), "slot": slot})
        }
        JobEventKind::Revealed {
            provider,
            slot,
            result_hash,
            result_uri,
        } => json!({"event": "revealed",
            "provider": provider.to_string(), "slot": slot, "result_hash": hex(result_hash), "result_uri": result_uri}),
        JobEventKind::Submitted {
            provider,
            result_hash,
            result_uri,
        } => json!({"event": "submitted",
            "provider": provider.to_string(), "result_hash": hex(result_hash), "result_uri": result_uri}),
        JobEventKind::Reclaimed {
            provider,
            slot,
            penalty,
        } => {
            json!({"event": "reclaimed", "provider": provider.to_string(), "slot": slot, "penalty": penalty})
        }
        JobEventKind::Settled {
            outcome,
            agreed_hash,
            winners,
        } => json!({"event": "settled",
            "outcome": outcome_name(*outcome), "agreed_hash": hex(agreed_hash), "winners": winners}),
        JobEventKind::Expired => json!({"event": "expired"}),
        JobEventKind::Released {
            provider,
            slot,
            payout,
            fee,
            penalty,
        } => json!({"event": "released",
            "provider": provider.to_string(), "slot": slot, "payout": payout, "fee": fee, "penalty": penalty}),
        JobEventKind::Cancelled { refund } => json!({"event": "cancelled", "refund": refund}),
        JobEventKind::Closed {
            outcome,
            paid,
            fees,
            refund,
        } => json!({"event": "closed",
            "outcome": outcome_name(*outcome), "paid": paid, "fees": fees, "refund": refund}),
    }
}

/// The timeline as JSON, oldest first, each event with its transaction, slot and time.
pub fn history_json(job: &Pubkey, h: &JobHistory) -> Value {
    let events: Vec<Value> = h
        .events
        .iter()
        .map(|e| {
            let mut v = event_json(&e.kind);
            v["signature"] = json!(e.signature.to_string());
            v["slot"] = json!(e.slot);
            v["time"] = json!(e.block_time.map(iso));
            v
        })
        .collect();
    let verdict = h.verdict();
    json!({
        "job": job.to_string(),
        "closed": h.closed().is_some(),
        "outcome": verdict.map(|(o, _)| outcome_name(o)),
        "agreed_hash": verdict.filter(|(o, _)| *o == settle::outcome::AGREED).map(|(_, a)| hex(&a)),
        "result_uris": h.agreed_uris(),
        "events": events,
    })
}

/// Text of [`history_json`].
pub fn print_history(v: &Value) {
    println!("job          {}", v["job"].as_str().unwrap_or(""));
    let state = match (v["closed"].as_bool(), v["outcome"].as_str()) {
        (Some(true), Some(o)) => format!("closed ({o})"),
        (Some(true), None) => "closed (cancelled)".into(),
        (_, Some(o)) => format!("settled ({o})"),
        _ => "open".into(),
    };
    println!("state        {state} — from the transaction history");
    if let Some(h) = v["agreed_hash"].as_str() {
        println!("agreed hash  {h}");
    }
    for e in v["events"].as_array().into_iter().flatten() {
        let mut rest: Vec<String> = e
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !matches!(k.as_str(), "event" | "signature" | "slot" | "time"))
            .filter(|(_, val)| !val.is_null())
            .map(|(k, val)| format!("{k}={}", val.to_string().trim_matches('"')))
            .collect();
        rest.sort();
        println!(
            "{:<20} slot {:<8} {:<10} {}",
            e["time"].as_str().unwrap_or("-"),
            e["slot"],
            e["event"].as_str().unwrap_or(""),
            rest.join(" ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(replicas: u8, claimed: u8) -> Job {
        let mut j: Job = bytemuck::Zeroable::zeroed();
        j.replicas = replicas;
        j.quorum = replicas / 2 + 1;
        j.claimed = claimed;
        j.status = job_status::OPEN;
        j.created_at = 1_000;
        j.claim_deadline = 1_045;
        j.commit_deadline = 1_105;
        j.reveal_deadline = 1_135;
        j.seed_slot = 10;
        j.ranked_until_slot = 20;
        j.bond = 5;
        j
    }

    #[test]
    fn an_open_job_says_how_many_claimed_and_when_the_window_closes() {
        let a = Pubkey::new_unique();
        let (state, hints) = explain(
            &a,
            &job(3, 1),
            &Now {
                time: 1_033,
                slot: 25,
            },
            None,
        );
        assert_eq!(state, "open: 1/3 claimed, claim window closes in 12 s");
        assert!(hints.is_empty(), "{hints:?}");
        let (_, hints) = explain(
            &a,
            &job(3, 0),
            &Now {
                time: 1_001,
                slot: 12,
            },
            None,
        );
        assert!(hints[0].contains("ranked phase until slot 20"), "{hints:?}");
    }

    #[test]
    fn an_unclaimable_job_says_why() {
        let a = Pubkey::new_unique();
        let supply = Supply {
            providers: 4,
            can_bond: 1,
            min_bond: 1,
            accept: Some((0, 1)),
        };
        let (_, hints) = explain(
            &a,
            &job(3, 0),
            &Now {
                time: 1_010,
                slot: 30,
            },
            Some(&supply),
        );
        assert!(
            hints.iter().any(|h| h.contains("1 of 4 providers")),
            "{hints:?}"
        );
        assert!(
            hints.iter().any(|h| h.contains("0 of them accept")),
            "{hints:?}"
        );
        assert!(
            hints.iter().any(|h| h.contains("raise --reward")),
            "{hints:?}"
        );
        // The bond is above the market's least (5 > 1): lowering it is the hint; at the
        // least, it is not.
        let at_least = Supply {
            min_bond: 5,
            ..supply
        };
        let (_, least) = explain(
            &a,
            &job(3, 0),
            &Now {
                time: 1_010,
                slot: 30,
            },
            Some(&at_least),
        );
        assert!(
            !least.iter().any(|h| h.contains("lower --bond")),
            "{least:?}"
        );
        // A manifest only this machine can read.
        let mut j = job(3, 0);
        let uri = b"file:///home/me/depin-blobs/abc";
        j.spec_uri[..uri.len()].copy_from_slice(uri);
        j.spec_uri_len = uri.len() as u8;
        let (_, files) = explain(
            &a,
            &j,
            &Now {
                time: 1_010,
                slot: 30,
            },
            None,
        );
        assert!(files.iter().any(|h| h.contains("--store-url")), "{files:?}");
        assert!(
            hints.iter().any(|h| h.contains("lower --bond")),
            "{hints:?}"
        );
    }

    #[test]
    fn supply_applies_the_published_policies() {
        let provider = |free: u64, floor: Option<u64>| {
            let p = Provider {
                pool: Pubkey::default(),
                authority: Pubkey::new_unique(),
                operator: Pubkey::default(),
                staked: free,
                locked: 0,
                unbonding: 0,
                unbond_at: 0,
                jobs_completed: 0,
                jobs_slashed: 0,
                total_slashed: 0,
                registered_at: 0,
                last_staked_at: 0,
                uri: String::new(),
                bump: 0,
            };
            let policy = floor.map(|f| ProviderPolicy {
                min_reward_per_gfuel: f,
                max_fuel: u64::MAX,
                max_memory_bytes: u64::MAX,
                max_output_bytes: u64::MAX,
                max_wall_ms: u64::MAX,
                published_at: 1,
                ..ProviderPolicy::default()
            });
            (p, policy)
        };
        let providers = vec![
            provider(10, Some(0)),         // any price
            provider(10, Some(1_000_000)), // too expensive for this job
            provider(10, None),            // no policy
            provider(1, Some(0)),          // cannot bond
        ];
        let ask = Ask {
            reward_per_replica: 1_000,
            fee_bps: 0,
            fuel: 1_000_000_000,
            memory_bytes: 1,
            output_bytes: 1,
            wall_ms: 1,
            window_secs: 60,
            file_uris: false,
        };
        let s = Supply::of(&providers, 5, 1, Some(&ask));
        assert_eq!((s.providers, s.can_bond, s.accept), (4, 3, Some((1, 1))));
        assert_eq!(Supply::of(&providers, 5, 1, None).accept, None);
    }

    #[test]
    fn an_expired_job_says_what_to_do() {
        let a = Pubkey::new_unique();
        let (state, hints) = explain(
            &a,
            &job(3, 0),
            &Now {
                time: 1_050,
                slot: 500,
            },
            None,
        );
        assert_eq!(state, "expired: 0 of the 2 claims needed");
        assert!(
            hints[0].contains(&format!("depin job cancel {a}")),
            "{hints:?}"
        );
        let (_, hints) = explain(
            &a,
            &job(3, 1),
            &Now {
                time: 1_050,
                slot: 500,
            },
            None,
        );
        assert!(hints[0].contains("crank"), "{hints:?}");
    }

    #[test]
    fn a_settled_job_points_at_its_result() {
        let a = Pubkey::new_unique();
        let mut j = job(3, 3);
        j.status = job_status::SETTLED;
        j.outcome = settle::outcome::AGREED;
        j.winners = 3;
        j.released = 3;
        let (state, hints) = explain(
            &a,
            &j,
            &Now {
                time: 1_200,
                slot: 900,
            },
            None,
        );
        assert_eq!(state, "settled: 3 of 3 agreed");
        assert!(hints[0].contains("depin job result"), "{hints:?}");
    }
}
