use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, TokenAccount};
use depin_core::{limits, seeds};
use depin_staking::state::Pool;

use crate::{errors::JobsError, events::MarketInitialized, state::Market};

/// Settings of a market (also used by `update_market`).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Debug, PartialEq, Eq)]
pub struct MarketConfig {
    /// Distinguishes markets of the same payment mint (CPU, GPU, big-memory...).
    pub market_id: u64,
    /// Protocol fee on each payout, basis points.
    pub fee_bps: u16,
    /// Smallest bond per replica a job may ask for.
    pub min_bond: u64,
    /// Claim window, seconds.
    pub claim_window_secs: u32,
    /// Execution (commit) window, seconds.
    pub execution_window_secs: u32,
    /// Reveal window, seconds.
    pub reveal_window_secs: u32,
    /// Most replicas per job, 1 ..= 8.
    pub max_replicas: u8,
    /// Slash for a losing result, basis points of the bond.
    pub slash_wrong_bps: u16,
    /// Slash for a no-show, basis points of the bond.
    pub slash_noshow_bps: u16,
    /// Penalty for abandoning a slot, basis points of the bond.
    pub abandon_penalty_bps: u16,
}

impl MarketConfig {
    /// Check every field's range.
    pub fn check(&self) -> Result<()> {
        let bps_ok = |b: u16| b as u64 <= limits::BPS_DENOMINATOR;
        require!(
            bps_ok(self.fee_bps)
                && bps_ok(self.slash_wrong_bps)
                && bps_ok(self.slash_noshow_bps)
                && bps_ok(self.abandon_penalty_bps),
            JobsError::InvalidBps
        );
        require!(
            (1..=limits::MAX_REPLICAS).contains(&self.max_replicas),
            JobsError::InvalidMaxReplicas
        );
        require!(
            self.claim_window_secs > 0
                && self.execution_window_secs > 0
                && self.reveal_window_secs > 0,
            JobsError::InvalidWindow
        );
        require!(self.min_bond > 0, JobsError::InvalidMinBond);
        Ok(())
    }
}

#[derive(Accounts)]
#[instruction(args: MarketConfig)]
pub struct InitializeMarket<'info> {
    /// Becomes the market admin; pays rent.
    #[account(mut)]
    pub admin: Signer<'info>,

    /// Mint in which rewards are paid.
    pub payment_mint: Account<'info, Mint>,

    #[account(
        init,
        payer = admin,
        space = limits::DISCRIMINATOR_LEN + Market::INIT_SPACE,
        seeds = [seeds::MARKET, payment_mint.key().as_ref(), &args.market_id.to_le_bytes()],
        bump,
    )]
    pub market: Account<'info, Market>,

    /// The staking pool providers of this market stake in; it must name our slasher PDA.
    #[account(constraint = staking_pool.slasher == slasher.key() @ JobsError::PoolSlasherMismatch)]
    pub staking_pool: Account<'info, Pool>,

    /// CHECK: this program's `["slasher"]` PDA; only its address and bump are used.
    #[account(seeds = [seeds::SLASHER], bump)]
    pub slasher: UncheckedAccount<'info>,

    /// Receiver of protocol fees.
    #[account(constraint = treasury.mint == payment_mint.key() @ JobsError::WrongTreasury)]
    pub treasury: Account<'info, TokenAccount>,

    pub system_program: Program<'info, System>,
}

impl InitializeMarket<'_> {
    pub fn validate(&self, args: &MarketConfig) -> Result<()> {
        args.check()
    }

    /// Specification: initialize_market
    /// - Preconditions: no market for (`payment_mint`, `market_id`); `staking_pool` is a
    ///   `depin_staking` pool whose slasher is this program's `["slasher"]` PDA; `treasury`
    ///   holds `payment_mint`; config in range (rates <= 10000 bps, 1 <= max_replicas <= 8,
    ///   positive windows and minimum bond).
    /// - Effects: creates `Market`, not paused, canonical bumps stored (market and slasher);
    ///   emits `MarketInitialized`.
    // Kept out of line: with fat LTO the whole program would otherwise become one function
    // whose branches exceed SBF\'s 16-bit offsets (docs/sbf-toolchain.md).
    #[inline(never)]
    pub fn handle(ctx: Context<Self>, args: MarketConfig) -> Result<()> {
        let market = &mut ctx.accounts.market;
        market.admin = ctx.accounts.admin.key();
        market.payment_mint = ctx.accounts.payment_mint.key();
        market.staking_pool = ctx.accounts.staking_pool.key();
        market.treasury = ctx.accounts.treasury.key();
        market.config = args;
        market.paused = false;
        market.bump = ctx.bumps.market;
        market.slasher_bump = ctx.bumps.slasher;

        emit!(MarketInitialized {
            market: market.key(),
            admin: market.admin,
            payment_mint: market.payment_mint,
            market_id: market.config.market_id,
            staking_pool: market.staking_pool,
            treasury: market.treasury,
            fee_bps: market.config.fee_bps,
            min_bond: market.config.min_bond,
        });
        Ok(())
    }
}
