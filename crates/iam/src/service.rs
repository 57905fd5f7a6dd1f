//! IAM as a service the server hosts (AWS Query; clients sign for `us-east-1`, as IAM is
//! global).

use std::sync::Arc;

use berth_aws::protocol::Protocol;
use berth_aws::schema::Schema;
use std::time::Duration;

use berth_aws::service::{Call, Exec, Job, Service, ServiceInfo};
use berth_aws::AwsError;
use berth_commit::{Lock, Staged};
use berth_iam_model::operations::SIGNING_NAME;
use berth_iam_model::schema::SCHEMA;
use berth_iam_model::Operation;

use crate::Iam;

/// Key secrets re-sealed per round after a key rotation.
const RESEAL_BATCH: usize = 500;

static INFO: ServiceInfo = ServiceInfo {
    name: "iam",
    signing_name: SIGNING_NAME,
    protocol: Protocol::Query,
    target_prefixes: &[],
    query_compatible: false,
    max_body_bytes: None,
    signing_region: Some("us-east-1"),
};

pub struct IamService {
    iam: Arc<Iam>,
}

impl IamService {
    pub fn new(iam: Arc<Iam>) -> Arc<Self> {
        Arc::new(IamService { iam })
    }
}

impl Service for IamService {
    fn resources(&self, ctx: &berth_aws::RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        self.iam.resources(ctx, op, body)
    }

    fn info(&self) -> &ServiceInfo {
        &INFO
    }

    fn exec(&self, _prefix: &str, op: &str) -> Option<Exec> {
        Operation::from_name(op).map(|_| Exec::Blocking)
    }

    fn call(&self, call: &Call, _lock: Lock) -> Result<Staged<Vec<u8>>, AwsError> {
        let op = Operation::from_name(&call.op).ok_or_else(|| {
            AwsError::new(
                400,
                "InvalidAction",
                format!("The action {} is not valid for this web service.", call.op),
            )
        })?;
        Ok(Staged::settled(self.iam.handle(&call.ctx, op, &call.body)?))
    }

    fn schema(&self) -> Option<&Schema> {
        Some(&SCHEMA)
    }

    fn jobs(self: Arc<Self>) -> Vec<Job> {
        let iam = self.iam.clone();
        vec![Job {
            name: "access key re-sealer",
            period: Duration::from_secs(30),
            wake: None,
            settle: Duration::ZERO,
            run: Arc::new(move || Ok(iam.reseal(RESEAL_BATCH)? == RESEAL_BATCH)),
        }]
    }
}
