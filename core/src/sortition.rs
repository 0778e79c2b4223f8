//! Stake-weighted random assignment of a job's slots (cryptographic sortition).
//!
//! First-come claiming lets whoever is fastest, with as many wallets as it likes, take a
//! majority of a job's slots. Instead, a job is assigned in two phases:
//!
//! 1. **Ranked phase** (slots `seed_slot + 1 .. ranked_until_slot`). The seed is the hash the
//!    chain recorded for the first produced slot at or after `seed_slot`
//!    ([`SEED_DELAY_SLOTS`] after posting, so nobody knows it when the job is posted), read
//!    from the SlotHashes sysvar. Each provider draws a ticket
//!    `u32(sha256(DOMAIN ‖ seed ‖ job ‖ provider))` and may claim only if the ticket falls
//!    under its weight: [`ELIGIBLE_PER_REPLICA`] `× replicas ×` its free stake over the pool's
//!    total stake (in units of 2⁻³²). The eligible set thus has about
//!    `ELIGIBLE_PER_REPLICA × replicas` members in expectation, whatever the number of
//!    providers. Eligible claimants are ranked by [`score`] (ticket / weight: uniform on
//!    `[0, 1)` for every eligible provider); a better score displaces the worst holder, whose
//!    bond is released without penalty. When the phase ends, the holders are the best-ranked
//!    eligible providers: a stake-weighted random sample that speed cannot change.
//! 2. **Open phase** (from `ranked_until_slot` to the claim deadline): any staked provider may
//!    take a slot that is still free, first come. Liveness never depends on the lottery.
//!
//! Splitting stake across wallets gains (almost) nothing: `Σ weight` is the same however the
//! stake is split (below the cap of 1), so the expected number of eligible tickets is too, and
//! every eligible ticket has the same chance to rank. An attacker with a fraction `f` of the
//! stake holds a majority of a job's slots with about the binomial probability
//! `P[Bin(replicas, f) ≥ quorum]`, not with certainty; the seeded Monte Carlo
//! (`crate::montecarlo`, docs/sortition.md) measures it, including the small excess (≈ +0.02
//! near f = 0.5) of a split into a few wallets each just under certain eligibility.
//!
//! All arithmetic is `u64` with shifts and divisions only (no `u128`, no checked multiply):
//! see docs/sbf-toolchain.md.

use solana_pubkey::Pubkey;

use crate::hash::Hash32;

/// Address of the SlotHashes sysvar, whose entries seed the lottery.
pub const SLOT_HASHES_SYSVAR: Pubkey =
    Pubkey::from_str_const("SysvarS1otHashes111111111111111111111111111");

/// Domain of a sortition ticket.
pub const DOMAIN: &[u8] = b"depin-sortition-v1";
/// The seed slot is this many slots after the slot the job was posted in.
pub const SEED_DELAY_SLOTS: u64 = 2;
/// Length of the ranked phase, in slots after the seed slot (0.8 s with the local chain's
/// 100 ms slots, 3.2 s with mainnet's 400 ms).
pub const RANKED_SLOTS: u64 = 8;
/// Expected eligible providers per replica during the ranked phase.
pub const ELIGIBLE_PER_REPLICA: u64 = 3;
/// Weight of certain eligibility (probability 1 in units of 2⁻³²).
pub const ONE: u64 = 1 << 32;
/// Score of a claim made in the open phase (ranks below every ranked claim).
pub const OPEN_SCORE: u64 = u64::MAX;

/// The two slots that bound the ranked phase of a job posted in slot `posted_slot`:
/// `(seed_slot, ranked_until_slot)`.
pub fn phases(posted_slot: u64) -> (u64, u64) {
    let seed = posted_slot.saturating_add(SEED_DELAY_SLOTS);
    (seed, seed.saturating_add(RANKED_SLOTS))
}

