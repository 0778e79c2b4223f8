//! Job results as providers publish them: the exit codes of deterministic failures, and the
//! result blob (`exit code ‖ output length ‖ output ‖ logs`) behind a revealed result URI.
//!
//! A requester who fetches a result blob recomputes [`crate::hash::result_hash`] from it and
//! compares it with the job's agreed hash: the blob format carries exactly what the hash
//! covers, nothing the provider could vary.

use crate::hash::{result_hash, Hash32};

/// Exit code recorded when the module trapped (unreachable, out-of-bounds access, division by
/// zero, stack overflow, a failed `memory.grow` ending in an abort, a call to an import the
/// sandbox does not provide). The output is empty.
pub const EXIT_TRAP: i32 = -1;
/// Exit code recorded when the module used up the manifest's fuel. The output is empty.
pub const EXIT_OUT_OF_FUEL: i32 = -2;
/// Exit code recorded when the module wrote more than the manifest's output limit. The output
/// is empty.
pub const EXIT_OUTPUT_TOO_LARGE: i32 = -3;
/// Exit code recorded when the module is not valid WebAssembly for the sandbox (fails to
/// compile or to instantiate). The output is empty.
pub const EXIT_INVALID_MODULE: i32 = -4;

/// A human name for an exit code.
pub fn describe_exit(code: i32) -> String {
    match code {
        0 => "ok".into(),
        EXIT_TRAP => "trap".into(),
        EXIT_OUT_OF_FUEL => "out of fuel".into(),
        EXIT_OUTPUT_TOO_LARGE => "output too large".into(),
        EXIT_INVALID_MODULE => "invalid module".into(),
        n => format!("exit {n}"),
    }
}

/// Most log bytes (the module's stderr) a result carries; the sandbox keeps the first ones.
pub const MAX_LOG_BYTES: usize = 64 * 1024;

/// Bytes of the result blob's header (exit code i32 LE, output length u64 LE).
pub const RESULT_BLOB_HEADER: usize = 12;

/// One result: what the replicas agree on, and what the requester reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResultParts<'a> {
    /// Exit code or one of the `EXIT_*` failure codes.
    pub exit_code: i32,
    /// The module's stdout.
    pub output: &'a [u8],
    /// The module's stderr (at most [`MAX_LOG_BYTES`]).
    pub logs: &'a [u8],
}

impl ResultParts<'_> {
    /// The result hash ([`result_hash`]).
    pub fn hash(&self) -> Hash32 {
        result_hash(self.exit_code, self.output, self.logs)
    }
}

/// The result blob a provider publishes:
/// `exit_code as i32 LE ‖ output.len() as u64 LE ‖ output ‖ logs`.
pub fn encode_result_blob(exit_code: i32, output: &[u8], logs: &[u8]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(RESULT_BLOB_HEADER + output.len() + logs.len());
    blob.extend_from_slice(&exit_code.to_le_bytes());
    blob.extend_from_slice(&(output.len() as u64).to_le_bytes());
    blob.extend_from_slice(output);
    blob.extend_from_slice(logs);
    blob
}

/// Split a result blob; `None` if it is malformed (shorter than its header or its output
/// length, or carrying more than [`MAX_LOG_BYTES`] of logs).
pub fn decode_result_blob(blob: &[u8]) -> Option<ResultParts<'_>> {
    let (head, rest) = blob.split_at_checked(RESULT_BLOB_HEADER)?;
    let exit_code = i32::from_le_bytes(head[..4].try_into().ok()?);
    let len = usize::try_from(u64::from_le_bytes(head[4..].try_into().ok()?)).ok()?;
    let (output, logs) = rest.split_at_checked(len)?;
    (logs.len() <= MAX_LOG_BYTES).then_some(ResultParts {
        exit_code,
        output,
        logs,
    })
}

/// The result hash a result blob stands for (`None` if the blob is malformed).
pub fn result_blob_hash(blob: &[u8]) -> Option<Hash32> {
    decode_result_blob(blob).map(|r| r.hash())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_round_trip_and_hash() {
        for (code, out, logs) in [
            (0, &b"42\n"[..], &b""[..]),
            (EXIT_TRAP, &b""[..], &b"panicked at src/main.rs"[..]),
            (7, &[0u8; 3][..], &b"warn"[..]),
        ] {
            let blob = encode_result_blob(code, out, logs);
            let parts = decode_result_blob(&blob).unwrap();
            assert_eq!(
                (parts.exit_code, parts.output, parts.logs),
                (code, out, logs)
            );
            assert_eq!(result_blob_hash(&blob), Some(result_hash(code, out, logs)));
        }
        assert_eq!(decode_result_blob(&[1, 2, 3]), None);
        assert_ne!(
            result_blob_hash(&encode_result_blob(0, b"a", b"")),
            result_blob_hash(&encode_result_blob(1, b"a", b""))
        );
    }

    #[test]
    fn malformed_blobs_are_refused() {
        // An output length beyond the blob.
        let mut blob = encode_result_blob(0, b"abc", b"");
        blob[4] = 200;
        assert_eq!(decode_result_blob(&blob), None);
        // Logs over the cap.
        let big = vec![b'x'; MAX_LOG_BYTES + 1];
        assert_eq!(decode_result_blob(&encode_result_blob(0, b"", &big)), None);
        let max = vec![b'x'; MAX_LOG_BYTES];
        assert!(decode_result_blob(&encode_result_blob(0, b"", &max)).is_some());
    }
}
