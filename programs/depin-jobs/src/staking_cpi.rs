//! CPIs into `depin_staking`, signed by this program's `["slasher"]` PDA.
//!
//! Written by hand instead of through Anchor's generated `depin_staking::cpi` client: that
//! client collects account metas by pushing into a growing `Vec<AccountMeta>`, and the generic
//! growth path (`RawVec::finish_grow`) computes `capacity * size_of::<AccountMeta>()` with an
//! overflow-checked multiply, which the upstream-LLVM SBF route miscompiles (the linker check
//! flagged it and SBF runs crashed with an access violation). Here every allocation has its
//! final size up front: `vec![...]` of a fixed number of metas and a fixed-size data buffer.

use anchor_lang::{
    prelude::*,
    solana_program::{
        instruction::{AccountMeta, Instruction},
        program::invoke_signed,
    },
    Discriminator,
};
use depin_core::seeds;

/// The accounts every slasher-signed staking instruction starts with.
pub struct SlasherAccounts<'a, 'info> {
    /// The `depin_staking` program.
    pub staking_program: &'a AccountInfo<'info>,
    /// This program's `["slasher"]` PDA.
    pub slasher: &'a AccountInfo<'info>,
    /// The staking pool.
    pub pool: &'a AccountInfo<'info>,
    /// The provider whose bond changes.
    pub provider: &'a AccountInfo<'info>,
}

/// `depin_staking::lock(amount)`.
pub fn lock(a: &SlasherAccounts<'_, '_>, slasher_bump: u8, amount: u64) -> Result<()> {
    let mut data = [0u8; 16];
    data[..8].copy_from_slice(depin_staking::instruction::Lock::DISCRIMINATOR);
    data[8..].copy_from_slice(&amount.to_le_bytes());
    let ix = Instruction {
        program_id: depin_staking::ID,
        accounts: vec![
            AccountMeta::new_readonly(a.slasher.key(), true),
            AccountMeta::new_readonly(a.pool.key(), false),
            AccountMeta::new(a.provider.key(), false),
        ],
        data: data.to_vec(),
    };
    let bump = [slasher_bump];
    let signer: &[&[u8]] = &[seeds::SLASHER, &bump];
    invoke_signed(
        &ix,
        &[
            a.slasher.clone(),
            a.pool.clone(),
            a.provider.clone(),
            a.staking_program.clone(),
        ],
        &[signer],
    )?;
    Ok(())
}
