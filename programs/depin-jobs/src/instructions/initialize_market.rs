use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use depin_core::{limits, pda, seeds};
use depin_staking::{
    in_place::PoolView,
    pda_account::{NewAccount, TokenAccountOf},
};

pub use crate::state::MarketConfig;
use crate::{
    errors::JobsError,
    events::MarketInitialized,
    staking_cpi::{SLASHER, SLASHER_BUMP},
    state::{Config, Market},
};

#[derive(Accounts)]
pub struct InitializeMarket<'info> {
    /// Becomes the market admin; pays rent.
    #[account(mut)]
    pub admin: Signer<'info>,

    /// The program config's authority: only it may create markets, so a stranger cannot take
    /// a market address first (may be the same key as `admin`).
    pub authority: Signer<'info>,

    #[account(has_one = authority @ JobsError::NotConfigAuthority)]
    pub config: Box<Account<'info, Config>>,

    /// Mint in which rewards are paid.
    /// CHECK: the token program checks it is a mint when it initialises the fee vault.
    pub payment_mint: UncheckedAccount<'info>,

    /// The new market, created by the handler (not `init`: see `depin_staking::pda_account`).
    /// CHECK: the canonical PDA `["market", payment_mint, market_id_le]` (checked by the
    /// handler) and still an empty system account (`MarketExists` otherwise).
    #[account(mut, constraint = NewAccount::unused(&market) @ JobsError::MarketExists)]
    pub market: UncheckedAccount<'info>,

    /// Where `close_job` accrues the market's fees, a token account of `payment_mint` whose
    /// authority is the market (only the market PDA can move them), created by the handler.
    /// CHECK: the canonical PDA `["fee_vault", market]` (checked by the handler).
    #[account(mut)]
    pub fee_vault: UncheckedAccount<'info>,

    /// The staking pool providers of this market stake in; it must name our slasher PDA.
    /// CHECK: read in place by `PoolView::read` (owner and discriminator checked).
    #[account(constraint = PoolView::read(&staking_pool)?.slasher == slasher.key() @ JobsError::PoolSlasherMismatch)]
    pub staking_pool: UncheckedAccount<'info>,

    /// CHECK: this program's `["slasher"]` PDA (`staking_cpi::SLASHER`, checked by address).
    #[account(address = SLASHER @ JobsError::WrongSlasher)]
    pub slasher: UncheckedAccount<'info>,

    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl InitializeMarket<'_> {
    pub fn validate(&self, args: &MarketConfig) -> Result<()> {
        args.check()
    }

    /// Specification: initialize_market
    /// - Preconditions: signed by the program config's authority; no market for
    ///   (`payment_mint`, `market_id`); `staking_pool` is a `depin_staking` pool whose slasher
    ///   is this program's `["slasher"]` PDA; config in range (`MarketConfig::check`: fee at
    ///   most 20 %, slashes at most 100 %, abandon at most the no-show slash, windows at most
    ///   30 days with claim and reveal >= 1 s and execution >= 30 s, 1 <= max_replicas <= 7,
    ///   positive minimum bond); `market` and `fee_vault` are the canonical PDAs
    ///   (`WrongMarketAddress`, `WrongFeeVaultAddress`).
    /// - Effects: creates `Market` (not paused, nothing pending) and its fee vault token
    ///   account (authority: the market PDA); canonical bumps stored (market, slasher, fee
    ///   vault); emits `MarketInitialized`. Lamports sent to either address beforehand are
    ///   kept (the rent is topped up).
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: MarketConfig) -> Result<()> {
        let a = &ctx.accounts;
        let (mint, market_key, vault_key) =
            (a.payment_mint.key(), a.market.key(), a.fee_vault.key());
        let id = args.market_id.to_le_bytes();
        let bump = pda::canonical_bump(
            &[seeds::MARKET, mint.as_ref(), &id],
            &crate::ID,
            &market_key,
        )
        .ok_or(JobsError::WrongMarketAddress)?;
        let fee_vault_bump = pda::canonical_bump(
            &[seeds::FEE_VAULT, market_key.as_ref()],
            &crate::ID,
            &vault_key,
        )
        .ok_or(JobsError::WrongFeeVaultAddress)?;
        let (market_info, vault_info) = (a.market.to_account_info(), a.fee_vault.to_account_info());
        let (payer, system) = (
            a.admin.to_account_info(),
            a.system_program.to_account_info(),
        );
        let new = |account| NewAccount {
            payer: &payer,
            account,
            system_program: &system,
        };
        new(&market_info).create(
            &[seeds::MARKET, mint.as_ref(), &id, &[bump]],
            limits::DISCRIMINATOR_LEN + Market::INIT_SPACE,
            &crate::ID,
        )?;
        new(&vault_info).create_token_account(
            &[seeds::FEE_VAULT, market_key.as_ref(), &[fee_vault_bump]],
            &TokenAccountOf {
                mint: &a.payment_mint.to_account_info(),
                authority: &market_info,
                token_program: &a.token_program.to_account_info(),
            },
        )?;

        let market = Market {
            admin: a.admin.key(),
            payment_mint: mint,
            staking_pool: a.staking_pool.key(),
            fee_vault: vault_key,
            pending_config: args.clone(),
            config: args,
            pending_at: 0,
            paused: false,
            bump,
            slasher_bump: SLASHER_BUMP,
            fee_vault_bump,
        };
        market.try_serialize(&mut &mut market_info.try_borrow_mut_data()?[..])?;

        emit!(MarketInitialized {
            market: market_key,
            admin: market.admin,
            payment_mint: market.payment_mint,
            market_id: market.config.market_id,
            staking_pool: market.staking_pool,
            fee_vault: market.fee_vault,
            config: market.config.clone(),
        });
        Ok(())
    }
}
