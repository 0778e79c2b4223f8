//! The worker's HTTP server: result blobs (`GET /blobs/<sha256>`), Prometheus metrics
//! (`GET /metrics`), a health check (`GET /health`) and a running job's live logs for its
//! requester (`GET /logs/<job>`). Read-only; blob names are checked to be 64 hex digits, so no
//! request reaches outside the blob folder.
//!
//! It faces the internet, so it is bounded: at most [`MAX_CONNECTIONS`] connections (more wait
//! in the kernel's backlog, holding no descriptor of ours), request headers within
//! [`HEADER_TIMEOUT`], a connection closed after [`CONNECTION_TIMEOUT`], blobs streamed from
//! disk in chunks (never read whole into memory), and a failing `accept` (out of descriptors)
//! backs off instead of spinning.

use std::{convert::Infallible, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::{
    body::{Frame, Incoming},
    service::service_fn,
    Method, Request, Response, StatusCode,
};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{net::TcpListener, sync::Semaphore};

use crate::metrics::Metrics;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 256;
/// Time a client has to send its request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest life of one connection (a 64 MiB blob at 1 MB/s fits).
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(120);

/// The server's bounds (the constants above by default).
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Time to send the request headers.
    pub header_timeout: Duration,
    /// Longest life of one connection.
    pub connection_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_connections: MAX_CONNECTIONS,
            header_timeout: HEADER_TIMEOUT,
            connection_timeout: CONNECTION_TIMEOUT,
        }
    }
}

/// A response body: a small buffer or a file streamed from disk.
type Body = BoxBody<Bytes, std::io::Error>;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct Server {
    /// Folder of result blobs (`<sha256 hex>` files).
    pub blob_dir: PathBuf,
    /// Metrics to render.
    pub metrics: Arc<Metrics>,
    /// Live stderr of running executions.
    pub live: Arc<crate::live::LiveLogs>,
    /// What `/health` reports.
    pub health: Arc<crate::health::Health>,
    /// Connection bounds.
    pub limits: HttpLimits,
}

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(
            Full::new(body.into())
                .map_err(|never: Infallible| match never {})
                .boxed(),
        )
        .expect("a valid response")
}

/// Stream the file at `path` (404 if it is not there).
async fn stream_file(path: PathBuf) -> Response<Body> {
    let Ok(file) = tokio::fs::File::open(&path).await else {
        return reply(StatusCode::NOT_FOUND, "text/plain", "no such blob\n");
    };
    let len = file.metadata().await.map(|m| m.len()).ok();
    let frames = tokio_util::io::ReaderStream::new(file).map_ok(Frame::data);
    let mut resp = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/octet-stream");
    if let Some(len) = len {
        resp = resp.header("content-length", len);
    }
    resp.body(StreamBody::new(frames).boxed())
        .expect("a valid response")
}

impl Server {
    async fn handle(&self, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
        if req.method() != Method::GET {
            return Ok(reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain",
                "GET only\n",
            ));
        }
        let path = req.uri().path();
        Ok(match path {
            "/health" => {
                let r = self.health.report();
                let status = if r.ok {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                reply(status, "application/json", format!("{}\n", r.body))
            }
            "/metrics" => reply(
                StatusCode::OK,
                "text/plain; version=0.0.4",
                self.metrics.render(),
            ),
            _ if path.starts_with("/logs/") => self.live_logs(&req),
            _ => match path.strip_prefix("/blobs/") {
                Some(name) if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    stream_file(self.blob_dir.join(name.to_ascii_lowercase())).await
                }
                _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
            },
        })
    }

    /// `GET /logs/<job>?from=N`: a running job's stderr (unverified) for its requester only.
    fn live_logs(&self, req: &Request<Incoming>) -> Response<Body> {
        use depin_client::live::{check_auth, AUTH_HEADER, FINISHED_HEADER};
        let Some(job) = req
            .uri()
            .path()
            .strip_prefix("/logs/")
            .and_then(|j| j.parse::<anchor_lang::prelude::Pubkey>().ok())
        else {
            return reply(StatusCode::BAD_REQUEST, "text/plain", "bad job address\n");
        };
        let from = req
            .uri()
            .query()
            .and_then(|q| q.strip_prefix("from="))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        let Some(read) = self.live.read(&job, from) else {
            return reply(StatusCode::NOT_FOUND, "text/plain", "not running here\n");
        };
        let header = req.headers().get(AUTH_HEADER).and_then(|v| v.to_str().ok());
        let now = (crate::journal::now_ms() / 1000) as i64;
        if let Err(e) = check_auth(header, &job, &read.requester, now) {
            return reply(StatusCode::FORBIDDEN, "text/plain", format!("{e}\n"));
        }
        let mut resp = reply(StatusCode::OK, "application/octet-stream", read.bytes);
        resp.headers_mut().insert(
            FINISHED_HEADER,
            hyper::header::HeaderValue::from_static(if read.finished { "1" } else { "0" }),
        );
        resp
    }

    /// Bind `addr` and serve until the task is dropped; returns the bound address (port 0
    /// picks a free one).
    pub async fn serve(
        self,
        addr: SocketAddr,
    ) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
        let limits = self.limits;
        serve_bounded(addr, limits, move |req| {
            let this = self.clone();
            async move { this.handle(req).await }
        })
        .await
    }
}

