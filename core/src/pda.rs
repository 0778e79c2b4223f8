//! Program-derived addresses, found for a twentieth of the compute units of
//! `Pubkey::find_program_address`.
//!
//! An address derived from `seeds` and a bump under a program is
//! `sha256(seeds ‖ bump ‖ program_id ‖ "ProgramDerivedAddress")`, valid when those 32 bytes
//! are *not* a point of the ed25519 curve; the canonical bump is the highest valid one. The
//! runtime's `find_program_address` charges 1 500 compute units per bump it tries (half the
//! seed sets need a second try, a quarter a third, …), so a one-time initialiser creating two
//! accounts spent 3 000 – 7 500 units on the search alone. Here each try is one `sol_sha256`
//! (about 85 + a unit per two bytes) and one `sol_curve_validate_point` (159): about 300
//! units. On the host the same two checks run in `solana-sha256-hasher` and
//! `solana-curve25519` (curve25519-dalek), the crates the runtime uses; the tests compare every
//! result with `Pubkey::find_program_address`.
//!
//! A CPI signed with the seeds and the bump found here makes the runtime derive the same
//! address again (at no extra charge), so an account created that way is the canonical PDA.

use solana_curve25519::edwards::{validate_edwards, PodEdwardsPoint};
use solana_pubkey::Pubkey;

/// Seeds per address, the bump included (`solana_pubkey::MAX_SEEDS`).
pub const MAX_SEEDS: usize = 16;
/// Bytes per seed (`solana_pubkey::MAX_SEED_LEN`).
pub const MAX_SEED_LEN: usize = 32;
/// The suffix that separates derived addresses from other sha256 images.
const MARKER: &[u8] = b"ProgramDerivedAddress";

/// The address `seeds` and `bump` derive under `program_id`, or `None` when it lies on the
/// curve (no PDA for this bump) or the seeds exceed the runtime's limits.
pub fn address(seeds: &[&[u8]], bump: u8, program_id: &Pubkey) -> Option<Pubkey> {
    if seeds.len() >= MAX_SEEDS || seeds.iter().any(|s| s.len() > MAX_SEED_LEN) {
        return None;
    }
    let bump = [bump];
    let mut parts: [&[u8]; MAX_SEEDS + 2] = [&[]; MAX_SEEDS + 2];
    parts[..seeds.len()].copy_from_slice(seeds);
    parts[seeds.len()] = &bump;
    parts[seeds.len() + 1] = program_id.as_ref();
    parts[seeds.len() + 2] = MARKER;
    let hash = solana_sha256_hasher::hashv(&parts[..seeds.len() + 3]).to_bytes();
    (!validate_edwards(&PodEdwardsPoint(hash))).then(|| Pubkey::new_from_array(hash))
}

/// The canonical PDA of `seeds` under `program_id` and its bump (as
/// `Pubkey::find_program_address` returns them), or `None` when no bump gives one. Bumps are
/// tried from 255 down to 1, as the runtime tries them (it never tries 0).
pub fn find(seeds: &[&[u8]], program_id: &Pubkey) -> Option<(Pubkey, u8)> {
    (1..=u8::MAX)
        .rev()
        .find_map(|bump| address(seeds, bump, program_id).map(|a| (a, bump)))
}

/// The bump of `expected` if it is the canonical PDA of `seeds` under `program_id`.
pub fn canonical_bump(seeds: &[&[u8]], program_id: &Pubkey, expected: &Pubkey) -> Option<u8> {
    find(seeds, program_id)
        .filter(|(a, _)| a == expected)
        .map(|(_, b)| b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn runtime(seeds: &[&[u8]], program_id: &Pubkey) -> (Pubkey, u8) {
        Pubkey::find_program_address(seeds, program_id)
    }

    #[test]
    fn the_protocols_own_seeds_derive_what_the_runtime_derives() {
        let program = Pubkey::new_from_array([7; 32]);
        for i in 0..64u8 {
            let mint = Pubkey::new_from_array([i; 32]);
            let id = u64::from(i).to_le_bytes();
            for seeds in [
                vec![crate::seeds::POOL, mint.as_ref()],
                vec![crate::seeds::VAULT, mint.as_ref()],
                vec![crate::seeds::MARKET, mint.as_ref(), &id],
                vec![crate::seeds::FEE_VAULT, mint.as_ref()],
                vec![crate::seeds::SLASHER],
            ] {
                let found = find(&seeds, &program).expect("a bump");
                assert_eq!(found, runtime(&seeds, &program));
                assert_eq!(canonical_bump(&seeds, &program, &found.0), Some(found.1));
                assert_eq!(canonical_bump(&seeds, &program, &mint), None);
            }
        }
    }

    #[test]
    fn a_bump_whose_image_is_on_the_curve_derives_nothing() {
        // Some bump above the canonical one exists for about half of all seed sets.
        let program = Pubkey::new_from_array([3; 32]);
        let (mut above, mut at) = (0, 0);
        for i in 0..64u8 {
            let seeds: &[&[u8]] = &[b"x", &[i]];
            let (addr, bump) = runtime(seeds, &program);
            assert_eq!(address(seeds, bump, &program), Some(addr));
            if bump < u8::MAX {
                above += 1;
                assert_eq!(address(seeds, bump + 1, &program), None);
            }
            at += 1;
        }
        assert!(above > 0 && at == 64);
    }

    #[test]
    fn seeds_beyond_the_runtimes_limits_derive_nothing() {
        let program = Pubkey::new_from_array([1; 32]);
        let long = [0u8; MAX_SEED_LEN + 1];
        assert_eq!(find(&[&long], &program), None);
        let many: Vec<&[u8]> = vec![b"s"; MAX_SEEDS];
        assert_eq!(find(&many, &program), None);
        let most: Vec<&[u8]> = vec![b"s"; MAX_SEEDS - 1];
        assert_eq!(find(&most, &program), Some(runtime(&most, &program)));
    }

    proptest! {
        #[test]
        fn any_seeds_derive_what_the_runtime_derives(
            seeds in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..=32), 0..4),
            program in any::<[u8; 32]>(),
        ) {
            let seeds: Vec<&[u8]> = seeds.iter().map(|s| s.as_slice()).collect();
            let program = Pubkey::new_from_array(program);
            prop_assert_eq!(find(&seeds, &program), Some(runtime(&seeds, &program)));
        }
    }
}
