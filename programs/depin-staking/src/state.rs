//! Accounts of the staking program. Sizes are pinned to `depin_core::limits` at compile time.

use anchor_lang::prelude::*;
use depin_core::{limits, math, StakeLedger};

/// Who may create pools: PDA `["config"]`, set once by the program's upgrade authority, so a
/// stranger cannot create the pool of a stake mint first and choose its admin, slasher and
/// treasury.
#[account]
#[derive(InitSpace, Debug)]
pub struct Config {
    /// Signs `initialize_pool`; may hand the role over (`set_config_authority`).
    pub authority: Pubkey,
    /// Canonical bump of the config PDA.
    pub bump: u8,
}

/// One staking pool per stake mint: PDA `["pool", stake_mint]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Pool {
    /// May change the pool's settings and pause it.
    pub admin: Pubkey,
    /// Mint of the staked token.
    pub stake_mint: Pubkey,
    /// Token account PDA `["vault", pool]` holding all stake, owned by this pool.
    pub vault: Pubkey,
    /// The only signer allowed to lock, unlock and slash: the jobs program's `["slasher"]` PDA.
    pub slasher: Pubkey,
    /// Token account (of `stake_mint`) that `sweep_slashed` sends slashed stake and any surplus
    /// of the vault (donations) to; its only destination.
    pub treasury: Pubkey,
    /// Delay between `request_unstake` and `withdraw`, in seconds.
    pub unbonding_seconds: i64,
    /// Σ `staked` over all providers. The vault holds at least `total_staked +
    /// pending_slashed` (more only when someone sent tokens to it; the surplus is swept).
    pub total_staked: u64,
    /// Σ of everything ever slashed from this pool.
    pub total_slashed: u64,
    /// Slashed stake still in the vault: `slash` only moves numbers (no token transfer, so a
    /// slash costs about as much as an unlock); `sweep_slashed` later sends it to the treasury.
    pub pending_slashed: u64,
    /// Number of provider accounts ever registered.
    pub provider_count: u64,
    /// When set, no new providers, stake or locks; exits still work.
    pub paused: bool,
    /// Canonical bump of the pool PDA.
    pub bump: u8,
    /// Canonical bump of the vault PDA.
    pub vault_bump: u8,
}

impl Pool {
    /// A slash of `amount`: it leaves `total_staked`, counts in `total_slashed` and waits in
    /// the vault as `pending_slashed` until `sweep_slashed` (checked; the vault balance does
    /// not change).
    pub fn record_slash(&mut self, amount: u64) -> Result<()> {
        use crate::errors::StakingError;
        let total_staked = math::sub(self.total_staked, amount).map_err(StakingError::from)?;
        let total_slashed = math::add(self.total_slashed, amount).map_err(StakingError::from)?;
        let pending = math::add(self.pending_slashed, amount).map_err(StakingError::from)?;
        self.total_staked = total_staked;
        self.total_slashed = total_slashed;
        self.pending_slashed = pending;
        Ok(())
    }
}

/// A provider's collateral in one pool: PDA `["provider", pool, authority]`.
///
/// Two keys, as staking systems split them: the cold `authority` controls the money (stake,
/// unstake, withdraw, operator, close) and receives payouts; the hot `operator` is what the
/// worker signs with on an internet-facing machine (claim, commit, reveal, abandon). A stolen
/// operator key can at worst get bonds slashed; it can never move stake.
#[account]
#[derive(InitSpace, Debug)]
pub struct Provider {
    /// Pool this account belongs to.
    pub pool: Pubkey,
    /// Wallet that controls the stake; owner of the accounts payouts go to.
    pub authority: Pubkey,
    /// Key the worker signs job transactions with (may equal `authority`).
    pub operator: Pubkey,
    /// Tokens of this provider held in the pool vault.
    pub staked: u64,
    /// Part of `staked` bonded to running jobs.
    pub locked: u64,
    /// Part of `staked` waiting out the unbonding period.
    pub unbonding: u64,
    /// Unix time from which `unbonding` may be withdrawn.
    pub unbond_at: i64,
    /// Jobs settled with this provider on the winning side.
    pub jobs_completed: u64,
    /// Jobs in which this provider was slashed.
    pub jobs_slashed: u64,
    /// Σ of everything slashed from this provider.
    pub total_slashed: u64,
    /// Unix time of registration.
    pub registered_at: i64,
    /// Unix time of the last `stake` (registration time before any): stake added at or after a
    /// job was posted does not count in that job's assignment lottery, so nobody can create or
    /// top up a provider once the lottery's seed is public (`depin_core::sortition`).
    pub last_staked_at: i64,
    /// Metadata / endpoint URI chosen by the provider (at most 128 bytes).
    #[max_len(limits::MAX_PROVIDER_URI_LEN)]
    pub uri: String,
    /// Canonical bump of the provider PDA.
    pub bump: u8,
}

/// What a provider's worker accepts, as it last published it (`set_policy`): PDA
/// `["policy", provider]`. Informational: requesters read it to learn why nobody claims a
/// job; no instruction reads it. A separate account, so the provider account that every bond
/// CPI deserializes stays as small as it was.
#[account]
#[derive(InitSpace, Debug, Default, PartialEq, Eq)]
pub struct ProviderPolicy {
    /// The provider account it describes.
    pub provider: Pubkey,
    /// Least reward per replica, less the protocol fee, per 10^9 fuel the manifest allows
    /// (payment-token base units; 0: any price).
    pub min_reward_per_gfuel: u64,
    /// Most fuel a job may ask for.
    pub max_fuel: u64,
    /// Most linear memory a job may ask for, bytes.
    pub max_memory_bytes: u64,
    /// Most output a job may ask for, bytes.
    pub max_output_bytes: u64,
    /// Most wall-clock time a job may ask for, milliseconds.
    pub max_wall_ms: u64,
    /// Whether `file://` blobs are fetched (1) or refused (0).
    pub allow_file_uris: u8,
    /// Unix time it was last published (set by the program).
    pub published_at: i64,
    /// Canonical bump of the policy PDA.
    pub bump: u8,
}

impl Provider {
    /// The stake amounts as a `depin_core` ledger.
    pub fn ledger(&self) -> StakeLedger {
        StakeLedger {
            staked: self.staked,
            locked: self.locked,
            unbonding: self.unbonding,
        }
    }

    /// Store a ledger back after a checked operation.
    pub fn set_ledger(&mut self, l: StakeLedger) {
        self.staked = l.staked;
        self.locked = l.locked;
        self.unbonding = l.unbonding;
    }
}

const _: () = assert!(Config::INIT_SPACE == limits::CONFIG_SIZE);
const _: () = assert!(Pool::INIT_SPACE == limits::POOL_SIZE);
const _: () = assert!(Provider::INIT_SPACE == limits::PROVIDER_SIZE);
const _: () = assert!(ProviderPolicy::INIT_SPACE == limits::PROVIDER_POLICY_SIZE);
