//! Secrets Manager as a service the server hosts.

use std::sync::Arc;
use std::time::Duration;

use berth_aws::protocol::Protocol;
use berth_aws::service::{Call, Exec, Job, Service, ServiceInfo};
use berth_aws::AwsError;
use berth_commit::{Lock, Staged};
use berth_secretsmanager_model::operations::{SIGNING_NAME, TARGET_PREFIX};
use berth_secretsmanager_model::Operation;

use crate::SecretsManager;

/// Values re-sealed per round after a key rotation.
const RESEAL_BATCH: usize = 500;

static INFO: ServiceInfo = ServiceInfo {
    name: "secretsmanager",
    signing_name: SIGNING_NAME,
    protocol: Protocol::Json11,
    target_prefixes: &[TARGET_PREFIX],
    query_compatible: false,
    max_body_bytes: None,
    signing_region: None,
};

pub struct SecretsManagerService {
    sm: Arc<SecretsManager>,
}

impl SecretsManagerService {
    pub fn new(sm: Arc<SecretsManager>) -> Arc<Self> {
        Arc::new(SecretsManagerService { sm })
    }
}

impl Service for SecretsManagerService {
    fn info(&self) -> &ServiceInfo {
        &INFO
    }

    fn exec(&self, _prefix: &str, op: &str) -> Option<Exec> {
        // Writes wait for the disk; reads may record the day of access.
        Operation::from_name(op).map(|_| Exec::Blocking)
    }

    fn call(&self, call: &Call, _lock: Lock) -> Result<Staged<Vec<u8>>, AwsError> {
        let op = Operation::from_name(&call.op)
            .ok_or_else(|| AwsError::unknown_operation(&format!("{TARGET_PREFIX}.{}", call.op)))?;
        Ok(Staged::settled(self.sm.handle(&call.ctx, op, &call.body)?))
    }

    fn resources(&self, ctx: &berth_aws::RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        self.sm.resources(ctx, op, body)
    }

    fn resource_policy(&self, ctx: &berth_aws::RequestContext, resource: &str) -> Option<String> {
        self.sm.policy_of(ctx, resource)
    }

    fn jobs(self: Arc<Self>) -> Vec<Job> {
        let sweep = self.sm.clone();
        let reseal = self.sm.clone();
        vec![
            Job {
                name: "secret deletion sweeper",
                period: Duration::from_secs(60),
                wake: None,
                settle: Duration::ZERO,
                run: Arc::new(move || {
                    sweep.sweep_deleted()?;
                    Ok(false)
                }),
            },
            Job {
                name: "secret re-sealer",
                period: Duration::from_secs(30),
                wake: None,
                settle: Duration::ZERO,
                run: Arc::new(move || Ok(reseal.reseal(RESEAL_BATCH)? == RESEAL_BATCH)),
            },
        ]
    }
}
