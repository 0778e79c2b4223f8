//! k-mer counting over a FASTA file: the first step of genome assembly and of alignment-free
//! sequence comparison. Counts canonical k-mers (a k-mer and its reverse complement are one),
//! skipping any window that contains a base other than A, C, G, T.
//!
//! Args: `k` (1..=31, default 21) and `top` (default 10). Output: totals and the `top` most
//! frequent canonical k-mers (ties broken by sequence).

use alloc::{format, string::String, vec::Vec};
use core::fmt::Write;

use crate::KernelResult;

fn base(b: u8) -> Option<u64> {
    match b {
        b'A' | b'a' => Some(0),
        b'C' | b'c' => Some(1),
        b'G' | b'g' => Some(2),
        b'T' | b't' => Some(3),
        _ => None,
    }
}

fn decode(kmer: u64, k: usize) -> String {
    (0..k)
        .rev()
        .map(|i| b"ACGT"[((kmer >> (2 * i)) & 3) as usize] as char)
        .collect()
}

/// Count k-mers.
pub fn run(args: &[&str], input: &[u8]) -> KernelResult {
    let num = |i: usize, default: u64, name: &str| -> Result<u64, String> {
        match args.get(i) {
            None => Ok(default),
            Some(a) => a
                .parse()
                .map_err(|_| format!("kmer: {name} `{a}` is not a number")),
        }
    };
    let k = num(0, 21, "k")? as usize;
    let top = num(1, 10, "top")? as usize;
    if !(1..=31).contains(&k) {
        return Err("kmer: k must be 1..=31".into());
    }
    let mask = (1u64 << (2 * k)) - 1;
    let shift = 2 * (k - 1);
    let mut kmers = Vec::new();
    let (mut records, mut bases) = (0u64, 0u64);
    let (mut fwd, mut rev, mut len) = (0u64, 0u64, 0usize);
    for line in input.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // A record's sequence may span lines: the rolling window continues across line
        // breaks and is reset by a header or a base other than A, C, G, T.
        if line.first() == Some(&b'>') {
            records += 1;
            len = 0;
            continue;
        }
        for &b in line {
            bases += 1;
            match base(b) {
                Some(x) => {
                    fwd = ((fwd << 2) | x) & mask;
                    rev = (rev >> 2) | ((3 - x) << shift);
                    len += 1;
                    if len >= k {
                        kmers.push(fwd.min(rev));
                    }
                }
                None => len = 0,
            }
        }
    }
    if records == 0 {
        return Err("kmer: input has no FASTA record (no line starting with '>')".into());
    }
    let total = kmers.len();
    kmers.sort_unstable();
    let mut counts: Vec<(u64, u64)> = Vec::new();
    for kmer in kmers {
        match counts.last_mut() {
            Some((last, n)) if *last == kmer => *n += 1,
            _ => counts.push((kmer, 1)),
        }
    }
    let distinct = counts.len();
    counts.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = String::new();
    let _ = writeln!(out, "kmer-count k={k} records={records} bases={bases}");
    let _ = writeln!(out, "total_kmers {total}");
    let _ = writeln!(out, "distinct_canonical_kmers {distinct}");
    for (kmer, n) in counts.iter().take(top) {
        let _ = writeln!(out, "{}\t{n}", decode(*kmer, k));
    }
    Ok(Vec::from(out.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_canonical_kmers() {
        // AAC and its reverse complement GTT are one canonical k-mer.
        let out = super::run(&["3", "2"], b">r1\nAACNAAC\n>r2\nGTT\n").unwrap();
        let text = core::str::from_utf8(&out).unwrap();
        assert!(text.contains("records=2"), "{text}");
        assert!(text.contains("total_kmers 3"), "{text}");
        assert!(text.contains("distinct_canonical_kmers 1"), "{text}");
        assert!(text.contains("AAC\t3"), "{text}");
        // Windows span line breaks within a record.
        let split = super::run(&["3"], b">r\nAA\nC\n").unwrap();
        assert!(core::str::from_utf8(&split)
            .unwrap()
            .contains("total_kmers 1"));
        assert!(super::run(&["0"], b">r\nA\n").is_err());
        assert!(super::run(&["3"], b"ACGT\n").is_err());
        assert!(super::run(&["x"], b">r\n").is_err());
    }
}
