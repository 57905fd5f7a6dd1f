//! Amazon CloudWatch Logs: every Logs operation Berth answers.
//!
//! The shape is ECS's: the server hands [`Logs::handle`] an authenticated call; the JSON
//! body is parsed into the generated request shape and checked against the model
//! (berth-logs-model); [`dispatch`] picks the handler in `ops/` (one module per resource);
//! handlers read and write groups, streams and filters through berth-commit ([`state`],
//! [`records`]), keyed by the caller's account. Events do not go through the record table:
//! they are appended to [`events::EventStore`], segment files per log group, durable before
//! PutLogEvents answers. Filter patterns are berth-log-filter's.
//!
//! ```
//! use std::sync::Arc;
//! use berth_aws::{clock::SystemClock, RequestContext};
//! use berth_logs::Logs;
//! use berth_logs_model::Operation;
//! let dir = tempfile::tempdir().unwrap();
//! let logs = Logs::open(Arc::new(berth_store::MemStore::default()), dir.path(), Arc::new(SystemClock)).unwrap();
//! let ctx = RequestContext::for_account("000000000000", "us-east-1");
//! logs.handle(&ctx, Operation::CreateLogGroup, br#"{"logGroupName":"web"}"#).unwrap();
//! let out = logs.handle(&ctx, Operation::DescribeLogGroups, b"{}").unwrap();
//! assert!(String::from_utf8(out).unwrap().contains("log-group:web"));
//! ```

mod dispatch;
pub mod error;
pub mod events;
mod ops;
pub mod records;
pub mod resources;
mod service;
pub mod state;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use berth_aws::clock::Clock;

pub use error::{LogsError, Result};
pub use service::LogsService;

/// The CloudWatch Logs service of one region (every account).
pub struct Logs {
    pub(crate) db: state::Db,
    pub(crate) events: events::EventStore,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Logs {
    /// Loads groups, streams and filters from `store` and the events from `events_dir`.
    pub fn open(
        store: Arc<dyn berth_store::Store>,
        events_dir: &Path,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let db = state::open(store)?;
        let streams: HashMap<u64, u64> =
            db.read(|s| s.streams.values().map(|r| (r.id, r.group_id)).collect());
        let events = events::EventStore::open(events_dir, &streams)?;
        Ok(Logs { db, events, clock })
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_millis() as i64
    }
}
