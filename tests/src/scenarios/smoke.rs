//! Smoke scenarios: the first instructions of each program, on SBF and natively.

use crate::{Backend, TestChain};
use anchor_lang::prelude::Pubkey;
use depin_client::{ix, pda, Market, Pool, Provider};
use depin_jobs::{instructions::MarketConfig, JobsError};
use depin_staking::instructions::InitializePoolArgs;
use solana_sdk::signature::Signer;

const UNBONDING: i64 = 7 * 24 * 3600;

/// Pool with its vault, one provider registered and staked; returns (chain, stake mint).
fn staking_world(backend: Backend) -> (TestChain, Pubkey) {
    let mut chain = TestChain::new(backend);
    let deployer = chain.deployer_with_configs();
    let admin = chain.funded_keypair("admin", 10);
    let stake_mint = chain.create_mint("stake-mint", 6);
    let treasury = chain.create_token_account("stake-treasury", &stake_mint, &admin.pubkey(), 0);
    chain.ok(
        "initialize_pool",
        &[ix::staking::initialize_pool(
            &admin.pubkey(),
            &deployer.pubkey(),
            &stake_mint,
            &treasury,
            InitializePoolArgs {
                unbonding_seconds: UNBONDING,
                slasher: pda::slasher().0,
            },
        )],
        &[&admin, &deployer],
    );
    (chain, stake_mint)
}

/// Pool, provider registration and stake; exact balances, rent and clock checked.
pub fn staking(backend: Backend) -> TestChain {
    let (mut chain, stake_mint) = staking_world(backend);
    let (pool_key, pool_bump) = pda::pool(&stake_mint);
    let (vault, vault_bump) = pda::vault(&pool_key);

    let pool: Pool = chain.account(&pool_key);
    assert_eq!(pool.stake_mint, stake_mint);
    assert_eq!(pool.vault, vault);
    assert_eq!(pool.slasher, pda::slasher().0);
    assert_eq!((pool.bump, pool.vault_bump), (pool_bump, vault_bump));
    assert_eq!(pool.unbonding_seconds, UNBONDING);
    assert_eq!(chain.token_balance(&vault), 0);
    // Rent is computed on-chain with f64 (Rent::minimum_balance): check it exactly.
    let pool_acc = chain.svm.get_account(&pool_key).unwrap();
    assert_eq!(
        pool_acc.lamports,
        chain
            .svm
            .minimum_balance_for_rent_exemption(pool_acc.data.len())
    );

    let owner = chain.funded_keypair("provider-1", 5);
    let source =
        chain.create_token_account("provider-1-tokens", &stake_mint, &owner.pubkey(), 1_000_000);
    chain.ok(
        "register_provider",
        &[ix::staking::register_provider(
            &owner.pubkey(),
            &pool_key,
            &owner.pubkey(),
            "https://p1.example/worker",
        )],
        &[&owner],
    );
    let provider_key = pda::provider(&pool_key, &owner.pubkey()).0;
    let provider: Provider = chain.account(&provider_key);
    assert_eq!(
        (provider.authority, provider.operator),
        (owner.pubkey(), owner.pubkey())
    );
    assert_eq!(
        provider.registered_at,
        chain.now(),
        "Clock must reach the program on both backends"
    );
    assert_eq!(provider.uri, "https://p1.example/worker");

    chain.ok(
        "stake",
        &[ix::staking::stake(
            &owner.pubkey(),
            &stake_mint,
            &source,
            400_000,
        )],
        &[&owner],
    );
    let provider: Provider = chain.account(&provider_key);
    assert_eq!(
        (provider.staked, provider.locked, provider.unbonding),
        (400_000, 0, 0)
    );
    assert_eq!(chain.token_balance(&vault), 400_000);
    assert_eq!(chain.token_balance(&source), 600_000);
    let pool: Pool = chain.account(&pool_key);
    assert_eq!((pool.total_staked, pool.provider_count), (400_000, 1));

    // A second deposit adds up; staking more than the wallet holds fails inside the token CPI.
    chain.ok(
        "stake again",
        &[ix::staking::stake(
            &owner.pubkey(),
            &stake_mint,
            &source,
            600_000,
        )],
        &[&owner],
    );
    assert_eq!(chain.account::<Provider>(&provider_key).staked, 1_000_000);
    chain.fail(
        "stake beyond balance",
        &[ix::staking::stake(&owner.pubkey(), &stake_mint, &source, 1)],
        &[&owner],
    );
    // Zero is refused by the program itself.
    chain
        .fail(
            "stake zero",
            &[ix::staking::stake(&owner.pubkey(), &stake_mint, &source, 0)],
            &[&owner],
        )
        .assert_error(depin_staking::StakingError::ZeroAmount);
    chain
}

