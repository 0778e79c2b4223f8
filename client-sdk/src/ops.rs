//! High-level calls for requesters, providers and admins, on top of [`DepinRpc`]: post a job
//! from a manifest, wait for it, fetch and verify its result, cancel it; register, stake,
//! unstake and withdraw; create token accounts. Token accounts are the owners' associated
//! token accounts unless a call says otherwise.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anchor_lang::prelude::Pubkey;
use anchor_spl::associated_token::{
    get_associated_token_address, spl_associated_token_account::instruction as ata,
};
use depin_core::{exec, hash::Hash32, limits, settle};
use depin_jobs::{
    instructions::PostJobArgs,
    state::{job_status, slot_state, Job, Market},
};
use depin_staking::state::{Pool, Provider, ProviderPolicy};
use solana_sdk::signature::{Keypair, Signature, Signer};

use crate::{
    blob::{BlobFetcher, BlobStore},
    history::HISTORY_LIMIT,
    ix,
    manifest::{BlobRef, Manifest},
    pda,
    rpc::DepinRpc,
    ClientError,
};

/// What a requester offers for a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobTerms {
    /// Reward per replica, in the market's payment token (the fee is taken from it).
    pub reward_per_replica: u64,
    /// Replicas: odd, 1 ..= the market's maximum. The quorum is always a strict majority
    /// (`depin_core::settle::quorum_for`), set by the protocol.
    pub replicas: u8,
    /// Stake each claimant locks; `None`: the market's minimum.
    pub bond: Option<u64>,
    /// Job nonce; `None`: the first at or after the current time in nanoseconds whose job
    /// address has bump 255 (`pda::job_nonce`: unique per requester in practice, and the
    /// cheapest post).
    pub nonce: Option<u64>,
    /// Highest protocol fee (basis points) the requester accepts; `None`: whatever binds the
    /// job now (the post still fails if it changes between the read and the landing).
    pub max_fee_bps: Option<u16>,
}

impl JobTerms {
    /// `replicas` replicas (settled by a strict majority), paying `reward_per_replica` each.
    pub fn majority(reward_per_replica: u64, replicas: u8) -> Self {
        JobTerms {
            reward_per_replica,
            replicas,
            bond: None,
            nonce: None,
            max_fee_bps: None,
        }
    }
}

/// What [`DepinRpc::check_post`] found: what the post will use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostCheck {
    /// The market's payment mint.
    pub payment_mint: Pubkey,
    /// The fee binding the job now (sent as `expected_fee_bps`).
    pub fee_bps: u16,
    /// The bond each claimant will lock.
    pub bond: u64,
    /// The requester's token account the escrow is paid from.
    pub source: Pubkey,
    /// The market's execution window (claim to commit deadline), seconds.
    pub execution_window_secs: u32,
}

/// A posted job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostedJob {
    /// The job account.
    pub job: Pubkey,
    /// Its escrow token account (`Job::escrow`, at the address of a keypair made for the post).
    pub escrow: Pubkey,
    /// Its nonce.
    pub nonce: u64,
    /// Where the manifest was stored (its sha256 is the spec hash).
    pub manifest: BlobRef,
    /// The `post_job` transaction.
    pub signature: Signature,
}

/// A settled job's verified result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobResult {
    /// The module's exit code, or one of the deterministic-failure codes of
    /// [`depin_core::exec`].
    pub exit_code: i32,
    /// Its stdout.
    pub output: Vec<u8>,
    /// Its stderr (the job's logs, at most `depin_core::exec::MAX_LOG_BYTES`), covered by the
    /// agreed hash like the output.
    pub logs: Vec<u8>,
    /// The agreed result hash the output and logs were checked against.
    pub result_hash: Hash32,
    /// The URI it was read from.
    pub uri: String,
    /// Whether it was sealed to the requester (a private job) and opened with its key.
    pub sealed: bool,
}

/// What opens a private job's result: its requester's wallet (the result is sealed to it; the
/// job secret, derived from it, keys the agreed hash).
#[derive(Clone, Copy)]
pub struct SealedReader<'a> {
    /// The requester's wallet.
    pub requester: &'a Keypair,
    /// The job.
    pub job: Pubkey,
}

