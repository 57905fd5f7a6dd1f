//! AWS Secrets Manager: every Secrets Manager operation Berth answers.
//!
//! The shape is the other services': the server hands [`SecretsManager::handle`] an
//! authenticated call; the JSON body is parsed into the generated request shape and checked
//! against the model (berth-secretsmanager-model); [`dispatch`] picks the handler in `ops/`
//! (`secrets.rs` the secret's life, `values.rs` versions and staging labels, `policies.rs`,
//! `tags.rs`, `password.rs`); handlers read and write secrets and versions through
//! berth-commit ([`state`], [`records`]), keyed by the caller's account. A version's value
//! is stored only sealed (berth-sealing, bound to the secret's ARN and the version id); the
//! key ring lives outside the database.
//!
//! ```
//! use std::sync::Arc;
//! use berth_aws::{clock::SystemClock, RequestContext};
//! use berth_secretsmanager::SecretsManager;
//! use berth_secretsmanager_model::Operation;
//! let dir = tempfile::tempdir().unwrap();
//! let ring = berth_sealing::KeyRing::load_or_create(&dir.path().join("keys")).unwrap();
//! let sm = SecretsManager::open(Arc::new(berth_store::MemStore::default()), Arc::new(ring), Arc::new(SystemClock)).unwrap();
//! let ctx = RequestContext::for_account("000000000000", "us-east-1");
//! sm.handle(&ctx, Operation::CreateSecret, br#"{"Name":"db","SecretString":"pw"}"#).unwrap();
//! let out = sm.handle(&ctx, Operation::GetSecretValue, br#"{"SecretId":"db"}"#).unwrap();
//! assert!(String::from_utf8(out).unwrap().contains(r#""SecretString":"pw""#));
//! ```

mod dispatch;
pub mod error;
mod ops;
pub mod records;
mod resources;
mod service;
pub mod state;

use std::sync::Arc;

use berth_aws::clock::Clock;
use berth_sealing::KeyRing;

pub use error::{Result, SmError};
pub use service::SecretsManagerService;

/// The Secrets Manager service of one region (every account).
pub struct SecretsManager {
    pub(crate) db: state::Db,
    pub(crate) ring: Arc<KeyRing>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl SecretsManager {
    /// Loads secrets and versions from `store`; values open with `ring`.
    pub fn open(
        store: Arc<dyn berth_store::Store>,
        ring: Arc<KeyRing>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let db = state::open(store)?;
        Ok(SecretsManager { db, ring, clock })
    }

    /// Seconds since the epoch (JSON timestamps).
    pub(crate) fn now(&self) -> f64 {
        self.clock.now()
    }
}
