//! The permissionless steps that move a job on (settle, expire, reclaim, release, close): which
//! are due now, and their instructions. One rule for everyone who cranks: the worker (for jobs
//! it touched) and the requester's `depin job crank`, so nobody depends on a particular worker
//! staying alive for a job to end and its escrow to come back.
//!
//! ```
//! use depin_client::crank::{due, Crank};
//! # let mut job: depin_client::Job = bytemuck::Zeroable::zeroed();
//! # job.replicas = 1; job.claim_deadline = 100; job.commit_deadline = 200;
//! # job.reveal_deadline = 300;
//! // An open job nobody claimed, once its claim window is over, can only expire.
//! assert_eq!(due(&job, 150), vec![Crank::Expire]);
//! assert!(due(&job, 50).is_empty());
//! ```

use anchor_lang::prelude::Pubkey;
use depin_jobs::state::{job_status, slot_state};
use solana_sdk::instruction::Instruction;

use crate::{
    ix::{self, jobs::MarketKeys},
    ops::token_account,
    rpc::DepinRpc,
    ClientError, Job, Provider,
};

/// A step anyone may take on a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crank {
    /// `expire_job`: the claim window ended short of the quorum (full refund, bonds back).
    Expire,
    /// `reclaim_slot`: `provider` let the deadline of `slot` pass without committing (the
    /// no-show rate; the slot is free again).
    Reclaim {
        /// Slot index.
        slot: usize,
        /// Its holder.
        provider: Pubkey,
    },
    /// `settle_job`: no reveal can still come; tally.
    Settle,
    /// `release_slot`: pay, release or slash `slot` of a settled job as its verdict says.
    Release {
        /// Slot index.
        slot: usize,
        /// Its holder.
        provider: Pubkey,
    },
    /// `close_job`: every held slot is released; fees to the vault, the rest to the requester.
    Close,
}

impl Crank {
    /// The instruction (`expire_job`, `reclaim_slot`, `settle_job`, `release_slot`,
    /// `close_job`).
    pub fn instruction(&self) -> &'static str {
        match self {
            Crank::Expire => "expire_job",
            Crank::Reclaim { .. } => "reclaim_slot",
            Crank::Settle => "settle_job",
            Crank::Release { .. } => "release_slot",
            Crank::Close => "close_job",
        }
    }

    /// The CLI verb (`depin job <verb>`): `expire`, `reclaim`, `settle`, `release`, `close`.
    pub fn verb(&self) -> &'static str {
        match self {
            Crank::Expire => "expire",
            Crank::Reclaim { .. } => "reclaim",
            Crank::Settle => "settle",
            Crank::Release { .. } => "release",
            Crank::Close => "close",
        }
    }
}

/// Every step due on `job` at chain time `now`, in the order to send them. Steps of one round
/// do not depend on each other (each names a different slot, or is the single job-wide step);
/// the next round is read from the job once they landed.
pub fn due(job: &Job, now: i64) -> Vec<Crank> {
    let held = |k: &usize| job.slots[*k].provider != Pubkey::default();
    let slots = 0..job.replicas as usize;
    if job.status == job_status::OPEN {
        if job.expirable(now) {
            return vec![Crank::Expire];
        }
        let late: Vec<Crank> = slots
            .filter(held)
            .filter(|&k| job.slots[k].state == slot_state::CLAIMED && now >= job.slot_deadline(k))
            .map(|slot| Crank::Reclaim {
                slot,
                provider: job.slots[slot].provider,
            })
            .collect();
        if !late.is_empty() {
            return late;
        }
        return if job.settle_ready(now) {
            vec![Crank::Settle]
        } else {
            Vec::new()
        };
    }
    let unreleased: Vec<Crank> = slots
        .filter(held)
        .filter(|&k| job.slots[k].released == 0)
        .map(|slot| Crank::Release {
            slot,
            provider: job.slots[slot].provider,
        })
        .collect();
    if unreleased.is_empty() && job.released == job.claimed {
        vec![Crank::Close]
    } else {
        unreleased
    }
}

