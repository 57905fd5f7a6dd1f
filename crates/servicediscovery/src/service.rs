//! Cloud Map as a service the server hosts: AWS JSON 1.1 under its target prefix, and
//! rpc-v2-cbor (what botocore prefers) transcoded with the model's schema.

use std::sync::Arc;
use std::time::Duration;

use berth_aws::protocol::Protocol;
use berth_aws::schema::Schema;
use berth_aws::service::{BoxFuture, Call, Exec, Job, Service, ServiceInfo};
use berth_aws::AwsError;
use berth_commit::{Lock, Staged};
use berth_servicediscovery_model::operations::{SIGNING_NAME, TARGET_PREFIX};
use berth_servicediscovery_model::schema::SCHEMA;
use berth_servicediscovery_model::Operation;

use crate::CloudMap;

/// Berth's own prefix: `BerthDnsV1.GetZones`, the long poll `berth agent`s on other hosts
/// serve their DNS from.
pub const ZONES_PREFIX: &str = "BerthDnsV1";
/// The longest a zones poll waits for a change.
const MAX_ZONES_WAIT_SECS: u64 = 20;

/// How long finished operations are kept for GetOperation and ListOperations.
const OPERATION_RETENTION_SECS: f64 = 7.0 * 24.0 * 3600.0;
/// Operations removed per round of the pruning job.
const PRUNE_BATCH: usize = 1000;

static INFO: ServiceInfo = ServiceInfo {
    name: "servicediscovery",
    signing_name: SIGNING_NAME,
    protocol: Protocol::Json11,
    target_prefixes: &[TARGET_PREFIX, ZONES_PREFIX],
    query_compatible: false,
    max_body_bytes: None,
    signing_region: None,
};

/// A zones poll: the revision the caller has, and how long to wait for a newer one.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ZonesRequest {
    after: Option<u64>,
    wait_seconds: Option<u64>,
}

pub struct CloudMapService {
    map: Arc<CloudMap>,
}

impl CloudMapService {
    pub fn new(map: Arc<CloudMap>) -> Arc<Self> {
        Arc::new(CloudMapService { map })
    }
}

impl Service for CloudMapService {
    fn info(&self) -> &ServiceInfo {
        &INFO
    }

    fn schema(&self) -> Option<&Schema> {
        Some(&SCHEMA)
    }

    fn resources(&self, ctx: &berth_aws::RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        crate::resources::resources(ctx, op, body)
    }

    fn exec(&self, prefix: &str, op: &str) -> Option<Exec> {
        if prefix == ZONES_PREFIX {
            return (op == "GetZones").then_some(Exec::Async);
        }
        Operation::from_name(op).map(|_| Exec::Blocking)
    }

    fn call_async(self: Arc<Self>, call: Call) -> BoxFuture<Result<Vec<u8>, AwsError>> {
        Box::pin(async move {
            let req: ZonesRequest = serde_json::from_slice(&call.body).map_err(|e| {
                AwsError::serialization(format!(
                    "GetZones takes {{\"after\", \"waitSeconds\"}}: {e}"
                ))
            })?;
            let wait = Duration::from_secs(req.wait_seconds.unwrap_or(0).min(MAX_ZONES_WAIT_SECS));
            let (revision, zones) = self.map.zones_after(req.after.unwrap_or(0), wait).await;
            serde_json::to_vec(&serde_json::json!({"revision": revision, "zones": zones}))
                .map_err(|e| AwsError::server(format!("encoding the zones: {e}")))
        })
    }

    fn call(&self, call: &Call, _lock: Lock) -> Result<Staged<Vec<u8>>, AwsError> {
        let op = Operation::from_name(&call.op)
            .ok_or_else(|| AwsError::unknown_operation(&format!("{TARGET_PREFIX}.{}", call.op)))?;
        Ok(Staged::settled(self.map.handle(&call.ctx, op, &call.body)?))
    }

    fn jobs(self: Arc<Self>) -> Vec<Job> {
        let map = self.map.clone();
        vec![Job {
            name: "cloud map operation pruner",
            period: Duration::from_secs(600),
            wake: None,
            settle: Duration::ZERO,
            run: Arc::new(move || {
                Ok(map.prune_operations(OPERATION_RETENTION_SECS, PRUNE_BATCH)? >= PRUNE_BATCH)
            }),
        }]
    }
}

impl CloudMap {
    /// Removes up to `batch` operations finished more than `keep_secs` ago; answers how many.
    pub fn prune_operations(&self, keep_secs: f64, batch: usize) -> crate::Result<usize> {
        let cutoff = self.now() - keep_secs;
        let old: Vec<String> = self
            .db
            .snapshot()
            .operations
            .iter()
            .filter(|(_, o)| o.updated < cutoff)
            .take(batch)
            .map(|(k, _)| k.clone())
            .collect();
        if old.is_empty() {
            return Ok(0);
        }
        self.db.write(|tx| {
            for k in &old {
                tx.delete::<crate::records::OperationRec>(k);
            }
            Ok(())
        })?;
        Ok(old.len())
    }
}
