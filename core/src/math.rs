//! Overflow-safe `u64` arithmetic that is correct on the upstream-LLVM SBF route.
//!
//! Rules (see `docs/sbf-toolchain.md`): no `u128`, no `checked_mul` / `overflowing_mul` / `*`
//! under overflow checks, because the BPF backend of upstream LLVM turns those into a call whose
//! result is 0. Bounds are checked by division, then a wrapping multiply does the work.
//! Fees round up, payouts round down.

use crate::limits::BPS_DENOMINATOR;

/// An arithmetic failure, mapped to a program error by each program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathError {
    /// A result does not fit in a `u64`.
    Overflow,
    /// A subtraction would go below zero.
    Underflow,
    /// Division by zero.
    DivideByZero,
    /// A basis-point rate above 10 000.
    InvalidBps,
}

impl core::fmt::Display for MathError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            MathError::Overflow => "arithmetic overflow",
            MathError::Underflow => "arithmetic underflow",
            MathError::DivideByZero => "division by zero",
            MathError::InvalidBps => "basis points above 10000",
        })
    }
}

impl std::error::Error for MathError {}

/// `a + b`, or [`MathError::Overflow`].
#[inline]
pub fn add(a: u64, b: u64) -> Result<u64, MathError> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

/// `a - b`, or [`MathError::Underflow`].
#[inline]
pub fn sub(a: u64, b: u64) -> Result<u64, MathError> {
    a.checked_sub(b).ok_or(MathError::Underflow)
}

/// `a * b`, or [`MathError::Overflow`], from 32-bit halves.
///
/// Not `a != 0 && b > u64::MAX / a` + multiply: LLVM recognises that idiom and folds it back
/// into `umul.with.overflow`, which the upstream BPF backend miscompiles (the linker check
/// caught exactly that in `post_job`). With `a = ah·2³² + al` and `b = bh·2³² + bl`:
/// `ah·bh ≠ 0` overflows; otherwise `a·b = (ah·bl + al·bh)·2³² + al·bl`, where at most one
/// cross term is non-zero and every partial product fits in 64 bits.
#[inline]
pub fn mul(a: u64, b: u64) -> Result<u64, MathError> {
    const LO: u64 = 0xffff_ffff;
    let (ah, al, bh, bl) = (a >> 32, a & LO, b >> 32, b & LO);
    if ah != 0 && bh != 0 {
        return Err(MathError::Overflow);
    }
    let cross = ah.wrapping_mul(bl) | al.wrapping_mul(bh); // one of the two is 0
    if cross > LO {
        return Err(MathError::Overflow);
    }
    add(cross << 32, al.wrapping_mul(bl))
}

/// `a / b`, or [`MathError::DivideByZero`].
#[inline]
pub fn div(a: u64, b: u64) -> Result<u64, MathError> {
    if b == 0 {
        return Err(MathError::DivideByZero);
    }
    Ok(a / b)
}

/// `i64` seconds `t + d`, or [`MathError::Overflow`] (timestamps and windows).
#[inline]
pub fn add_seconds(t: i64, d: i64) -> Result<i64, MathError> {
    t.checked_add(d).ok_or(MathError::Overflow)
}

/// Split `amount * bps / 10_000` into an exact quotient and the remainder numerator:
/// with `amount = q * 10_000 + r`, `amount * bps = q * bps * 10_000 + r * bps`.
/// `q * bps <= amount` and `r * bps < 10^8`, so neither product can overflow.
#[inline]
fn bps_parts(amount: u64, bps: u16) -> Result<(u64, u64), MathError> {
    let bps = bps as u64;
    if bps > BPS_DENOMINATOR {
        return Err(MathError::InvalidBps);
    }
    let q = amount / BPS_DENOMINATOR;
    let r = amount % BPS_DENOMINATOR;
    Ok((q.wrapping_mul(bps), r.wrapping_mul(bps)))
}

/// `floor(amount * bps / 10_000)`, exact for every `u64` amount: used for payouts and slashes.
#[inline]
pub fn bps_floor(amount: u64, bps: u16) -> Result<u64, MathError> {
    let (whole, rem) = bps_parts(amount, bps)?;
    // whole + rem / 10_000 <= amount: cannot overflow.
    Ok(whole + rem / BPS_DENOMINATOR)
}

