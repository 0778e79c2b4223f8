//! Accounts of the jobs program. Sizes are pinned to `depin_core::limits` at compile time.

use anchor_lang::prelude::*;
use depin_core::limits;

/// A marketplace for one payment mint: PDA `["market", payment_mint, market_id_le]`.
/// Jobs read it but never write it, so posting jobs does not serialise on the market.
#[account]
#[derive(InitSpace, Debug)]
pub struct Market {
    /// May change settings and pause the market.
    pub admin: Pubkey,
    /// Mint in which requesters pay rewards.
    pub payment_mint: Pubkey,
    /// Distinguishes markets of the same mint (CPU, GPU, big-memory...).
    pub market_id: u64,
    /// `depin_staking` pool whose providers may claim jobs here.
    pub staking_pool: Pubkey,
    /// Token account (of `payment_mint`) receiving protocol fees.
    pub treasury: Pubkey,
    /// Protocol fee on each payout, in basis points (rounded up).
    pub fee_bps: u16,
    /// Smallest bond per replica a job may ask for, in stake-mint units.
    pub min_bond: u64,
    /// Seconds from posting during which slots can be claimed.
    pub claim_window_secs: u32,
    /// Seconds a claimant has to commit (or submit, for one replica) after the claim window.
    pub execution_window_secs: u32,
    /// Seconds for reveals after the commit phase.
    pub reveal_window_secs: u32,
    /// Most replicas a job in this market may ask for (1 ..= 8).
    pub max_replicas: u8,
    /// Share of the bond slashed for revealing a losing result, in basis points.
    pub slash_wrong_bps: u16,
    /// Share of the bond slashed for not committing or not revealing, in basis points.
    pub slash_noshow_bps: u16,
    /// Share of the bond kept when a provider abandons a slot before committing.
    pub abandon_penalty_bps: u16,
    /// When set, no new jobs or claims; running jobs still settle.
    pub paused: bool,
    /// Canonical bump of the market PDA.
    pub bump: u8,
    /// Canonical bump of this program's `["slasher"]` PDA, used to sign staking CPIs.
    pub slasher_bump: u8,
}

const _: () = assert!(Market::INIT_SPACE == limits::MARKET_SIZE);
