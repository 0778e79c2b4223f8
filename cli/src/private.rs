//! The private-job and allow-list commands: `depin job post --private` (seal, post, deliver
//! keys), `depin job keys` (deliver the keys of a job posted earlier), and `depin market
//! accredit|revoke` (the allow-list of a regulated market).

use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anyhow::Result;
use depin_client::{blob::BlobStore, manifest::DraftManifest, ops::JobTerms, pda};
use serde_json::json;
use solana_sdk::signature::Signer;

use crate::ctx::Ctx;

/// How often the key deliverer looks for new claimants.
const KEY_POLL: Duration = Duration::from_millis(400);
/// The longest a deliverer runs: a job takes claims for at most its claim window (30 days),
/// but a command that waits that long should be a service; an hour covers any demo or
/// interactive use, and `depin job keys` can be run again at any time.
const KEY_TIMEOUT: Duration = Duration::from_secs(3600);

/// What `job post --private` needs besides the public post's arguments.
pub struct PrivatePost<'a> {
    /// The market.
    pub market: Pubkey,
    /// The draft manifest.
    pub draft: &'a DraftManifest,
    /// Where sealed blobs and the manifest are stored.
    pub store: &'a dyn BlobStore,
    /// Reward, replicas, bond, fee cap.
    pub terms: JobTerms,
    /// Whether the module is sealed too (the input always is).
    pub seal_module: bool,
    /// Whether to stay and deliver keys until no claimant can want one.
    pub deliver: bool,
}

/// Post a private job, then deliver its claimants' keys (unless told not to).
pub async fn post(ctx: &Ctx, p: PrivatePost<'_>) -> Result<()> {
    let requester = ctx.signer()?;
    let posted = ctx
        .rpc
        .post_private(
            &requester,
            &p.market,
            p.draft,
            p.store,
            p.terms,
            p.seal_module,
        )
        .await
        .map_err(|e| ctx.explain(e))?;
    let (job, uri) = (posted.job, posted.manifest.uri.clone());
    if !ctx.json {
        println!("posted private job {job}");
        println!("manifest  {uri} (names only sealed blobs)");
        println!("tx        {}", posted.signature);
    }
    let delivered = if p.deliver {
        if !ctx.json {
            eprintln!("delivering each claimant's key as it claims (Ctrl-C to stop; `depin job keys {job}` resumes)");
        }
        deliver(ctx, &job).await?
    } else {
        Vec::new()
    };
    if ctx.json {
        ctx.print(
            json!({"job": job.to_string(), "escrow": posted.escrow.to_string(),
                   "private": true, "manifest_uri": uri,
                   "signature": posted.signature.to_string(), "keys_delivered": delivered}),
            || {},
        );
    }
    Ok(())
}

/// Deliver the keys of `job` until none can be wanted any more; the deliveries as JSON.
pub async fn deliver(ctx: &Ctx, job: &Pubkey) -> Result<Vec<serde_json::Value>> {
    let requester = ctx.signer()?;
    let delivered = ctx
        .rpc
        .keep_delivering(&requester, job, KEY_POLL, KEY_TIMEOUT)
        .await
        .map_err(|e| ctx.explain(e))?;
    let out = delivered
        .iter()
        .map(|(slot, provider)| json!({"slot": slot, "provider": provider.to_string()}))
        .collect::<Vec<_>>();
    if !ctx.json {
        for (slot, provider) in &delivered {
            eprintln!("key delivered: slot {slot}, provider {provider}");
        }
        eprintln!(
            "{} key(s) delivered; no claimant of {job} can want one any more",
            delivered.len()
        );
    }
    Ok(out)
}

/// `depin market accredit|revoke`: admit the provider of wallet `owner` to allow-listed
/// `market`, or end its admission.
pub async fn accredit(ctx: &Ctx, market: Pubkey, owner: Pubkey, revoke: bool) -> Result<()> {
    let admin = ctx.signer()?;
    let m = ctx.rpc.market(&market).await.map_err(|e| ctx.explain(e))?;
    let provider = pda::provider(&m.staking_pool, &owner).0;
    let ix = if revoke {
        depin_client::ix::jobs::revoke_accreditation(&admin.pubkey(), &market, &provider)
    } else {
        depin_client::ix::jobs::accredit_provider(&admin.pubkey(), &market, &provider)
    };
    ctx.rpc
        .send(&admin, &[ix], &[])
        .await
        .map_err(|e| ctx.explain(e))?;
    let verb = if revoke { "revoked" } else { "accredited" };
    ctx.print(
        json!({"market": market.to_string(), "provider": provider.to_string(), "owner": owner.to_string(), verb: true}),
        || println!("{verb}: provider {provider} (wallet {owner}) in market {market}"),
    );
    Ok(())
}
