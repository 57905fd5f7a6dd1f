//! ECR as a service the server hosts: its API, its registry surface, its background jobs
//! (garbage collector, lifecycle sweeper, image scanner).

use std::sync::Arc;
use std::time::Duration;

use berth_aws::protocol::Protocol;
use berth_aws::service::{Call, Exec, HttpSurface, Job, Service, ServiceInfo};
use berth_aws::AwsError;
use berth_commit::{Lock, Staged};
use berth_ecr_model::operations::{SIGNING_NAME, TARGET_PREFIX};
use berth_ecr_model::Operation;

use crate::Ecr;

/// PutImage carries a manifest of up to 4 MiB and UploadLayerPart a base64 part: the JSON
/// body can be larger than both.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

static INFO: ServiceInfo = ServiceInfo {
    name: "ecr",
    signing_name: SIGNING_NAME,
    protocol: Protocol::Json11,
    target_prefixes: &[TARGET_PREFIX],
    query_compatible: false,
    max_body_bytes: Some(MAX_BODY_BYTES),
    signing_region: None,
};

pub struct EcrService {
    ecr: Arc<Ecr>,
}

impl EcrService {
    pub fn new(ecr: Arc<Ecr>) -> Arc<Self> {
        Arc::new(EcrService { ecr })
    }
}

impl Service for EcrService {
    fn resources(&self, ctx: &berth_aws::RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        crate::resources::resources(ctx, op, body)
    }

    fn info(&self) -> &ServiceInfo {
        &INFO
    }

    fn exec(&self, _prefix: &str, op: &str) -> Option<Exec> {
        // Writes wait for the disk; layer parts and downloads touch blob files.
        Operation::from_name(op).map(|_| Exec::Blocking)
    }

    fn call(&self, call: &Call, _lock: Lock) -> Result<Staged<Vec<u8>>, AwsError> {
        let op = Operation::from_name(&call.op)
            .ok_or_else(|| AwsError::unknown_operation(&format!("{TARGET_PREFIX}.{}", call.op)))?;
        Ok(Staged::settled(self.ecr.handle(&call.ctx, op, &call.body)?))
    }

    fn jobs(self: Arc<Self>) -> Vec<Job> {
        let ecr = self.ecr.clone();
        let sweeper = self.ecr.clone();
        let scanner = self.ecr.clone();
        let replicator = self.ecr.clone();
        vec![
            Job {
                name: "registry garbage collector",
                period: self.ecr.timings.gc,
                wake: None,
                settle: Duration::ZERO,
                run: Arc::new(move || {
                    ecr.collect_garbage()?;
                    Ok(false)
                }),
            },
            Job {
                name: "lifecycle policy sweeper",
                period: self.ecr.timings.lifecycle_sweep,
                wake: None,
                settle: Duration::ZERO,
                run: Arc::new(move || {
                    sweeper.sweep_lifecycle()?;
                    Ok(false)
                }),
            },
            Job {
                name: "image replicator",
                period: Duration::from_secs(5),
                wake: Some(self.ecr.replication_wake.clone()),
                settle: Duration::ZERO,
                run: Arc::new(move || Ok(replicator.run_replication()?)),
            },
            Job {
                name: "image scanner",
                period: crate::scan::SCAN_PERIOD,
                wake: Some(self.ecr.scanning.wake.clone()),
                settle: Duration::ZERO,
                run: Arc::new(move || Ok(scanner.run_scans()?)),
            },
        ]
    }

    fn listening(&self, endpoint: &str) {
        self.ecr.listening(endpoint);
    }

    fn http(self: Arc<Self>) -> Option<(&'static str, Arc<dyn HttpSurface>)> {
        Some(("/v2", crate::registry::Registry::new(self.ecr.clone())))
    }
}