/// Bind `addr` and serve `handler` within `limits` (a connection cap, a header timeout, a
/// connection lifetime, back-off on a failing `accept`) until the task is dropped; returns
/// the bound address. Every HTTP server of the project that faces a network goes through it.
pub async fn serve_bounded<H, Fut, B>(
    addr: SocketAddr,
    limits: HttpLimits,
    handler: H,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)>
where
    H: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response<B>, Infallible>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let task = tokio::spawn(async move {
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors and the like: wait instead of spinning.
                    tracing::warn!("http: accept failed on {bound}: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_timeout)
                    .serve_connection(TokioIo::new(stream), service_fn(handler));
                let _ = tokio::time::timeout(limits.connection_timeout, conn).await;
            });
        }
    });
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
        let mut s = std::net::TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(20)))?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )?;
        let mut all = Vec::new();
        s.read_to_end(&mut all)?;
        let split = all
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(all.len(), |i| i + 4);
        let head = String::from_utf8_lossy(&all[..split]).to_string();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Ok((status, all[split..].to_vec()))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn idle_sockets_time_out_and_blobs_stream() {
        let dir = std::env::temp_dir().join(format!("depin-http-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let blob: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let name = "ab".repeat(32);
        std::fs::write(dir.join(&name), &blob).unwrap();
        let server = Server {
            blob_dir: dir.clone(),
            metrics: Arc::new(Metrics::default()),
            live: Arc::default(),
            health: Arc::default(),
            limits: HttpLimits {
                max_connections: 8,
                header_timeout: Duration::from_millis(300),
                connection_timeout: Duration::from_secs(5),
            },
        };
        let (addr, _task) = server.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
        // 200 sockets that never send a request (slowloris): at most 8 are ours at a time,
        // each dropped after the header timeout, so the server comes back on its own.
        let idle: Vec<_> = (0..200)
            .filter_map(|_| std::net::TcpStream::connect(addr).ok())
            .collect();
        assert!(idle.len() >= 150, "{} sockets", idle.len());
        let started = std::time::Instant::now();
        let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/health"))
            .await
            .unwrap()
            .expect("answers while the idle sockets are held");
        // Healthy: it just started (the chain's slot is not stale yet).
        assert_eq!(status, 200);
        let health: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(health["status"], "ok", "{health}");
        // 200 sockets / 8 slots x 0.3 s each: about 8 s, far under the connection cap.
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{:?}",
            started.elapsed()
        );
        drop(idle);
        // A blob is streamed whole and intact; a missing one is 404.
        let path = format!("/blobs/{name}");
        let (status, body) = tokio::task::spawn_blocking(move || get(addr, &path))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(status, 200);
        assert!(body == blob, "{} bytes back", body.len());
        let missing = format!("/blobs/{}", "cd".repeat(32));
        let (status, _) = tokio::task::spawn_blocking(move || get(addr, &missing))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(status, 404);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
