//! Accounts of the jobs program. Sizes are pinned to `depin_core::limits` at compile time.

use anchor_lang::prelude::*;
use depin_core::limits;

use crate::instructions::MarketConfig;

/// A marketplace for one payment mint: PDA `["market", payment_mint, market_id_le]`.
/// Jobs read it but never write it, so posting jobs does not serialise on the market.
#[account]
#[derive(InitSpace, Debug)]
pub struct Market {
    /// May change settings and pause the market.
    pub admin: Pubkey,
    /// Mint in which requesters pay rewards.
    pub payment_mint: Pubkey,
    /// `depin_staking` pool whose providers may claim jobs here.
    pub staking_pool: Pubkey,
    /// Token account (of `payment_mint`) receiving protocol fees.
    pub treasury: Pubkey,
    /// Market id, fee, bond, windows, replica limit and slash policy.
    pub config: MarketConfig,
    /// When set, no new jobs or claims; running jobs still settle.
    pub paused: bool,
    /// Canonical bump of the market PDA.
    pub bump: u8,
    /// Canonical bump of this program's `["slasher"]` PDA, used to sign staking CPIs.
    pub slasher_bump: u8,
}

const _: () = assert!(Market::INIT_SPACE == limits::MARKET_SIZE);
const _: () = assert!(MarketConfig::INIT_SPACE == limits::MARKET_CONFIG_SIZE);
