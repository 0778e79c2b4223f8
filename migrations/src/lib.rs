//! Idempotent initialisation of a depin-compute deployment, against the local network or any
//! cluster: checks both programs are deployed, creates the mints (only where asked: local
//! networks), the admin's treasury token accounts, the staking pool (slashed by the jobs
//! program) and the market. Every step first reads the chain and only acts on what is missing,
//! so a second run sends no transaction and reports every step as `exists`.
//!
//! The programs themselves are uploaded by [`deploy`] (`depin-migrate --deploy`: buffer,
//! chunked writes, deploy or upgrade through the upgradeable loader, idempotent too); on the
//! local network they can also be preloaded.

pub mod deploy;
#[cfg(feature = "localnet")]
pub mod local;
pub mod plan;

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context, Result};
use depin_client::{ix, ops::token_account, pda, rpc::DepinRpc, ClientError};
use depin_jobs::instructions::MarketConfig;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use solana_sdk::signature::{Keypair, Signer};

/// What to set up.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Stake mint; `None`: create one (mint authority: the admin) at an address derived from
    /// the admin key, so a re-run finds it.
    pub stake_mint: Option<Pubkey>,
    /// Payment mint; `None`: create one the same way.
    pub payment_mint: Option<Pubkey>,
    /// Decimals of created mints.
    pub decimals: u8,
    /// Pool unbonding delay, seconds.
    pub unbonding_seconds: i64,
    /// Market settings.
    pub market: MarketConfig,
}

impl Plan {
    /// The local-network plan: new mints, short windows for demos.
    pub fn localnet() -> Self {
        Plan {
            stake_mint: None,
            payment_mint: None,
            decimals: 6,
            unbonding_seconds: 10,
            market: MarketConfig {
                market_id: 1,
                fee_bps: 250,
                min_bond: 1_000_000,
                claim_window_secs: 30,
                execution_window_secs: 60,
                reveal_window_secs: 30,
                max_replicas: 7,
                slash_wrong_bps: 5_000,
                slash_noshow_bps: 2_000,
                abandon_penalty_bps: 100,
                allow_list: false,
            },
        }
    }
}

/// The addresses of a deployment (written as JSON by `depin-migrate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// Admin of pool and market.
    pub admin: String,
    /// Stake mint.
    pub stake_mint: String,
    /// Payment mint.
    pub payment_mint: String,
    /// Staking pool.
    pub pool: String,
    /// Pool treasury (receives slashed stake).
    pub pool_treasury: String,
    /// Market.
    pub market: String,
    /// The market's fee vault (fees accrue here; the admin withdraws them).
    pub fee_vault: String,
}

impl Deployment {
    /// Parse an address field.
    pub fn key(s: &str) -> Result<Pubkey> {
        s.parse()
            .with_context(|| format!("`{s}` is not an address"))
    }
}

/// One step's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What.
    pub what: String,
    /// `created`, `exists`, or `checked`; for programs deployed by [`deploy`]: `deployed`,
    /// `upgraded` or `unchanged`.
    pub status: &'static str,
    /// The address concerned.
    pub address: Pubkey,
}

/// A keypair derived from `admin`'s secret and `label` (stable across runs, private to the
/// admin).
pub fn derived_keypair(admin: &Keypair, label: &str) -> Keypair {
    let seed: [u8; 32] = Sha256::new()
        .chain_update(b"depin-migrations-v1")
        .chain_update(admin.secret_bytes())
        .chain_update(label.as_bytes())
        .finalize()
        .into();
    Keypair::new_from_array(seed)
}

async fn exists(rpc: &DepinRpc, address: &Pubkey) -> Result<bool> {
    Ok(rpc
        .rpc()
        .get_account_with_commitment(address, rpc.rpc().commitment())
        .await
        .map_err(|e| ClientError::Rpc(e.to_string()))?
        .value
        .is_some())
}

/// One of the two programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// `depin_staking`.
    Staking,
    /// `depin_jobs`.
    Jobs,
}

