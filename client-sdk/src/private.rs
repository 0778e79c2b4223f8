//! Private jobs, the requester's side: post one with sealed blobs and a key commitment,
//! deliver each claimant's key envelope on chain, and read the sealed result
//! ([`crate::ops::SealedReader`]). The cryptography is in [`crate::privacy`]; docs/privacy.md
//! says what it protects and what it does not.

use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use depin_jobs::{
    instructions::DeliverKeyArgs,
    state::{job_status, slot_state},
};
use depin_staking::state::Provider;
use solana_sdk::signature::{Keypair, Signer};

use crate::{
    blob::BlobStore,
    ix,
    manifest::{DraftManifest, Manifest},
    ops::{JobTerms, PostedJob},
    pda,
    privacy::{self, BlobRole, JobSecret},
    rpc::DepinRpc,
    ClientError,
};

/// Program errors that mean a key envelope is no longer wanted for that slot (the holder
/// changed or gave up, the key was delivered already, its window closed, the job ended).
const NOT_WANTED: [&str; 4] = [
    "KeyAlreadyDelivered",
    "WrongSlotHolder",
    "KeyWindowClosed",
    "JobNotOpen",
];

/// What one round of [`DepinRpc::deliver_keys`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRound {
    /// `(slot, provider account)` of each envelope that landed.
    pub delivered: Vec<(u8, Pubkey)>,
    /// `(slot, error)` of each envelope that could not be sent this round (the next retries).
    pub failed: Vec<(u8, String)>,
    /// Whether no envelope can be wanted any more: the job is closed or settled, or its claim
    /// window is over and every held slot has its key or is past its key deadline.
    pub done: bool,
}

impl DepinRpc {
    /// Post a private job from `draft`: the input (and the module, with `seal_module`) is
    /// sealed with the job's secret before it is stored, and the job carries the secret's key
    /// commitment. The secret is derived from `requester`'s wallet and the job's address
    /// ([`JobSecret::derive`]); nothing has to be kept. Claimants get it only once they hold a
    /// slot, from [`DepinRpc::deliver_keys`], which must keep running while the job takes
    /// claims (`depin job keys`, or [`DepinRpc::keep_delivering`]).
    pub async fn post_private(
        &self,
        requester: &Keypair,
        market: &Pubkey,
        draft: &DraftManifest,
        store: &dyn BlobStore,
        terms: JobTerms,
        seal_module: bool,
    ) -> Result<PostedJob, ClientError> {
        let nonce = terms.nonce.unwrap_or_else(crate::ops::unix_nanos);
        let terms = JobTerms {
            nonce: Some(nonce),
            ..terms
        };
        let job = pda::job(market, &requester.pubkey(), nonce).0;
        let secret = JobSecret::derive(requester, &job);
        let (module, input) = draft.read_blobs()?;
        let module = if seal_module {
            let sealed = secret.seal_blob(&job, BlobRole::Module, &module);
            store.put(&sealed).await?.sealed()
        } else {
            store.put(&module).await?
        };
        let input = store
            .put(&secret.seal_blob(&job, BlobRole::Input, &input))
            .await?
            .sealed();
        let mut m = Manifest::new(draft.name.clone(), module, input);
        m.args = draft.args.clone();
        m.limits = draft.limits;
        let posted = self
            .post_committed(requester, market, &m, store, terms, secret.commitment())
            .await?;
        debug_assert_eq!(posted.job, job);
        Ok(posted)
    }

    /// Seal the job secret to the operator key of every holder of private `job` whose slot is
    /// claimed, has no key yet and is before its key deadline, and store each envelope on
    /// chain (`deliver_key`, one transaction per slot). Idempotent: a slot whose envelope is
    /// no longer wanted is skipped.
    pub async fn deliver_keys(
        &self,
        requester: &Keypair,
        job: &Pubkey,
    ) -> Result<KeyRound, ClientError> {
        let j = match self.job(job).await {
            Ok(j) => j,
            Err(ClientError::AccountNotFound(_)) => {
                return Ok(KeyRound {
                    done: true,
                    ..KeyRound::default()
                })
            }
            Err(e) => return Err(e),
        };
        if !j.is_private() {
            return Err(ClientError::Invalid(format!(
                "job {job} is not private: it has no keys to deliver"
            )));
        }
        let secret = JobSecret::derive(requester, job);
        if secret.commitment() != j.key_commitment {
            return Err(ClientError::Invalid(format!(
                "job {job} was not posted by {}: its key commitment is not this wallet's",
                requester.pubkey()
            )));
        }
        let mut round = KeyRound::default();
        if j.status != job_status::OPEN {
            round.done = true;
            return Ok(round);
        }
        let now = self.chain_time().await?;
        let mut pending = false;
        for i in 0..j.replicas as usize {
            let s = &j.slots[i];
            if s.state != slot_state::CLAIMED || s.key_at != 0 || now >= j.key_deadline(i) {
                continue;
            }
            pending = true;
            // One slot's failure (a read, a send) never holds up the others' keys.
            match self
                .deliver_one(requester, job, i, s.provider, &secret)
                .await
            {
                Ok(()) => round.delivered.push((i as u8, s.provider)),
                Err(ClientError::Program { name, .. }) if NOT_WANTED.contains(&name.as_str()) => {}
                Err(e) => round.failed.push((i as u8, e.to_string())),
            }
        }
        round.done = !pending && now >= j.claim_deadline;
        Ok(round)
    }

    /// Seal the secret to the operator of `provider` and deliver it for `slot`.
    async fn deliver_one(
        &self,
        requester: &Keypair,
        job: &Pubkey,
        slot: usize,
        provider: Pubkey,
        secret: &JobSecret,
    ) -> Result<(), ClientError> {
        let operator = self.account::<Provider>(&provider).await?.operator;
        let args = DeliverKeyArgs {
            slot: slot as u8,
            provider,
            envelope: privacy::seal_envelope(&operator, secret)?,
        };
        let deliver = ix::jobs::deliver_key(&requester.pubkey(), job, args);
        self.send(requester, &[deliver], &[]).await.map(|_| ())
    }

    /// Run [`DepinRpc::deliver_keys`] every `poll` until no envelope can be wanted any more
    /// (or `timeout`); returns every envelope delivered. Transient failures (a read, a send)
    /// are retried at the next round; only a job that is not this wallet's private job ends
    /// it early. A requester that stops early only hurts itself: claimants whose key does not
    /// come give their slots back unpenalised.
    pub async fn keep_delivering(
        &self,
        requester: &Keypair,
        job: &Pubkey,
        poll: Duration,
        timeout: Duration,
    ) -> Result<Vec<(u8, Pubkey)>, ClientError> {
        let until = tokio::time::Instant::now() + timeout;
        let mut all = Vec::new();
        let mut last_failure = None;
        loop {
            match self.deliver_keys(requester, job).await {
                Ok(round) => {
                    all.extend(round.delivered);
                    if round.done {
                        return Ok(all);
                    }
                    if let Some((slot, why)) = round.failed.into_iter().last() {
                        last_failure = Some(format!("slot {slot}: {why}"));
                    }
                }
                Err(e @ ClientError::Invalid(_)) => return Err(e),
                Err(e) => last_failure = Some(e.to_string()),
            }
            if tokio::time::Instant::now() >= until {
                return Err(ClientError::Timeout(format!(
                    "delivering the keys of job {job} (last failure: {})",
                    last_failure.as_deref().unwrap_or("none")
                )));
            }
            tokio::time::sleep(poll).await;
        }
    }
}
