//! Amazon ECR: the ECR API (AWS JSON 1.1) and the registry itself (OCI Distribution v2 under
//! `/v2/`), on the one endpoint and over one store.
//!
//! The API has ECS's shape: [`Ecr::handle`] parses the JSON body into the generated request
//! shape (berth-ecr-model), [`dispatch`] picks the handler in `ops/` (one module per
//! resource). The registry ([`registry`]) is the service's own HTTP surface: streamed blob
//! uploads and downloads, manifests, tags, referrers, with ECR's token auth. Both meet in
//! [`content`]: pushing a manifest, deleting an image, linking a blob to a repository,
//! finishing an upload, collecting garbage. Metadata (repositories, images, tags, which
//! repository holds which blob) goes through berth-commit ([`state`], [`records`]); blob
//! bytes are files in [`blobs::BlobStore`], verified against their digest and fsynced
//! before their record makes them visible.
//!
//! ```
//! use std::sync::Arc;
//! use berth_aws::{clock::SystemClock, RequestContext};
//! use berth_ecr::Ecr;
//! use berth_ecr_model::Operation;
//! let dir = tempfile::tempdir().unwrap();
//! let ecr = Ecr::open(Arc::new(berth_store::MemStore::default()), dir.path(), Arc::new(SystemClock), "us-east-1").unwrap();
//! let ctx = RequestContext::for_account("000000000000", "us-east-1");
//! ecr.handle(&ctx, Operation::CreateRepository, br#"{"repositoryName":"web"}"#).unwrap();
//! let out = ecr.handle(&ctx, Operation::DescribeRepositories, b"{}").unwrap();
//! assert!(String::from_utf8(out).unwrap().contains("repository/web"));
//! ```

mod access;
pub mod blobs;
pub mod content;
mod dispatch;
pub mod error;
pub mod manifest;
mod ops;
pub mod peers;
pub mod records;
pub mod registry;
mod replication;
pub mod resources;
pub mod scan;
mod service;
pub mod state;
mod timings;
pub mod token;
pub mod upstream;

use std::path::Path;
use std::sync::{Arc, RwLock};

use berth_aws::clock::Clock;

pub use error::{EcrError, Result};
pub use ops::Sweep;
pub use service::EcrService;
pub use timings::Timings;

/// The ECR service of one region (every account's registry).
pub struct Ecr {
    pub(crate) db: state::Db,
    pub(crate) blobs: blobs::BlobStore,
    pub(crate) clock: Arc<dyn Clock>,
    region: String,
    /// The key authorization tokens are signed with.
    pub(crate) token_key: Vec<u8>,
    /// The registry's address as clients name it (`host[:port]`), and the URL scheme.
    endpoint: RwLock<Endpoint>,
    /// The registry an anonymous request names when its Host names none.
    default_registry: RwLock<String>,
    /// The Berth endpoints of other regions replication pushes to.
    pub(crate) peers: RwLock<Option<Arc<dyn peers::Peers>>>,
    pub(crate) peer_client: peers::PeerClient,
    /// Wakes the replicator when a push queued work for it.
    pub(crate) replication_wake: Arc<tokio::sync::Notify>,
    /// Where pull through cache rules fill from.
    pub(crate) upstream: Arc<dyn upstream::Upstream>,
    /// When each cached tag was last checked against its upstream (in memory: after a
    /// restart every tag is checked again on its next pull).
    pub(crate) upstream_checks: std::sync::Mutex<std::collections::HashMap<String, f64>>,
    pub(crate) scanning: scan::Scanning,
    /// How often the sweepers run and how long unreferenced blobs are kept.
    pub(crate) timings: Timings,
    /// Held (shared) while an upload file or blob file exists without its record yet, and
    /// (exclusively) while the garbage collector removes files: it never takes a file
    /// whose record is about to be committed.
    pub(crate) publishing: RwLock<()>,
}

#[derive(Debug, Clone)]
struct Endpoint {
    host: String,
    scheme: &'static str,
    /// Set by the operator: the server's listen address does not replace it.
    configured: bool,
}

