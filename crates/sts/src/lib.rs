//! AWS Security Token Service, the first service Berth serves over AWS Query.
//!
//! The shape is the other services': the server turns the client's form into the JSON
//! document of the operation's input (with the generated schema, berth-sts-model) and hands
//! it to [`Sts::handle`]; [`dispatch`] parses it into the generated request shape, checks it
//! against the model and picks the handler in `ops/`; the server renders the JSON answer as
//! the Query XML response. GetCallerIdentity answers who signed the request; AssumeRole
//! (the role's trust policy read through [`Roles`], which the binary wires to IAM) and
//! GetSessionToken answer temporary credentials whose session token is the sealed session
//! itself ([`tokens`]): no table, good on every replica and across restarts, until it
//! expires. [`Sts::open_session`] is how the server's authentication reads one.
//!
//! ```
//! use std::sync::Arc;
//! use berth_aws::{clock::SystemClock, RequestContext};
//! use berth_sts::{NoRoles, Sts};
//! use berth_sts_model::Operation;
//! let dir = tempfile::tempdir().unwrap();
//! let ring = Arc::new(berth_sealing::KeyRing::load_or_create(&dir.path().join("keys")).unwrap());
//! let sts = Sts::new(ring, Arc::new(SystemClock), Arc::new(NoRoles));
//! let ctx = RequestContext::for_account("123456789012", "us-east-1");
//! let out = sts.handle(&ctx, Operation::GetCallerIdentity, b"{}").unwrap();
//! assert!(String::from_utf8(out).unwrap().contains(r#""Account":"123456789012""#));
//! let out = sts.handle(&ctx, Operation::GetSessionToken, b"{}").unwrap();
//! let creds: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! let c = &creds["Credentials"];
//! let who = sts.open_session(c["AccessKeyId"].as_str().unwrap(), c["SessionToken"].as_str().unwrap()).unwrap();
//! assert_eq!(who.principal, "arn:aws:iam::123456789012:root");
//! ```

mod dispatch;
pub mod error;
mod ops;
mod resources;
mod roles;
mod service;
pub mod tokens;

pub use error::{Result, StsError};
pub use ops::sessions::Minted;
pub use roles::{NoRoles, RoleFacts, Roles};
pub use service::StsService;

use std::sync::Arc;

use berth_aws::clock::Clock;
use berth_aws::identity::Identity;
use berth_sealing::KeyRing;

/// The Security Token Service of one region.
pub struct Sts {
    pub(crate) ring: Arc<KeyRing>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) roles: Arc<dyn Roles>,
}

impl Sts {
    /// Sessions sealed with `ring`; roles found through `roles`.
    pub fn new(ring: Arc<KeyRing>, clock: Arc<dyn Clock>, roles: Arc<dyn Roles>) -> Self {
        Sts { ring, clock, roles }
    }

    /// The session that `token` carries for temporary key `access_key_id`, expired or not.
    pub fn open_session(&self, access_key_id: &str, token: &str) -> Option<Identity> {
        tokens::open(&self.ring, access_key_id, token)
    }
}

#[cfg(test)]
pub(crate) fn test_sts() -> Sts {
    let dir = std::env::temp_dir().join(format!("berth-sts-test-{}", std::process::id()));
    let ring = KeyRing::load_or_create(&dir.join("keys")).expect("ring");
    Sts::new(
        Arc::new(ring),
        Arc::new(berth_aws::clock::SystemClock),
        Arc::new(NoRoles),
    )
}
