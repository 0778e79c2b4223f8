//! Blobs (modules, inputs, manifests, results) named by URI and verified by sha256.
//!
//! Reading: `file://` (a local path), `http://` and `https://` (GET), and `ipfs://<cid>[/path]`
//! through a configured HTTP gateway. Every read is capped in size and checked against the
//! digest the caller expects before any byte is returned. Writing goes through a
//! [`BlobStore`]; [`FileStore`] keeps content-addressed files in a folder (the worker serves its
//! folder over HTTP, so its `file://` blobs are also reachable as `http://.../blobs/<sha256>`).
//!
//! ```
//! # tokio_test_shim::block_on(async {
//! use depin_client::blob::{sha256, BlobFetcher, BlobStore, FileStore};
//! let dir = std::env::temp_dir().join(format!("depin-doc-{}", std::process::id()));
//! let store = FileStore::new(&dir).unwrap();
//! let blob = store.put(b"hello").await.unwrap();
//! assert_eq!(blob.sha256, sha256(b"hello"));
//! let bytes = BlobFetcher::default().fetch(&blob.uri, &blob.sha256, 1024).await.unwrap();
//! assert_eq!(bytes, b"hello");
//! # std::fs::remove_dir_all(dir).unwrap();
//! # });
//! # mod tokio_test_shim { pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f) } }
//! ```

use std::{
    future::Future,
    path::{Path, PathBuf},
    pin::Pin,
    sync::Arc,
    time::Duration,
};

use depin_core::hash::Hash32;

use crate::{
    manifest::{hex, BlobRef},
    netguard::{GuardedResolver, NetPolicy},
};

/// sha256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Hash32 {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// A parsed blob URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobUri {
    /// `file:///absolute/path`.
    File(PathBuf),
    /// `http://` or `https://` URL.
    Http(String),
    /// `ipfs://<cid>[/path]`: the part after the scheme.
    Ipfs(String),
}

/// Why a blob could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The URI is not one of the supported forms.
    #[error("unsupported blob URI `{0}` (expected file:///path, http(s)://… or ipfs://<cid>)")]
    BadUri(String),
    /// The blob is larger than the caller allows.
    #[error("blob at {uri} is larger than {limit} bytes")]
    TooLarge {
        /// Where.
        uri: String,
        /// The cap.
        limit: u64,
    },
    /// The bytes do not hash to the expected digest.
    #[error("blob at {uri} has sha256 {actual}, expected {expected}")]
    HashMismatch {
        /// Where.
        uri: String,
        /// Expected digest (hex).
        expected: String,
        /// Digest of what was fetched (hex).
        actual: String,
    },
    /// Reading a local file failed.
    #[error("reading {path}: {source}")]
    Io {
        /// Which file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The address is one fetches may not reach ([`crate::netguard`]); retrying will not help.
    #[error("fetching {uri}: {why}")]
    Forbidden {
        /// Where.
        uri: String,
        /// Why.
        why: String,
    },
    /// An HTTP request failed or answered with an error status.
    #[error("fetching {uri}: {why}")]
    Http {
        /// Where.
        uri: String,
        /// Why.
        why: String,
    },
}

impl BlobUri {
    /// Parse a URI of one of the supported schemes.
    pub fn parse(uri: &str) -> Result<Self, BlobError> {
        let bad = || BlobError::BadUri(uri.to_string());
        if let Some(path) = uri.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(bad());
            }
            Ok(BlobUri::File(PathBuf::from(path)))
        } else if uri.starts_with("http://") || uri.starts_with("https://") {
            let rest = uri.split_once("://").map(|(_, r)| r).unwrap_or("");
            if rest.is_empty() || rest.starts_with('/') {
                return Err(bad());
            }
            Ok(BlobUri::Http(uri.to_string()))
        } else if let Some(cid) = uri.strip_prefix("ipfs://") {
            // A CID, then plain path segments: nothing that could leave `/ipfs/` on the
            // gateway (`..`, `.`, encoded bytes, a query or a fragment).
            let mut parts = cid.split('/');
            let root = parts.next().unwrap_or("");
            let plain = |s: &str| {
                !s.is_empty()
                    && s != "."
                    && s != ".."
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c))
            };
            if !root.chars().all(|c| c.is_ascii_alphanumeric())
                || root.is_empty()
                || !parts.all(plain)
            {
                return Err(bad());
            }
            Ok(BlobUri::Ipfs(cid.to_string()))
        } else {
            Err(bad())
        }
    }
}

