//! ELB as a service the server hosts (AWS Query, signing name `elasticloadbalancing`).

use std::sync::Arc;

use berth_aws::protocol::Protocol;
use berth_aws::schema::Schema;
use berth_aws::service::{Call, Exec, Service, ServiceInfo};
use berth_aws::AwsError;
use berth_commit::{Lock, Staged};
use berth_elbv2_model::operations::SIGNING_NAME;
use berth_elbv2_model::schema::SCHEMA;
use berth_elbv2_model::Operation;

use crate::Elb;

static INFO: ServiceInfo = ServiceInfo {
    name: "elbv2",
    signing_name: SIGNING_NAME,
    protocol: Protocol::Query,
    target_prefixes: &[],
    query_compatible: false,
    max_body_bytes: None,
    signing_region: None,
};

pub struct ElbService {
    elb: Arc<Elb>,
}

impl ElbService {
    pub fn new(elb: Arc<Elb>) -> Arc<Self> {
        Arc::new(ElbService { elb })
    }
}

impl Service for ElbService {
    fn info(&self) -> &ServiceInfo {
        &INFO
    }

    fn schema(&self) -> Option<&Schema> {
        Some(&SCHEMA)
    }

    fn resources(&self, ctx: &berth_aws::RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        crate::resources::resources(ctx, op, body)
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
        Ok(Staged::settled(self.elb.handle(&call.ctx, op, &call.body)?))
    }
}
