//! The job manifest: a JSON document, stored off-chain, whose sha256 is the job's spec hash.
//! It names the runtime, the module and the input by sha256 and URI, the arguments, and the
//! limits a provider must run the job under. Shared by the SDK, the CLI and the worker.
//!
//! The bytes are what is pinned, not a re-encoding: a worker hashes the bytes it fetched,
//! compares them with the job's spec hash, and only then parses them.
//!
//! ```
//! use depin_client::manifest::{BlobRef, Limits, Manifest};
//! let m = Manifest::new(
//!     "monte-carlo-pi",
//!     BlobRef::new("file:///blobs/pi.wasm", [1; 32]),
//!     BlobRef::new("file:///blobs/pi.in", [2; 32]),
//! );
//! let bytes = m.to_bytes();
//! let parsed = Manifest::from_bytes(&bytes).unwrap();
//! assert_eq!(parsed, m);
//! assert_eq!(parsed.limits, Limits::default());
//! ```

use serde::{Deserialize, Serialize};

use depin_core::hash::Hash32;

/// The only runtime this version knows.
pub const RUNTIME_WASM32_WASIP1: &str = "wasm32-wasip1";
/// Manifest format version.
pub const MANIFEST_VERSION: u32 = 1;
/// The sandbox semantics this build's workers run (`Manifest::engine`): the WASI surface, the
/// enabled WebAssembly features, fuel accounting (wasmtime 48) and the counted call-depth
/// limit. Replicas agree bit for bit only when they run the same one, so a worker refuses a
/// manifest that names another.
pub const ENGINE: &str = "depin-wasm/2 (wasmtime-48; depth 8 MiB)";
/// Largest accepted manifest, in bytes (workers refuse to download more).
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;
/// Most arguments a manifest may pass to its module.
pub const MAX_ARGS: usize = 64;
/// Upper bounds on [`Limits`] a manifest may ask for (a worker may accept less).
pub mod bounds {
    /// Fuel (WebAssembly instructions, roughly).
    pub const FUEL: u64 = 1 << 40;
    /// Linear memory, bytes (4 GiB, wasm32's address space).
    pub const MEMORY_BYTES: u64 = 4 << 30;
    /// Wall-clock time, milliseconds.
    pub const WALL_MS: u64 = 3_600_000;
    /// Output, bytes.
    pub const OUTPUT_BYTES: u64 = 1 << 30;
}

/// A blob named by where to fetch it and what it must hash to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    /// `file://`, `http://`, `https://` or `ipfs://` URI.
    pub uri: String,
    /// sha256 of the blob's bytes, lower-case hex (of the ciphertext, when sealed: the
    /// plaintext's hash would let a stranger confirm a guess).
    #[serde(with = "hex32")]
    pub sha256: Hash32,
    /// Sealed with the job's secret (`depin_client::privacy`): only a private job's claimants,
    /// once the requester delivered their key, can open it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sealed: bool,
}

impl BlobRef {
    /// A reference to `uri` with digest `sha256`.
    pub fn new(uri: impl Into<String>, sha256: Hash32) -> Self {
        BlobRef {
            uri: uri.into(),
            sha256,
            sealed: false,
        }
    }

    /// This reference, marked sealed.
    pub fn sealed(self) -> Self {
        BlobRef {
            sealed: true,
            ..self
        }
    }
}

/// Resource limits of one execution. Every one is enforced by the worker's sandbox; fuel,
/// memory and output are deterministic (their exhaustion is a result providers agree on), the
/// wall-clock limit is a safety net (a worker that hits it abandons the slot instead of
/// committing a result another machine might not reproduce).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Fuel units (wasmtime's: about one per WebAssembly instruction).
    pub fuel: u64,
    /// Most linear memory, bytes.
    pub memory_bytes: u64,
    /// Most wall-clock time, milliseconds.
    pub wall_ms: u64,
    /// Most bytes written to stdout.
    pub output_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 10_000_000_000,
            memory_bytes: 256 << 20,
            // Fits the shortest execution windows markets use (60 s on the local chain) with
            // the margin workers keep for the commitment (`policy::COMMIT_MARGIN_MS`).
            wall_ms: 30_000,
            output_bytes: 16 << 20,
        }
    }
}

/// A job manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version, [`MANIFEST_VERSION`].
    pub version: u32,
    /// Short human name of the job (at most 64 bytes).
    pub name: String,
    /// [`RUNTIME_WASM32_WASIP1`].
    pub runtime: String,
    /// The WebAssembly module (a WASI preview 1 command).
    pub module: BlobRef,
    /// Bytes on the module's stdin.
    pub input: BlobRef,
    /// Arguments after the program name (`argv[1..]`).
    #[serde(default)]
    pub args: Vec<String>,
    /// Limits the job runs under.
    #[serde(default)]
    pub limits: Limits,
    /// The sandbox semantics the job is written for ([`ENGINE`]); workers running another
    /// refuse it. Absent: any (older manifests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
}

