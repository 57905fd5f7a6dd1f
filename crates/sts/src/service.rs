//! STS as a service the server hosts (AWS Query: the server transcodes with [`SCHEMA`]).

use std::sync::Arc;

use berth_aws::protocol::Protocol;
use berth_aws::schema::Schema;
use berth_aws::service::{Call, Exec, Service, ServiceInfo};
use berth_aws::AwsError;
use berth_commit::{Lock, Staged};
use berth_sts_model::operations::SIGNING_NAME;
use berth_sts_model::schema::SCHEMA;
use berth_sts_model::Operation;

use crate::Sts;

static INFO: ServiceInfo = ServiceInfo {
    name: "sts",
    signing_name: SIGNING_NAME,
    protocol: Protocol::Query,
    target_prefixes: &[],
    query_compatible: false,
    max_body_bytes: None,
    signing_region: None,
};

pub struct StsService {
    sts: Arc<Sts>,
}

impl StsService {
    pub fn new(sts: Arc<Sts>) -> Arc<Self> {
        Arc::new(StsService { sts })
    }
}

impl Service for StsService {
    fn resources(&self, _ctx: &berth_aws::RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        crate::resources::resources(op, body)
    }

    fn info(&self) -> &ServiceInfo {
        &INFO
    }

    fn exec(&self, _prefix: &str, op: &str) -> Option<Exec> {
        // Nothing it does waits for the disk yet.
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
        Ok(Staged::settled(self.sts.handle(&call.ctx, op, &call.body)?))
    }

    fn schema(&self) -> Option<&Schema> {
        Some(&SCHEMA)
    }
}
