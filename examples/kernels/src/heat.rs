//! Heat diffusion on a plate: the explicit finite-difference stencil behind weather and
//! climate models, `u' = u + α (u_n + u_s + u_e + u_w − 4u)`, with the top edge held at 100 °C
//! and the other edges at 0 °C.
//!
//! Input: `nx ny steps` (text). Output: the plate's mean and centre temperature, the hottest
//! interior cell, and a checksum over every cell's bits (so any divergence shows).

use alloc::{format, vec, vec::Vec};
use core::fmt::Write;

use crate::KernelResult;

/// Diffusion number (stable below 0.25).
pub const ALPHA: f64 = 0.24;
/// Largest accepted grid side.
pub const MAX_SIDE: u64 = 4096;

/// Run the stencil.
pub fn run(input: &[u8]) -> KernelResult {
    let [nx, ny, steps] = crate::parse_numbers::<3>(input, "heat")?;
    if !(3..=MAX_SIDE).contains(&nx) || !(3..=MAX_SIDE).contains(&ny) {
        return Err(format!("heat: grid sides must be 3..={MAX_SIDE}"));
    }
    let (nx, ny) = (nx as usize, ny as usize);
    let mut u = vec![0.0f64; nx * ny];
    let mut next = u.clone();
    for x in 0..nx {
        u[x] = 100.0;
        next[x] = 100.0;
    }
    for _ in 0..steps {
        for y in 1..ny - 1 {
            let row = y * nx;
            for x in 1..nx - 1 {
                let i = row + x;
                let lap = u[i - nx] + u[i + nx] + u[i - 1] + u[i + 1] - 4.0 * u[i];
                next[i] = u[i] + ALPHA * lap;
            }
        }
        core::mem::swap(&mut u, &mut next);
    }
    let mut sum = 0.0;
    let mut hottest = (0.0f64, 0usize, 0usize);
    let mut checksum: u64 = 0;
    for y in 0..ny {
        for x in 0..nx {
            let t = u[y * nx + x];
            sum += t;
            checksum = checksum.rotate_left(5) ^ t.to_bits();
            if y > 0 && y < ny - 1 && x > 0 && x < nx - 1 && t > hottest.0 {
                hottest = (t, x, y);
            }
        }
    }
    let mut out = alloc::string::String::new();
    let _ = writeln!(out, "heat-diffusion {nx}x{ny} steps={steps} alpha={ALPHA}");
    let _ = writeln!(out, "mean_temperature {:.6}", sum / (nx * ny) as f64);
    let _ = writeln!(out, "center_temperature {:.6}", u[(ny / 2) * nx + nx / 2]);
    let _ = writeln!(
        out,
        "hottest_interior {:.6} at ({}, {})",
        hottest.0, hottest.1, hottest.2
    );
    let _ = writeln!(out, "checksum {checksum:016x}");
    Ok(Vec::from(out.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn heat_flows_down_from_the_top_edge() {
        let out = super::run(b"16 16 200").unwrap();
        let text = core::str::from_utf8(&out).unwrap();
        assert!(text.starts_with("heat-diffusion 16x16 steps=200"), "{text}");
        let hottest = text
            .lines()
            .find(|l| l.starts_with("hottest_interior"))
            .unwrap();
        assert!(
            hottest.ends_with("at (8, 1)") || hottest.ends_with("at (7, 1)"),
            "{hottest}"
        );
        assert_eq!(out, super::run(b"16 16 200").unwrap());
        assert_ne!(out, super::run(b"16 16 201").unwrap());
        assert!(super::run(b"2 16 1").is_err());
        assert!(super::run(b"16 16").is_err());
    }
}
