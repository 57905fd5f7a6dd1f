//! EC2 as a service the server hosts (AWS's `ec2` protocol, signing name `ec2`).

use std::sync::Arc;

use berth_aws::protocol::Protocol;
use berth_aws::schema::Schema;
use berth_aws::service::{Call, Exec, Service, ServiceInfo};
use berth_aws::AwsError;
use berth_commit::{Lock, Staged};
use berth_ec2_model::operations::SIGNING_NAME;
use berth_ec2_model::schema::SCHEMA;
use berth_ec2_model::Operation;

use crate::Ec2;

static INFO: ServiceInfo = ServiceInfo {
    name: "ec2",
    signing_name: SIGNING_NAME,
    protocol: Protocol::Ec2,
    target_prefixes: &[],
    query_compatible: false,
    max_body_bytes: None,
    signing_region: None,
};

pub struct Ec2Service {
    ec2: Arc<Ec2>,
}

impl Ec2Service {
    pub fn new(ec2: Arc<Ec2>) -> Arc<Self> {
        Arc::new(Ec2Service { ec2 })
    }
}

impl Service for Ec2Service {
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
        Ok(Staged::settled(self.ec2.handle(&call.ctx, op, &call.body)?))
    }

    fn listening(&self, endpoint: &str) {
        self.ec2.set_endpoint(endpoint);
    }
}
