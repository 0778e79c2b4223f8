//! The dashboard's HTTP server: `GET /` (the page), `/fragment` (its live part),
//! `/api/state` (the snapshot as JSON), `/health`. It faces whoever can reach the address, so
//! it is bounded: at most [`MAX_CONNECTIONS`] connections, headers within
//! [`HEADER_TIMEOUT`], a connection closed after [`CONNECTION_TIMEOUT`], and a failing
//! `accept` backs off instead of spinning — the worker's bounded server
//! (`depin_worker::http::serve_bounded`) with the dashboard's limits.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use bytes::Bytes;
use depin_worker::http::{serve_bounded, HttpLimits};
use http_body_util::Full;
use hyper::{body::Incoming, Method, Request, Response, StatusCode};

use super::{page, Shared};

/// Connections served at once; further ones wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 64;
/// Time a client has to send its request headers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest life of one connection.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);
/// A refresh older than this makes `/health` fail.
const STALE_MS: u64 = 15_000;

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .header("x-content-type-options", "nosniff")
        .header(
            "content-security-policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        )
        .body(Full::new(body.into()))
        .expect("a valid response")
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::GET {
        return Ok(reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET only\n",
        ));
    }
    let snapshot = shared.snapshot.read().await;
    Ok(match req.uri().path() {
        "/" => reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            page::page(&snapshot, &shared.title),
        ),
        "/fragment" => reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            page::fragment(&snapshot),
        ),
        "/api/state" => reply(
            StatusCode::OK,
            "application/json",
            serde_json::to_vec(&*snapshot).unwrap_or_default(),
        ),
        "/health" => {
            let last = shared.last_ok_ms.load(Ordering::Relaxed);
            let age = super::unix_ms().saturating_sub(last);
            if last != 0 && age <= STALE_MS {
                reply(StatusCode::OK, "text/plain", "ok\n")
            } else {
                let why = snapshot
                    .error
                    .clone()
                    .unwrap_or_else(|| "no refresh yet".into());
                reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "text/plain",
                    format!("stale: last good refresh {age} ms ago: {why}\n"),
                )
            }
        }
        _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    })
}

/// Bind `addr` and serve within the dashboard's bounds; returns the bound address (port 0
/// picks a free one).
pub async fn serve(
    addr: SocketAddr,
    shared: Arc<Shared>,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let limits = HttpLimits {
        max_connections: MAX_CONNECTIONS,
        header_timeout: HEADER_TIMEOUT,
        connection_timeout: CONNECTION_TIMEOUT,
    };
    serve_bounded(addr, limits, move |req| handle(shared.clone(), req)).await
}
