//! Job results as providers publish them: the exit codes of deterministic failures, and the
//! result blob (`exit code ‖ output`) behind a revealed result URI.
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

/// Bytes of the result blob's header (the exit code, i32 little-endian).
pub const RESULT_BLOB_HEADER: usize = 4;

/// The result blob a provider publishes: `exit_code as i32 LE ‖ output`.
pub fn encode_result_blob(exit_code: i32, output: &[u8]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(RESULT_BLOB_HEADER + output.len());
    blob.extend_from_slice(&exit_code.to_le_bytes());
    blob.extend_from_slice(output);
    blob
}

/// Split a result blob into exit code and output; `None` if it is shorter than its header.
pub fn decode_result_blob(blob: &[u8]) -> Option<(i32, &[u8])> {
    let (head, output) = blob.split_at_checked(RESULT_BLOB_HEADER)?;
    let code = i32::from_le_bytes(head.try_into().ok()?);
    Some((code, output))
}

/// The result hash a result blob stands for (`None` if the blob is malformed).
pub fn result_blob_hash(blob: &[u8]) -> Option<Hash32> {
    decode_result_blob(blob).map(|(code, output)| result_hash(code, output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_round_trip_and_hash() {
        for (code, out) in [(0, &b"42\n"[..]), (EXIT_TRAP, &b""[..]), (7, &[0u8; 3][..])] {
            let blob = encode_result_blob(code, out);
            assert_eq!(decode_result_blob(&blob), Some((code, out)));
            assert_eq!(result_blob_hash(&blob), Some(result_hash(code, out)));
        }
        assert_eq!(decode_result_blob(&[1, 2, 3]), None);
        assert_ne!(
            result_blob_hash(&encode_result_blob(0, b"a")),
            result_blob_hash(&encode_result_blob(1, b"a"))
        );
    }

    #[test]
    fn failure_codes_are_distinct_and_named() {
        let codes = [
            EXIT_TRAP,
            EXIT_OUT_OF_FUEL,
            EXIT_OUTPUT_TOO_LARGE,
            EXIT_INVALID_MODULE,
        ];
        for (i, a) in codes.iter().enumerate() {
            assert!(*a < 0);
            for b in &codes[i + 1..] {
                assert_ne!(a, b);
            }
            assert!(!describe_exit(*a).starts_with("exit"));
        }
        assert_eq!(describe_exit(3), "exit 3");
    }
}
