//! A job's history from the chain's transaction record, so that it outlives the job account.
//!
//! Workers close a settled job to return its rent; from then on the account is gone, but every
//! step of the job landed as a transaction that named the job's address and logged an event
//! (`JobPosted`, `JobClaimed`, `ResultRevealed` with its URI, `JobSettled` with the agreed
//! hash, `SlotReleased` with each payout, `JobClosed`). [`DepinRpc::job_history`] reads them
//! back with `getSignaturesForAddress` + `getTransaction`, oldest first; the manifest URI comes
//! from the `post_job` instruction's own arguments. Failed transactions are skipped: only what
//! the programs accepted is history.
//!
//! The history is as complete as the RPC node's transaction store: a node that keeps no
//! history (or pruned it) returns fewer events, which [`JobHistory::posted`] being `None`
//! makes visible.

use anchor_lang::{prelude::Pubkey, AnchorDeserialize, Discriminator};
use depin_core::settle;
use depin_jobs::events as ev;
use solana_client::{
    rpc_client::GetConfirmedSignaturesForAddress2Config, rpc_config::RpcTransactionConfig,
};
use solana_sdk::signature::Signature;
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, EncodedConfirmedTransactionWithStatusMeta,
    UiTransactionEncoding,
};

use crate::{
    events::{decode, decode_from},
    rpc::DepinRpc,
    ClientError, JOBS_PROGRAM_ID,
};

/// What happened, as the program logged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobEventKind {
    /// The job was posted and its escrow funded.
    Posted {
        /// Market.
        market: Pubkey,
        /// Requester.
        requester: Pubkey,
        /// Manifest URI (from the `post_job` arguments; `None` if the instruction could not
        /// be read).
        spec_uri: Option<String>,
        /// sha256 of the manifest.
        spec_hash: [u8; 32],
        /// Reward per replica.
        reward_per_replica: u64,
        /// Replicas.
        replicas: u8,
        /// Strict majority of them.
        quorum: u8,
        /// Bond per provider.
        bond: u64,
        /// Escrowed amount.
        deposited: u64,
        /// Unix time the claim window closes.
        claim_deadline: i64,
    },
    /// A provider claimed slot `slot`.
    Claimed {
        /// Provider (authority).
        provider: Pubkey,
        /// Slot index.
        slot: u8,
        /// Bond locked.
        bond: u64,
    },
    /// A better-ranked claim displaced a holder (bond released, no penalty).
    Displaced {
        /// Provider.
        provider: Pubkey,
        /// Slot index.
        slot: u8,
    },
    /// A holder gave its slot back.
    Abandoned {
        /// Provider.
        provider: Pubkey,
        /// Slot index.
        slot: u8,
        /// Penalty paid.
        penalty: u64,
    },
    /// A holder committed to a result.
    Committed {
        /// Provider.
        provider: Pubkey,
        /// Slot index.
        slot: u8,
    },
    /// A holder revealed its result.
    Revealed {
        /// Provider.
        provider: Pubkey,
        /// Slot index.
        slot: u8,
        /// The result hash.
        result_hash: [u8; 32],
        /// Where the result blob is served.
        result_uri: String,
    },
    /// A single-replica result (no commit-reveal).
    Submitted {
        /// Provider.
        provider: Pubkey,
        /// The result hash.
        result_hash: [u8; 32],
        /// Where the result blob is served.
        result_uri: String,
    },
    /// A slot whose holder missed its execution deadline was taken back.
    Reclaimed {
        /// Provider.
        provider: Pubkey,
        /// Slot index.
        slot: u8,
        /// Penalty.
        penalty: u64,
    },
    /// The verdict.
    Settled {
        /// `depin_core::settle::outcome`.
        outcome: u8,
        /// The agreed result hash (zero without agreement).
        agreed_hash: [u8; 32],
        /// Holders paid as winners.
        winners: u8,
    },
    /// The job expired without a quorum of claims.
    Expired,
    /// A holder's bond was released with its verdict.
    Released {
        /// Provider.
        provider: Pubkey,
        /// Slot index.
        slot: u8,
        /// Payout to the provider.
        payout: u64,
        /// Fee to the market.
        fee: u64,
        /// Stake slashed.
        penalty: u64,
    },
    /// The requester cancelled before any claim.
    Cancelled {
        /// Refund.
        refund: u64,
    },
    /// The account was closed; escrow remainder refunded.
    Closed {
        /// Outcome.
        outcome: u8,
        /// Paid to providers in all.
        paid: u64,
        /// Fees in all.
        fees: u64,
        /// Refunded to the requester.
        refund: u64,
    },
}

