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
    /// Where fees accrue.
    pub fee_vault: Pubkey,
    /// Its settings.
    pub config: crate::state::MarketConfig,
}

/// Market settings changed (values after the update).
#[event]
pub struct MarketUpdated {
    /// The market.
    pub market: Pubkey,
    /// Admin after the update.
    pub admin: Pubkey,
    /// Settings binding new jobs now.
    pub config: crate::state::MarketConfig,
    /// Announced settings (equal to `config` when nothing is pending).
    pub pending_config: crate::state::MarketConfig,
    /// When the announced settings bind new jobs (0: nothing pending).
    pub pending_at: i64,
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
    /// Slot whose hash seeds the assignment lottery.
    pub seed_slot: u64,
    /// First slot of the open (first-come) claim phase.
    pub ranked_until_slot: u64,
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
    /// The operator key that signed the claim.
    pub operator: Pubkey,
    /// Slot index.
    pub slot: u8,
    /// Stake locked.
    pub bond: u64,
    /// The claim's lottery score (`u64::MAX` in the open phase).
    pub score: u64,
}

/// A better-ranked claim took a slot during the ranked phase; the previous holder's bond was
/// released in full.
#[event]
pub struct SlotDisplaced {
    /// The job.
    pub job: Pubkey,
    /// The provider account that lost the slot.
    pub provider: Pubkey,
    /// Slot index (now held by the better-ranked claimant).
    pub slot: u8,
    /// Bond released back to free stake.
    pub released: u64,
    /// The displaced claim's score.
    pub score: u64,
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

/// The single provider of a one-replica job submitted its result.
#[event]
pub struct ResultSubmitted {
    /// The job.
    pub job: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// The result hash.
    pub result_hash: [u8; 32],
    /// Where the output is published.
    pub result_uri: String,
}

/// A late holder's slot was freed; its bond paid the no-show penalty.
#[event]
pub struct SlotReclaimed {
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

/// A job's reveals were tallied.
#[event]
pub struct JobSettled {
    /// The job.
    pub job: Pubkey,
    /// `depin_core::settle::outcome::AGREED` or `NO_QUORUM`.
    pub outcome: u8,
    /// The agreed result hash (zero without a quorum).
    pub agreed_hash: [u8; 32],
    /// Members of the winning group.
    pub winners: u8,
    /// Slots held at settlement.
    pub held: u8,
    /// Slots revealed.
    pub revealed: u8,
}

/// A job's claim window closed short of the quorum.
#[event]
pub struct JobExpired {
    /// The job.
    pub job: Pubkey,
    /// Slots held (fewer than the quorum).
    pub held: u8,
    /// The quorum.
    pub quorum: u8,
}

/// One held slot of a settled job was paid, released or slashed.
#[event]
pub struct SlotReleased {
    /// The job.
    pub job: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// Slot index.
    pub slot: u8,
    /// `depin_core::settle::Verdict` as `u8` (0 winner, 1 wrong, 2 no-show, 3 released).
    pub verdict: u8,
    /// Paid from escrow to the provider's authority.
    pub payout: u64,
    /// Fee kept in escrow for the market treasury.
    pub fee: u64,
    /// Bond slashed to the pool treasury.
    pub penalty: u64,
    /// Bond released back to free stake.
    pub released: u64,
}

/// A settled job was closed: fees paid, the rest refunded, escrow and job closed.
#[event]
pub struct JobClosed {
    /// The closed job.
    pub job: Pubkey,
    /// Who received the refund and the rent.
    pub requester: Pubkey,
    /// `depin_core::settle::outcome` value.
    pub outcome: u8,
    /// Total paid to winners.
    pub paid: u64,
    /// Fees paid to the market treasury.
    pub fees: u64,
    /// Tokens refunded to the requester.
    pub refund: u64,
}

/// The program config was created by the upgrade authority.
#[event]
pub struct ConfigInitialized {
    /// The config account.
    pub config: Pubkey,
    /// Who may create markets.
    pub authority: Pubkey,
}

/// The config authority was handed over.
#[event]
pub struct ConfigAuthorityChanged {
    /// The config account.
    pub config: Pubkey,
    /// The authority before.
    pub previous: Pubkey,
    /// The authority after.
    pub authority: Pubkey,
}

/// The admin withdrew accrued fees.
#[event]
pub struct FeesWithdrawn {
    /// The market.
    pub market: Pubkey,
    /// Where they went.
    pub destination: Pubkey,
    /// Tokens moved.
    pub amount: u64,
    /// Left in the fee vault.
    pub remaining: u64,
}

/// The requester of a private job delivered one claimant's key envelope (stored in the slot).
#[event]
pub struct KeyDelivered {
    /// The job.
    pub job: Pubkey,
    /// The slot.
    pub slot: u8,
    /// The holder the envelope is sealed for.
    pub provider: Pubkey,
    /// Unix time of delivery.
    pub delivered_at: i64,
}

/// A market's admin accredited a provider (it may claim the market's allow-listed jobs).
#[event]
pub struct ProviderAccredited {
    /// The market.
    pub market: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// Unix time of the accreditation.
    pub accredited_at: i64,
}

/// A market's admin revoked a provider's accreditation.
#[event]
pub struct AccreditationRevoked {
    /// The market.
    pub market: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
}