impl DepinRpc {
    /// The instructions of `step` on the job at `address` (`job` as last read), sent by
    /// `payer`. A winner is paid into its authority's associated token account for the
    /// payment mint; when that account does not exist, it is created first (idempotently, its
    /// rent paid by `payer`), so a winner that went away without one cannot keep the job, and
    /// the requester's refund, open.
    pub async fn crank_instructions(
        &self,
        payer: &Pubkey,
        address: &Pubkey,
        job: &Job,
        step: Crank,
    ) -> Result<Vec<Instruction>, ClientError> {
        let m = self.market(&job.market).await?;
        let keys = MarketKeys {
            market: job.market,
            fee_vault: m.fee_vault,
            staking_pool: m.staking_pool,
        };
        Ok(match step {
            Crank::Expire => vec![ix::jobs::expire_job(address)],
            Crank::Settle => vec![ix::jobs::settle_job(address)],
            Crank::Reclaim { provider, .. } => {
                vec![ix::jobs::reclaim_slot(&keys, address, &provider)]
            }
            Crank::Release { slot, provider } => {
                let settled = job.terms().settle(job.verdict(slot));
                let pays = settled.map(|s| s.payout > 0).unwrap_or(false);
                let mut out = Vec::new();
                let payout = if pays {
                    let p: Provider = self.account(&provider).await?;
                    let ata = token_account(&p.authority, &m.payment_mint);
                    if !self.exists(&ata).await? {
                        out.push(create_ata(payer, &p.authority, &m.payment_mint));
                    }
                    ata
                } else {
                    Pubkey::default()
                };
                let release = ix::jobs::release_for(job, slot, payout)
                    .map_err(|e| ClientError::Invalid(format!("{e:?}")))?;
                out.push(ix::jobs::release_slot(
                    &keys,
                    address,
                    &job.escrow,
                    &provider,
                    release,
                ));
                out
            }
            Crank::Close => {
                // The refund goes to the requester's account, created first if it was closed.
                let refund = token_account(&job.requester, &m.payment_mint);
                let mut out = Vec::new();
                if !self.exists(&refund).await? {
                    out.push(create_ata(payer, &job.requester, &m.payment_mint));
                }
                out.push(ix::jobs::close_job(
                    &keys,
                    address,
                    &job.escrow,
                    &job.requester,
                    &refund,
                ));
                out
            }
        })
    }

    async fn exists(&self, address: &Pubkey) -> Result<bool, ClientError> {
        Ok(self
            .rpc()
            .get_account_with_commitment(address, self.rpc().commitment())
            .await
            .map_err(|e| ClientError::Rpc(e.to_string()))?
            .value
            .is_some())
    }
}

/// Create `owner`'s associated token account for `mint` if it does not exist, `payer` paying.
fn create_ata(payer: &Pubkey, owner: &Pubkey, mint: &Pubkey) -> Instruction {
    anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
        payer,
        owner,
        mint,
        &anchor_spl::token::ID,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Job {
        let mut j: Job = bytemuck::Zeroable::zeroed();
        j.replicas = 3;
        j.quorum = 2;
        j.claim_deadline = 100;
        j.commit_deadline = 160;
        j.reveal_deadline = 200;
        j
    }

    fn hold(j: &mut Job, k: usize, state: u8, claimed_at: i64) {
        j.slots[k].provider = Pubkey::new_unique();
        j.slots[k].state = state;
        j.slots[k].claimed_at = claimed_at;
        j.claimed += 1;
        if state >= slot_state::COMMITTED {
            j.committed += 1;
        }
        if state == slot_state::REVEALED {
            j.revealed += 1;
        }
    }

    #[test]
    fn late_slots_are_reclaimed_before_anything_else() {
        let mut j = job();
        hold(&mut j, 1, slot_state::CLAIMED, 10); // deadline 10 + 60 = 70
        hold(&mut j, 2, slot_state::COMMITTED, 20);
        j.quorum_reached = 1;
        assert!(due(&j, 69).is_empty());
        assert_eq!(
            due(&j, 70),
            vec![Crank::Reclaim {
                slot: 1,
                provider: j.slots[1].provider
            }]
        );
    }

    #[test]
    fn settle_when_no_reveal_can_come_then_release_then_close() {
        let mut j = job();
        hold(&mut j, 0, slot_state::REVEALED, 10);
        hold(&mut j, 2, slot_state::COMMITTED, 10);
        j.quorum_reached = 1;
        assert!(due(&j, 150).is_empty(), "reveals still open");
        assert_eq!(due(&j, 200), vec![Crank::Settle]);
        j.status = job_status::SETTLED;
        assert_eq!(
            due(&j, 200).iter().map(Crank::verb).collect::<Vec<_>>(),
            ["release", "release"]
        );
        j.slots[0].released = 1;
        j.slots[2].released = 1;
        j.released = 2;
        assert_eq!(due(&j, 200), vec![Crank::Close]);
    }

    #[test]
    fn a_job_short_of_its_quorum_expires_whoever_holds_slot_zero() {
        let mut j = job();
        hold(&mut j, 2, slot_state::CLAIMED, 90);
        assert!(due(&j, 99).is_empty());
        assert_eq!(due(&j, 100), vec![Crank::Expire]);
    }
}