/// Why a manifest was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ManifestError {
    /// Not JSON of the manifest's shape.
    #[error("manifest is not valid JSON of the expected shape: {0}")]
    Parse(String),
    /// Larger than [`MAX_MANIFEST_BYTES`].
    #[error("manifest is {0} bytes, more than the {MAX_MANIFEST_BYTES}-byte limit")]
    TooLarge(usize),
    /// A field breaks a rule.
    #[error("manifest field `{field}`: {why}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// The rule it breaks.
        why: String,
    },
}

fn invalid(field: &'static str, why: impl Into<String>) -> ManifestError {
    ManifestError::Invalid {
        field,
        why: why.into(),
    }
}

impl Manifest {
    /// A version-1 `wasm32-wasip1` manifest with default limits and no arguments.
    pub fn new(name: impl Into<String>, module: BlobRef, input: BlobRef) -> Self {
        Manifest {
            version: MANIFEST_VERSION,
            name: name.into(),
            runtime: RUNTIME_WASM32_WASIP1.into(),
            module,
            input,
            args: Vec::new(),
            limits: Limits::default(),
            engine: Some(ENGINE.into()),
        }
    }

    /// Parse and [`Self::validate`] manifest bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ManifestError> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge(bytes.len()));
        }
        let m: Manifest =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::Parse(e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    /// Canonical bytes (pretty JSON with a trailing newline): what gets uploaded and hashed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("a manifest always serialises");
        out.push(b'\n');
        out
    }

    /// sha256 of [`Self::to_bytes`]: the spec hash of a job posted with these bytes.
    pub fn spec_hash(&self) -> Hash32 {
        crate::blob::sha256(&self.to_bytes())
    }

    /// Check every rule a worker relies on.
    pub fn validate(&self) -> Result<(), ManifestError> {
        if self.version != MANIFEST_VERSION {
            return Err(invalid(
                "version",
                format!(
                    "{} is not supported (this build knows {MANIFEST_VERSION})",
                    self.version
                ),
            ));
        }
        if self.name.is_empty() || self.name.len() > 64 {
            return Err(invalid("name", "must be 1..=64 bytes"));
        }
        if self.runtime != RUNTIME_WASM32_WASIP1 {
            return Err(invalid(
                "runtime",
                format!(
                    "`{}` is not supported (expected `{RUNTIME_WASM32_WASIP1}`)",
                    self.runtime
                ),
            ));
        }
        for (field, blob) in [("module.uri", &self.module), ("input.uri", &self.input)] {
            crate::blob::BlobUri::parse(&blob.uri).map_err(|e| invalid(field, e.to_string()))?;
        }
        if self.args.len() > MAX_ARGS {
            return Err(invalid("args", format!("at most {MAX_ARGS} arguments")));
        }
        if self.args.iter().any(|a| a.contains('\0')) {
            return Err(invalid("args", "an argument contains a NUL byte"));
        }
        let l = &self.limits;
        let check = |field, value: u64, max: u64| {
            if value == 0 || value > max {
                Err(invalid(field, format!("{value} is outside 1..={max}")))
            } else {
                Ok(())
            }
        };
        check("limits.fuel", l.fuel, bounds::FUEL)?;
        check("limits.memory_bytes", l.memory_bytes, bounds::MEMORY_BYTES)?;
        check("limits.wall_ms", l.wall_ms, bounds::WALL_MS)?;
        check("limits.output_bytes", l.output_bytes, bounds::OUTPUT_BYTES)?;
        Ok(())
    }
}

/// A job description that names its module and input by local path (relative to the draft's
/// own folder): what people write. [`DraftManifest::upload`] stores both blobs and returns the
/// [`Manifest`] that names them by URI and sha256.
///
/// ```json
/// { "name": "heat-diffusion", "module": "../../target/wasm/heat_diffusion.wasm",
///   "input": "input.txt", "args": [], "limits": { "fuel": 2000000000, "memory_bytes": 67108864,
///   "wall_ms": 30000, "output_bytes": 65536 } }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftManifest {
    /// Short human name.
    pub name: String,
    /// Path of the `.wasm` module.
    pub module: std::path::PathBuf,
    /// Path of the input file.
    pub input: std::path::PathBuf,
    /// Arguments after the program name.
    #[serde(default)]
    pub args: Vec<String>,
    /// Limits (defaults if absent).
    #[serde(default)]
    pub limits: Limits,
    /// Folder relative paths are resolved against (the draft file's folder when loaded).
    #[serde(skip)]
    pub base: std::path::PathBuf,
}