/// One event with where and when it landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobEvent {
    /// The transaction.
    pub signature: Signature,
    /// The slot it landed in.
    pub slot: u64,
    /// Unix time of that block, when the node knows it.
    pub block_time: Option<i64>,
    /// What happened.
    pub kind: JobEventKind,
}

/// Every recorded event of one job, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobHistory {
    /// The events.
    pub events: Vec<JobEvent>,
}

impl JobHistory {
    /// The `JobPosted` event (`None`: the node has no record of the job).
    pub fn posted(&self) -> Option<&JobEvent> {
        self.events
            .iter()
            .find(|e| matches!(e.kind, JobEventKind::Posted { .. }))
    }

    /// The verdict: (outcome, agreed hash), if the job settled.
    pub fn verdict(&self) -> Option<(u8, [u8; 32])> {
        self.events.iter().find_map(|e| match e.kind {
            JobEventKind::Settled {
                outcome,
                agreed_hash,
                ..
            } => Some((outcome, agreed_hash)),
            JobEventKind::Expired => Some((settle::outcome::EXPIRED, [0; 32])),
            _ => None,
        })
    }

    /// The `JobClosed` or `JobCancelled` event, if the account is gone.
    pub fn closed(&self) -> Option<&JobEvent> {
        self.events.iter().find(|e| {
            matches!(
                e.kind,
                JobEventKind::Closed { .. } | JobEventKind::Cancelled { .. }
            )
        })
    }

    /// Result URIs revealed (or submitted) with the agreed hash, in order.
    pub fn agreed_uris(&self) -> Vec<String> {
        let Some((settle::outcome::AGREED, agreed)) = self.verdict() else {
            return Vec::new();
        };
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                JobEventKind::Revealed {
                    result_hash,
                    result_uri,
                    ..
                }
                | JobEventKind::Submitted {
                    result_hash,
                    result_uri,
                    ..
                } if *result_hash == agreed => Some(result_uri.clone()),
                _ => None,
            })
            .collect()
    }
}

/// The events of `job` in one transaction's logs, in log order.
pub fn job_events(job: &Pubkey, logs: &[String]) -> Vec<JobEventKind> {
    all_job_events(logs)
        .into_iter()
        .filter(|(j, _)| j == job)
        .map(|(_, kind)| kind)
        .collect()
}

/// Every job event the jobs program itself logged in one transaction, with the job it
/// concerns, in log order (data logged by other programs is never taken for ours:
/// [`crate::events::attributed`]).
pub fn all_job_events(logs: &[String]) -> Vec<(Pubkey, JobEventKind)> {
    let mut out = Vec::new();
    for line in crate::events::attributed(&JOBS_PROGRAM_ID, logs) {
        let one = &[line];
        macro_rules! first {
            ($t:ty) => {
                decode::<$t>(one).into_iter().next()
            };
        }
        let kind = if let Some(e) = first!(ev::JobPosted) {
            Some((
                e.job,
                JobEventKind::Posted {
                    market: e.market,
                    requester: e.requester,
                    spec_uri: None,
                    spec_hash: e.spec_hash,
                    reward_per_replica: e.reward_per_replica,
                    replicas: e.replicas,
                    quorum: e.quorum,
                    bond: e.bond,
                    deposited: e.deposited,
                    claim_deadline: e.claim_deadline,
                },
            ))
        } else if let Some(e) = first!(ev::JobClaimed) {
            Some((
                e.job,
                JobEventKind::Claimed {
                    provider: e.provider,
                    slot: e.slot,
                    bond: e.bond,
                },
            ))
        } else if let Some(e) = first!(ev::SlotDisplaced) {
            Some((
                e.job,
                JobEventKind::Displaced {
                    provider: e.provider,
                    slot: e.slot,
                },
            ))
        } else if let Some(e) = first!(ev::JobAbandoned) {
            Some((
                e.job,
                JobEventKind::Abandoned {
                    provider: e.provider,
                    slot: e.slot,
                    penalty: e.penalty,
                },
            ))
        } else if let Some(e) = first!(ev::ResultCommitted) {
            Some((
                e.job,
                JobEventKind::Committed {
                    provider: e.provider,
                    slot: e.slot,
                },
            ))
        } else if let Some(e) = first!(ev::ResultRevealed) {
            Some((
                e.job,
                JobEventKind::Revealed {
                    provider: e.provider,
                    slot: e.slot,
                    result_hash: e.result_hash,
                    result_uri: e.result_uri,
                },
            ))
        } else if let Some(e) = first!(ev::ResultSubmitted) {
            Some((
                e.job,
                JobEventKind::Submitted {
                    provider: e.provider,
                    result_hash: e.result_hash,
                    result_uri: e.result_uri,
                },
            ))
        } else if let Some(e) = first!(ev::SlotReclaimed) {
            Some((
                e.job,
                JobEventKind::Reclaimed {
                    provider: e.provider,
                    slot: e.slot,
                    penalty: e.penalty,
                },
            ))
        } else if let Some(e) = first!(ev::JobSettled) {
            Some((
                e.job,
                JobEventKind::Settled {
                    outcome: e.outcome,
                    agreed_hash: e.agreed_hash,
                    winners: e.winners,
                },
            ))
        } else if let Some(e) = first!(ev::JobExpired) {
            Some((e.job, JobEventKind::Expired))
        } else if let Some(e) = first!(ev::SlotReleased) {
            Some((
                e.job,
                JobEventKind::Released {
                    provider: e.provider,
                    slot: e.slot,
                    payout: e.payout,
                    fee: e.fee,
                    penalty: e.penalty,
                },
            ))
        } else if let Some(e) = first!(ev::JobCancelled) {
            Some((e.job, JobEventKind::Cancelled { refund: e.refund }))
        } else if let Some(e) = first!(ev::JobClosed) {
            Some((
                e.job,
                JobEventKind::Closed {
                    outcome: e.outcome,
                    paid: e.paid,
                    fees: e.fees,
                    refund: e.refund,
                },
            ))
        } else {
            None
        };
        out.extend(kind);
    }
    out
}

