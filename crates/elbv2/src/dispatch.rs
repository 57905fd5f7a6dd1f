//! The routing table: one line per implemented operation, from the input document to a
//! handler.

use berth_aws::model::Validate;
use berth_aws::protocol::json::{self, BodyError};
use berth_aws::RequestContext;
use berth_elbv2_model::Operation;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{ElbError, Result};
use crate::Elb;

fn call<Req, Resp>(body: &[u8], f: impl FnOnce(Req) -> Result<Resp>) -> Result<Vec<u8>>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let req = json::parse(body).map_err(|e| match e {
        BodyError::Serialization(m) | BodyError::Invalid(m) => ElbError::Validation(m),
    })?;
    let resp = f(req)?;
    serde_json::to_vec(&resp)
        .map_err(|e| ElbError::ServiceFailure(format!("encoding response: {e}")))
}

impl Elb {
    /// Answers one ELB operation for the caller in `ctx`; `body` is the input's document.
    pub fn handle(&self, ctx: &RequestContext, op: Operation, body: &[u8]) -> Result<Vec<u8>> {
        use Operation as O;
        let c = ctx;
        match op {
            O::CreateLoadBalancer => call(body, |r| self.create_load_balancer(c, r)),
            O::DescribeLoadBalancers => call(body, |r| self.describe_load_balancers(c, r)),
            O::DeleteLoadBalancer => call(body, |r| self.delete_load_balancer(c, r)),
            O::SetSubnets => call(body, |r| self.set_subnets(c, r)),
            O::SetSecurityGroups => call(body, |r| self.set_security_groups(c, r)),
            O::SetIpAddressType => call(body, |r| self.set_ip_address_type(c, r)),
            O::DescribeLoadBalancerAttributes => {
                call(body, |r| self.describe_load_balancer_attributes(c, r))
            }
            O::ModifyLoadBalancerAttributes => {
                call(body, |r| self.modify_load_balancer_attributes(c, r))
            }
            O::CreateTargetGroup => call(body, |r| self.create_target_group(c, r)),
            O::DescribeTargetGroups => call(body, |r| self.describe_target_groups(c, r)),
            O::ModifyTargetGroup => call(body, |r| self.modify_target_group(c, r)),
            O::DeleteTargetGroup => call(body, |r| self.delete_target_group(c, r)),
            O::DescribeTargetGroupAttributes => {
                call(body, |r| self.describe_target_group_attributes(c, r))
            }
            O::ModifyTargetGroupAttributes => {
                call(body, |r| self.modify_target_group_attributes(c, r))
            }
            O::RegisterTargets => call(body, |r| self.register_targets(c, r)),
            O::DeregisterTargets => call(body, |r| self.deregister_targets(c, r)),
            O::DescribeTargetHealth => call(body, |r| self.describe_target_health(c, r)),
            O::CreateListener => call(body, |r| self.create_listener(c, r)),
            O::DescribeListeners => call(body, |r| self.describe_listeners(c, r)),
            O::ModifyListener => call(body, |r| self.modify_listener(c, r)),
            O::DeleteListener => call(body, |r| self.delete_listener(c, r)),
            O::AddListenerCertificates => call(body, |r| self.add_listener_certificates(c, r)),
            O::RemoveListenerCertificates => {
                call(body, |r| self.remove_listener_certificates(c, r))
            }
            O::DescribeListenerCertificates => {
                call(body, |r| self.describe_listener_certificates(c, r))
            }
            O::DescribeListenerAttributes => {
                call(body, |r| self.describe_listener_attributes(c, r))
            }
            O::ModifyListenerAttributes => call(body, |r| self.modify_listener_attributes(c, r)),
            O::CreateRule => call(body, |r| self.create_rule(c, r)),
            O::DescribeRules => call(body, |r| self.describe_rules(c, r)),
            O::ModifyRule => call(body, |r| self.modify_rule(c, r)),
            O::DeleteRule => call(body, |r| self.delete_rule(c, r)),
            O::SetRulePriorities => call(body, |r| self.set_rule_priorities(c, r)),
            O::AddTags => call(body, |r| self.add_tags(c, r)),
            O::RemoveTags => call(body, |r| self.remove_tags(c, r)),
            O::DescribeTags => call(body, |r| self.describe_tags(c, r)),
            O::DescribeAccountLimits => call(body, |r| self.describe_account_limits(c, r)),
            O::DescribeSSLPolicies => call(body, |r| self.describe_ssl_policies(c, r)),
            other => Err(ElbError::NotYet(format!(
                "The action {} is not supported by Berth yet.",
                other.name()
            ))),
        }
    }

    /// Whether Berth answers `op`.
    pub fn implements(&self, op: Operation) -> bool {
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        !matches!(self.handle(&ctx, op, b"\0"), Err(ElbError::NotYet(_)))
    }
}
