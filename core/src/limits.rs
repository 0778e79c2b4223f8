//! Protocol limits and account sizes (Anchor `INIT_SPACE`, without the 8-byte discriminator).
//! The programs assert at compile time that their account structs match these sizes, so the SDK
//! and the worker can rely on them for `dataSize` / `memcmp` filters.

/// Basis points in one whole (100 %).
pub const BPS_DENOMINATOR: u64 = 10_000;
/// Most replicas a job may ask for (replica counts are odd: see `settle::replicas_allowed`).
pub const MAX_REPLICAS: u8 = 7;
/// Longest metadata / endpoint URI of a provider, in bytes.
pub const MAX_PROVIDER_URI_LEN: usize = 128;
/// Longest job spec or result URI, in bytes.
pub const MAX_URI_LEN: usize = 128;
/// Longest unbonding period a pool may set: one year.
pub const MAX_UNBONDING_SECONDS: i64 = 365 * 24 * 60 * 60;
/// Highest protocol fee a market may charge on a payout: 20 %.
pub const MAX_FEE_BPS: u16 = 2_000;
/// Highest slash (wrong result, no-show) or abandon penalty: 100 % of the bond.
pub const MAX_SLASH_BPS: u16 = 10_000;
/// Longest claim, execution or reveal window a market may set: 30 days each.
pub const MAX_WINDOW_SECS: u32 = 30 * 24 * 60 * 60;
/// Shortest execution window a market may set: 30 s. A slot's deadline is its claim time plus
/// the execution window, while commitments open only after the job's ranked assignment phase
/// (`sortition::SEED_DELAY_SLOTS + RANKED_SLOTS` = 10 slots after posting, ≈ 4 s with 400 ms
/// slots): a shorter window would let an admin make claims impossible to honour, slashing
/// every honest holder as a no-show.
pub const MIN_EXECUTION_WINDOW_SECS: u32 = 30;
/// Notice a market gives before a rate increase binds new jobs, on top of the longest span a
/// job posted under the current terms can run (claim + execution + reveal windows): 1 hour.
pub const RATE_NOTICE_MARGIN_SECS: i64 = 60 * 60;
/// Anchor account discriminator length.
pub const DISCRIMINATOR_LEN: usize = 8;

/// `Config` account body size (both programs): authority, bump.
pub const CONFIG_SIZE: usize = 32 + 1;
/// `Pool` account body size.
pub const POOL_SIZE: usize = 32 + 32 + 32 + 32 + 32 + 8 + 8 + 8 + 8 + 8 + 1 + 1 + 1;
/// `ProviderPolicy` account body size: the provider, five limits, a flag, the publication
/// time, the bump.
pub const PROVIDER_POLICY_SIZE: usize = 32 + 8 * 5 + 1 + 8 + 1;
/// `Provider` account body size.
pub const PROVIDER_SIZE: usize =
    32 + 32 + 32 + 8 + 8 + 8 + 8 + 8 + 8 + 8 + 8 + 8 + 4 + MAX_PROVIDER_URI_LEN + 1;
/// `MarketConfig` size (embedded in `Market`): id, fee, bond, windows, replicas, rates, the
/// allow-list flag.
pub const MARKET_CONFIG_SIZE: usize = 8 + 2 + 8 + 4 + 4 + 4 + 1 + 2 + 2 + 2 + 1;
/// `Market` account body size: keys (admin, mints, pool, fee vault), current config, pending
/// config and the time it binds, flags and bumps.
pub const MARKET_SIZE: usize =
    32 + 32 + 32 + 32 + MARKET_CONFIG_SIZE + MARKET_CONFIG_SIZE + 8 + 1 + 1 + 1 + 1;

/// `Accreditation` account body size: market, provider, time of accreditation, bump.
pub const ACCREDITATION_SIZE: usize = 32 + 32 + 8 + 1;
/// A private job's key envelope: the 32-byte job secret in a libsodium sealed box
/// (`crypto_box_seal`: 32-byte ephemeral X25519 key, 16-byte tag, ciphertext).
pub const ENVELOPE_LEN: usize = 32 + 16 + 32;

/// One assignment slot of a job (zero-copy, `repr(C)`, no implicit padding): keys and hashes,
/// claim time, score, key delivery time, state bytes, result URI, key envelope.
pub const SLOT_SIZE: usize = 32 * 4 + 8 + 8 + 8 + 1 + 1 + 1 + 5 + MAX_URI_LEN + ENVELOPE_LEN;
/// `Job` account body size (zero-copy): keys and hashes (with the private key commitment),
/// amounts, times, rates, counters, spec URI, then `MAX_REPLICAS` slots.
pub const JOB_SIZE: usize =
    32 * 6 + 8 * 8 + 8 * 5 + 2 * 4 + 13 + 3 + MAX_URI_LEN + (MAX_REPLICAS as usize) * SLOT_SIZE;
