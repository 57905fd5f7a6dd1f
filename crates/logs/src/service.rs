//! CloudWatch Logs as a service the server hosts.

use std::sync::Arc;
use std::time::Duration;

use berth_aws::protocol::Protocol;
use berth_aws::service::{Call, Exec, Job, Service, ServiceInfo};
use berth_aws::AwsError;
use berth_commit::{Lock, Staged};
use berth_logs_model::operations::{SIGNING_NAME, TARGET_PREFIX};
use berth_logs_model::Operation;

use crate::Logs;

/// A full PutLogEvents batch (1,048,576 bytes of messages and overhead) is larger as JSON:
/// escapes can make a message several times longer.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

static INFO: ServiceInfo = ServiceInfo {
    name: "logs",
    signing_name: SIGNING_NAME,
    protocol: Protocol::Json11,
    target_prefixes: &[TARGET_PREFIX],
    query_compatible: false,
    max_body_bytes: Some(MAX_BODY_BYTES),
    signing_region: None,
};

pub struct LogsService {
    logs: Arc<Logs>,
}

impl LogsService {
    pub fn new(logs: Arc<Logs>) -> Arc<Self> {
        Arc::new(LogsService { logs })
    }
}

impl Service for LogsService {
    fn resources(&self, ctx: &berth_aws::RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        crate::resources::resources(ctx, op, body)
    }

    fn info(&self) -> &ServiceInfo {
        &INFO
    }

    fn exec(&self, _prefix: &str, op: &str) -> Option<Exec> {
        // Every call may wait for the disk (PutLogEvents) or read segment files.
        Operation::from_name(op).map(|_| Exec::Blocking)
    }

    fn call(&self, call: &Call, _lock: Lock) -> Result<Staged<Vec<u8>>, AwsError> {
        let op = Operation::from_name(&call.op)
            .ok_or_else(|| AwsError::unknown_operation(&format!("{TARGET_PREFIX}.{}", call.op)))?;
        Ok(Staged::settled(
            self.logs.handle(&call.ctx, op, &call.body)?,
        ))
    }

    fn jobs(self: Arc<Self>) -> Vec<Job> {
        let logs = self.logs.clone();
        vec![Job {
            name: "retention sweeper",
            period: Duration::from_secs(60),
            wake: None,
            settle: Duration::ZERO,
            run: Arc::new(move || {
                logs.sweep_retention()?;
                Ok(false)
            }),
        }]
    }
}