/// Redirects followed per fetch (each one checked like the first URL).
pub const MAX_REDIRECTS: usize = 3;

/// Reads blobs by URI, capped and verified.
#[derive(Clone, Debug)]
pub struct BlobFetcher {
    http: reqwest::Client,
    /// Gateway `ipfs://` URIs are read through (`<gateway>/ipfs/<cid>`).
    pub ipfs_gateway: String,
    /// Which addresses HTTP fetches may reach ([`crate::netguard`]).
    net: Arc<NetPolicy>,
    /// The client for `ipfs://` reads through the operator's gateway: it reaches that host
    /// whatever its address, and follows redirects only within it.
    gateway_http: reqwest::Client,
}

impl Default for BlobFetcher {
    fn default() -> Self {
        Self::new("https://ipfs.io", Duration::from_secs(30))
    }
}

impl BlobFetcher {
    /// A fetcher reading `ipfs://` through `ipfs_gateway`, HTTP requests timing out after
    /// `timeout`, reaching any address: for a person's own tools (a requester reading its
    /// results). Anything that fetches what strangers name uses [`Self::guarded`].
    pub fn new(ipfs_gateway: impl Into<String>, timeout: Duration) -> Self {
        Self::with_policy(ipfs_gateway.into(), timeout, NetPolicy::any())
    }

    /// A fetcher that reaches only the addresses `net` allows (checked on IP literals, on every
    /// address a name resolves to, and on every redirect). `ipfs://` URIs are read through the
    /// IPFS gateway the operator chose, whatever its address, by a separate client that
    /// follows redirects only within the gateway's host: the gateway does not open the
    /// operator's network to other URIs. No proxy from the environment is used: a proxy would
    /// resolve names where this guard cannot see them.
    pub fn guarded(ipfs_gateway: impl Into<String>, timeout: Duration, net: NetPolicy) -> Self {
        Self::with_policy(ipfs_gateway.into(), timeout, net)
    }

    /// The fetcher a requester's tools read results with from the RPC URL `cluster`: results
    /// are at URIs providers name, so only public addresses are fetched, except on a local
    /// chain (a loopback RPC URL), where the workers serve from loopback too.
    pub fn for_results(cluster: &str, timeout: Duration) -> Self {
        let mut net = NetPolicy::public_only();
        let local = reqwest::Url::parse(cluster).ok().is_some_and(|u| {
            u.host_str().is_some_and(|h| {
                h == "localhost"
                    || h.trim_matches(['[', ']'])
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            })
        });
        if local {
            for item in ["127.0.0.0/8", "::1", "localhost"] {
                net.allow(item).expect("a valid allowance");
            }
        }
        Self::guarded("https://ipfs.io", timeout, net)
    }

