//! Hash domains and the two protocol hashes. Domain strings are versioned: a change of
//! encoding gets a new domain, never a silent reinterpretation.
//!
//! On SBF the `sol_sha256` syscall does the hashing; on the host the `sha2` crate does.

use solana_pubkey::Pubkey;

/// Domain of a replica's commitment (commit-reveal).
pub const COMMIT_DOMAIN: &[u8] = b"depin-commit-v1";
/// Domain of a job result hash (exit status + output bytes).
pub const RESULT_DOMAIN: &[u8] = b"depin-result-v1";

/// A 32-byte SHA-256 digest.
pub type Hash32 = [u8; 32];

/// `sha256(COMMIT_DOMAIN ‖ job ‖ provider ‖ result_hash ‖ salt)`.
///
/// Binding the job and the provider means a commitment cannot be replayed on another job or
/// copied by another provider; the salt hides the result hash until the reveal.
pub fn commitment(job: &Pubkey, provider: &Pubkey, result_hash: &Hash32, salt: &Hash32) -> Hash32 {
    solana_sha256_hasher::hashv(&[
        COMMIT_DOMAIN,
        job.as_ref(),
        provider.as_ref(),
        result_hash,
        salt,
    ])
    .to_bytes()
}

/// `sha256(RESULT_DOMAIN ‖ exit_code as i32 LE ‖ output.len() as u64 LE ‖ output)`.
///
/// The exit status is part of the result so that a deterministic failure is agreed on like
/// any other outcome; the length prefix keeps the encoding unambiguous.
pub fn result_hash(exit_code: i32, output: &[u8]) -> Hash32 {
    let code = exit_code.to_le_bytes();
    let len = (output.len() as u64).to_le_bytes();
    solana_sha256_hasher::hashv(&[RESULT_DOMAIN, &code, &len, output]).to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Pubkey {
        Pubkey::new_from_array([b; 32])
    }

    #[test]
    fn commitment_binds_every_field() {
        let base = commitment(&key(1), &key(2), &[3; 32], &[4; 32]);
        assert_ne!(base, commitment(&key(9), &key(2), &[3; 32], &[4; 32]));
        assert_ne!(base, commitment(&key(1), &key(9), &[3; 32], &[4; 32]));
        assert_ne!(base, commitment(&key(1), &key(2), &[9; 32], &[4; 32]));
        assert_ne!(base, commitment(&key(1), &key(2), &[3; 32], &[9; 32]));
        assert_eq!(base, commitment(&key(1), &key(2), &[3; 32], &[4; 32]));
    }

    #[test]
    fn result_hash_separates_status_and_output() {
        assert_ne!(result_hash(0, b""), result_hash(1, b""));
        assert_ne!(result_hash(0, b"a"), result_hash(0, b"b"));
        assert_ne!(result_hash(0, b""), result_hash(0, b"\0"));
    }

    /// Known-answer vectors (computed independently with Python's hashlib) pin the encoding:
    /// the SDK, the worker and the programs must all produce exactly these bytes.
    #[test]
    fn known_answers() {
        let hex = |h: Hash32| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(result_hash(7, b"abc")),
            "39f6ab6038200a6a5085550fc6a5146c4a38433515ebd2981c0d5a564f585a64"
        );
        assert_eq!(
            hex(commitment(&key(1), &key(2), &[3; 32], &[4; 32])),
            "f763785c097632b87f110c17ce80bedae73a213100822f42a8126a82dec8e795"
        );
    }
}