/// The associated token account of `owner` for `mint`.
pub fn token_account(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    get_associated_token_address(owner, mint)
}

pub(crate) fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

impl DepinRpc {
    /// The market at `address`.
    pub async fn market(&self, address: &Pubkey) -> Result<Market, ClientError> {
        self.account::<Market>(address).await
    }

    /// The staking pool at `address`.
    pub async fn pool(&self, address: &Pubkey) -> Result<Pool, ClientError> {
        self.account::<Pool>(address).await
    }

    /// The provider account of `owner` in `pool`, if registered.
    pub async fn provider(
        &self,
        pool: &Pubkey,
        owner: &Pubkey,
    ) -> Result<Option<Provider>, ClientError> {
        match self
            .account::<Provider>(&pda::provider(pool, owner).0)
            .await
        {
            Ok(p) => Ok(Some(p)),
            Err(ClientError::AccountNotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Token balance of a token account (0 if it does not exist).
    pub async fn token_balance(&self, account: &Pubkey) -> Result<u64, ClientError> {
        match self.rpc().get_token_account_balance(account).await {
            Ok(b) => b
                .amount
                .parse()
                .map_err(|_| ClientError::Rpc(format!("bad token amount `{}`", b.amount))),
            Err(e) => {
                // A missing account holds nothing; any other failure (an endpoint that cannot
                // be reached) is an error, never a zero balance.
                let exists = self
                    .rpc()
                    .get_account_with_commitment(account, self.rpc().commitment())
                    .await
                    .map_err(|_| ClientError::Rpc(e.to_string()))?
                    .value
                    .is_some();
                if exists {
                    Err(ClientError::Rpc(e.to_string()))
                } else {
                    Ok(0)
                }
            }
        }
    }

    /// The published policies of provider accounts `providers`, in order (`None`: none
    /// published).
    pub async fn policies_of(
        &self,
        providers: &[Pubkey],
    ) -> Result<Vec<Option<ProviderPolicy>>, ClientError> {
        let mut out = Vec::with_capacity(providers.len());
        for chunk in providers.chunks(100) {
            let addresses: Vec<Pubkey> = chunk.iter().map(|p| pda::policy(p).0).collect();
            let accounts = self
                .rpc()
                .get_multiple_accounts(&addresses)
                .await
                .map_err(|e| ClientError::Rpc(e.to_string()))?;
            for (address, account) in addresses.iter().zip(accounts) {
                out.push(match account {
                    Some(a) => Some(crate::accounts::decode::<ProviderPolicy>(address, &a.data)?),
                    None => None,
                });
            }
        }
        Ok(out)
    }

    /// Decimals of token mint `mint`.
    pub async fn mint_decimals(&self, mint: &Pubkey) -> Result<u8, ClientError> {
        Ok(self
            .account::<anchor_spl::token::Mint>(mint)
            .await?
            .decimals)
    }

    /// `owner`'s associated token account for `mint`, created (paid by `payer`) if missing.
    pub async fn ensure_token_account(
        &self,
        payer: &Keypair,
        owner: &Pubkey,
        mint: &Pubkey,
    ) -> Result<Pubkey, ClientError> {
        let address = token_account(owner, mint);
        let exists = self
            .rpc()
            .get_account_with_commitment(&address, self.rpc().commitment())
            .await
            .map_err(|e| ClientError::Rpc(e.to_string()))?
            .value
            .is_some();
        if !exists {
            let create = ata::create_associated_token_account_idempotent(
                &payer.pubkey(),
                owner,
                mint,
                &anchor_spl::token::ID,
            );
            self.send(payer, &[create], &[]).await?;
        }
        Ok(address)
    }

    /// Store `manifest` in `store` and post a job for it in `market`, escrowing the reward from
    /// the requester's token account. Refuses (before sending) a manifest that does not
    /// validate, a URI longer than the on-chain limit, terms the market would refuse, and a
    /// balance that cannot cover the escrow.
    pub async fn post_manifest(
        &self,
        requester: &Keypair,
        market: &Pubkey,
        manifest: &Manifest,
        store: &dyn BlobStore,
        terms: JobTerms,
    ) -> Result<PostedJob, ClientError> {
        self.post_committed(requester, market, manifest, store, terms, [0; 32])
            .await
    }

    /// [`DepinRpc::post_manifest`] with a key commitment (all zero: a public job; see
    /// `depin_client::private`).
    pub(crate) async fn post_committed(
        &self,
        requester: &Keypair,
        market: &Pubkey,
        manifest: &Manifest,
        store: &dyn BlobStore,
        terms: JobTerms,
        key_commitment: Hash32,
    ) -> Result<PostedJob, ClientError> {
        manifest.validate()?;
        let private = key_commitment != [0; 32];
        let PostCheck {
            payment_mint,
            fee_bps,
            bond,
            source,
            execution_window_secs,
        } = self.check_post(&requester.pubkey(), market, &terms).await?;
        // Workers refuse a job whose longest run could not be committed in time
        // (`policy::Refusal::Window`): say so now rather than escrow a job nobody claims.
        let run_secs = crate::policy::run_window_secs(
            i64::from(execution_window_secs),
            private,
            manifest.module.sealed,
        );
        let window_ms = u64::try_from(run_secs).unwrap_or(0) * 1000;
        let wall = manifest.limits.wall_ms;
        if wall.saturating_add(crate::policy::COMMIT_MARGIN_MS) > window_ms {
            let private_note = if private {
                " (less the key window of a private job)"
            } else {
                ""
            };
            return Err(ClientError::Invalid(format!(
                "the manifest allows a {wall} ms run, which with {} ms to commit does not fit \
                 this market's {execution_window_secs} s execution window{private_note}: no \
                 worker would claim it; set limits.wall_ms to at most {}",
                crate::policy::COMMIT_MARGIN_MS,
                window_ms.saturating_sub(crate::policy::COMMIT_MARGIN_MS)
            )));
        }
        let bytes = manifest.to_bytes();
        let blob = store.put(&bytes).await?;
        if blob.uri.len() > limits::MAX_URI_LEN {
            return Err(ClientError::Invalid(format!(
                "manifest URI is {} bytes, more than the on-chain limit of {}",
                blob.uri.len(),
                limits::MAX_URI_LEN
            )));
        }
        let nonce = terms
            .nonce
            .unwrap_or_else(|| pda::job_nonce(market, &requester.pubkey(), unix_nanos()));
        let args = PostJobArgs {
            nonce,
            spec_hash: blob.sha256,
            spec_uri: blob.uri.clone(),
            reward_per_replica: terms.reward_per_replica,
            replicas: terms.replicas,
            bond,
            // The program refuses the post if the fee binding it changed since this read.
            expected_fee_bps: fee_bps,
            key_commitment,
        };
        // The escrow's address is a fresh keypair's: it signs its own creation.
        let escrow = Keypair::new();
        let post = ix::jobs::post_job(
            &requester.pubkey(),
            market,
            &payment_mint,
            &source,
            &escrow.pubkey(),
            args,
        );
        let signature = self.send(requester, &[post], &[&escrow]).await?;
        Ok(PostedJob {
            job: pda::job(market, &requester.pubkey(), nonce).0,
            escrow: escrow.pubkey(),
            nonce,
            manifest: blob,
            signature,
        })
    }

    /// Check, without storing or sending anything, that `requester` can post a job with
    /// `terms` in `market` now: the market exists and is not paused, its fee is within
    /// `max_fee_bps`, the replica count, bond and reward are ones the program accepts, and the
    /// requester's token account covers the escrow. Callers that upload blobs first (the CLI)
    /// call it before uploading, so a refused post leaves nothing behind.
    pub async fn check_post(
        &self,
        requester: &Pubkey,
        market: &Pubkey,
        terms: &JobTerms,
    ) -> Result<PostCheck, ClientError> {
        let m = self.market(market).await?;
        if m.paused {
            return Err(ClientError::Invalid(format!("market {market} is paused")));
        }
        let cfg = m.effective_config(self.chain_time().await?).clone();
        if let Some(max) = terms.max_fee_bps {
            if cfg.fee_bps > max {
                return Err(ClientError::Invalid(format!(
                    "the market's fee is {} bps, above the {max} bps you accept",
                    cfg.fee_bps
                )));
            }
        }
        if !depin_core::settle::replicas_allowed(terms.replicas, cfg.max_replicas) {
            return Err(ClientError::Invalid(format!(
                "replicas must be odd, 1..={} in this market (got {}): the verdict is a strict \
                 majority, and an even count adds no fault tolerance",
                cfg.max_replicas, terms.replicas
            )));
        }
        let bond = terms.bond.unwrap_or(cfg.min_bond);
        let deposit = terms
            .reward_per_replica
            .checked_mul(u64::from(terms.replicas))
            .ok_or_else(|| ClientError::Invalid("reward × replicas overflows u64".into()))?;
        if bond < cfg.min_bond {
            return Err(ClientError::Invalid(format!(
                "the bond of {bond} is below this market's minimum of {}",
                cfg.min_bond
            )));
        }
        if terms.reward_per_replica == 0 {
            return Err(ClientError::Invalid(
                "the reward per replica must be positive".into(),
            ));
        }
        let source = token_account(requester, &m.payment_mint);
        let balance = self.token_balance(&source).await?;
        if balance < deposit {
            return Err(ClientError::Invalid(format!(
                "insufficient funds: the escrow needs {deposit} tokens, {source} holds {balance}"
            )));
        }
        Ok(PostCheck {
            payment_mint: m.payment_mint,
            fee_bps: cfg.fee_bps,
            bond,
            source,
            execution_window_secs: cfg.execution_window_secs,
        })
    }

    /// Wait for settlement (websocket with polling fallback) and return the settled job, or
    /// `None` if it was already closed.
    pub async fn wait_job(
        &self,
        job: &Pubkey,
        timeout: Duration,
    ) -> Result<Option<Job>, ClientError> {
        self.wait_settled(job, Duration::from_secs(2), timeout)
            .await
    }

    /// The result of a settled job, read from a winner's revealed URI and checked against the
    /// agreed hash (the first URI whose blob verifies is used; every failure is reported if none
    /// does). At most `max_bytes` of output are downloaded.
    pub async fn fetch_result(
        &self,
        job: &Pubkey,
        fetcher: &BlobFetcher,
        max_bytes: u64,
    ) -> Result<JobResult, ClientError> {
        self.fetch_result_as(job, None, fetcher, max_bytes).await
    }

    /// [`DepinRpc::fetch_result`], opening a private job's sealed result with its requester's
    /// wallet `requester` (a public job's result is read as it is).
    pub async fn fetch_result_as(
        &self,
        job: &Pubkey,
        requester: Option<&Keypair>,
        fetcher: &BlobFetcher,
        max_bytes: u64,
    ) -> Result<JobResult, ClientError> {
        let reader = requester.map(|requester| SealedReader {
            requester,
            job: *job,
        });
        let j = match self.job(job).await {
            Ok(j) => j,
            Err(ClientError::AccountNotFound(_)) => {
                return self
                    .closed_job_result(job, reader.as_ref(), fetcher, max_bytes)
                    .await
            }
            Err(e) => return Err(e),
        };
        if j.status != job_status::SETTLED {
            return Err(ClientError::Invalid(format!(
                "job {job} is not settled yet"
            )));
        }
        if j.outcome != settle::outcome::AGREED {
            return Err(ClientError::Invalid(format!(
                "job {job} settled without an agreed result ({})",
                outcome_name(j.outcome)
            )));
        }
        verified_result(&j, reader.as_ref(), fetcher, max_bytes).await
    }

    /// The verified manifest of `job` (fetched from its URI, checked against its hash).
    pub async fn manifest_of(&self, job: &Job) -> Result<Manifest, ClientError> {
        // A stranger's job names this URI: public addresses only (loopback on a local
        // chain); `file://` stays readable for a requester's own local store.
        let bytes = BlobFetcher::for_results(&self.rpc().url(), Duration::from_secs(30))
            .fetch(
                job.spec_uri(),
                &job.spec_hash,
                crate::manifest::MAX_MANIFEST_BYTES as u64,
            )
            .await?;
        Ok(Manifest::from_bytes(&bytes)?)
    }

    /// The result of a job whose account is closed, from its transaction history: the
    /// agreed hash of its `JobSettled` event and the URIs revealed with it.
    pub async fn closed_job_result(
        &self,
        job: &Pubkey,
        reader: Option<&SealedReader<'_>>,
        fetcher: &BlobFetcher,
        max_bytes: u64,
    ) -> Result<JobResult, ClientError> {
        let history = self.job_history(job, HISTORY_LIMIT).await?;
        if history.posted().is_none() {
            return Err(ClientError::AccountNotFound(job.to_string()));
        }
        match history.verdict() {
            Some((settle::outcome::AGREED, agreed)) => {
                let uris = history.agreed_uris();
                result_from_uris(&agreed, &uris, reader, fetcher, max_bytes).await
            }
            Some((outcome, _)) => Err(ClientError::Invalid(format!(
                "job {job} settled without an agreed result ({})",
                outcome_name(outcome)
            ))),
            None => Err(ClientError::Invalid(format!(
                "job {job} was closed without a verdict (cancelled)"
            ))),
        }
    }

    /// Cancel a job nobody has claimed yet; the escrow is refunded to the requester's token
    /// account.
    pub async fn cancel_job(
        &self,
        requester: &Keypair,
        job: &Pubkey,
    ) -> Result<Signature, ClientError> {
        let j = self.job(job).await?;
        let m = self.market(&j.market).await?;
        let refund_to = token_account(&requester.pubkey(), &m.payment_mint);
        self.send(
            requester,
            &[ix::jobs::cancel_job(
                &requester.pubkey(),
                job,
                &j.escrow,
                &refund_to,
            )],
            &[],
        )
        .await
    }

    /// Register `owner` (the provider's authority) as a provider of the pool of `stake_mint`
    /// whose worker signs with `operator` (if not yet registered; the operator co-signs, and may
    /// be `owner` itself) and stake `amount` from its token account (if non-zero).
    pub async fn register_and_stake(
        &self,
        owner: &Keypair,
        operator: &Keypair,
        stake_mint: &Pubkey,
        endpoint: &str,
        amount: u64,
    ) -> Result<(), ClientError> {
        if endpoint.len() > limits::MAX_URI_LEN {
            return Err(ClientError::Invalid(format!(
                "endpoint is longer than {} bytes",
                limits::MAX_URI_LEN
            )));
        }
        let pool = pda::pool(stake_mint).0;
        let mut ixs = Vec::new();
        if self.provider(&pool, &owner.pubkey()).await?.is_none() {
            ixs.push(ix::staking::register_provider(
                &owner.pubkey(),
                &pool,
                &operator.pubkey(),
                endpoint,
            ));
        }
        if amount > 0 {
            let source = token_account(&owner.pubkey(), stake_mint);
            let balance = self.token_balance(&source).await?;
            if balance < amount {
                return Err(ClientError::Invalid(format!(
                    "insufficient funds: staking {amount} needs that many tokens in {source}, which holds {balance}"
                )));
            }
            ixs.push(ix::staking::stake(
                &owner.pubkey(),
                stake_mint,
                &source,
                amount,
            ));
        }
        if !ixs.is_empty() {
            let co_signer: Vec<&Keypair> = (operator.pubkey() != owner.pubkey())
                .then_some(operator)
                .into_iter()
                .collect();
            self.send(owner, &ixs, &co_signer).await?;
        }
        Ok(())
    }

    /// Start unbonding `amount` of free stake.
    pub async fn request_unstake(
        &self,
        owner: &Keypair,
        stake_mint: &Pubkey,
        amount: u64,
    ) -> Result<Signature, ClientError> {
        self.send(
            owner,
            &[ix::staking::request_unstake(
                &owner.pubkey(),
                stake_mint,
                amount,
            )],
            &[],
        )
        .await
    }

    /// Withdraw unbonded stake to the owner's token account (created if missing).
    pub async fn withdraw(
        &self,
        owner: &Keypair,
        stake_mint: &Pubkey,
    ) -> Result<Signature, ClientError> {
        let to = self
            .ensure_token_account(owner, &owner.pubkey(), stake_mint)
            .await?;
        self.send(
            owner,
            &[ix::staking::withdraw(&owner.pubkey(), stake_mint, &to)],
            &[],
        )
        .await
    }
}

/// Read the result of a settled, agreed job from its winners' URIs (a private job's with its
/// requester's `reader`).
pub async fn verified_result(
    j: &Job,
    reader: Option<&SealedReader<'_>>,
    fetcher: &BlobFetcher,
    max_bytes: u64,
) -> Result<JobResult, ClientError> {
    let uris = j
        .slots
        .iter()
        .take(j.replicas as usize)
        .filter(|s| s.state == slot_state::REVEALED && s.result_hash == j.agreed_hash)
        .filter_map(|s| {
            let len = (s.result_uri_len as usize).min(s.result_uri.len());
            std::str::from_utf8(&s.result_uri[..len])
                .ok()
                .map(str::to_string)
        })
        .collect::<Vec<_>>();
    result_from_uris(&j.agreed_hash, &uris, reader, fetcher, max_bytes).await
}

/// The first blob among `uris` whose exit code and output hash to `agreed_hash` (every
/// failure is reported if none does). At most `max_bytes` of output are downloaded per URI.
pub async fn result_from_uris(
    agreed_hash: &[u8; 32],
    uris: &[String],
    reader: Option<&SealedReader<'_>>,
    fetcher: &BlobFetcher,
    max_bytes: u64,
) -> Result<JobResult, ClientError> {
    let mut failures = Vec::new();
    for uri in uris {
        // Providers name these URIs: never read a file of the requester's machine for them.
        if uri.starts_with("file://") {
            failures.push(format!("{uri}: file:// result URIs are not read"));
            continue;
        }
        let limit = max_bytes
            .saturating_add(exec::RESULT_BLOB_HEADER as u64)
            .saturating_add(exec::MAX_LOG_BYTES as u64)
            .saturating_add(crate::privacy::SEALED_RESULT_OVERHEAD as u64);
        let blob = match fetcher.fetch_unverified(uri, limit).await {
            Ok(blob) => blob,
            Err(e) => {
                failures.push(e.to_string());
                continue;
            }
        };
        let sealed = crate::privacy::is_sealed_result(&blob);
        let (blob, key) = match (sealed, reader) {
            (false, _) => (zeroize::Zeroizing::new(blob), None),
            (true, None) => {
                failures.push(format!(
                    "{uri}: sealed to the job's requester (read it with the requester's wallet)"
                ));
                continue;
            }
            (true, Some(r)) => match crate::privacy::open_result(r.requester, &blob) {
                Ok(opened) => (
                    opened,
                    Some(crate::privacy::JobSecret::derive(r.requester, &r.job).hash_key(&r.job)),
                ),
                Err(e) => {
                    failures.push(format!(
                        "{uri}: sealed to the job's requester, and {} is not it ({e})",
                        r.requester.pubkey()
                    ));
                    continue;
                }
            },
        };
        let hash_of = |r: &exec::ResultParts<'_>| match &key {
            Some(k) => depin_core::hash::private_result_hash(k, r.exit_code, r.output, r.logs),
            None => r.hash(),
        };
        {
            match exec::decode_result_blob(&blob) {
                Some(r) if r.output.len() as u64 > max_bytes => failures.push(format!(
                    "{uri}: output of {} bytes is over the {max_bytes}-byte limit asked for",
                    r.output.len()
                )),
                Some(r) if hash_of(&r) == *agreed_hash => {
                    return Ok(JobResult {
                        exit_code: r.exit_code,
                        output: r.output.to_vec(),
                        logs: r.logs.to_vec(),
                        result_hash: *agreed_hash,
                        uri: uri.clone(),
                        sealed,
                    })
                }
                _ => failures.push(format!("{uri}: does not match the agreed result hash")),
            }
        }
    }
    Err(ClientError::Invalid(if failures.is_empty() {
        "no winner revealed a result URI".into()
    } else {
        format!("no revealed result verified: {}", failures.join("; "))
    }))
}

/// A human name of a settlement outcome.
pub fn outcome_name(outcome: u8) -> &'static str {
    match outcome {
        settle::outcome::NONE => "pending",
        settle::outcome::AGREED => "agreed",
        settle::outcome::NO_QUORUM => "no quorum",
        settle::outcome::EXPIRED => "expired",
        _ => "unknown",
    }
}