/// `ceil(amount * bps / 10_000)`, exact for every `u64` amount: used for fees.
#[inline]
pub fn bps_ceil(amount: u64, bps: u16) -> Result<u64, MathError> {
    let (whole, rem) = bps_parts(amount, bps)?;
    let up = if rem % BPS_DENOMINATOR == 0 { 0 } else { 1 };
    // <= amount as well: ceil(amount * bps / 10_000) <= amount for bps <= 10_000.
    Ok(whole + rem / BPS_DENOMINATOR + up)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mul_edges() {
        assert_eq!(mul(0, u64::MAX), Ok(0));
        assert_eq!(mul(u64::MAX, 0), Ok(0));
        assert_eq!(mul(1, u64::MAX), Ok(u64::MAX));
        assert_eq!(mul(u64::MAX, 1), Ok(u64::MAX));
        assert_eq!(mul(u64::MAX, 2), Err(MathError::Overflow));
        assert_eq!(mul(1 << 32, 1 << 32), Err(MathError::Overflow));
        assert_eq!(mul((1 << 32) - 1, (1 << 32) + 1), Ok(u64::MAX));
        assert_eq!(mul(u64::MAX / 3, 3), Ok(u64::MAX / 3 * 3));
        assert_eq!(mul(u64::MAX / 3 + 1, 3), Err(MathError::Overflow));
    }

    #[test]
    fn add_sub_div_edges() {
        assert_eq!(add(u64::MAX, 0), Ok(u64::MAX));
        assert_eq!(add(u64::MAX, 1), Err(MathError::Overflow));
        assert_eq!(sub(0, 1), Err(MathError::Underflow));
        assert_eq!(sub(u64::MAX, u64::MAX), Ok(0));
        assert_eq!(div(u64::MAX, 0), Err(MathError::DivideByZero));
        assert_eq!(div(u64::MAX, u64::MAX), Ok(1));
        assert_eq!(add_seconds(i64::MAX, 1), Err(MathError::Overflow));
        assert_eq!(add_seconds(-5, 10), Ok(5));
    }

    #[test]
    fn bps_edges() {
        assert_eq!(bps_floor(u64::MAX, 10_000), Ok(u64::MAX));
        assert_eq!(bps_ceil(u64::MAX, 10_000), Ok(u64::MAX));
        assert_eq!(bps_floor(u64::MAX, 0), Ok(0));
        assert_eq!(bps_ceil(u64::MAX, 0), Ok(0));
        assert_eq!(bps_floor(1, 1), Ok(0));
        assert_eq!(bps_ceil(1, 1), Ok(1));
        assert_eq!(bps_floor(10_000, 1), Ok(1));
        assert_eq!(bps_ceil(10_001, 1), Ok(2));
        assert_eq!(bps_floor(u64::MAX, 5_000), Ok(u64::MAX / 2));
        assert_eq!(bps_ceil(u64::MAX, 5_000), Ok(u64::MAX / 2 + 1));
        assert_eq!(bps_floor(5, 10_001), Err(MathError::InvalidBps));
        assert_eq!(bps_ceil(5, u16::MAX), Err(MathError::InvalidBps));
    }

    proptest! {
        /// The division-guarded multiply agrees with the 128-bit reference on the host.
        #[test]
        fn mul_matches_u128(a: u64, b: u64) {
            let wide = a as u128 * b as u128;
            let expect = if wide > u64::MAX as u128 { Err(MathError::Overflow) } else { Ok(wide as u64) };
            prop_assert_eq!(mul(a, b), expect);
        }

        #[test]
        fn mul_small_operands(a in 0u64..=u32::MAX as u64, b in 0u64..=u32::MAX as u64 + 2) {
            prop_assert_eq!(mul(a, b).ok().map(|v| v as u128), (a as u128).checked_mul(b as u128).filter(|v| *v <= u64::MAX as u128));
        }

        /// Floor and ceil agree with exact rational arithmetic for every amount and rate.
        #[test]
        fn bps_match_u128(amount: u64, bps in 0u16..=10_000) {
            let num = amount as u128 * bps as u128;
            prop_assert_eq!(bps_floor(amount, bps).unwrap() as u128, num / 10_000);
            prop_assert_eq!(bps_ceil(amount, bps).unwrap() as u128, num.div_ceil(10_000));
        }

        /// A fee rounded up and the complementary payout rounded down add up to the amount
        /// exactly: no unit is created or lost by rounding.
        #[test]
        fn fee_and_payout_conserve(amount: u64, bps in 0u16..=10_000) {
            let fee = bps_ceil(amount, bps).unwrap();
            prop_assert!(fee <= amount);
            let rest = bps_floor(amount, 10_000 - bps).unwrap();
            prop_assert_eq!(fee + rest, amount);
        }
    }
}
