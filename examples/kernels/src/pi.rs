//! Monte Carlo estimation of π: the sampling pattern behind risk, physics and rendering
//! workloads. Points are drawn from a SplitMix64 stream seeded by the input, so every machine
//! draws the same ones.
//!
//! Input: `samples seed` (text). Output: the estimate, the samples inside the quarter circle,
//! and the standard error.

use alloc::{format, vec::Vec};
use core::fmt::Write;

use crate::KernelResult;

/// Most samples accepted.
pub const MAX_SAMPLES: u64 = 1 << 40;

/// SplitMix64.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Estimate π.
pub fn run(input: &[u8]) -> KernelResult {
    let [samples, seed] = crate::parse_numbers::<2>(input, "pi")?;
    if samples == 0 || samples > MAX_SAMPLES {
        return Err(format!("pi: samples must be 1..={MAX_SAMPLES}"));
    }
    let mut rng = SplitMix64(seed);
    let mut inside = 0u64;
    for _ in 0..samples {
        let (x, y) = (rng.next_f64(), rng.next_f64());
        if x * x + y * y < 1.0 {
            inside += 1;
        }
    }
    let p = inside as f64 / samples as f64;
    // Standard error of 4p: 4 sqrt(p(1-p)/n), the square root by Newton's method (IEEE
    // arithmetic only, so identical everywhere).
    let var = p * (1.0 - p) / samples as f64;
    let mut s = if var > 0.0 { var } else { 0.0 };
    if s > 0.0 {
        let mut r = 1.0;
        for _ in 0..64 {
            r = 0.5 * (r + s / r);
        }
        s = r;
    }
    let mut out = alloc::string::String::new();
    let _ = writeln!(out, "monte-carlo-pi samples={samples} seed={seed}");
    let _ = writeln!(out, "inside {inside}");
    let _ = writeln!(out, "estimate {:.9}", 4.0 * p);
    let _ = writeln!(out, "std_error {:.9}", 4.0 * s);
    Ok(Vec::from(out.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn estimates_pi() {
        let out = super::run(b"200000 7").unwrap();
        let text = core::str::from_utf8(&out).unwrap();
        let est: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("estimate "))
            .unwrap()
            .parse()
            .unwrap();
        assert!((est - core::f64::consts::PI).abs() < 0.02, "{text}");
        assert_eq!(out, super::run(b"200000 7").unwrap());
        assert_ne!(out, super::run(b"200000 8").unwrap());
        assert!(super::run(b"0 1").is_err());
    }
}