/// The manifest URI in a transaction's `post_job` instruction, if it has one.
fn posted_spec_uri(tx: &EncodedConfirmedTransactionWithStatusMeta) -> Option<String> {
    use depin_jobs::instruction::PostJob;
    let decoded = tx.transaction.transaction.decode()?;
    let keys = decoded.message.static_account_keys();
    decoded.message.instructions().iter().find_map(|ix| {
        if keys.get(ix.program_id_index as usize) != Some(&JOBS_PROGRAM_ID) {
            return None;
        }
        let body = ix.data.strip_prefix(PostJob::DISCRIMINATOR)?;
        PostJob::deserialize(&mut &body[..])
            .ok()
            .map(|p| p.args.spec_uri)
    })
}

/// Transactions read for one job's history: far more than a job's own (a 7-replica job
/// with displacements lands fewer than 60).
pub const HISTORY_LIMIT: usize = 1_000;

/// Signatures listed for one job's history (20 calls of 1 000): far beyond any real job, so a
/// flood of transactions naming a job costs its sender fees without hiding the job's start.
pub const MAX_SIGNATURES: usize = 20_000;

/// Most signatures `getSignaturesForAddress` returns per call.
const PAGE: usize = 1_000;

impl DepinRpc {
    /// Signatures of the successful transactions that named `address`, newest first, at most
    /// `limit`.
    pub async fn signatures_of(
        &self,
        address: &Pubkey,
        limit: usize,
    ) -> Result<Vec<(Signature, u64, Option<i64>)>, ClientError> {
        self.signatures_since(address, None, limit).await
    }

