//! The AWS plumbing every Berth service shares, so that each service crate holds only its
//! own operations and records, and the server holds no service at all.
//!
//! - [`service`]: the contract between a service crate and the server — what a service
//!   declares (signing name, protocol, target prefixes, which operations are hot, its
//!   background jobs) and how it is called ([`service::Service::call`]);
//! - [`RequestContext`]: who is calling, in which account and region, under which request id;
//! - [`AwsError`]: every service's errors end as one of these, rendered once per protocol
//!   ([`protocol`]);
//! - [`identity`]: access keys services make, which authentication consults;
//! - [`arn`], [`page`] (pagination tokens), [`tags`] (AWS's tag rules), [`clock`] (injected
//!   time), [`ids`];
//! - [`model`]: the runtime of the models generated from botocore (`tools/codegen`);
//! - [`schema`]: the generated description of a model's shapes that the protocol codecs walk.
//!
//! ```
//! use berth_aws::{arn::Arn, RequestContext};
//! let ctx = RequestContext::for_account("123456789012", "us-east-1");
//! let arn = Arn::new(&ctx, "logs", "log-group:web");
//! assert_eq!(arn.to_string(), "arn:aws:logs:us-east-1:123456789012:log-group:web");
//! ```

pub mod arn;
pub mod clock;
pub mod compatibility;
mod context;
mod error;
pub mod identity;
pub mod ids;
pub mod model;
pub mod page;
pub mod protocol;
pub mod resources;
pub mod schema;
pub mod service;
pub mod tags;

pub use context::RequestContext;
pub use error::AwsError;
