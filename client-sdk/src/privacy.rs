//! Private jobs: inputs sealed to the claimants, outputs readable only by the requester.
//! docs/privacy.md has the threat model; this module is the cryptography, all of it from
//! audited RustCrypto / dalek crates in libsodium-compatible constructions:
//!
//! - **Job secret** (32 bytes): `sha256` of the requester's ed25519 signature over
//!   `"depin-job-secret-v1" ‖ job` (deterministic, RFC 8032), so the requester never stores it
//!   and can always derive it again. Its `depin_core::hash::key_commitment` is posted on chain.
//! - **Sealed blobs** (input, optionally the module): XSalsa20-Poly1305 (`crypto_secretbox`)
//!   under a key HKDF-SHA256-derived from the secret, the job and the blob's role, so a module
//!   ciphertext can never be passed off as the input or moved to another job.
//! - **Key envelopes**: the secret in a libsodium sealed box (`crypto_box_seal`) to the
//!   claimant's operator key, converted from ed25519 to X25519 the standard way
//!   (`crypto_sign_ed25519_pk_to_curve25519`), stored on chain by `deliver_key`.
//! - **Sealed results**: the result blob (output and logs) in a sealed box to the requester's
//!   wallet key, converted the same way, so any libsodium binding can open it too.
//! - **Keyed result hash**: `depin_core::hash::private_result_hash` with a hash key derived
//!   from the secret, so a stranger cannot confirm a guessed output against the chain.

use anchor_lang::prelude::Pubkey;
use crypto_box::aead::{Aead, AeadCore, KeyInit, OsRng};
use crypto_secretbox::XSalsa20Poly1305;
use depin_core::{hash, limits};
use sha2::{Digest, Sha256, Sha512};
use solana_sdk::signature::{Keypair, Signer};
use zeroize::Zeroizing;

use depin_core::hash::Hash32;

/// Domain of the signature a job secret is derived from.
const SECRET_DOMAIN: &[u8] = b"depin-job-secret-v1";
/// HKDF info of the result hash key.
const HASH_KEY_INFO: &[u8] = b"depin-result-key-v1";
/// Prefix of a blob sealed with the job secret (then a 24-byte nonce, then the ciphertext).
pub const SEALED_BLOB_MAGIC: &[u8; 8] = b"DPNSEAL1";
/// Prefix of a result sealed to the requester (then a libsodium sealed box).
pub const SEALED_RESULT_MAGIC: &[u8; 8] = b"DPNSBOX1";
/// Bytes a sealed result adds to its plaintext (magic, ephemeral key, tag).
pub const SEALED_RESULT_OVERHEAD: usize = 8 + 32 + 16;
/// Bytes a sealed blob adds to its plaintext (magic, nonce, tag).
pub const SEALED_BLOB_OVERHEAD: usize = 8 + 24 + 16;

/// What a sealed blob is; part of its key, so one cannot stand in for the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobRole {
    /// The WebAssembly module.
    Module,
    /// The input on the module's stdin.
    Input,
}

impl BlobRole {
    fn info(self) -> &'static [u8] {
        match self {
            BlobRole::Module => b"depin-blob-v1:module",
            BlobRole::Input => b"depin-blob-v1:input",
        }
    }
}

/// Why a private job's cryptography refused something.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrivacyError {
    /// The key is not a valid ed25519 point, so it has no X25519 form.
    #[error("{0} is not a valid ed25519 public key: nothing can be sealed to it")]
    BadPublicKey(Pubkey),
    /// A sealed box or blob did not open with the key at hand.
    #[error("{0} does not open with this key (sealed to another key, or corrupted)")]
    DoesNotOpen(&'static str),
    /// The envelope opened but holds another secret than the job committed to.
    #[error("the key envelope holds a secret that does not match the job's key commitment")]
    WrongSecret,
    /// The bytes are not in the expected sealed format.
    #[error("{0} is not a sealed depin blob")]
    NotSealed(&'static str),
}

/// A private job's secret. Wiped from memory when dropped; never written anywhere.
#[derive(Clone)]
pub struct JobSecret(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for JobSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobSecret(..)")
    }
}