    /// Like [`Self::signatures_of`], but only those newer than `until` (exclusive).
    pub async fn signatures_since(
        &self,
        address: &Pubkey,
        until: Option<Signature>,
        limit: usize,
    ) -> Result<Vec<(Signature, u64, Option<i64>)>, ClientError> {
        let mut out = Vec::new();
        let mut before = None;
        while out.len() < limit {
            let page = self
                .rpc()
                .get_signatures_for_address_with_config(
                    address,
                    GetConfirmedSignaturesForAddress2Config {
                        before,
                        until,
                        limit: Some(PAGE.min(limit - out.len())),
                        commitment: Some(self.rpc().commitment()),
                    },
                )
                .await
                .map_err(|e| ClientError::Rpc(e.to_string()))?;
            let n = page.len();
            for s in page {
                let sig: Signature = s
                    .signature
                    .parse()
                    .map_err(|e| ClientError::Rpc(format!("bad signature {}: {e}", s.signature)))?;
                before = Some(sig);
                if s.err.is_none() {
                    out.push((sig, s.slot, s.block_time));
                }
            }
            if n < PAGE {
                break;
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    /// The logs of a landed transaction and the transaction itself.
    async fn transaction(
        &self,
        signature: &Signature,
    ) -> Result<EncodedConfirmedTransactionWithStatusMeta, ClientError> {
        self.rpc()
            .get_transaction_with_config(
                signature,
                RpcTransactionConfig {
                    encoding: Some(UiTransactionEncoding::Base64),
                    commitment: Some(self.rpc().commitment()),
                    max_supported_transaction_version: Some(0),
                },
            )
            .await
            .map_err(|e| ClientError::Rpc(e.to_string()))
    }

    /// Every job event of one landed transaction, with the job each concerns (the manifest
    /// URI of a `Posted` filled in from the instruction).
    pub async fn transaction_events(
        &self,
        signature: &Signature,
    ) -> Result<Vec<(Pubkey, JobEventKind)>, ClientError> {
        let tx = self.transaction(signature).await?;
        let Some(OptionSerializer::Some(logs)) =
            tx.transaction.meta.as_ref().map(|m| &m.log_messages)
        else {
            return Ok(Vec::new());
        };
        let mut events = all_job_events(logs);
        for (_, kind) in &mut events {
            if let JobEventKind::Posted { spec_uri, .. } = kind {
                *spec_uri = posted_spec_uri(&tx);
            }
        }
        Ok(events)
    }

    /// The history of `job`, oldest first, read from its transactions from the oldest on
    /// (at most `limit` of them fetched) and stopping at its `JobClosed` / `JobCancelled`.
    /// Works after the job account is closed. Transactions that merely name the job (anyone
    /// can send them) cannot push its real events out of reach: the signature list is read
    /// back to the job's first transaction (up to [`MAX_SIGNATURES`]), and nothing after the
    /// close is fetched.
    pub async fn job_history(&self, job: &Pubkey, limit: usize) -> Result<JobHistory, ClientError> {
        let mut sigs = self.signatures_of(job, MAX_SIGNATURES).await?;
        sigs.reverse();
        let mut events: Vec<JobEvent> = Vec::new();
        for (signature, slot, block_time) in sigs.into_iter().take(limit) {
            // Closing (or cancelling) is a job's last event: nothing after it is its history.
            if events.last().is_some_and(|e| {
                matches!(
                    e.kind,
                    JobEventKind::Closed { .. } | JobEventKind::Cancelled { .. }
                )
            }) {
                break;
            }
            let tx = self.transaction(&signature).await?;
            let logs: Vec<String> = match &tx.transaction.meta {
                Some(meta) => match &meta.log_messages {
                    OptionSerializer::Some(l) => l.clone(),
                    _ => Vec::new(),
                },
                None => Vec::new(),
            };
            for mut kind in job_events(job, &logs) {
                if let JobEventKind::Posted { spec_uri, .. } = &mut kind {
                    *spec_uri = posted_spec_uri(&tx);
                }
                events.push(JobEvent {
                    signature,
                    slot,
                    block_time: block_time.or(tx.block_time),
                    kind,
                });
            }
        }
        Ok(JobHistory { events })
    }

    /// Jobs `requester` posted, found in its own transaction history (at most `limit`
    /// transactions, newest first): also those whose accounts are closed.
    pub async fn jobs_posted_by(
        &self,
        requester: &Pubkey,
        limit: usize,
    ) -> Result<Vec<(Pubkey, JobEvent)>, ClientError> {
        let mut out = Vec::new();
        for (signature, slot, block_time) in self.signatures_of(requester, limit).await? {
            let tx = self.transaction(&signature).await?;
            let Some(OptionSerializer::Some(logs)) =
                tx.transaction.meta.as_ref().map(|m| &m.log_messages)
            else {
                continue;
            };
            for e in decode_from::<ev::JobPosted>(&JOBS_PROGRAM_ID, logs) {
                if e.requester != *requester {
                    continue;
                }
                let mut kinds = job_events(&e.job, logs);
                kinds.retain(|k| matches!(k, JobEventKind::Posted { .. }));
                for mut kind in kinds {
                    if let JobEventKind::Posted { spec_uri, .. } = &mut kind {
                        *spec_uri = posted_spec_uri(&tx);
                    }
                    out.push((
                        e.job,
                        JobEvent {
                            signature,
                            slot,
                            block_time: block_time.or(tx.block_time),
                            kind,
                        },
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// What a provider account earned and lost, summed from its `SlotReleased` events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Earnings {
    /// Slots released (jobs taken to a verdict).
    pub slots: u64,
    /// Payment tokens paid out to the provider.
    pub paid: u64,
    /// Stake slashed at release.
    pub slashed: u64,
    /// Transactions read (the newest first, at most the limit asked for).
    pub transactions: usize,
}

impl DepinRpc {
    /// Earnings of provider account `provider` (the PDA, not its authority) over its newest
    /// `limit` transactions.
    pub async fn provider_earnings(
        &self,
        provider: &Pubkey,
        limit: usize,
    ) -> Result<Earnings, ClientError> {
        let sigs = self.signatures_of(provider, limit).await?;
        let mut e = Earnings {
            transactions: sigs.len(),
            ..Earnings::default()
        };
        for (signature, ..) in sigs {
            let tx = self.transaction(&signature).await?;
            let Some(OptionSerializer::Some(logs)) =
                tx.transaction.meta.as_ref().map(|m| &m.log_messages)
            else {
                continue;
            };
            for r in decode_from::<ev::SlotReleased>(&JOBS_PROGRAM_ID, logs) {
                if r.provider == *provider {
                    e.slots += 1;
                    e.paid = e.paid.saturating_add(r.payout);
                    e.slashed = e.slashed.saturating_add(r.penalty);
                }
            }
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use anchor_lang::Event;
    use base64::Engine;

    use super::*;

    fn line(e: &impl Event) -> String {
        format!(
            "Program data: {}",
            base64::engine::general_purpose::STANDARD.encode(e.data())
        )
    }

    #[test]
    fn events_of_other_jobs_are_left_out_and_order_is_kept() {
        let (job, other, p) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let logs = vec![
            format!("Program {JOBS_PROGRAM_ID} invoke [1]"),
            "Program log: Instruction: RevealResult".to_string(),
            line(&ev::ResultRevealed {
                job,
                provider: p,
                slot: 1,
                result_hash: [7; 32],
                result_uri: "http://w/blobs/x".into(),
            }),
            line(&ev::JobSettled {
                job: other,
                outcome: settle::outcome::AGREED,
                agreed_hash: [7; 32],
                winners: 3,
                held: 3,
                revealed: 3,
            }),
            line(&ev::JobSettled {
                job,
                outcome: settle::outcome::AGREED,
                agreed_hash: [7; 32],
                winners: 2,
                held: 3,
                revealed: 2,
            }),
        ];
        let mut logs = logs;
        logs.push(format!("Program {JOBS_PROGRAM_ID} success"));
        let kinds = job_events(&job, &logs);
        assert_eq!(kinds.len(), 2);
        assert!(matches!(kinds[0], JobEventKind::Revealed { slot: 1, .. }));
        assert!(matches!(kinds[1], JobEventKind::Settled { winners: 2, .. }));
    }

    #[test]
    fn a_forgers_events_are_not_the_jobs_history() {
        // A stranger's program names the job (so the transaction is in the job's history)
        // and logs a settlement with our event's discriminator and its own result URI.
        let (job, forger) = (Pubkey::new_unique(), Pubkey::new_unique());
        let forged = line(&ev::JobSettled {
            job,
            outcome: settle::outcome::AGREED,
            agreed_hash: [6; 32],
            winners: 3,
            held: 3,
            revealed: 3,
        });
        let logs = vec![
            format!("Program {forger} invoke [1]"),
            forged.clone(),
            format!("Program {forger} success"),
        ];
        assert!(job_events(&job, &logs).is_empty());
        // Nor when the forger is called by, or calls, the jobs program's transaction.
        let nested = vec![
            format!("Program {JOBS_PROGRAM_ID} invoke [1]"),
            format!("Program {forger} invoke [2]"),
            forged,
            format!("Program {forger} success"),
            format!("Program {JOBS_PROGRAM_ID} success"),
        ];
        assert!(job_events(&job, &nested).is_empty());
    }

    #[test]
    fn agreed_uris_are_those_with_the_agreed_hash() {
        let p = Pubkey::new_unique();
        let ev = |kind| JobEvent {
            signature: Signature::default(),
            slot: 0,
            block_time: None,
            kind,
        };
        let revealed = |hash: u8, uri: &str| {
            ev(JobEventKind::Revealed {
                provider: p,
                slot: 0,
                result_hash: [hash; 32],
                result_uri: uri.into(),
            })
        };
        let mut h = JobHistory {
            events: vec![revealed(1, "a"), revealed(2, "liar"), revealed(1, "b")],
        };
        assert!(h.agreed_uris().is_empty(), "no verdict yet");
        h.events.push(ev(JobEventKind::Settled {
            outcome: settle::outcome::AGREED,
            agreed_hash: [1; 32],
            winners: 2,
        }));
        assert_eq!(h.agreed_uris(), vec!["a".to_string(), "b".to_string()]);
        assert!(h.closed().is_none());
    }
}
