//! Post an example job, wait for it, and print its verified output — the requester's whole
//! journey through the SDK.
//!
//! ```sh
//! depin localnet --deployment deployment.json &        # or any cluster with a market
//! cargo run -p depin-client --example post_and_wait -- \
//!     http://127.0.0.1:8899 requester.json <MARKET> examples/monte-carlo-pi/job.json
//! ```
//! The requester needs SOL and payment tokens in its associated token account.

use std::time::Duration;

use depin_client::{
    blob::{BlobFetcher, FileStore},
    manifest::DraftManifest,
    ops::JobTerms,
    rpc::{cluster_url, websocket_url, DepinRpc},
};
use solana_commitment_config::CommitmentConfig;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, keypair, market, draft] = args.as_slice() else {
        eprintln!("usage: post_and_wait <RPC URL> <KEYPAIR> <MARKET> <DRAFT MANIFEST>");
        std::process::exit(2);
    };
    let requester = solana_sdk::signature::read_keypair_file(keypair)?;
    let url = cluster_url(url);
    let rpc = DepinRpc::new(url.as_str(), CommitmentConfig::confirmed())
        .with_websocket(websocket_url(&url));

    // Upload module and input, then post the manifest naming them: 3 replicas, 2 must agree.
    let store = FileStore::new("depin-blobs")?;
    let manifest = DraftManifest::load(draft)?.upload(&store).await?;
    let posted = rpc
        .post_manifest(
            &requester,
            &market.parse()?,
            &manifest,
            &store,
            JobTerms::majority(2_000_000, 3),
        )
        .await?;
    println!("posted {} ({})", posted.job, posted.signature);

    // Wait (websocket, polling fallback), then fetch a winner's output and verify it.
    rpc.wait_job(&posted.job, Duration::from_secs(120)).await?;
    let result = rpc
        .fetch_result(&posted.job, &BlobFetcher::default(), 1 << 20)
        .await?;
    println!(
        "exit {} — {} bytes verified against {}",
        result.exit_code,
        result.output.len(),
        result.uri
    );
    print!("{}", String::from_utf8_lossy(&result.output));
    Ok(())
}
