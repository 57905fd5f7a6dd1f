//! AWS Systems Manager Parameter Store: the parameter operations of SSM (the others answer
//! `UnsupportedOperationException`).
//!
//! The shape is the other services': the server hands [`Ssm::handle`] an authenticated call;
//! the JSON body is parsed into the generated request shape and checked against the model
//! (berth-ssm-model); [`dispatch`] picks the handler in `ops/` (`parameters.rs` put, get and
//! delete, `listing.rs` by path, describe and history, `labels.rs`, `tags.rs`, `filters.rs`
//! the pure filter rules); a parameter and all its versions are one record ([`records`]),
//! keyed by the caller's account. SecureString values are stored only sealed (berth-sealing,
//! bound to the parameter's ARN and version), with the key ring kept outside the database.
//!
//! ```
//! use std::sync::Arc;
//! use berth_aws::{clock::SystemClock, RequestContext};
//! use berth_ssm::Ssm;
//! use berth_ssm_model::Operation;
//! let dir = tempfile::tempdir().unwrap();
//! let ring = berth_sealing::KeyRing::load_or_create(&dir.path().join("keys")).unwrap();
//! let ssm = Ssm::open(Arc::new(berth_store::MemStore::default()), Arc::new(ring), Arc::new(SystemClock)).unwrap();
//! let ctx = RequestContext::for_account("000000000000", "us-east-1");
//! ssm.handle(&ctx, Operation::PutParameter, br#"{"Name":"/app/db","Value":"pw","Type":"SecureString"}"#).unwrap();
//! let out = ssm.handle(&ctx, Operation::GetParameter, br#"{"Name":"/app/db","WithDecryption":true}"#).unwrap();
//! assert!(String::from_utf8(out).unwrap().contains(r#""Value":"pw""#));
//! ```

mod dispatch;
pub mod error;
mod ops;
pub mod records;
pub mod resources;
mod service;
pub mod state;

use std::sync::Arc;

use berth_aws::clock::Clock;
use berth_sealing::KeyRing;

pub use error::{Result, SsmError};
pub use service::SsmService;

/// The Parameter Store of one region (every account).
pub struct Ssm {
    pub(crate) db: state::Db,
    pub(crate) ring: Arc<KeyRing>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Ssm {
    /// Loads the parameters from `store`; SecureStrings open with `ring`.
    pub fn open(
        store: Arc<dyn berth_store::Store>,
        ring: Arc<KeyRing>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let db = state::open(store)?;
        Ok(Ssm { db, ring, clock })
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.now()
    }
}
