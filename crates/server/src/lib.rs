//! Berth's one endpoint: every AWS-compatible API Berth speaks, on one listen address.
//!
//! A request is handled in four steps, each in its own module:
//!
//! 1. [`http`]: axum accepts the connection, bounds the body, and answers `GET /health`;
//! 2. [`auth`]: AWS Signature Version 4 is verified (berth-sigv4) against the configured keys;
//! 3. [`route`]: `X-Amz-Target` (or, for query-protocol services later, `Action` and the
//!    credential scope) picks the service and operation;
//! 4. the service (berth-ecs) answers, on a blocking thread since writes wait for the disk,
//!    and [`wire`] turns its result or error into the AWS JSON protocol response.
//!
//! ```no_run
//! # async fn run() -> Result<(), berth_server::ServerError> {
//! let config = berth_server::Config::dev("127.0.0.1:5454".parse().unwrap(), "/tmp/berth".into());
//! berth_server::serve(config, async {}).await
//! # }
//! ```

mod agent_channel;
mod auth;
mod committer;
mod config;
mod http;
mod route;
mod wire;

pub use config::{Config, Credential};
pub use http::{serve, Server, ServerError};
