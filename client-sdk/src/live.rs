//! Live logs: a running job's stderr as one worker sees it, before any verdict — **unverified**
//! (the agreed logs come with the result, [`crate::ops::JobResult::logs`]). A worker serves
//! them only to the job's requester: before the commit, another claimant reading them could
//! copy a result it did not compute. The requester proves itself by signing
//! `depin-logs-v1:<job>:<unix seconds>` with its key; the worker accepts a signature at most
//! [`MAX_SKEW_SECS`] old or early.

use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};

use crate::ClientError;

/// The request header that carries `<unix seconds>.<base58 signature>`.
pub const AUTH_HEADER: &str = "x-depin-auth";
/// The response header saying the execution has finished (`1`) or is running (`0`).
pub const FINISHED_HEADER: &str = "x-depin-log-finished";
/// How far a signed time may be from the worker's clock.
pub const MAX_SKEW_SECS: i64 = 120;

/// The message a requester signs to read `job`'s live logs at `unix` seconds.
pub fn auth_message(job: &Pubkey, unix: i64) -> String {
    format!("depin-logs-v1:{job}:{unix}")
}

/// The [`AUTH_HEADER`] value for `job`, signed by `requester` at `unix` seconds.
pub fn auth_header(requester: &Keypair, job: &Pubkey, unix: i64) -> String {
    let sig = requester.sign_message(auth_message(job, unix).as_bytes());
    format!("{unix}.{sig}")
}

/// Why a live-log request is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No or malformed header.
    #[error("missing or malformed x-depin-auth header")]
    Malformed,
    /// The signed time is too far from now.
    #[error("the signed time is more than 120 s from the worker's clock")]
    Stale,
    /// Not signed by the job's requester.
    #[error("not signed by the job's requester")]
    NotRequester,
}

/// Check `header` for `job` against its `requester` at `now` (unix seconds).
pub fn check_auth(
    header: Option<&str>,
    job: &Pubkey,
    requester: &Pubkey,
    now: i64,
) -> Result<(), AuthError> {
    let (unix, sig) = header
        .and_then(|h| h.split_once('.'))
        .ok_or(AuthError::Malformed)?;
    let unix: i64 = unix.parse().map_err(|_| AuthError::Malformed)?;
    let sig: Signature = sig.parse().map_err(|_| AuthError::Malformed)?;
    if (now - unix).abs() > MAX_SKEW_SECS {
        return Err(AuthError::Stale);
    }
    if !sig.verify(requester.as_ref(), auth_message(job, unix).as_bytes()) {
        return Err(AuthError::NotRequester);
    }
    Ok(())
}

/// Read `job`'s live logs from the worker at `endpoint` from byte `from` on: (new bytes,
/// finished). `None` when that worker is not running the job.
pub async fn fetch(
    endpoint: &str,
    job: &Pubkey,
    from: usize,
    requester: &Keypair,
) -> Result<Option<(Vec<u8>, bool)>, ClientError> {
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let url = format!("{}/logs/{job}?from={from}", endpoint.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| ClientError::Rpc(e.to_string()))?;
    let resp = client
        .get(&url)
        .header(AUTH_HEADER, auth_header(requester, job, unix))
        .send()
        .await
        .map_err(|e| ClientError::Rpc(format!("{url}: {e}")))?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !resp.status().is_success() {
        return Err(ClientError::Invalid(format!("{url}: {}", resp.status())));
    }
    let finished = resp
        .headers()
        .get(FINISHED_HEADER)
        .is_some_and(|v| v.as_bytes() == b"1");
    // At most the log cap per answer.
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| ClientError::Rpc(format!("{url}: {e}")))?;
    let cap = depin_core::exec::MAX_LOG_BYTES;
    Ok(Some((bytes[..bytes.len().min(cap)].to_vec(), finished)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_requesters_fresh_signature_passes() {
        let (requester, other) = (Keypair::new(), Keypair::new());
        let job = Pubkey::new_unique();
        let h = auth_header(&requester, &job, 1_000);
        assert_eq!(
            check_auth(Some(&h), &job, &requester.pubkey(), 1_050),
            Ok(())
        );
        assert_eq!(
            check_auth(Some(&h), &job, &requester.pubkey(), 1_121),
            Err(AuthError::Stale)
        );
        let forged = auth_header(&other, &job, 1_000);
        assert_eq!(
            check_auth(Some(&forged), &job, &requester.pubkey(), 1_000),
            Err(AuthError::NotRequester)
        );
        // Signed for another job: refused.
        let elsewhere = auth_header(&requester, &Pubkey::new_unique(), 1_000);
        assert_eq!(
            check_auth(Some(&elsewhere), &job, &requester.pubkey(), 1_000),
            Err(AuthError::NotRequester)
        );
        for bad in [None, Some("x"), Some("12.notasig"), Some("a.b")] {
            assert_eq!(
                check_auth(bad, &job, &requester.pubkey(), 1_000),
                Err(AuthError::Malformed)
            );
        }
    }
}