impl Ecr {
    /// Loads the registries of `region` (records from `store`, blobs from `dir`).
    pub fn open(
        store: Arc<dyn berth_store::Store>,
        dir: &Path,
        clock: Arc<dyn Clock>,
        region: &str,
    ) -> Result<Self> {
        let db = state::open(store)?;
        let blobs = blobs::BlobStore::open(dir)?;
        let token_key = content::token_key(&db)?;
        let scanning = scan::Scanning::default();
        // Scans a stop interrupted are run as soon as the scanner job starts.
        scanning.wake.notify_one();
        Ok(Ecr {
            db,
            blobs,
            clock,
            region: region.to_owned(),
            token_key,
            endpoint: RwLock::new(Endpoint {
                host: "127.0.0.1:5454".into(),
                scheme: "http",
                configured: false,
            }),
            default_registry: RwLock::new("000000000000".into()),
            peers: RwLock::new(None),
            peer_client: peers::PeerClient::default(),
            replication_wake: Arc::new(tokio::sync::Notify::new()),
            upstream: Arc::new(upstream::http::HttpUpstream::default()),
            upstream_checks: Default::default(),
            scanning,
            timings: Timings::default(),
            publishing: RwLock::new(()),
        })
    }

    /// Names the Berth endpoints of other regions, for replication into them.
    pub fn set_peers(&self, peers: Arc<dyn peers::Peers>) {
        *self.peers.write().unwrap_or_else(|p| p.into_inner()) = Some(peers);
    }

    /// Replaces the upstream client of pull through cache rules (tests use a fake).
    pub fn set_upstream(&mut self, upstream: Arc<dyn upstream::Upstream>) {
        self.upstream = upstream;
    }

    /// Runs the sweepers on `timings` instead of the defaults.
    pub fn with_timings(mut self, timings: Timings) -> Self {
        self.timings = timings;
        self
    }

    /// Names the registry's address (`host[:port]`) in repository URIs and tokens, instead
    /// of the address the server listens on; `https` when a TLS proxy fronts it.
    pub fn set_registry_host(&self, host: &str, https: bool) {
        let mut e = self.endpoint.write().unwrap_or_else(|p| p.into_inner());
        *e = Endpoint {
            host: host.to_owned(),
            scheme: if https { "https" } else { "http" },
            configured: true,
        };
    }

    /// Told the address the server listens on (`http://host:port`).
    pub(crate) fn listening(&self, endpoint: &str) {
        let mut e = self.endpoint.write().unwrap_or_else(|p| p.into_inner());
        if e.configured {
            return;
        }
        let host = endpoint.strip_prefix("http://").unwrap_or(endpoint);
        // A wildcard listen address is no address to pull from: name loopback instead.
        e.host = host
            .replace("0.0.0.0:", "127.0.0.1:")
            .replace("[::]:", "[::1]:");
    }

    /// The registry (account) anonymous pulls are for when their Host names none: the
    /// endpoint's own account.
    pub fn set_default_registry(&self, account: &str) {
        *self
            .default_registry
            .write()
            .unwrap_or_else(|p| p.into_inner()) = account.to_owned();
    }

    pub(crate) fn default_registry(&self) -> String {
        self.default_registry
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// `host[:port]` of the registry.
    pub fn registry_host(&self) -> String {
        self.endpoint
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .host
            .clone()
    }

    /// `scheme://host[:port]` of the registry.
    pub fn registry_url(&self) -> String {
        let e = self.endpoint.read().unwrap_or_else(|p| p.into_inner());
        format!("{}://{}", e.scheme, e.host)
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.now_millis() as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use berth_aws::clock::SystemClock;

    /// An ECR over an in-memory store and a temporary blob directory (kept by the caller).
    pub(crate) fn ecr() -> (tempfile::TempDir, super::Ecr) {
        let dir = tempfile::tempdir().expect("dir");
        let store = Arc::new(berth_store::MemStore::default());
        let ecr =
            super::Ecr::open(store, dir.path(), Arc::new(SystemClock), "us-east-1").expect("open");
        (dir, ecr)
    }
}
