//! The Parameter Store as a service the server hosts.

use std::sync::Arc;
use std::time::Duration;

use berth_aws::protocol::Protocol;
use berth_aws::service::{Call, Exec, Job, Service, ServiceInfo};
use berth_aws::AwsError;
use berth_commit::{Lock, Staged};
use berth_ssm_model::operations::{SIGNING_NAME, TARGET_PREFIX};
use berth_ssm_model::Operation;

use crate::Ssm;

/// SecureString versions re-sealed per round after a key rotation.
const RESEAL_BATCH: usize = 500;

static INFO: ServiceInfo = ServiceInfo {
    name: "ssm",
    signing_name: SIGNING_NAME,
    protocol: Protocol::Json11,
    target_prefixes: &[TARGET_PREFIX],
    query_compatible: false,
    max_body_bytes: None,
    signing_region: None,
};

pub struct SsmService {
    ssm: Arc<Ssm>,
}

impl SsmService {
    pub fn new(ssm: Arc<Ssm>) -> Arc<Self> {
        Arc::new(SsmService { ssm })
    }
}

impl Service for SsmService {
    fn resources(&self, ctx: &berth_aws::RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        crate::resources::resources(ctx, op, body)
    }

    fn info(&self) -> &ServiceInfo {
        &INFO
    }

    fn exec(&self, _prefix: &str, op: &str) -> Option<Exec> {
        Operation::from_name(op).map(|_| Exec::Blocking)
    }

    fn call(&self, call: &Call, _lock: Lock) -> Result<Staged<Vec<u8>>, AwsError> {
        let op = Operation::from_name(&call.op)
            .ok_or_else(|| AwsError::unknown_operation(&format!("{TARGET_PREFIX}.{}", call.op)))?;
        Ok(Staged::settled(self.ssm.handle(&call.ctx, op, &call.body)?))
    }

    fn jobs(self: Arc<Self>) -> Vec<Job> {
        let ssm = self.ssm.clone();
        vec![Job {
            name: "parameter re-sealer",
            period: Duration::from_secs(30),
            wake: None,
            settle: Duration::ZERO,
            run: Arc::new(move || Ok(ssm.reseal(RESEAL_BATCH)? >= RESEAL_BATCH)),
        }]
    }
}
