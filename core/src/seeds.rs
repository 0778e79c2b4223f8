//! PDA seeds of both programs. Programs use them in `seeds = [...]` constraints; the SDK and the
//! worker derive addresses with [`crate::seeds`] plus `Pubkey::find_program_address`.

/// `Pool` account of the staking program: `["pool", stake_mint]`.
pub const POOL: &[u8] = b"pool";
/// Token account holding all stake of a pool, owned by the pool PDA: `["vault", pool]`.
pub const VAULT: &[u8] = b"vault";
/// `Provider` account of the staking program: `["provider", pool, authority]`.
pub const PROVIDER: &[u8] = b"provider";
/// Seed of a provider's published policy: `["policy", provider]`.
pub const POLICY: &[u8] = b"policy";
/// The jobs program's signer for lock / unlock / slash CPIs: `["slasher"]`.
pub const SLASHER: &[u8] = b"slasher";
/// `Market` account of the jobs program: `["market", payment_mint, market_id_le]`.
pub const MARKET: &[u8] = b"market";
/// `Job` account of the jobs program: `["job", market, requester, nonce_le]`.
pub const JOB: &[u8] = b"job";
/// Program configuration of either program (who may create pools / markets): `["config"]`.
pub const CONFIG: &[u8] = b"config";
/// Token account accruing a market's protocol fees, owned by the market PDA:
/// `["fee_vault", market]`.
pub const FEE_VAULT: &[u8] = b"fee_vault";
/// A provider's admission to an allow-listed market, kept by the market's admin:
/// `["accredited", market, provider]`.
pub const ACCREDITED: &[u8] = b"accredited";