/// Largest module or input a draft may upload (the manifest limits are separate).
pub const MAX_DRAFT_BLOB: u64 = 256 << 20;

impl DraftManifest {
    /// Read a draft from a JSON file.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, ManifestError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| ManifestError::Parse(format!("reading {}: {e}", path.display())))?;
        let mut draft: DraftManifest = serde_json::from_slice(&bytes)
            .map_err(|e| ManifestError::Parse(format!("{}: {e}", path.display())))?;
        draft.base = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
        Ok(draft)
    }

    fn resolve(&self, p: &std::path::Path) -> std::path::PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    /// The module's and the input's bytes.
    pub fn read_blobs(&self) -> Result<(Vec<u8>, Vec<u8>), ManifestError> {
        let read = |field: &'static str, p: &std::path::Path| {
            let path = self.resolve(p);
            let len = std::fs::metadata(&path)
                .map_err(|e| invalid(field, format!("{}: {e}", path.display())))?
                .len();
            if len > MAX_DRAFT_BLOB {
                return Err(invalid(
                    field,
                    format!("{} is larger than {MAX_DRAFT_BLOB} bytes", path.display()),
                ));
            }
            std::fs::read(&path).map_err(|e| invalid(field, format!("{}: {e}", path.display())))
        };
        let module = read("module", &self.module)?;
        if !module.starts_with(b"\0asm") {
            return Err(invalid(
                "module",
                format!(
                    "{} is not a WebAssembly binary",
                    self.resolve(&self.module).display()
                ),
            ));
        }
        Ok((module, read("input", &self.input)?))
    }

    /// Store module and input in `store` and return the validated manifest naming them.
    pub async fn upload(
        &self,
        store: &dyn crate::blob::BlobStore,
    ) -> Result<Manifest, crate::ClientError> {
        let (module, input) = self.read_blobs()?;
        let mut m = Manifest::new(
            self.name.clone(),
            store.put(&module).await?,
            store.put(&input).await?,
        );
        m.args = self.args.clone();
        m.limits = self.limits;
        m.validate()?;
        Ok(m)
    }
}

/// Lower-case hex of a 32-byte digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Parse 64 hex digits.
pub fn parse_hex32(s: &str) -> Option<Hash32> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

mod hex32 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(h))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        super::parse_hex32(&s).ok_or_else(|| D::Error::custom("expected 64 hex digits (sha256)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest::new(
            "kmer",
            BlobRef::new("http://127.0.0.1:1/blobs/aa", [0xab; 32]),
            BlobRef::new("ipfs://bafy", [0xcd; 32]),
        )
    }

    #[test]
    fn round_trip_and_spec_hash_over_bytes() {
        let m = sample();
        let bytes = m.to_bytes();
        assert_eq!(Manifest::from_bytes(&bytes).unwrap(), m);
        assert_eq!(m.spec_hash(), crate::blob::sha256(&bytes));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(&"ab".repeat(32)), "{text}");
    }

    #[test]
    fn clear_errors_on_bad_manifests() {
        let err = |m: &Manifest| Manifest::from_bytes(&m.to_bytes()).unwrap_err().to_string();
        let mut m = sample();
        m.runtime = "docker".into();
        assert!(err(&m).contains("runtime"));
        let mut m = sample();
        m.version = 2;
        assert!(err(&m).contains("version"));
        let mut m = sample();
        m.module.uri = "ftp://x".into();
        assert!(err(&m).contains("module.uri"));
        let mut m = sample();
        m.limits.fuel = 0;
        assert!(err(&m).contains("limits.fuel"));
        let mut m = sample();
        m.limits.output_bytes = bounds::OUTPUT_BYTES + 1;
        assert!(err(&m).contains("limits.output_bytes"));
        let mut m = sample();
        m.name = String::new();
        assert!(err(&m).contains("name"));
        assert!(matches!(
            Manifest::from_bytes(b"{\"version\":1}"),
            Err(ManifestError::Parse(_))
        ));
        assert!(matches!(
            Manifest::from_bytes(&vec![b' '; MAX_MANIFEST_BYTES + 1]),
            Err(ManifestError::TooLarge(_))
        ));
        let bad_hex = String::from_utf8(sample().to_bytes())
            .unwrap()
            .replace(&"ab".repeat(32), "zz");
        assert!(Manifest::from_bytes(bad_hex.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("64 hex digits"));
        let unknown =
            String::from_utf8(sample().to_bytes())
                .unwrap()
                .replacen('{', "{\"surprise\": 1,", 1);
        assert!(Manifest::from_bytes(unknown.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("surprise"));
    }

    #[test]
    fn hex_round_trip() {
        let h = [0x0f; 32];
        assert_eq!(parse_hex32(&hex(&h)), Some(h));
        assert_eq!(parse_hex32("00"), None);
    }
}