/// The provider's ticket: the first four bytes (little-endian) of
/// `sha256(DOMAIN ‖ seed ‖ job ‖ provider)`.
pub fn ticket(seed: &Hash32, job: &Pubkey, provider: &Pubkey) -> u32 {
    let h = solana_sha256_hasher::hashv(&[DOMAIN, seed, job.as_ref(), provider.as_ref()]);
    let b = h.to_bytes();
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Number of significant bits of `x`.
fn bit_len(x: u64) -> u32 {
    64 - x.leading_zeros()
}

/// The probability (units of 2⁻³², at most [`ONE`]) that a provider with `free` stake is
/// eligible for a job of `replicas` in a pool of `total` stake:
/// `min(1, ELIGIBLE_PER_REPLICA × replicas × free / total)`, rounded down. Zero when either
/// stake is zero.
pub fn weight(free: u64, total: u64, replicas: u8) -> u64 {
    if free == 0 || total == 0 {
        return 0;
    }
    let free = free.min(total);
    // free / total as a 32-bit fraction: shift both so `total` fits in 32 bits, then
    // (free << 32) / total cannot overflow (free <= total < 2^32).
    let shift = bit_len(total).saturating_sub(32);
    let (f, t) = (free >> shift, total >> shift);
    let frac = (f << 32) / t; // <= 2^32
    let k = ELIGIBLE_PER_REPLICA * replicas as u64; // <= 3 * 255
    crate::math::mul(frac, k).map_or(ONE, |w| w.min(ONE)) // frac <= 2^32, k < 2^10: fits
}

/// The stake that counts for a provider in the lottery of a job posted at `posted_at`: its free
/// stake if its last stake (or registration) came strictly before the posting, else 0. The seed
/// is unknown at posting, so no provider can be created, or topped up, to fit a known seed.
pub fn lottery_stake(free: u64, last_staked_at: i64, posted_at: i64) -> u64 {
    if last_staked_at < posted_at {
        free
    } else {
        0
    }
}

/// A provider's rank score (lower is better): `ticket / weight` as a 32.32 fixed-point
/// number, uniform on `[0, 1)` (i.e. below [`ONE`]) exactly when the provider is eligible.
/// `u64::MAX` for a weight of zero.
pub fn score(ticket: u32, weight: u64) -> u64 {
    if weight == 0 {
        return u64::MAX;
    }
    ((ticket as u64) << 32) / weight
}

/// Whether `score` makes its provider eligible in the ranked phase (`ticket < weight`).
pub fn eligible(score: u64) -> bool {
    score < ONE
}

/// The seed of a job: the hash of the oldest slot at or after `seed_slot` in the SlotHashes
/// sysvar's account `data` (`u64` count, then `(u64 slot, [u8; 32] hash)` entries, newest
/// first; skipped slots are absent, so a skipped seed slot falls to the next produced one).
/// `None` while no such slot has been recorded yet, when the data does not reach back to
/// `seed_slot` (no entry at or before it: the oldest entry after it might not be the first
/// produced one, e.g. in a truncated read), or for malformed data.
pub fn seed_from_slot_hashes(data: &[u8], seed_slot: u64) -> Option<Hash32> {
    const ENTRY: usize = 40;
    let count = u64::from_le_bytes(data.get(..8)?.try_into().ok()?) as usize;
    let count = count.min(data.len().saturating_sub(8) / ENTRY);
    let slot_at = |i: usize| -> u64 {
        let o = 8 + i * ENTRY;
        u64::from_le_bytes(data[o..o + 8].try_into().unwrap_or([0; 8]))
    };
    // Entries are sorted by slot, descending: find the last index whose slot >= seed_slot.
    if count == 0 || slot_at(0) < seed_slot || slot_at(count - 1) > seed_slot {
        return None;
    }
    let (mut lo, mut hi) = (0usize, count); // slot_at(lo) >= seed_slot; answer in [lo, hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if slot_at(mid) >= seed_slot {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let o = 8 + lo * ENTRY + 8;
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&data[o..o + 32]);
    Some(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot_hashes(entries: &[(u64, u8)]) -> Vec<u8> {
        let mut d = (entries.len() as u64).to_le_bytes().to_vec();
        for (s, h) in entries {
            d.extend_from_slice(&s.to_le_bytes());
            d.extend_from_slice(&[*h; 32]);
        }
        d
    }

    #[test]
    fn seed_lookup() {
        let d = slot_hashes(&[(20, 20), (19, 19), (17, 17), (16, 16), (15, 15)]);
        assert_eq!(seed_from_slot_hashes(&d, 21), None);
        assert_eq!(seed_from_slot_hashes(&d, 20), Some([20; 32]));
        assert_eq!(seed_from_slot_hashes(&d, 19), Some([19; 32]));
        // 18 was skipped: the next produced slot seeds the job.
        assert_eq!(seed_from_slot_hashes(&d, 18), Some([19; 32]));
        assert_eq!(seed_from_slot_hashes(&d, 15), Some([15; 32]));
        // Older than the history: the answer could be wrong, so there is none.
        assert_eq!(seed_from_slot_hashes(&d, 14), None);
        assert_eq!(seed_from_slot_hashes(&d, 3), None);
        assert_eq!(seed_from_slot_hashes(&[], 1), None);
        assert_eq!(seed_from_slot_hashes(&slot_hashes(&[]), 1), None);
        // A count larger than the data is clamped, not trusted.
        let mut bad = slot_hashes(&[(5, 5)]);
        bad[..8].copy_from_slice(&100u64.to_le_bytes());
        assert_eq!(seed_from_slot_hashes(&bad, 5), Some([5; 32]));
        // A truncated read that does not reach the seed slot gives nothing.
        let cut = slot_hashes(&[(12, 12), (11, 11), (10, 10)]);
        assert_eq!(seed_from_slot_hashes(&cut, 10), Some([10; 32]));
        assert_eq!(seed_from_slot_hashes(&cut, 9), None);
    }

    #[test]
    fn weights() {
        assert_eq!(weight(0, 100, 3), 0);
        assert_eq!(weight(5, 0, 3), 0);
        // 1/9 of the stake, 3 replicas: 3 * 3 / 9 = 1, less the rounding down of 1/9.
        assert!(ONE - weight(1, 9, 3) < 10);
        assert_eq!(weight(2, 9, 3), ONE); // 2: capped
                                          // 1/100 of the stake, 3 replicas: 9 %.
        let w = weight(1, 100, 3);
        assert!((w as f64 / ONE as f64 - 0.09).abs() < 1e-8, "{w}");
        // Huge stakes keep their ratio.
        let w = weight(u64::MAX / 100, u64::MAX, 1);
        assert!((w as f64 / ONE as f64 - 0.03).abs() < 1e-6, "{w}");
        // free above total (cannot happen on chain) is clamped.
        assert_eq!(weight(10, 5, 1), weight(5, 5, 1));
    }

    #[test]
    fn scores_and_eligibility() {
        assert_eq!(score(0, 0), u64::MAX);
        assert!(!eligible(score(0, 0)));
        assert!(eligible(score(9, 10)));
        assert!(!eligible(score(10, 10)));
        assert!(eligible(score(u32::MAX, ONE)));
        assert_eq!(score(1 << 31, ONE), 1 << 31);
        // A heavier weight ranks the same ticket better.
        assert!(score(1000, 2 * 5000) < score(1000, 5000));
    }

    #[test]
    fn tickets_bind_every_input() {
        let (j, p) = (
            Pubkey::new_from_array([1; 32]),
            Pubkey::new_from_array([2; 32]),
        );
        let t = ticket(&[3; 32], &j, &p);
        assert_ne!(t, ticket(&[4; 32], &j, &p));
        assert_ne!(t, ticket(&[3; 32], &p, &j));
        assert_eq!(t, ticket(&[3; 32], &j, &p));
    }

    #[test]
    fn late_stake_does_not_count() {
        assert_eq!(lottery_stake(10, 99, 100), 10);
        assert_eq!(lottery_stake(10, 100, 100), 0);
        assert_eq!(lottery_stake(10, 101, 100), 0);
    }

    #[test]
    fn slot_hashes_address() {
        assert_eq!(
            SLOT_HASHES_SYSVAR.to_string(),
            "SysvarS1otHashes111111111111111111111111111"
        );
    }

    #[test]
    fn phases_follow_the_post() {
        assert_eq!(phases(100), (102, 110));
        assert_eq!(phases(u64::MAX), (u64::MAX, u64::MAX));
    }
}
