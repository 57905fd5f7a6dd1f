//! AWS Security Token Service, the first service Berth serves over AWS Query.
//!
//! The shape is the other services': the server turns the client's form into the JSON
//! document of the operation's input (with the generated schema, berth-sts-model) and hands
//! it to [`Sts::handle`]; [`dispatch`] parses it into the generated request shape, checks it
//! against the model and picks the handler in `ops/`; the server renders the JSON answer as
//! the Query XML response. GetCallerIdentity answers who signed the request. Temporary
//! credentials (AssumeRole, GetSessionToken) come with IAM roles.
//!
//! ```
//! use berth_aws::RequestContext;
//! use berth_sts::Sts;
//! use berth_sts_model::Operation;
//! let ctx = RequestContext::for_account("123456789012", "us-east-1");
//! let out = Sts::new().handle(&ctx, Operation::GetCallerIdentity, b"{}").unwrap();
//! assert!(String::from_utf8(out).unwrap().contains(r#""Account":"123456789012""#));
//! ```

mod dispatch;
pub mod error;
mod ops;
mod service;

pub use error::{Result, StsError};
pub use service::StsService;

/// The Security Token Service of one region.
#[derive(Default)]
pub struct Sts {}

impl Sts {
    pub fn new() -> Self {
        Sts {}
    }
}
