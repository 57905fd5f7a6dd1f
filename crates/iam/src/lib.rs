//! AWS Identity and Access Management over AWS Query: users and their access keys, roles,
//! inline and managed policies.
//!
//! The shape is the other services' (the server transcodes the Query form into the input's
//! JSON document with the generated schema, berth-iam-model): [`dispatch`] picks the handler
//! in `ops/` (`users.rs`, `access_keys.rs`); users and keys are records ([`records`]) keyed
//! by account (keys by their id, which is global). A key's secret is stored only sealed
//! (berth-sealing). [`IamIdentities`] is how the server finds the keys IAM made, so they sign
//! requests to every service like configured keys, acting as their user.
//!
//! ```
//! use std::sync::Arc;
//! use berth_aws::{clock::SystemClock, identity::Identities, RequestContext};
//! use berth_iam::{Iam, IamIdentities};
//! use berth_iam_model::Operation;
//! let dir = tempfile::tempdir().unwrap();
//! let ring = berth_sealing::KeyRing::load_or_create(&dir.path().join("keys")).unwrap();
//! let iam = Arc::new(Iam::open(Arc::new(berth_store::MemStore::default()), Arc::new(ring), Arc::new(SystemClock)).unwrap());
//! let ctx = RequestContext::for_account("123456789012", "us-east-1");
//! iam.handle(&ctx, Operation::CreateUser, br#"{"UserName":"ci"}"#).unwrap();
//! let out = iam.handle(&ctx, Operation::CreateAccessKey, br#"{"UserName":"ci"}"#).unwrap();
//! let key: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! let id = key["AccessKey"]["AccessKeyId"].as_str().unwrap();
//! let who = IamIdentities::new(iam.clone()).lookup(id, None).unwrap();
//! assert_eq!(who.principal, "arn:aws:iam::123456789012:user/ci");
//! ```

mod certificates;
mod dispatch;
pub mod error;
mod identities;
mod ops;
pub mod records;
mod reseal;
mod resources;
mod service;
pub mod state;

use std::sync::Arc;

use berth_aws::clock::Clock;
use berth_sealing::KeyRing;

pub use error::{IamError, Result};
pub use identities::IamIdentities;
pub use ops::server_certificates::ServerCertificatePem;
pub use service::IamService;

/// IAM for every account on this endpoint.
pub struct Iam {
    pub(crate) db: state::Db,
    pub(crate) ring: Arc<KeyRing>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Iam {
    /// Loads users and keys from `store`; key secrets open with `ring`.
    pub fn open(
        store: Arc<dyn berth_store::Store>,
        ring: Arc<KeyRing>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let db = state::open(store)?;
        Ok(Iam { db, ring, clock })
    }

    /// Role `name` of `account`, as STS's AssumeRole reads it.
    pub fn find_role(&self, account: &str, name: &str) -> Option<Arc<records::RoleRec>> {
        self.db
            .read(|s| s.roles.get(&records::user_key(account, name)).cloned())
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.now()
    }
}