impl JobSecret {
    /// The secret of `job` posted by `requester`: `sha256(ed25519 signature over
    /// "depin-job-secret-v1" ‖ job)`. Deterministic, so nothing has to be kept.
    pub fn derive(requester: &Keypair, job: &Pubkey) -> Self {
        let mut msg = SECRET_DOMAIN.to_vec();
        msg.extend_from_slice(job.as_ref());
        let sig = Zeroizing::new(<[u8; 64]>::from(requester.sign_message(&msg)));
        JobSecret(Zeroizing::new(Sha256::digest(&sig[..]).into()))
    }

    /// What is posted on chain about this secret.
    pub fn commitment(&self) -> Hash32 {
        hash::key_commitment(&self.0)
    }

    fn expand(&self, job: &Pubkey, info: &[u8]) -> Zeroizing<[u8; 32]> {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(job.as_ref()), &self.0[..]);
        let mut out = Zeroizing::new([0u8; 32]);
        hk.expand(info, &mut out[..])
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }

    /// The key `job`'s result hash is keyed with.
    pub fn hash_key(&self, job: &Pubkey) -> Zeroizing<Hash32> {
        self.expand(job, HASH_KEY_INFO)
    }

    /// `depin_core::hash::private_result_hash` of a result of `job`.
    pub fn result_hash(&self, job: &Pubkey, exit_code: i32, output: &[u8], logs: &[u8]) -> Hash32 {
        hash::private_result_hash(&self.hash_key(job), exit_code, output, logs)
    }

    fn blob_cipher(&self, job: &Pubkey, role: BlobRole) -> XSalsa20Poly1305 {
        let key = self.expand(job, role.info());
        XSalsa20Poly1305::new((&*key).into())
    }

    /// Seal `plaintext` as `job`'s `role` blob: magic, random nonce, ciphertext.
    pub fn seal_blob(&self, job: &Pubkey, role: BlobRole, plaintext: &[u8]) -> Vec<u8> {
        let nonce = XSalsa20Poly1305::generate_nonce(&mut OsRng);
        let ct = self
            .blob_cipher(job, role)
            .encrypt(&nonce, plaintext)
            .expect("XSalsa20-Poly1305 encrypts any in-memory length");
        let mut out = Vec::with_capacity(SEALED_BLOB_OVERHEAD + plaintext.len());
        out.extend_from_slice(SEALED_BLOB_MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Open `job`'s sealed `role` blob.
    pub fn open_blob(
        &self,
        job: &Pubkey,
        role: BlobRole,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, PrivacyError> {
        let what = match role {
            BlobRole::Module => "sealed module",
            BlobRole::Input => "sealed input",
        };
        let body = sealed
            .strip_prefix(SEALED_BLOB_MAGIC)
            .filter(|b| b.len() >= 24 + 16)
            .ok_or(PrivacyError::NotSealed(what))?;
        let (nonce, ct) = body.split_at(24);
        self.blob_cipher(job, role)
            .decrypt(nonce.into(), ct)
            .map(Zeroizing::new)
            .map_err(|_| PrivacyError::DoesNotOpen(what))
    }
}

/// The X25519 form of ed25519 public key `key` (the birational map from Edwards to Montgomery
/// form, libsodium's `crypto_sign_ed25519_pk_to_curve25519`).
pub fn x25519_public(key: &Pubkey) -> Result<crypto_box::PublicKey, PrivacyError> {
    let point = curve25519_dalek::edwards::CompressedEdwardsY(key.to_bytes())
        .decompress()
        .filter(|p| !p.is_small_order())
        .ok_or(PrivacyError::BadPublicKey(*key))?;
    Ok(crypto_box::PublicKey::from_bytes(
        point.to_montgomery().to_bytes(),
    ))
}

/// The X25519 secret of `keypair`: the first half of `sha512(seed)` (clamped by X25519), as
/// libsodium's `crypto_sign_ed25519_sk_to_curve25519`; its public key is
/// [`x25519_public`]`(keypair.pubkey())`.
pub fn x25519_secret(keypair: &Keypair) -> crypto_box::SecretKey {
    let h = Zeroizing::new(<[u8; 64]>::from(Sha512::digest(keypair.secret_bytes())));
    let mut scalar = [0u8; 32];
    scalar.copy_from_slice(&h[..32]);
    let key = crypto_box::SecretKey::from_bytes(scalar);
    zeroize::Zeroize::zeroize(&mut scalar);
    key
}

/// The randomness interface sealing takes (re-exported for callers that bring their own).
pub use crypto_box::aead::rand_core;

/// Seal `secret` to the operator key `operator` (the envelope `deliver_key` stores).
pub fn seal_envelope(
    operator: &Pubkey,
    secret: &JobSecret,
) -> Result<[u8; limits::ENVELOPE_LEN], PrivacyError> {
    seal_envelope_with(operator, secret, &mut OsRng)
}

/// [`seal_envelope`] with the ephemeral key drawn from `rng` (tests that must be reproducible
/// bring a seeded one; everything else uses the OS's).
pub fn seal_envelope_with(
    operator: &Pubkey,
    secret: &JobSecret,
    rng: &mut impl rand_core::CryptoRngCore,
) -> Result<[u8; limits::ENVELOPE_LEN], PrivacyError> {
    let sealed = x25519_public(operator)?
        .seal(rng, &secret.0[..])
        .expect("a sealed box of 32 bytes always encrypts");
    let mut out = [0u8; limits::ENVELOPE_LEN];
    out.copy_from_slice(&sealed);
    Ok(out)
}

/// Open the envelope delivered to `operator` and check it against the job's key commitment.
pub fn open_envelope(
    operator: &Keypair,
    envelope: &[u8; limits::ENVELOPE_LEN],
    key_commitment: &Hash32,
) -> Result<JobSecret, PrivacyError> {
    let opened = Zeroizing::new(
        x25519_secret(operator)
            .unseal(envelope)
            .map_err(|_| PrivacyError::DoesNotOpen("key envelope"))?,
    );
    let mut bytes = Zeroizing::new([0u8; 32]);
    if opened.len() != 32 {
        return Err(PrivacyError::DoesNotOpen("key envelope"));
    }
    bytes.copy_from_slice(&opened);
    let secret = JobSecret(bytes);
    if secret.commitment() != *key_commitment {
        return Err(PrivacyError::WrongSecret);
    }
    Ok(secret)
}

/// Seal a result blob to `requester`'s wallet key: magic, then a libsodium sealed box.
pub fn seal_result(requester: &Pubkey, blob: &[u8]) -> Result<Vec<u8>, PrivacyError> {
    let sealed = x25519_public(requester)?
        .seal(&mut OsRng, blob)
        .expect("a sealed box encrypts any in-memory length");
    let mut out = Vec::with_capacity(SEALED_RESULT_MAGIC.len() + sealed.len());
    out.extend_from_slice(SEALED_RESULT_MAGIC);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Whether `bytes` is a result sealed to a requester.
pub fn is_sealed_result(bytes: &[u8]) -> bool {
    bytes.starts_with(SEALED_RESULT_MAGIC)
}

/// Open a result sealed to `requester`'s wallet key.
pub fn open_result(requester: &Keypair, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, PrivacyError> {
    let body = sealed
        .strip_prefix(SEALED_RESULT_MAGIC)
        .ok_or(PrivacyError::NotSealed("result"))?;
    x25519_secret(requester)
        .unseal(body)
        .map(Zeroizing::new)
        .map_err(|_| PrivacyError::DoesNotOpen("sealed result"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keypair(b: u8) -> Keypair {
        Keypair::new_from_array([b; 32])
    }

    #[test]
    fn the_secret_is_deterministic_and_bound_to_job_and_requester() {
        let (r, job) = (keypair(1), Pubkey::new_from_array([9; 32]));
        let s = JobSecret::derive(&r, &job);
        assert_eq!(*s.0, *JobSecret::derive(&r, &job).0);
        assert_ne!(*s.0, *JobSecret::derive(&keypair(2), &job).0);
        assert_ne!(
            *s.0,
            *JobSecret::derive(&r, &Pubkey::new_from_array([8; 32])).0
        );
        assert_ne!(s.commitment(), [0; 32]);
    }

    #[test]
    fn x25519_forms_of_a_keypair_agree() {
        for b in 1..20u8 {
            let kp = keypair(b);
            assert_eq!(
                x25519_secret(&kp).public_key(),
                x25519_public(&kp.pubkey()).unwrap()
            );
        }
    }

    /// Known answer computed independently (Python, the birational map u = (1 + y) / (1 − y)
    /// mod 2^255 − 19, on the ed25519 public key of the all-7 seed).
    #[test]
    fn x25519_public_known_answer() {
        let kp = keypair(7);
        let u = x25519_public(&kp.pubkey()).unwrap();
        let hex: String = u.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, X25519_OF_SEED_7);
    }
    const X25519_OF_SEED_7: &str =
        "761d88ec830413919dfe9d4d1d56f17e653c8c994082df5b137b90a0ae6edf74";

    #[test]
    fn envelopes_open_only_for_their_operator_and_only_with_the_committed_secret() {
        let (r, op, other) = (keypair(1), keypair(2), keypair(3));
        let job = Pubkey::new_from_array([9; 32]);
        let secret = JobSecret::derive(&r, &job);
        let env = seal_envelope(&op.pubkey(), &secret).unwrap();
        let opened = open_envelope(&op, &env, &secret.commitment()).unwrap();
        assert_eq!(*opened.0, *secret.0);
        assert_eq!(
            open_envelope(&other, &env, &secret.commitment()).unwrap_err(),
            PrivacyError::DoesNotOpen("key envelope")
        );
        let decoy = seal_envelope(&op.pubkey(), &JobSecret::derive(&other, &job)).unwrap();
        assert_eq!(
            open_envelope(&op, &decoy, &secret.commitment()).unwrap_err(),
            PrivacyError::WrongSecret
        );
        let mut flipped = env;
        flipped[40] ^= 1;
        assert!(open_envelope(&op, &flipped, &secret.commitment()).is_err());
    }

    #[test]
    fn sealed_blobs_are_bound_to_role_and_job() {
        let secret = JobSecret::derive(&keypair(1), &Pubkey::new_from_array([9; 32]));
        let (job, other_job) = (
            Pubkey::new_from_array([9; 32]),
            Pubkey::new_from_array([8; 32]),
        );
        let sealed = secret.seal_blob(&job, BlobRole::Input, b"patient 7: ACGT");
        assert!(!sealed.windows(7).any(|w| w == b"patient"));
        assert_eq!(
            &secret.open_blob(&job, BlobRole::Input, &sealed).unwrap()[..],
            b"patient 7: ACGT"
        );
        assert!(secret.open_blob(&job, BlobRole::Module, &sealed).is_err());
        assert!(secret
            .open_blob(&other_job, BlobRole::Input, &sealed)
            .is_err());
        let stranger = JobSecret::derive(&keypair(5), &job);
        assert!(stranger.open_blob(&job, BlobRole::Input, &sealed).is_err());
        assert_eq!(
            secret
                .open_blob(&job, BlobRole::Input, b"plain")
                .unwrap_err(),
            PrivacyError::NotSealed("sealed input")
        );
    }

    #[test]
    fn sealed_results_open_only_with_the_requesters_key() {
        let (r, other) = (keypair(1), keypair(2));
        let sealed = seal_result(&r.pubkey(), b"output bytes").unwrap();
        assert!(is_sealed_result(&sealed));
        assert_eq!(&open_result(&r, &sealed).unwrap()[..], b"output bytes");
        assert!(open_result(&other, &sealed).is_err());
        // Randomised: two seals of the same blob differ.
        assert_ne!(sealed, seal_result(&r.pubkey(), b"output bytes").unwrap());
    }

    #[test]
    fn keyed_result_hashes_differ_per_job_and_secret() {
        let job = Pubkey::new_from_array([9; 32]);
        let s = JobSecret::derive(&keypair(1), &job);
        let h = s.result_hash(&job, 0, b"42", b"");
        assert_ne!(h, hash::result_hash(0, b"42", b""));
        assert_ne!(
            h,
            JobSecret::derive(&keypair(2), &job).result_hash(&job, 0, b"42", b"")
        );
        assert_eq!(h, s.result_hash(&job, 0, b"42", b""));
    }

    #[test]
    fn a_small_order_key_is_refused() {
        let identity = Pubkey::new_from_array({
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        });
        assert!(x25519_public(&identity).is_err());
    }
}
