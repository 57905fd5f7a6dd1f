//! The routing table: one line per operation, from the wire body to a handler.

use berth_aws::model::Validate;
use berth_aws::protocol::json::{self, BodyError};
use berth_aws::RequestContext;
use berth_servicediscovery_model::Operation;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{CloudMapError, Result};
use crate::CloudMap;

fn call<Req, Resp>(body: &[u8], f: impl FnOnce(Req) -> Result<Resp>) -> Result<Vec<u8>>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let req = json::parse(body).map_err(|e| match e {
        BodyError::Serialization(m) => CloudMapError::Serialization(m),
        BodyError::Invalid(m) => CloudMapError::InvalidInput(m),
    })?;
    let resp = f(req)?;
    serde_json::to_vec(&resp)
        .map_err(|e| CloudMapError::Internal(format!("encoding response: {e}")))
}

impl CloudMap {
    /// Answers one Cloud Map operation for the caller in `ctx`; `body` is the request's JSON.
    pub fn handle(&self, ctx: &RequestContext, op: Operation, body: &[u8]) -> Result<Vec<u8>> {
        use Operation as O;
        let c = ctx;
        match op {
            O::CreatePrivateDnsNamespace => call(body, |r| self.create_private_dns_namespace(c, r)),
            O::CreatePublicDnsNamespace => call(body, |r| self.create_public_dns_namespace(c, r)),
            O::CreateHttpNamespace => call(body, |r| self.create_http_namespace(c, r)),
            O::GetNamespace => call(body, |r| self.get_namespace(c, r)),
            O::ListNamespaces => call(body, |r| self.list_namespaces(c, r)),
            O::DeleteNamespace => call(body, |r| self.delete_namespace(c, r)),
            O::UpdatePrivateDnsNamespace => call(body, |r| self.update_private_dns_namespace(c, r)),
            O::UpdatePublicDnsNamespace => call(body, |r| self.update_public_dns_namespace(c, r)),
            O::UpdateHttpNamespace => call(body, |r| self.update_http_namespace(c, r)),
            O::CreateService => call(body, |r| self.create_service(c, r)),
            O::GetService => call(body, |r| self.get_service(c, r)),
            O::ListServices => call(body, |r| self.list_services(c, r)),
            O::UpdateService => call(body, |r| self.update_service(c, r)),
            O::DeleteService => call(body, |r| self.delete_service(c, r)),
            O::GetServiceAttributes => call(body, |r| self.get_service_attributes(c, r)),
            O::UpdateServiceAttributes => call(body, |r| self.update_service_attributes(c, r)),
            O::DeleteServiceAttributes => call(body, |r| self.delete_service_attributes(c, r)),
            O::RegisterInstance => call(body, |r| self.register_instance(c, r)),
            O::DeregisterInstance => call(body, |r| self.deregister_instance(c, r)),
            O::GetInstance => call(body, |r| self.get_instance(c, r)),
            O::ListInstances => call(body, |r| self.list_instances(c, r)),
            O::GetInstancesHealthStatus => call(body, |r| self.get_instances_health_status(c, r)),
            O::UpdateInstanceCustomHealthStatus => {
                call(body, |r| self.update_instance_custom_health_status(c, r))
            }
            O::DiscoverInstances => call(body, |r| self.discover_instances(c, r)),
            O::DiscoverInstancesRevision => call(body, |r| self.discover_instances_revision(c, r)),
            O::GetOperation => call(body, |r| self.get_operation(c, r)),
            O::ListOperations => call(body, |r| self.list_operations(c, r)),
            O::TagResource => call(body, |r| self.tag_resource(c, r)),
            O::UntagResource => call(body, |r| self.untag_resource(c, r)),
            O::ListTagsForResource => call(body, |r| self.list_tags_for_resource(c, r)),
        }
    }

    /// Whether Berth answers `op` (every operation of the model).
    pub fn implements(&self, op: Operation) -> bool {
        Operation::ALL.contains(&op)
    }
}
