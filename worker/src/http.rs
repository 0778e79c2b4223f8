//! The worker's HTTP server: result blobs (`GET /blobs/<sha256>`), Prometheus metrics
//! (`GET /metrics`) and a health check (`GET /health`). Read-only; blob names are checked to be
//! 64 hex digits, so no request reaches outside the blob folder.

use std::{convert::Infallible, net::SocketAddr, path::PathBuf, sync::Arc};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{body::Incoming, service::service_fn, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::metrics::Metrics;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct Server {
    /// Folder of result blobs (`<sha256 hex>` files).
    pub blob_dir: PathBuf,
    /// Metrics to render.
    pub metrics: Arc<Metrics>,
    /// Live stderr of running executions.
    pub live: Arc<crate::live::LiveLogs>,
}

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .expect("a valid response")
}

impl Server {
    async fn handle(&self, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
        if req.method() != Method::GET {
            return Ok(reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain",
                "GET only\n",
            ));
        }
        let path = req.uri().path();
        Ok(match path {
            "/health" => reply(StatusCode::OK, "text/plain", "ok\n"),
            "/metrics" => reply(
                StatusCode::OK,
                "text/plain; version=0.0.4",
                self.metrics.render(),
            ),
            _ if path.starts_with("/logs/") => self.live_logs(&req),
            _ => match path.strip_prefix("/blobs/") {
                Some(name) if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    match tokio::fs::read(self.blob_dir.join(name.to_ascii_lowercase())).await {
                        Ok(bytes) => reply(StatusCode::OK, "application/octet-stream", bytes),
                        Err(_) => reply(StatusCode::NOT_FOUND, "text/plain", "no such blob\n"),
                    }
                }
                _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
            },
        })
    }

    /// `GET /logs/<job>?from=N`: a running job's stderr (unverified) for its requester only.
    fn live_logs(&self, req: &Request<Incoming>) -> Response<Full<Bytes>> {
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
        let listener = TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let this = self.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let this = this.clone();
                        async move { this.handle(req).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok((bound, task))
    }
}
