//! # depin-worker
//!
//! The provider daemon of depin-compute: it watches the jobs program for open jobs of its
//! markets (websocket program subscription + periodic reconcile, merged by slot), decides by
//! price and limits, claims, fetches and verifies the manifest, module and input, runs the
//! module in a deterministic wasmtime sandbox ([`sandbox`]), publishes the result blob over
//! HTTP, commits, reveals, settles, releases its bond and closes the job. Every step is
//! journalled durably first ([`journal`]) and chosen from the chain's current view of the job,
//! so a worker killed at any instant resumes and finishes what it holds.

pub mod chain;
pub mod config;
pub mod engine;
pub mod health;
pub mod housekeeping;
pub mod http;
pub mod journal;
pub mod live;
pub mod metrics;
pub mod modcheck;
pub mod presence;
pub mod recent;
pub mod recovery;
pub mod sandbox;
pub mod stackguard;

pub use config::WorkerConfig;
pub use engine::Worker;