/// Create the program's config (who may create pools / markets) with the admin as its
/// authority, signed by the admin as the program's upgrade authority; or check that an
/// existing one names the admin.
async fn ensure_config(
    rpc: &DepinRpc,
    admin: &Keypair,
    program: Program,
    steps: &mut Vec<Step>,
) -> Result<()> {
    let (label, address) = match program {
        Program::Staking => ("staking config", pda::staking_config().0),
        Program::Jobs => ("jobs config", pda::jobs_config().0),
    };
    if exists(rpc, &address).await? {
        let authority = match program {
            Program::Staking => {
                rpc.account::<depin_staking::state::Config>(&address)
                    .await?
                    .authority
            }
            Program::Jobs => {
                rpc.account::<depin_jobs::state::Config>(&address)
                    .await?
                    .authority
            }
        };
        if authority != admin.pubkey() {
            bail!(
                "{label} {address} names {authority} as the authority that creates {}, not this admin ({}): run the migration with that key",
                if program == Program::Staking { "pools" } else { "markets" },
                admin.pubkey()
            );
        }
        steps.push(Step {
            what: label.into(),
            status: "exists",
            address,
        });
        return Ok(());
    }
    let ix = match program {
        Program::Staking => ix::staking::initialize_config(&admin.pubkey(), &admin.pubkey()),
        Program::Jobs => ix::jobs::initialize_config(&admin.pubkey(), &admin.pubkey()),
    };
    rpc.send(admin, &[ix], &[]).await.map_err(|e| {
        anyhow::anyhow!(
            "creating the {label}: {e} (the admin key must be the program's upgrade authority)"
        )
    })?;
    steps.push(Step {
        what: label.into(),
        status: "created",
        address,
    });
    Ok(())
}

async fn ensure_mint(
    rpc: &DepinRpc,
    admin: &Keypair,
    label: &str,
    decimals: u8,
    steps: &mut Vec<Step>,
) -> Result<Pubkey> {
    use anchor_spl::token::spl_token::{instruction, state::Mint, ID};
    use solana_program_pack::Pack;
    let mint = derived_keypair(admin, label);
    let address = mint.pubkey();
    if exists(rpc, &address).await? {
        steps.push(Step {
            what: format!("mint {label}"),
            status: "exists",
            address,
        });
        return Ok(address);
    }
    let rent = rpc
        .rpc()
        .get_minimum_balance_for_rent_exemption(Mint::LEN)
        .await
        .map_err(|e| ClientError::Rpc(e.to_string()))?;
    let ixs = [
        anchor_lang::solana_program::system_instruction::create_account(
            &admin.pubkey(),
            &address,
            rent,
            Mint::LEN as u64,
            &ID,
        ),
        instruction::initialize_mint2(&ID, &address, &admin.pubkey(), None, decimals)?,
    ];
    rpc.send(admin, &ixs, &[&mint]).await?;
    steps.push(Step {
        what: format!("mint {label}"),
        status: "created",
        address,
    });
    Ok(address)
}

