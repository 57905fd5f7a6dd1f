//! Berth's one endpoint: every AWS-compatible API Berth speaks, on one listen address. The
//! server knows no service: it hosts the services it is given (`berth_aws::service::Service`).
//!
//! A request is handled in steps, each in its own module:
//!
//! 1. [`http`]: axum accepts the connection, bounds the body, and answers `GET /health`;
//! 2. [`route`]: the protocol and the service's target prefix pick the service and operation
//!    ([`route::ServiceTable`]);
//! 3. [`auth`]: AWS Signature Version 4 is verified (berth-sigv4) against the configured keys
//!    (or, in open mode, any key is accepted in the account it names); the credential scope
//!    must name the service that answers;
//! 4. the service answers — on a blocking thread, or for a hot call on the async worker with
//!    its durability settled by the [`committer`] — and [`wire`] turns its answer or error
//!    into the protocol's response;
//! 5. [`jobs`] runs the services' background jobs.
//!
//! ```no_run
//! # async fn run() -> Result<(), berth_server::ServerError> {
//! let config = berth_server::Config::dev("127.0.0.1:5454".parse().unwrap());
//! let server = berth_server::Server::bind(config, vec![]).await?;
//! server.run(async {}).await
//! # }
//! ```

mod auth;
mod committer;
mod config;
mod http;
mod jobs;
mod route;
mod wire;

pub use config::{Config, Credential, DEFAULT_ACCOUNT};
pub use http::{Server, ServerError};
