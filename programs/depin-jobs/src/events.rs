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

/// Market settings changed (values after the update).
#[event]
pub struct MarketUpdated {
    /// The market.
    pub market: Pubkey,
    /// Admin after the update.
    pub admin: Pubkey,
    /// Fee receiver after the update.
    pub treasury: Pubkey,
    /// Settings after the update.
    pub config: crate::instructions::MarketConfig,
    /// Paused flag after the update.
    pub paused: bool,
}

/// A job was posted and its reward escrowed.
#[event]
pub struct JobPosted {
    /// The job.
    pub job: Pubkey,
    /// Its market.
    pub market: Pubkey,
    /// Who posted it.
    pub requester: Pubkey,
    /// Requester's nonce.
    pub nonce: u64,
    /// sha256 of the manifest.
    pub spec_hash: [u8; 32],
    /// Reward per replica.
    pub reward_per_replica: u64,
    /// Replicas.
    pub replicas: u8,
    /// Quorum.
    pub quorum: u8,
    /// Bond per claimant.
    pub bond: u64,
    /// Tokens moved into escrow.
    pub deposited: u64,
    /// Claims accepted before this time.
    pub claim_deadline: i64,
}

/// A job was cancelled before any slot was held; the escrow was refunded.
#[event]
pub struct JobCancelled {
    /// The closed job.
    pub job: Pubkey,
    /// Who received the refund and the rent.
    pub requester: Pubkey,
    /// Tokens refunded.
    pub refund: u64,
}

/// A provider claimed a slot; its bond is locked.
#[event]
pub struct JobClaimed {
    /// The job.
    pub job: Pubkey,
    /// The provider account now holding the slot.
    pub provider: Pubkey,
    /// Its owner.
    pub owner: Pubkey,
    /// Slot index.
    pub slot: u8,
    /// Stake locked.
    pub bond: u64,
}

/// A provider gave a claimed slot back before committing.
#[event]
pub struct JobAbandoned {
    /// The job.
    pub job: Pubkey,
    /// The provider account that held the slot.
    pub provider: Pubkey,
    /// Slot index (free again).
    pub slot: u8,
    /// Bond slashed to the pool treasury.
    pub penalty: u64,
    /// Bond released back to free stake.
    pub released: u64,
}

/// A provider committed to a result.
#[event]
pub struct ResultCommitted {
    /// The job.
    pub job: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// Slot index.
    pub slot: u8,
    /// The commitment.
    pub commitment: [u8; 32],
}

/// A provider revealed its result.
#[event]
pub struct ResultRevealed {
    /// The job.
    pub job: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// Slot index.
    pub slot: u8,
    /// The result hash (matches the commitment).
    pub result_hash: [u8; 32],
    /// Where the output is published.
    pub result_uri: String,
}
