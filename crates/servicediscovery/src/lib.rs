//! AWS Cloud Map: namespaces (private and public DNS, HTTP), services with their DNS
//! configuration and health-check settings, instances with attributes, the asynchronous
//! operations Cloud Map reports, and tags — and, from all of it, the zones Berth's DNS
//! server answers ([`zones`]).
//!
//! The shape is the other services': the server hands [`CloudMap::handle`] an authenticated
//! call; the JSON body (or the CBOR body transcoded, for clients speaking rpc-v2-cbor) is
//! parsed into the generated request shape and checked against the model
//! (berth-servicediscovery-model); [`dispatch`] picks the handler in `ops/`
//! (`namespaces.rs`, `services.rs`, `instances.rs`, `discover.rs`, `operations.rs`,
//! `tags.rs`, `filters.rs` the pure filter rules); each namespace, service, instance and
//! operation is one record ([`records`]), keyed by the owning account. Operations Cloud Map
//! runs asynchronously take effect in the write that answers them: their operation is
//! `SUCCESS` at once.
//!
//! ```
//! use std::sync::Arc;
//! use berth_aws::{clock::SystemClock, RequestContext};
//! use berth_servicediscovery::CloudMap;
//! use berth_servicediscovery_model::Operation;
//! let map = CloudMap::open(Arc::new(berth_store::MemStore::default()), Arc::new(SystemClock)).unwrap();
//! let ctx = RequestContext::for_account("000000000000", "us-east-1");
//! map.handle(&ctx, Operation::CreatePrivateDnsNamespace, br#"{"Name":"internal","Vpc":"vpc-1"}"#).unwrap();
//! let out = map.handle(&ctx, Operation::ListNamespaces, b"{}").unwrap();
//! assert!(String::from_utf8(out).unwrap().contains(r#""Name":"internal""#));
//! assert_eq!(map.zones().zone_count(), 1);
//! ```

mod dispatch;
pub mod error;
mod ops;
pub mod records;
pub mod resources;
mod service;
pub mod state;
pub mod zones;

use std::sync::Arc;

use berth_aws::clock::Clock;

pub use error::{CloudMapError, Result};
pub use service::CloudMapService;

/// Cloud Map of one region (every account).
pub struct CloudMap {
    pub(crate) db: state::Db,
    pub(crate) clock: Arc<dyn Clock>,
    /// Bumped after every durable change: what agents' zone polls wait on.
    revision: Arc<tokio::sync::watch::Sender<u64>>,
}

impl CloudMap {
    /// Loads the namespaces, services and instances from `store`.
    pub fn open(store: Arc<dyn berth_store::Store>, clock: Arc<dyn Clock>) -> Result<Self> {
        let db = state::open(store)?;
        // Starting from the time makes a revision of an earlier run of the process (an
        // agent's last poll) unlikely to equal one of this run.
        let revision = Arc::new(tokio::sync::watch::Sender::new(clock.now_millis()));
        {
            let revision = revision.clone();
            db.subscribe(Box::new(move |_| revision.send_modify(|r| *r += 1)));
        }
        Ok(CloudMap {
            db,
            clock,
            revision,
        })
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.now()
    }

    /// The zones once they are newer than revision `after`, or as they are after `wait`:
    /// (their revision, the zones). What `berth agent`s on other hosts serve from.
    pub async fn zones_after(
        &self,
        after: u64,
        wait: std::time::Duration,
    ) -> (u64, berth_dns::ZoneSet) {
        let mut rx = self.revision.subscribe();
        // Any other revision than the caller's is news (a larger one from an earlier run too).
        let _ = tokio::time::timeout(wait, rx.wait_for(|r| *r != after)).await;
        // The revision read before the zones: a change in between is sent again next poll.
        let revision = *rx.borrow();
        (revision, self.zones())
    }

    /// Calls `f` after every durable change (the DNS view is rebuilt from it).
    pub fn on_change(&self, f: impl Fn() + Send + Sync + 'static) {
        self.db.subscribe(Box::new(move |_| f()));
    }
}