/// Market creation against a staking pool, with config and treasury validation.
pub fn jobs(backend: Backend) -> TestChain {
    let (mut chain, stake_mint) = staking_world(backend);
    let admin = chain.keypair("admin");
    let deployer = chain.keypair(crate::DEPLOYER);
    let pay_mint = chain.create_mint("pay-mint", 6);
    let pool = pda::pool(&stake_mint).0;
    let config = MarketConfig {
        max_replicas: 7,
        ..super::jobs::test_config()
    };
    let sent = chain.ok(
        "initialize_market",
        &[ix::jobs::initialize_market(
            &admin.pubkey(),
            &deployer.pubkey(),
            &pay_mint,
            &pool,
            config.clone(),
        )],
        &[&admin, &deployer],
    );
    let (market_key, bump) = pda::market(&pay_mint, 1);
    if let Some(e) = chain.event::<depin_jobs::events::MarketInitialized>(&sent) {
        assert_eq!(
            (
                e.market,
                e.payment_mint,
                e.market_id,
                e.staking_pool,
                e.fee_vault,
                e.config.fee_bps
            ),
            (
                market_key,
                pay_mint,
                1,
                pool,
                pda::fee_vault(&market_key).0,
                250
            )
        );
    }
    let market: Market = chain.account(&market_key);
    assert_eq!(
        (market.admin, market.payment_mint, market.staking_pool),
        (admin.pubkey(), pay_mint, pool)
    );
    assert_eq!(market.config, config);
    assert_eq!((market.bump, market.slasher_bump), (bump, pda::slasher().1));
    let (fee_vault, fee_vault_bump) = pda::fee_vault(&market_key);
    assert_eq!(
        (market.fee_vault, market.fee_vault_bump, market.pending_at),
        (fee_vault, fee_vault_bump, 0)
    );
    assert_eq!(chain.token_balance(&fee_vault), 0);

    // Out-of-range settings are refused with a precise error.
    let bad_configs = [
        (
            "max_replicas 0",
            MarketConfig {
                max_replicas: 0,
                ..config.clone()
            },
            JobsError::InvalidMaxReplicas,
        ),
        (
            "max_replicas 9",
            MarketConfig {
                max_replicas: 9,
                ..config.clone()
            },
            JobsError::InvalidMaxReplicas,
        ),
        (
            "fee 10001 bps",
            MarketConfig {
                fee_bps: 10_001,
                ..config.clone()
            },
            JobsError::FeeTooHigh,
        ),
        (
            "fee 2001 bps (cap 20 %)",
            MarketConfig {
                fee_bps: 2_001,
                ..config.clone()
            },
            JobsError::FeeTooHigh,
        ),
        (
            "slash 10001 bps",
            MarketConfig {
                slash_wrong_bps: 10_001,
                ..config.clone()
            },
            JobsError::SlashTooHigh,
        ),
        (
            "no-show u16::MAX bps",
            MarketConfig {
                slash_noshow_bps: u16::MAX,
                ..config.clone()
            },
            JobsError::SlashTooHigh,
        ),
        (
            "abandon above no-show",
            MarketConfig {
                abandon_penalty_bps: config.slash_noshow_bps + 1,
                ..config.clone()
            },
            JobsError::AbandonAboveNoShow,
        ),
        (
            "execution window above 30 days",
            MarketConfig {
                execution_window_secs: 30 * 24 * 3600 + 1,
                ..config.clone()
            },
            JobsError::InvalidWindow,
        ),
        (
            "execution window shorter than 30 s (the ranked phase could outlast a claim)",
            MarketConfig {
                execution_window_secs: depin_core::limits::MIN_EXECUTION_WINDOW_SECS - 1,
                ..config.clone()
            },
            JobsError::InvalidWindow,
        ),
        (
            "zero claim window",
            MarketConfig {
                claim_window_secs: 0,
                ..config.clone()
            },
            JobsError::InvalidWindow,
        ),
        (
            "zero reveal window",
            MarketConfig {
                reveal_window_secs: 0,
                ..config.clone()
            },
            JobsError::InvalidWindow,
        ),
        (
            "zero min bond",
            MarketConfig {
                min_bond: 0,
                ..config.clone()
            },
            JobsError::InvalidMinBond,
        ),
    ];
    for (label, bad, error) in bad_configs {
        let bad = MarketConfig {
            market_id: 2,
            ..bad
        };
        let ix_ =
            ix::jobs::initialize_market(&admin.pubkey(), &deployer.pubkey(), &pay_mint, &pool, bad);
        chain
            .fail(label, &[ix_], &[&admin, &deployer])
            .assert_error(error);
    }
    // Only the jobs config's authority creates markets.
    let cfg = MarketConfig {
        market_id: 3,
        ..config
    };
    chain
        .fail(
            "market by the admin alone",
            &[ix::jobs::initialize_market(
                &admin.pubkey(),
                &admin.pubkey(),
                &pay_mint,
                &pool,
                cfg,
            )],
            &[&admin],
        )
        .assert_error(JobsError::NotConfigAuthority);
    chain
}
