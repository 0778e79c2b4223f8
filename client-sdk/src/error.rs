//! The SDK's error type.

/// Everything the SDK can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Account data that is not the expected account type (wrong discriminator or layout).
    #[error("account {address} is not a valid {expected}: {reason}")]
    BadAccount {
        /// The account's address.
        address: String,
        /// The expected type.
        expected: &'static str,
        /// Why decoding failed.
        reason: String,
    },
    /// An account that does not exist.
    #[error("account {0} not found")]
    AccountNotFound(String),
}
