//! Events: one per state change and token movement.

use anchor_lang::prelude::*;

/// A market was created.
#[event]
pub struct MarketInitialized {
    /// The new market.
    pub market: Pubkey,
    /// Its admin.
    pub admin: Pubkey,
    /// Payment mint.
    pub payment_mint: Pubkey,
    /// Market id within the mint.
    pub market_id: u64,
    /// Linked staking pool.
    pub staking_pool: Pubkey,
    /// Fee receiver.
    pub treasury: Pubkey,
    /// Fee in basis points.
    pub fee_bps: u16,
    /// Minimum bond per replica.
    pub min_bond: u64,
}