    fn with_policy(gateway: String, timeout: Duration, net: NetPolicy) -> Self {
        let net = Arc::new(net);
        let hops = net.clone();
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
                }
                match hops.check_url(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(why) => {
                        let to = attempt.url().to_string();
                        attempt.error(format!("redirect to {to}: {why}"))
                    }
                }
            }));
        if !net.any {
            builder = builder
                .no_proxy()
                .dns_resolver(Arc::new(GuardedResolver(net.clone())));
        }
        let http = builder
            .build()
            .expect("an HTTP client with default TLS settings");
        let gateway_host = reqwest::Url::parse(&gateway)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
        let gateway_http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
                }
                if attempt.url().host_str() == gateway_host.as_deref() {
                    attempt.follow()
                } else {
                    let to = attempt.url().to_string();
                    attempt.error(format!("the IPFS gateway redirected off its host, to {to}"))
                }
            }))
            .build()
            .expect("an HTTP client with default TLS settings");
        BlobFetcher {
            http,
            ipfs_gateway: gateway.trim_end_matches('/').to_string(),
            net,
            gateway_http,
        }
    }

    /// The bytes at `uri` if they hash to `expected`, at most `limit` bytes.
    pub async fn fetch(
        &self,
        uri: &str,
        expected: &Hash32,
        limit: u64,
    ) -> Result<Vec<u8>, BlobError> {
        let bytes = self.fetch_unverified(uri, limit).await?;
        let actual = sha256(&bytes);
        if &actual != expected {
            return Err(BlobError::HashMismatch {
                uri: uri.to_string(),
                expected: hex(expected),
                actual: hex(&actual),
            });
        }
        Ok(bytes)
    }

    /// [`Self::fetch`] of a [`BlobRef`].
    pub async fn fetch_ref(&self, blob: &BlobRef, limit: u64) -> Result<Vec<u8>, BlobError> {
        self.fetch(&blob.uri, &blob.sha256, limit).await
    }

    /// The bytes at `uri`, at most `limit`, without a digest check (the caller checks them
    /// some other way, as result blobs against the agreed result hash).
    pub async fn fetch_unverified(&self, uri: &str, limit: u64) -> Result<Vec<u8>, BlobError> {
        match BlobUri::parse(uri)? {
            BlobUri::File(path) => read_file_capped(&path, uri, limit).await,
            BlobUri::Http(url) => {
                let parsed = reqwest::Url::parse(&url).map_err(|e| BlobError::Http {
                    uri: uri.to_string(),
                    why: e.to_string(),
                })?;
                self.net
                    .check_url(&parsed)
                    .map_err(|why| BlobError::Forbidden {
                        uri: uri.to_string(),
                        why,
                    })?;
                self.http_get(&self.http, parsed, uri, limit).await
            }
            BlobUri::Ipfs(cid) => {
                let url = format!("{}/ipfs/{cid}", self.ipfs_gateway);
                let parsed = reqwest::Url::parse(&url).map_err(|e| BlobError::Http {
                    uri: uri.to_string(),
                    why: e.to_string(),
                })?;
                self.http_get(&self.gateway_http, parsed, uri, limit).await
            }
        }
    }

    async fn http_get(
        &self,
        client: &reqwest::Client,
        url: reqwest::Url,
        uri: &str,
        limit: u64,
    ) -> Result<Vec<u8>, BlobError> {
        let http = |why: String| BlobError::Http {
            uri: uri.to_string(),
            why,
        };
        let mut resp = client
            .get(url)
            .send()
            .await
            .map_err(|e| http(error_chain(&e)))?;
        if !resp.status().is_success() {
            return Err(http(format!("HTTP {}", resp.status())));
        }
        let too_large = || BlobError::TooLarge {
            uri: uri.to_string(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| http(e.to_string()))? {
            if out.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// An error with its causes (reqwest's own message hides the resolver's or redirect's reason).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

async fn read_file_capped(path: &Path, uri: &str, limit: u64) -> Result<Vec<u8>, BlobError> {
    use tokio::io::AsyncReadExt;
    let io = |source| BlobError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = tokio::fs::File::open(path).await.map_err(io)?;
    let mut out = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .await
        .map_err(io)?;
    if out.len() as u64 > limit {
        return Err(BlobError::TooLarge {
            uri: uri.to_string(),
            limit,
        });
    }
    Ok(out)
}

/// A future returned by [`BlobStore::put`].
pub type PutFuture<'a> = Pin<Box<dyn Future<Output = Result<BlobRef, BlobError>> + Send + 'a>>;

/// Somewhere blobs can be written to and later read back by URI.
pub trait BlobStore: Send + Sync {
    /// Store `bytes`; the returned reference names them by URI and sha256.
    fn put<'a>(&'a self, bytes: &'a [u8]) -> PutFuture<'a>;
}

/// Content-addressed files in a folder: `<dir>/<sha256 hex>`, named by `file://` URIs (or by
/// `<public_base>/<sha256 hex>` when the folder is served over HTTP).
#[derive(Clone, Debug)]
pub struct FileStore {
    dir: PathBuf,
    public_base: Option<String>,
}

impl FileStore {
    /// A store in `dir` (created if missing; made absolute).
    pub fn new(dir: impl AsRef<Path>) -> Result<Self, BlobError> {
        let dir = dir.as_ref();
        let io = |source| BlobError::Io {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let dir = std::fs::canonicalize(dir).map_err(io)?;
        Ok(FileStore {
            dir,
            public_base: None,
        })
    }

    /// Name blobs `<base>/<sha256 hex>` (the folder is served at `base`).
    pub fn served_at(mut self, base: impl Into<String>) -> Self {
        self.public_base = Some(base.into().trim_end_matches('/').to_string());
        self
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the blob with digest `sha256`.
    pub fn path_of(&self, sha256: &Hash32) -> PathBuf {
        self.dir.join(hex(sha256))
    }

    /// The URI a blob with digest `sha256` is published under.
    pub fn uri_of(&self, sha256: &Hash32) -> String {
        match &self.public_base {
            Some(base) => format!("{base}/{}", hex(sha256)),
            None => format!("file://{}", self.path_of(sha256).display()),
        }
    }

    /// Write `bytes` durably (temporary file, fsync, rename), unless already present.
    pub fn put_sync(&self, bytes: &[u8]) -> Result<BlobRef, BlobError> {
        use std::io::Write;
        let digest = sha256(bytes);
        let path = self.path_of(&digest);
        if !path.exists() {
            let io = |source| BlobError::Io {
                path: path.display().to_string(),
                source,
            };
            // A temporary name unique to this write: concurrent writers of the same blob (same
            // process or not) never share one; the rename makes the blob appear whole.
            static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let tmp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
            let mut f = std::fs::File::create(&tmp).map_err(io)?;
            f.write_all(bytes).map_err(io)?;
            f.sync_all().map_err(io)?;
            std::fs::rename(&tmp, &path).map_err(io)?;
        }
        Ok(BlobRef::new(self.uri_of(&digest), digest))
    }
}

impl BlobStore for FileStore {
    fn put<'a>(&'a self, bytes: &'a [u8]) -> PutFuture<'a> {
        Box::pin(async move {
            let this = self.clone();
            let bytes = bytes.to_vec();
            tokio::task::spawn_blocking(move || this.put_sync(&bytes))
                .await
                .map_err(|e| BlobError::Io {
                    path: self.dir.display().to_string(),
                    source: std::io::Error::other(e.to_string()),
                })?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_forms() {
        assert_eq!(
            BlobUri::parse("file:///tmp/x").unwrap(),
            BlobUri::File("/tmp/x".into())
        );
        assert!(matches!(BlobUri::parse("http://h/x"), Ok(BlobUri::Http(_))));
        assert!(matches!(
            BlobUri::parse("https://h/x"),
            Ok(BlobUri::Http(_))
        ));
        assert_eq!(
            BlobUri::parse("ipfs://bafy/a").unwrap(),
            BlobUri::Ipfs("bafy/a".into())
        );
        for bad in [
            "file://rel",
            "ftp://x",
            "http://",
            "ipfs://",
            "",
            "/tmp/x",
            "ipfs://bafy/../../admin",
            "ipfs://bafy/%2e%2e/x",
            "ipfs://bafy?x=1",
            "ipfs://../x",
        ] {
            assert!(BlobUri::parse(bad).is_err(), "{bad}");
        }
    }

    /// A tiny HTTP server on `ip`: `/ok` answers "payload", `/hop/<n>` redirects to
    /// `/hop/<n-1>` (and `/hop/0` to `/ok`), `/to?<url>` redirects to `<url>`. Counts
    /// connections.
    async fn server(ip: &str) -> (std::net::SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = sock.read(&mut buf).await.unwrap_or(0);
                    let req = String::from_utf8_lossy(&buf[..n]).to_string();
                    let path = req.split(' ').nth(1).unwrap_or("/").to_string();
                    let redirect = |to: String| {
                        format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    };
                    let answer = if path == "/ok" || path.starts_with("/ipfs/") {
                        "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\npayload"
                            .to_string()
                    } else if let Some(n) = path.strip_prefix("/hop/") {
                        match n.parse::<u32>().unwrap_or(0) {
                            0 => redirect("/ok".into()),
                            k => redirect(format!("/hop/{}", k - 1)),
                        }
                    } else if let Some(to) = path.strip_prefix("/to?") {
                        redirect(to.to_string())
                    } else {
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_string()
                    };
                    let _ = sock.write_all(answer.as_bytes()).await;
                });
            }
        });
        (addr, seen)
    }

    fn strict() -> BlobFetcher {
        BlobFetcher::guarded(
            "https://ipfs.io",
            Duration::from_secs(5),
            NetPolicy::public_only(),
        )
    }

    #[tokio::test]
    async fn guarded_fetches_refuse_private_addresses_before_connecting() {
        let (addr, seen) = server("127.0.0.1").await;
        let port = addr.port();
        for url in [
            format!("http://127.0.0.1:{port}/ok"),
            format!("http://localhost:{port}/ok"),
            format!("http://[::ffff:127.0.0.1]:{port}/ok"),
            format!("http://2130706433:{port}/ok"),
            "http://169.254.169.254/latest/meta-data/".to_string(),
            "http://10.0.0.1/admin".to_string(),
        ] {
            let err = strict().fetch_unverified(&url, 1024).await.unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("not a public address") || text.contains("no public address"),
                "{url}: {text}"
            );
        }
        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 0);
        // The same URL is fine for a person's own tools.
        let ok = format!("http://127.0.0.1:{port}/ok");
        assert_eq!(
            BlobFetcher::default()
                .fetch_unverified(&ok, 1024)
                .await
                .unwrap(),
            b"payload"
        );
    }

    #[tokio::test]
    async fn the_gateway_and_a_local_chain_open_only_what_they_must() {
        let (addr, _) = server("127.0.0.1").await;
        // A local IPFS gateway is reached for ipfs:// URIs, and opens nothing else.
        let f = BlobFetcher::guarded(
            format!("http://{addr}"),
            Duration::from_secs(5),
            NetPolicy::public_only(),
        );
        assert_eq!(
            f.fetch_unverified("ipfs://bafyabc/out", 1024)
                .await
                .unwrap(),
            b"payload"
        );
        let err = f
            .fetch_unverified(&format!("http://{addr}/ok"), 1024)
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::Forbidden { .. }), "{err}");
        // Results: loopback only when the chain itself is local.
        let ok = format!("http://{addr}/ok");
        let remote =
            BlobFetcher::for_results("https://api.devnet.solana.com", Duration::from_secs(5));
        assert!(remote.fetch_unverified(&ok, 1024).await.is_err());
        let local = BlobFetcher::for_results("http://127.0.0.1:8899", Duration::from_secs(5));
        assert_eq!(local.fetch_unverified(&ok, 1024).await.unwrap(), b"payload");
    }

    #[tokio::test]
    async fn guarded_redirects_are_checked_and_limited() {
        let (addr, _) = server("127.0.0.1").await;
        let (other, other_seen) = server("127.0.0.2").await;
        let mut net = NetPolicy::public_only();
        net.allow("127.0.0.1").unwrap();
        let f = BlobFetcher::guarded("https://ipfs.io", Duration::from_secs(5), net);
        let base = format!("http://{addr}");
        assert_eq!(
            f.fetch_unverified(&format!("{base}/ok"), 1024)
                .await
                .unwrap(),
            b"payload"
        );
        // Up to MAX_REDIRECTS hops are followed; one more is refused.
        let hops = MAX_REDIRECTS - 1;
        assert_eq!(
            f.fetch_unverified(&format!("{base}/hop/{hops}"), 1024)
                .await
                .unwrap(),
            b"payload"
        );
        let err = f
            .fetch_unverified(&format!("{base}/hop/{}", hops + 1), 1024)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("redirects"), "{err}");
        // A redirect from an allowed host to one that is not is refused before connecting.
        for to in [
            format!("http://{other}/ok"),
            "http://169.254.169.254/".into(),
        ] {
            let err = f
                .fetch_unverified(&format!("{base}/to?{to}"), 1024)
                .await
                .unwrap_err();
            assert!(
                err.to_string().contains("not a public address"),
                "{to}: {err}"
            );
        }
        assert_eq!(other_seen.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn file_store_verifies_and_caps() {
        let dir = std::env::temp_dir().join(format!("depin-blob-test-{}", std::process::id()));
        let store = FileStore::new(&dir).unwrap();
        let blob = store.put(b"payload").await.unwrap();
        assert_eq!(store.put(b"payload").await.unwrap(), blob);
        let f = BlobFetcher::default();
        assert_eq!(f.fetch_ref(&blob, 7).await.unwrap(), b"payload");
        assert!(matches!(
            f.fetch_ref(&blob, 6).await,
            Err(BlobError::TooLarge { .. })
        ));
        assert!(matches!(
            f.fetch(&blob.uri, &[0; 32], 100).await,
            Err(BlobError::HashMismatch { .. })
        ));
        assert!(matches!(
            f.fetch("file:///nonexistent/depin", &[0; 32], 100).await,
            Err(BlobError::Io { .. })
        ));
        let served = FileStore::new(&dir).unwrap().served_at("http://w:1/blobs/");
        assert_eq!(
            served.uri_of(&blob.sha256),
            format!("http://w:1/blobs/{}", hex(&blob.sha256))
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
