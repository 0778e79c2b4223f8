//! A whole market on the embedded local chain: chain started with the programs, migrations
//! run, wallets funded. Used by `depin demo`, `depin localnet` and the end-to-end tests.

use std::path::Path;

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use depin_client::rpc::DepinRpc;
use depin_localnet::{Localnet, LocalnetConfig};
use solana_commitment_config::CommitmentConfig;
use solana_sdk::signature::{Keypair, Signer};

use crate::{migrate, mint_to, Deployment, Plan, Step};

/// The local chain with a migrated market.
pub struct LocalMarket {
    /// The chain (stopped when dropped).
    pub net: Localnet,
    /// A client of it (confirmed commitment, websocket configured).
    pub rpc: DepinRpc,
    /// Admin of pool and market, mint authority of both mints.
    pub admin: Keypair,
    /// Addresses.
    pub deployment: Deployment,
    /// What the migrations did.
    pub steps: Vec<Step>,
    /// Stake mint.
    pub stake_mint: Pubkey,
    /// Payment mint.
    pub payment_mint: Pubkey,
    /// Staking pool.
    pub pool: Pubkey,
    /// Market.
    pub market: Pubkey,
}

impl LocalMarket {
    /// Start the chain with the programs of `programs` (a `target/deploy` folder), airdrop 100
    /// SOL to `wallets`, and run `plan` with a new admin key.
    pub async fn start(programs: &Path, plan: &Plan, wallets: &[Pubkey]) -> Result<Self> {
        Self::start_with(
            LocalnetConfig::with_programs_from(programs),
            Keypair::new(),
            plan,
            wallets,
        )
        .await
    }

    /// Start the chain described by `config` (its airdrop list extended with `admin` and
    /// `wallets`, 100 SOL each; `admin` the programs' upgrade authority) and run `plan`.
    pub async fn start_with(
        mut config: LocalnetConfig,
        admin: Keypair,
        plan: &Plan,
        wallets: &[Pubkey],
    ) -> Result<Self> {
        config.upgrade_authority = Some(admin.pubkey());
        config.airdrop.push(admin.pubkey());
        config.airdrop.extend_from_slice(wallets);
        config.airdrop_lamports = 100_000_000_000;
        let net = Localnet::start(config)
            .await
            .context("starting the local chain")?;
        let rpc = DepinRpc::new(net.rpc_url(), CommitmentConfig::confirmed())
            .with_websocket(net.ws_url());
        let (deployment, steps) = migrate(&rpc, &admin, plan).await?;
        Ok(LocalMarket {
            stake_mint: Deployment::key(&deployment.stake_mint)?,
            payment_mint: Deployment::key(&deployment.payment_mint)?,
            pool: Deployment::key(&deployment.pool)?,
            market: Deployment::key(&deployment.market)?,
            net,
            rpc,
            admin,
            deployment,
            steps,
        })
    }

    /// Give `who` `amount` stake tokens.
    pub async fn fund_provider(&self, who: &Pubkey, amount: u64) -> Result<Pubkey> {
        mint_to(&self.rpc, &self.admin, &self.stake_mint, who, amount).await
    }

    /// Give `who` `amount` payment tokens.
    pub async fn fund_requester(&self, who: &Pubkey, amount: u64) -> Result<Pubkey> {
        mint_to(&self.rpc, &self.admin, &self.payment_mint, who, amount).await
    }

    /// Give `who` `tokens` stake tokens, register it as a provider (its own operator: one key
    /// for stake and worker) and stake `stake` of them.
    pub async fn provider(&self, who: &Keypair, tokens: u64, stake: u64) -> Result<()> {
        self.provider_operated_by(who, who, tokens, stake).await
    }

    /// Give `authority` `tokens` stake tokens, register it as a provider whose worker signs
    /// with `operator`, and stake `stake` of them.
    pub async fn provider_operated_by(
        &self,
        authority: &Keypair,
        operator: &Keypair,
        tokens: u64,
        stake: u64,
    ) -> Result<()> {
        mint_to(
            &self.rpc,
            &self.admin,
            &self.stake_mint,
            &authority.pubkey(),
            tokens,
        )
        .await?;
        self.rpc
            .register_and_stake(
                authority,
                operator,
                &self.stake_mint,
                "http://127.0.0.1",
                stake,
            )
            .await?;
        Ok(())
    }

    /// RPC URL.
    pub fn rpc_url(&self) -> &str {
        self.net.rpc_url()
    }

    /// Websocket URL.
    pub fn ws_url(&self) -> &str {
        self.net.ws_url()
    }
}
