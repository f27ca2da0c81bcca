//! `stackgen-service`: the HTTP workload a stackgen stack deploys.
//!
//! A warp service with health, readiness and Prometheus endpoints, JSON access logs, request ids,
//! request size limits and graceful shutdown. Configuration comes from environment variables
//! (see [`config::VARIABLES`]).

pub mod app;
pub mod config;
pub mod healthcheck;
pub mod log;
pub mod metrics;
pub mod server;
