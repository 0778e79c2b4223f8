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
    /// The RPC endpoint could not be reached or answered with an error (after retries).
    #[error("RPC error: {0}")]
    Rpc(String),
    /// A program refused the transaction with one of its errors.
    #[error("{program} refused the transaction: {name} ({code}): {message}")]
    Program {
        /// `depin_staking`, `depin_jobs`, or the failing program's address.
        program: String,
        /// The custom error code.
        code: u32,
        /// The error's name (`JobFull`, `InsufficientFreeStake`, ...).
        name: String,
        /// Its message.
        message: String,
    },
    /// The transaction failed for another reason (runtime error, not a program error code).
    #[error("transaction failed: {0}")]
    Transaction(String),
    /// Gave up waiting.
    #[error("timed out: {0}")]
    Timeout(String),
    /// A blob could not be read, written or verified.
    #[error(transparent)]
    Blob(#[from] crate::blob::BlobError),
    /// A manifest was refused.
    #[error(transparent)]
    Manifest(#[from] crate::manifest::ManifestError),
    /// A private job's key, blob or result refused to open (or to be sealed).
    #[error(transparent)]
    Privacy(#[from] crate::privacy::PrivacyError),
    /// A request the SDK refuses before sending anything (the reason says what to change).
    #[error("{0}")]
    Invalid(String),
}

/// Name and message of custom error `code` of program `program_id`, from the programs' IDL.
pub fn program_error(program_id: &str, code: u32) -> Option<(String, String)> {
    let idl = if program_id == crate::JOBS_PROGRAM_ID.to_string() {
        include_str!("../../idl/depin_jobs.json")
    } else if program_id == crate::STAKING_PROGRAM_ID.to_string() {
        include_str!("../../idl/depin_staking.json")
    } else {
        return None;
    };
    let idl: serde_json::Value = serde_json::from_str(idl).ok()?;
    idl["errors"].as_array()?.iter().find_map(|e| {
        (e["code"].as_u64()? == code as u64).then(|| {
            (
                e["name"].as_str().unwrap_or_default().to_owned(),
                e["msg"].as_str().unwrap_or_default().to_owned(),
            )
        })
    })
}

/// The program name for an address of ours.
pub fn program_name(program_id: &str) -> String {
    if program_id == crate::JOBS_PROGRAM_ID.to_string() {
        "depin_jobs".into()
    } else if program_id == crate::STAKING_PROGRAM_ID.to_string() {
        "depin_staking".into()
    } else if program_id == anchor_spl::token::ID.to_string() {
        "spl_token".into()
    } else {
        program_id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_come_from_the_idl() {
        let jobs = crate::JOBS_PROGRAM_ID.to_string();
        let staking = crate::STAKING_PROGRAM_ID.to_string();
        let code: u32 = depin_jobs::JobsError::JobFull.into();
        assert_eq!(program_error(&jobs, code).unwrap().0, "JobFull");
        let code: u32 = depin_staking::StakingError::InsufficientFreeStake.into();
        assert_eq!(
            program_error(&staking, code).unwrap().0,
            "InsufficientFreeStake"
        );
        assert_eq!(
            program_error("11111111111111111111111111111111", 6000),
            None
        );
    }
}
