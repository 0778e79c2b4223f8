//! Events: one per state change, carrying the amounts before and after.

use anchor_lang::prelude::*;

/// A pool was created.
#[event]
pub struct PoolInitialized {
    /// The new pool.
    pub pool: Pubkey,
    /// Its admin.
    pub admin: Pubkey,
    /// Mint of the staked token.
    pub stake_mint: Pubkey,
    /// Its vault.
    pub vault: Pubkey,
    /// Signer allowed to lock, unlock and slash.
    pub slasher: Pubkey,
    /// Receiver of slashed stake.
    pub treasury: Pubkey,
    /// Unbonding delay in seconds.
    pub unbonding_seconds: i64,
}

/// A provider account was opened.
#[event]
pub struct ProviderRegistered {
    /// The pool.
    pub pool: Pubkey,
    /// The new provider account.
    pub provider: Pubkey,
    /// Its authority (cold key).
    pub authority: Pubkey,
    /// Its operator (the key its worker signs with).
    pub operator: Pubkey,
    /// Metadata / endpoint URI.
    pub uri: String,
}

/// Tokens moved from the authority into the vault.
#[event]
pub struct Staked {
    /// The pool.
    pub pool: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// Tokens deposited.
    pub amount: u64,
    /// Provider stake before.
    pub staked_before: u64,
    /// Provider stake after.
    pub staked_after: u64,
    /// Pool total (= vault balance) after.
    pub pool_total_staked: u64,
}

/// Pool settings changed (each field is the value after the update).
#[event]
pub struct PoolUpdated {
    /// The pool.
    pub pool: Pubkey,
    /// Admin after the update.
    pub admin: Pubkey,
    /// Treasury after the update.
    pub treasury: Pubkey,
    /// Unbonding delay after the update.
    pub unbonding_seconds: i64,
    /// Paused flag after the update.
    pub paused: bool,
}

/// Free stake started unbonding.
#[event]
pub struct UnstakeRequested {
    /// The pool.
    pub pool: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// Tokens moved to unbonding.
    pub amount: u64,
    /// Unbonding before.
    pub unbonding_before: u64,
    /// Unbonding after.
    pub unbonding_after: u64,
    /// Unix time from which everything unbonding may be withdrawn.
    pub unbond_at: i64,
}

/// Unbonded tokens left the vault.
#[event]
pub struct Withdrawn {
    /// The pool.
    pub pool: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// Token account that received the tokens.
    pub destination: Pubkey,
    /// Tokens withdrawn.
    pub amount: u64,
    /// Provider stake before.
    pub staked_before: u64,
    /// Provider stake after.
    pub staked_after: u64,
    /// Pool total (= vault balance) after.
    pub pool_total_staked: u64,
}

/// Free stake was bonded to a job.
#[event]
pub struct Locked {
    /// The pool.
    pub pool: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// Tokens locked.
    pub amount: u64,
    /// Locked before.
    pub locked_before: u64,
    /// Locked after.
    pub locked_after: u64,
}

/// A job bond was released.
#[event]
pub struct Unlocked {
    /// The pool.
    pub pool: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// Tokens unlocked.
    pub amount: u64,
    /// Locked before.
    pub locked_before: u64,
    /// Locked after.
    pub locked_after: u64,
    /// Whether the job counted as completed for the provider's reputation.
    pub completed: bool,
}

/// Part of a bond was slashed to the treasury (and the rest optionally released).
#[event]
pub struct Slashed {
    /// The pool.
    pub pool: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// Tokens slashed (held in the vault for the treasury until `sweep_slashed`).
    pub amount: u64,
    /// Tokens of the bond released back to free stake in the same call.
    pub released: u64,
    /// Locked before.
    pub locked_before: u64,
    /// Locked after.
    pub locked_after: u64,
    /// Provider stake before.
    pub staked_before: u64,
    /// Provider stake after.
    pub staked_after: u64,
    /// Pool total stake after.
    pub pool_total_staked: u64,
    /// Slashed stake awaiting `sweep_slashed` after.
    pub pool_pending_slashed: u64,
}

/// Slashed stake was moved from the vault to the pool treasury.
#[event]
pub struct SlashedSwept {
    /// The pool.
    pub pool: Pubkey,
    /// The treasury that received it.
    pub treasury: Pubkey,
    /// Tokens moved: `slashed + surplus`.
    pub amount: u64,
    /// Of which slashed stake (the pool's `pending_slashed` before).
    pub slashed: u64,
    /// Of which surplus: tokens sent to the vault by others (donations).
    pub surplus: u64,
    /// Σ of everything ever slashed from the pool.
    pub pool_total_slashed: u64,
}

/// An empty provider account was closed.
#[event]
pub struct ProviderClosed {
    /// The pool.
    pub pool: Pubkey,
    /// The closed provider account.
    pub provider: Pubkey,
    /// Its authority, who received the rent.
    pub authority: Pubkey,
    /// Jobs completed over the account's life.
    pub jobs_completed: u64,
    /// Jobs slashed over the account's life.
    pub jobs_slashed: u64,
}

/// The program config was created by the upgrade authority.
#[event]
pub struct ConfigInitialized {
    /// The config account.
    pub config: Pubkey,
    /// Who may create pools.
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

/// A provider published the policy its worker accepts jobs by.
#[event]
pub struct PolicyPublished {
    /// The pool.
    pub pool: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// The policy.
    pub policy: crate::instructions::SetPolicyArgs,
    /// Unix time of publication.
    pub published_at: i64,
}

/// A provider's operator key changed.
#[event]
pub struct OperatorChanged {
    /// The pool.
    pub pool: Pubkey,
    /// The provider account.
    pub provider: Pubkey,
    /// The operator before.
    pub previous: Pubkey,
    /// The operator after.
    pub operator: Pubkey,
}
