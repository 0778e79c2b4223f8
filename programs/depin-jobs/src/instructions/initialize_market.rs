use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};
use depin_core::{limits, seeds};
use depin_staking::in_place::PoolView;

pub use crate::state::MarketConfig;
use crate::{
    errors::JobsError,
    events::MarketInitialized,
    staking_cpi::{SLASHER, SLASHER_BUMP},
    state::{Config, Market},
};

#[derive(Accounts)]
#[instruction(args: MarketConfig)]
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

    #[account(
        init,
        payer = admin,
        space = limits::DISCRIMINATOR_LEN + Market::INIT_SPACE,
        seeds = [seeds::MARKET, payment_mint.key().as_ref(), &args.market_id.to_le_bytes()],
        bump,
    )]
    pub market: Box<Account<'info, Market>>,

    /// Where `close_job` accrues the market's fees; only the market PDA can move them.
    #[account(
        init,
        payer = admin,
        seeds = [seeds::FEE_VAULT, market.key().as_ref()],
        bump,
        token::mint = payment_mint,
        token::authority = market,
    )]
    pub fee_vault: Box<Account<'info, TokenAccount>>,

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
    ///   positive minimum bond).
    /// - Effects: creates `Market` (not paused, nothing pending) and its fee vault token
    ///   account (authority: the market PDA); canonical bumps stored (market, slasher, fee
    ///   vault); emits `MarketInitialized`.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: MarketConfig) -> Result<()> {
        let market = &mut ctx.accounts.market;
        market.admin = ctx.accounts.admin.key();
        market.payment_mint = ctx.accounts.payment_mint.key();
        market.staking_pool = ctx.accounts.staking_pool.key();
        market.fee_vault = ctx.accounts.fee_vault.key();
        market.pending_config = args.clone();
        market.config = args;
        market.pending_at = 0;
        market.paused = false;
        market.bump = ctx.bumps.market;
        market.slasher_bump = SLASHER_BUMP;
        market.fee_vault_bump = ctx.bumps.fee_vault;

        emit!(MarketInitialized {
            market: market.key(),
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
