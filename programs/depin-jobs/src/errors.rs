//! The jobs program's errors.

use anchor_lang::prelude::*;
use depin_core::{governance::GovernanceError, MathError};

/// Every way a jobs instruction can be refused.
#[error_code]
pub enum JobsError {
    #[msg("Rate above 10000 basis points")]
    InvalidBps,
    #[msg("max_replicas must be between 1 and 7")]
    InvalidMaxReplicas,
    #[msg(
        "Windows must be at most 30 days: claim and reveal at least 1 s, execution at least 30 s"
    )]
    InvalidWindow,
    #[msg("Minimum bond must be greater than zero")]
    InvalidMinBond,
    #[msg("Token account or mint does not match the market's payment mint")]
    WrongMint,
    #[msg("Account is not the market's fee vault")]
    WrongFeeVault,
    #[msg("Staking pool does not name this program's slasher PDA")]
    PoolSlasherMismatch,
    #[msg("Signer is not the market admin")]
    NotMarketAdmin,
    #[msg("The market id is part of the market's address and cannot change")]
    MarketIdImmutable,
    #[msg("Nothing to update")]
    NothingToUpdate,
    #[msg("Market is paused")]
    MarketPaused,
    #[msg("Token account is not owned by the signer")]
    WrongTokenOwner,
    #[msg("Replicas must be odd, between 1 and the market's max_replicas")]
    InvalidReplicas,
    #[msg("Bond is below the market's minimum")]
    BondBelowMinimum,
    #[msg("Reward per replica must be greater than zero")]
    ZeroReward,
    #[msg("URI is longer than 128 bytes")]
    UriTooLong,
    #[msg("Spec hash must not be zero")]
    MissingSpecHash,
    #[msg("Signer is not the job's requester")]
    NotRequester,
    #[msg("Job is not open")]
    JobNotOpen,
    #[msg("A slot of this job is held by a provider")]
    JobHasClaims,
    #[msg("Job belongs to another market")]
    WrongMarket,
    #[msg("Provider or pool is not the market's staking pool")]
    WrongStakingPool,
    #[msg("Signer is not the operator of this provider account")]
    NotProviderOperator,
    #[msg("The claim window has closed")]
    ClaimWindowClosed,
    #[msg("This provider already holds a slot of this job")]
    AlreadyClaimed,
    #[msg("Every slot of this job is taken")]
    JobFull,
    #[msg("Token account is not the pool's vault")]
    WrongVault,
    #[msg("This provider holds no slot of this job")]
    NotSlotHolder,
    #[msg("The slot is already committed")]
    AlreadyCommitted,
    #[msg("The slot has not committed")]
    NotCommitted,
    #[msg("The slot is already revealed")]
    AlreadyRevealed,
    #[msg("The commit deadline has passed")]
    CommitWindowClosed,
    #[msg("Reveals are not open yet: some held slot has not committed")]
    RevealNotOpen,
    #[msg("The reveal deadline has passed")]
    RevealWindowClosed,
    #[msg("Commitment must not be zero")]
    ZeroCommitment,
    #[msg("Result hash and salt do not match the commitment")]
    CommitmentMismatch,
    #[msg("Results cannot be settled yet: reveals are still possible")]
    SettleTooEarly,
    #[msg("The claim window ended short of the quorum: use expire_job")]
    JobExpirable,
    #[msg("The job cannot expire: the claim window is open or the quorum claimed it")]
    NotExpirable,
    #[msg("The job is not settled")]
    JobNotSettled,
    #[msg("This slot has already been released")]
    SlotAlreadyReleased,
    #[msg("Some held slots are not released yet")]
    SlotsNotReleased,
    #[msg("Token account is not the job's escrow")]
    WrongEscrow,
    #[msg("A winner's payout needs the provider owner's token account of the payment mint")]
    MissingPayoutAccount,
    #[msg("Escrow balance differs from deposited minus paid")]
    EscrowMismatch,
    #[msg("submit_result is only for single-replica jobs")]
    NotSingleReplica,
    #[msg("The slot's holder still has time to commit")]
    SlotNotLate,
    #[msg("Account is not the staking pool's slasher (this program's slasher PDA)")]
    WrongSlasher,
    #[msg("Account is not a depin_staking provider account")]
    NotAProvider,
    #[msg("Account is not the job's requester")]
    WrongRequester,
    #[msg("Arithmetic overflow")]
    MathOverflow,
    #[msg("Arithmetic underflow")]
    MathUnderflow,
    #[msg("Fee above the cap of 2000 basis points (20 %)")]
    FeeTooHigh,
    #[msg("Slash rate or abandon penalty above 10000 basis points")]
    SlashTooHigh,
    #[msg("Abandon penalty above the no-show slash")]
    AbandonAboveNoShow,
    #[msg("The market's fee differs from the fee the requester expected")]
    FeeMismatch,
    #[msg("Signer is not this program's upgrade authority")]
    NotUpgradeAuthority,
    #[msg("Signer is not the program config's authority")]
    NotConfigAuthority,
    #[msg("Nothing to withdraw from the fee vault")]
    NothingToWithdraw,
    #[msg("Account is not the SlotHashes sysvar")]
    WrongSlotHashes,
    #[msg("The job's seed slot has not been produced yet: claims open a few slots after posting")]
    SeedNotReady,
    #[msg("The assignment lottery did not make this provider eligible in the ranked phase")]
    NotEligible,
    #[msg("Every slot is held by a better-ranked provider")]
    OutRanked,
    #[msg("Displacing needs the worst-ranked holder's provider account")]
    WrongDisplaced,
    #[msg("This provider gave a slot of this job back and may not claim it again")]
    AbandonedBefore,
    #[msg("The ranked phase is still running: commitments open when it ends")]
    RankingOpen,
    #[msg("The job is not private: it has no keys to deliver")]
    NotPrivate,
    #[msg("Slot index is not one of the job's replicas")]
    InvalidSlot,
    #[msg("The slot is not claimed and uncommitted by that provider")]
    WrongSlotHolder,
    #[msg("This slot's key was already delivered")]
    KeyAlreadyDelivered,
    #[msg("The slot's key deadline has passed: its holder may give it back without penalty")]
    KeyWindowClosed,
    #[msg("A key envelope must not be all zero")]
    EmptyEnvelope,
    #[msg(
        "The job was posted in an allow-listed market and this provider is not accredited there"
    )]
    NotAccredited,
    #[msg("This provider is accredited in this market already")]
    AlreadyAccredited,
    #[msg("Market account is not the PDA ['market', payment_mint, market_id_le]")]
    WrongMarketAddress,
    #[msg("Fee vault account is not the PDA ['fee_vault', market]")]
    WrongFeeVaultAddress,
    #[msg("A market with this payment mint and id exists already")]
    MarketExists,
}

impl From<GovernanceError> for JobsError {
    fn from(e: GovernanceError) -> Self {
        match e {
            GovernanceError::FeeTooHigh => JobsError::FeeTooHigh,
            GovernanceError::SlashTooHigh => JobsError::SlashTooHigh,
            GovernanceError::AbandonAboveNoShow => JobsError::AbandonAboveNoShow,
            GovernanceError::InvalidWindow => JobsError::InvalidWindow,
        }
    }
}

impl From<MathError> for JobsError {
    fn from(e: MathError) -> Self {
        match e {
            MathError::Underflow => JobsError::MathUnderflow,
            MathError::InvalidBps => JobsError::InvalidBps,
            _ => JobsError::MathOverflow,
        }
    }
}
