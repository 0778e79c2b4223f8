//! CPIs into `depin_staking`, signed by this program's `["slasher"]` PDA.
//!
//! Written by hand instead of through Anchor's generated `depin_staking::cpi` client: that
//! client collects account metas by pushing into a growing `Vec<AccountMeta>`, and the generic
//! growth path (`RawVec::finish_grow`) computes `capacity * size_of::<AccountMeta>()` with an
//! overflow-checked multiply, which the upstream-LLVM SBF route miscompiles (the linker check
//! flagged it and SBF runs crashed with an access violation). Here every allocation has its
//! final size up front: fixed-size arrays of metas and infos, a fixed-size data buffer.

use anchor_lang::{
    prelude::*,
    solana_program::{
        instruction::{AccountMeta, Instruction},
        program::invoke_signed,
    },
    Discriminator,
};
use depin_core::seeds;

/// This program's `["slasher"]` PDA, fixed with the program id (a test pins it to
/// `find_program_address`), so `initialize_market` checks it by address instead of searching
/// for it (1.5k CU).
pub const SLASHER: Pubkey = pubkey!("Fe2vpMEtUbyvvf6HZuJnhk622kpetPwH26u1M1eKxi4c");
/// The canonical bump of [`SLASHER`].
pub const SLASHER_BUMP: u8 = 255;

/// The accounts every slasher-signed staking instruction starts with.
pub struct SlasherAccounts<'info> {
    /// The `depin_staking` program.
    pub staking_program: AccountInfo<'info>,
    /// This program's `["slasher"]` PDA.
    pub slasher: AccountInfo<'info>,
    /// The staking pool.
    pub pool: AccountInfo<'info>,
    /// The provider whose bond changes.
    pub provider: AccountInfo<'info>,
}

/// Invoke `depin_staking` with `data`, the slasher PDA signing. `metas` lists the
/// instruction's accounts (the slasher first), `infos` the same plus the staking program.
/// Fixed-size arrays: every allocation size is a compile-time constant.
fn invoke_as_slasher<const M: usize, const N: usize>(
    slasher_bump: u8,
    data: &[u8],
    metas: [AccountMeta; M],
    infos: [AccountInfo<'_>; N],
) -> Result<()> {
    let ix = Instruction {
        program_id: depin_staking::ID,
        accounts: Vec::from(metas),
        data: data.to_vec(),
    };
    let bump = [slasher_bump];
    let signer: &[&[u8]] = &[seeds::SLASHER, &bump];
    invoke_signed(&ix, &infos, &[signer])?;
    Ok(())
}

/// `[slasher, pool, provider, staking program]` account infos.
fn bond_infos<'info>(a: &SlasherAccounts<'info>) -> [AccountInfo<'info>; 4] {
    [
        a.slasher.clone(),
        a.pool.clone(),
        a.provider.clone(),
        a.staking_program.clone(),
    ]
}

/// The metas of `[slasher (signer), pool, provider (writable)]`, `pool` writable if asked.
fn bond_metas(a: &SlasherAccounts<'_>, pool_writable: bool) -> [AccountMeta; 3] {
    let pool = if pool_writable {
        AccountMeta::new(a.pool.key(), false)
    } else {
        AccountMeta::new_readonly(a.pool.key(), false)
    };
    [
        AccountMeta::new_readonly(a.slasher.key(), true),
        pool,
        AccountMeta::new(a.provider.key(), false),
    ]
}

/// `depin_staking::lock(amount)`.
pub fn lock(a: &SlasherAccounts<'_>, slasher_bump: u8, amount: u64) -> Result<()> {
    let mut data = [0u8; 16];
    data[..8].copy_from_slice(depin_staking::instruction::Lock::DISCRIMINATOR);
    data[8..].copy_from_slice(&amount.to_le_bytes());
    invoke_as_slasher(slasher_bump, &data, bond_metas(a, false), bond_infos(a))
}

/// `depin_staking::unlock { amount, completed }`.
pub fn unlock(
    a: &SlasherAccounts<'_>,
    slasher_bump: u8,
    amount: u64,
    completed: bool,
) -> Result<()> {
    let mut data = [0u8; 17];
    data[..8].copy_from_slice(depin_staking::instruction::Unlock::DISCRIMINATOR);
    data[8..16].copy_from_slice(&amount.to_le_bytes());
    data[16] = completed as u8;
    invoke_as_slasher(slasher_bump, &data, bond_metas(a, false), bond_infos(a))
}

/// `depin_staking::slash { amount, release }`: `amount` of the bond slashed (held in the vault
/// for the pool treasury until `sweep_slashed`), `release` more back to free stake.
pub fn slash(a: &SlasherAccounts<'_>, slasher_bump: u8, amount: u64, release: u64) -> Result<()> {
    let mut data = [0u8; 24];
    data[..8].copy_from_slice(depin_staking::instruction::Slash::DISCRIMINATOR);
    data[8..16].copy_from_slice(&amount.to_le_bytes());
    data[16..].copy_from_slice(&release.to_le_bytes());
    invoke_as_slasher(slasher_bump, &data, bond_metas(a, true), bond_infos(a))
}

/// Release a bond, slashing `penalty` of it first when non-zero (one CPI either way).
pub fn settle_bond(
    a: &SlasherAccounts<'_>,
    slasher_bump: u8,
    bond: u64,
    penalty: u64,
    completed: bool,
) -> Result<()> {
    if penalty == 0 {
        unlock(a, slasher_bump, bond, completed)
    } else {
        slash(a, slasher_bump, penalty, bond - penalty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slasher_constants_are_the_canonical_pda() {
        assert_eq!(
            Pubkey::find_program_address(&[seeds::SLASHER], &crate::ID),
            (SLASHER, SLASHER_BUMP)
        );
    }
}
