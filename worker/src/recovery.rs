//! What a worker can rebuild when its journal is lost, and the guard that stops it from
//! silently starting over.
//!
//! The salt behind a commitment is the one secret the chain does not hold. It is derived, not
//! drawn: `salt = sha256("depin-salt-v1" ‖ sign(operator key, "depin-salt-v1" ‖ job ‖ result
//! hash))`. Ed25519 signatures are deterministic (RFC 8032), so the operator key alone
//! recomputes it, and nobody without that key can: the commitment stays hiding. A worker that
//! lost its journal re-runs the job (the result is deterministic), derives the salt, checks
//! that it opens the commitment on chain, and reveals: an honest provider is not slashed for a
//! lost disk.
//!
//! A worker that finds an empty journal while the chain shows it holding slots of open jobs
//! refuses to start unless told to recover (`--recover`): an empty journal there means a lost
//! disk or a wrong `data_dir`, which the operator should know about.

use anchor_lang::prelude::Pubkey;
use depin_core::hash::Hash32;
use solana_sdk::signature::{Keypair, Signer};

const DOMAIN: &[u8] = b"depin-salt-v1";

/// The commitment salt of `job` with result hash `result`, for the operator key `me`.
pub fn derived_salt(me: &Keypair, job: &Pubkey, result: &Hash32) -> [u8; 32] {
    let mut message = Vec::with_capacity(DOMAIN.len() + 64);
    message.extend_from_slice(DOMAIN);
    message.extend_from_slice(job.as_ref());
    message.extend_from_slice(result);
    let signature = me.sign_message(&message);
    let mut preimage = DOMAIN.to_vec();
    preimage.extend_from_slice(signature.as_ref());
    depin_client::blob::sha256(&preimage)
}

/// The refusal to start on an empty journal while `held` (open jobs with a slot of this
/// provider) is not empty.
pub fn refuse_fresh_start(journal: &std::path::Path, held: &[Pubkey]) -> anyhow::Error {
    let shown: Vec<String> = held.iter().take(5).map(Pubkey::to_string).collect();
    anyhow::anyhow!(
        "the journal {} is empty, but the chain shows this provider holding a slot in {} open \
         job(s) ({}{}): the journal was lost, or this is not the worker's data_dir. Start with \
         --recover to re-run those jobs and recover the commitments' salts from the operator \
         key (a slot whose result cannot be recovered is left to expire at the no-show rate)",
        journal.display(),
        held.len(),
        shown.join(", "),
        if held.len() > shown.len() {
            ", …"
        } else {
            ""
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_salt_is_recomputable_by_the_key_only() {
        let me = Keypair::new();
        let job = Pubkey::new_unique();
        let r = [7u8; 32];
        let salt = derived_salt(&me, &job, &r);
        assert_eq!(salt, derived_salt(&me, &job, &r), "deterministic");
        assert_ne!(salt, derived_salt(&Keypair::new(), &job, &r), "another key");
        assert_ne!(
            salt,
            derived_salt(&me, &Pubkey::new_unique(), &r),
            "another job"
        );
        assert_ne!(salt, derived_salt(&me, &job, &[8u8; 32]), "another result");
    }
}
