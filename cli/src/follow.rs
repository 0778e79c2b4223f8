//! `depin job logs JOB --follow`: while the job runs, the stderr each of its workers is
//! writing, fetched from their endpoints with the requester's signature and marked
//! **unverified**; then, once settled, the logs the replicas agreed on.

use std::{collections::HashMap, time::Duration};

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Result};
use depin_client::{live, ClientError, Provider};
use depin_jobs::state::job_status;
use solana_sdk::signature::Signer;

use crate::ctx::Ctx;

/// Poll interval.
const EVERY: Duration = Duration::from_millis(500);

/// One worker's stream: bytes read so far and a partial last line.
#[derive(Default)]
struct Stream {
    offset: usize,
    pending: Vec<u8>,
}

impl Stream {
    /// Print the complete lines of `bytes` (and, when `flush`, the rest) after `tag`.
    fn push(&mut self, tag: &str, bytes: &[u8], flush: bool) {
        self.offset += bytes.len();
        self.pending.extend_from_slice(bytes);
        while let Some(i) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            println!("{tag} {}", String::from_utf8_lossy(&line[..line.len() - 1]));
        }
        if flush && !self.pending.is_empty() {
            println!("{tag} {}", String::from_utf8_lossy(&self.pending));
            self.pending.clear();
        }
    }
}

/// Stream the live logs of `job` until it settles (or its account is closed).
pub async fn follow(ctx: &Ctx, job: &Pubkey) -> Result<()> {
    let requester = ctx.signer()?;
    let mut streams: HashMap<Pubkey, Stream> = HashMap::new();
    let mut endpoints: HashMap<Pubkey, String> = HashMap::new();
    let mut warned = false;
    loop {
        let j = match ctx.rpc.job(job).await {
            Ok(j) => j,
            Err(ClientError::AccountNotFound(_)) => break,
            Err(e) => return Err(ctx.explain(e)),
        };
        if j.requester != requester.pubkey() {
            bail!(
                "only the job's requester ({}) can read its live logs (workers check a signature): pass -k with that keypair",
                j.requester
            );
        }
        let open = j.status == job_status::OPEN;
        for slot in j.slots.iter().take(j.replicas as usize) {
            if slot.provider == Pubkey::default() {
                continue;
            }
            if !endpoints.contains_key(&slot.provider) {
                let p: Provider = ctx
                    .rpc
                    .account(&slot.provider)
                    .await
                    .map_err(|e| ctx.explain(e))?;
                endpoints.insert(slot.provider, p.uri.clone());
            }
            let endpoint = &endpoints[&slot.provider];
            if endpoint.is_empty() {
                continue;
            }
            let stream = streams.entry(slot.provider).or_default();
            let short: String = slot.provider.to_string().chars().take(6).collect();
            let tag = format!("[{short} live, unverified]");
            match live::fetch(endpoint, job, stream.offset, &requester).await {
                Ok(Some((bytes, finished))) => stream.push(&tag, &bytes, finished || !open),
                Ok(None) => {}
                Err(e) if !warned => {
                    eprintln!("(cannot read live logs from {endpoint}: {e})");
                    warned = true;
                }
                Err(_) => {}
            }
        }
        if !open {
            break;
        }
        tokio::time::sleep(EVERY).await;
    }
    eprintln!("(the lines above were live and unverified; the logs the replicas agreed on follow)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_lines_wait_for_their_end_and_offsets_advance() {
        let mut s = Stream::default();
        s.push("[t]", b"one\ntw", false);
        assert_eq!((s.offset, s.pending.as_slice()), (6, &b"tw"[..]));
        s.push("[t]", b"o\n", false);
        assert_eq!((s.offset, s.pending.len()), (8, 0));
        s.push("[t]", b"tail", true);
        assert_eq!((s.offset, s.pending.len()), (12, 0));
    }
}