/// Run `plan` as `admin`; returns the deployment and what each step did.
pub async fn migrate(
    rpc: &DepinRpc,
    admin: &Keypair,
    plan: &Plan,
) -> Result<(Deployment, Vec<Step>)> {
    let mut steps = Vec::new();
    for (name, id) in [
        ("depin_staking", depin_client::STAKING_PROGRAM_ID),
        ("depin_jobs", depin_client::JOBS_PROGRAM_ID),
    ] {
        let acc = rpc.rpc().get_account(&id).await.ok();
        match acc {
            Some(a) if a.executable => steps.push(Step { what: format!("program {name}"), status: "checked", address: id }),
            _ => bail!(
                "program {name} is not deployed at {id} on this cluster: deploy target/deploy/{name}.so first (`depin-migrate --deploy`, or `solana program deploy --program-id target/deploy/{name}-keypair.json target/deploy/{name}.so`)"
            ),
        }
    }
    let stake_mint = match plan.stake_mint {
        Some(m) => m,
        None => ensure_mint(rpc, admin, "stake-mint", plan.decimals, &mut steps).await?,
    };
    let payment_mint = match plan.payment_mint {
        Some(m) => m,
        None => ensure_mint(rpc, admin, "payment-mint", plan.decimals, &mut steps).await?,
    };
    ensure_config(rpc, admin, Program::Staking, &mut steps).await?;
    ensure_config(rpc, admin, Program::Jobs, &mut steps).await?;
    let pool_treasury_addr = token_account(&admin.pubkey(), &stake_mint);
    let existed = exists(rpc, &pool_treasury_addr).await?;
    rpc.ensure_token_account(admin, &admin.pubkey(), &stake_mint)
        .await?;
    steps.push(Step {
        what: "pool treasury".into(),
        status: if existed { "exists" } else { "created" },
        address: pool_treasury_addr,
    });
    let pool_treasury = pool_treasury_addr;

    let pool = pda::pool(&stake_mint).0;
    if exists(rpc, &pool).await? {
        let p = rpc.pool(&pool).await?;
        let diff = plan::pool_differences(&p, &admin.pubkey(), &pool_treasury, plan);
        if !diff.is_empty() {
            bail!(
                "staking pool {pool} already exists and differs from the plan ({}): it was not created by this admin's migration; refusing to use it",
                diff.join("; ")
            );
        }
        steps.push(Step {
            what: "staking pool".into(),
            status: "exists",
            address: pool,
        });
    } else {
        let args = depin_staking::instructions::InitializePoolArgs {
            unbonding_seconds: plan.unbonding_seconds,
            slasher: pda::slasher().0,
        };
        rpc.send(
            admin,
            &[ix::staking::initialize_pool(
                &admin.pubkey(),
                &admin.pubkey(),
                &stake_mint,
                &pool_treasury,
                args,
            )],
            &[],
        )
        .await?;
        steps.push(Step {
            what: "staking pool".into(),
            status: "created",
            address: pool,
        });
    }

    let market = pda::market(&payment_mint, plan.market.market_id).0;
    if exists(rpc, &market).await? {
        let m = rpc.market(&market).await?;
        let diff = plan::market_differences(&m, &admin.pubkey(), &payment_mint, &pool, plan);
        if !diff.is_empty() {
            bail!(
                "market {market} already exists and differs from the plan ({}): refusing to use it",
                diff.join("; ")
            );
        }
        steps.push(Step {
            what: "market".into(),
            status: "exists",
            address: market,
        });
    } else {
        rpc.send(
            admin,
            &[ix::jobs::initialize_market(
                &admin.pubkey(),
                &admin.pubkey(),
                &payment_mint,
                &pool,
                plan.market.clone(),
            )],
            &[],
        )
        .await?;
        steps.push(Step {
            what: "market".into(),
            status: "created",
            address: market,
        });
    }
    let fee_vault = pda::fee_vault(&market).0;
    let deployment = Deployment {
        admin: admin.pubkey().to_string(),
        stake_mint: stake_mint.to_string(),
        payment_mint: payment_mint.to_string(),
        pool: pool.to_string(),
        pool_treasury: pool_treasury.to_string(),
        market: market.to_string(),
        fee_vault: fee_vault.to_string(),
    };
    Ok((deployment, steps))
}

/// Mint `amount` of `mint` (admin is the mint authority) to `owner`'s token account, created
/// if missing. For local networks and tests.
pub async fn mint_to(
    rpc: &DepinRpc,
    admin: &Keypair,
    mint: &Pubkey,
    owner: &Pubkey,
    amount: u64,
) -> Result<Pubkey> {
    use anchor_spl::token::spl_token::{instruction, ID};
    let to = rpc.ensure_token_account(admin, owner, mint).await?;
    rpc.send(
        admin,
        &[instruction::mint_to(
            &ID,
            mint,
            &to,
            &admin.pubkey(),
            &[],
            amount,
        )?],
        &[],
    )
    .await?;
    Ok(to)
}
