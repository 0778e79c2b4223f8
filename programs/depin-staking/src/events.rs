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
    /// Its owner.
    pub owner: Pubkey,
    /// Metadata / endpoint URI.
    pub uri: String,
}

/// Tokens moved from the owner into the vault.
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
