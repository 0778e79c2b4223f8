//! Hash domains and the two protocol hashes. Domain strings are versioned: a change of
//! encoding gets a new domain, never a silent reinterpretation.
//!
//! On SBF the `sol_sha256` syscall does the hashing; on the host the `sha2` crate does.

use solana_pubkey::Pubkey;

/// Domain of a replica's commitment (commit-reveal).
pub const COMMIT_DOMAIN: &[u8] = b"depin-commit-v1";
/// Domain of a job result hash (exit status, output bytes and log bytes). v1 covered no logs.
pub const RESULT_DOMAIN: &[u8] = b"depin-result-v2";

/// Domain of a private job's result hash: keyed with the job's hash key, so a stranger who
/// guesses the output cannot confirm the guess against the chain.
pub const PRIVATE_RESULT_DOMAIN: &[u8] = b"depin-private-result-v1";
/// Domain of a private job's key commitment (stored on chain at posting): lets a claimant
/// check that the key it was sent is the job's, before it runs anything.
pub const KEY_COMMITMENT_DOMAIN: &[u8] = b"depin-key-v1";

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

/// `sha256(RESULT_DOMAIN ‖ exit_code as i32 LE ‖ output.len() as u64 LE ‖ output ‖
/// logs.len() as u64 LE ‖ logs)`.
///
/// The exit status is part of the result so that a deterministic failure is agreed on like
/// any other outcome; the logs (the module's stderr, capped at
/// [`crate::exec::MAX_LOG_BYTES`]) so that the logs a requester reads are the ones the
/// replicas agreed on; the length prefixes keep the encoding unambiguous.
pub fn result_hash(exit_code: i32, output: &[u8], logs: &[u8]) -> Hash32 {
    let code = exit_code.to_le_bytes();
    let len = (output.len() as u64).to_le_bytes();
    let logs_len = (logs.len() as u64).to_le_bytes();
    solana_sha256_hasher::hashv(&[RESULT_DOMAIN, &code, &len, output, &logs_len, logs]).to_bytes()
}

/// The result hash of a private job: `sha256(PRIVATE_RESULT_DOMAIN ‖ hash_key ‖ exit_code as
/// i32 LE ‖ output.len() as u64 LE ‖ output ‖ logs.len() as u64 LE ‖ logs)`, where `hash_key`
/// is derived from the job secret only claimants and the requester hold. The fixed-length key
/// right after the domain and the length prefixes keep the encoding unambiguous; replicas still
/// agree bit for bit, since they hash the same plaintext with the same key.
pub fn private_result_hash(
    hash_key: &Hash32,
    exit_code: i32,
    output: &[u8],
    logs: &[u8],
) -> Hash32 {
    let code = exit_code.to_le_bytes();
    let len = (output.len() as u64).to_le_bytes();
    let logs_len = (logs.len() as u64).to_le_bytes();
    solana_sha256_hasher::hashv(&[
        PRIVATE_RESULT_DOMAIN,
        hash_key,
        &code,
        &len,
        output,
        &logs_len,
        logs,
    ])
    .to_bytes()
}

/// `sha256(KEY_COMMITMENT_DOMAIN ‖ secret)`: what a private job publishes about its secret.
pub fn key_commitment(secret: &Hash32) -> Hash32 {
    solana_sha256_hasher::hashv(&[KEY_COMMITMENT_DOMAIN, secret]).to_bytes()
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
    fn result_hash_separates_status_output_and_logs() {
        assert_ne!(result_hash(0, b"", b""), result_hash(1, b"", b""));
        assert_ne!(result_hash(0, b"a", b""), result_hash(0, b"b", b""));
        assert_ne!(result_hash(0, b"", b""), result_hash(0, b"\0", b""));
        assert_ne!(result_hash(0, b"a", b""), result_hash(0, b"a", b"x"));
        // Bytes cannot move between output and logs unnoticed.
        assert_ne!(result_hash(0, b"ab", b""), result_hash(0, b"a", b"b"));
    }

    #[test]
    fn private_result_hash_is_keyed() {
        let a = private_result_hash(&[1; 32], 0, b"out", b"");
        assert_ne!(a, private_result_hash(&[2; 32], 0, b"out", b""));
        assert_ne!(a, result_hash(0, b"out", b""));
        assert_ne!(a, private_result_hash(&[1; 32], 1, b"out", b""));
        assert_ne!(
            private_result_hash(&[1; 32], 0, b"ab", b""),
            private_result_hash(&[1; 32], 0, b"a", b"b")
        );
        assert_ne!(key_commitment(&[1; 32]), key_commitment(&[2; 32]));
    }

    /// Known-answer vectors (computed independently with Python's hashlib) pin the encoding:
    /// the SDK, the worker and the programs must all produce exactly these bytes.
    #[test]
    fn known_answers() {
        let hex = |h: Hash32| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(result_hash(7, b"abc", b"warn")),
            "334085f1fce8b1f64786c382b0b67a3ec503ef05f912d3eade1c4afdaa7e2761"
        );
        assert_eq!(
            hex(result_hash(7, b"abc", b"")),
            "d31604414e65b612796d88352adabd43706cc612f3cff39b7040a50a72639694"
        );
        assert_eq!(
            hex(private_result_hash(&[5; 32], 7, b"abc", b"warn")),
            "b252465176035f756b8d76b6a1df0d42e5df58958bdb1433cb4078305779adbe"
        );
        assert_eq!(
            hex(key_commitment(&[5; 32])),
            "b8169c3d6120cd53668c774cca16dd597e6a9d8998fbd91b8bb1dcbeec404a69"
        );
        assert_eq!(
            hex(commitment(&key(1), &key(2), &[3; 32], &[4; 32])),
            "f763785c097632b87f110c17ce80bedae73a213100822f42a8126a82dec8e795"
        );
    }
}
