//! The routing table: one line per implemented operation, from the input document to a
//! handler; model violations and `DryRun` answered before any handler runs.

use berth_aws::model::Validate;
use berth_aws::protocol::json::{self, BodyError};
use berth_aws::RequestContext;
use berth_ec2_model::Operation;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Ec2Error, Result};
use crate::Ec2;

/// A refused body as EC2 answers it: a required member missing is `MissingParameter`,
/// anything else `InvalidParameterValue`.
fn body_error(e: BodyError) -> Ec2Error {
    match e {
        BodyError::Serialization(m) => Ec2Error::invalid(m),
        BodyError::Invalid(m) => {
            let missing = m
                .split_once("Value null at '")
                .and_then(|(_, rest)| rest.split_once('\''))
                .map(|(path, _)| path.to_owned());
            match missing {
                Some(path) => Ec2Error::missing(&path),
                None => Ec2Error::invalid(m),
            }
        }
    }
}

/// Whether the input document sets `DryRun`.
fn dry_run(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|doc| doc.get("DryRun").and_then(serde_json::Value::as_bool))
        .unwrap_or(false)
}

fn call<Req, Resp>(body: &[u8], f: impl FnOnce(Req) -> Result<Resp>) -> Result<Vec<u8>>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let req = json::parse(body).map_err(body_error)?;
    // Every caller may make every call (policies are the server's business, and decided
    // already): a dry run would have succeeded.
    if dry_run(body) {
        return Err(Ec2Error::DryRun);
    }
    let resp = f(req)?;
    serde_json::to_vec(&resp)
        .map_err(|e| Ec2Error::ServiceFailure(format!("encoding response: {e}")))
}

impl Ec2 {
    /// Answers one EC2 operation for the caller in `ctx`; `body` is the input's document.
    pub fn handle(&self, ctx: &RequestContext, op: Operation, body: &[u8]) -> Result<Vec<u8>> {
        use Operation as O;
        let c = ctx;
        match op {
            O::DescribeVpcs => call(body, |r| self.describe_vpcs(c, r)),
            O::DescribeVpcAttribute => call(body, |r| self.describe_vpc_attribute(c, r)),
            O::DescribeSubnets => call(body, |r| self.describe_subnets(c, r)),
            O::DescribeAvailabilityZones => call(body, |r| self.describe_availability_zones(c, r)),
            O::DescribeRegions => call(body, |r| self.describe_regions(c, r)),
            O::DescribeAccountAttributes => call(body, |r| self.describe_account_attributes(c, r)),
            O::DescribeSecurityGroups => call(body, |r| self.describe_security_groups(c, r)),
            O::CreateSecurityGroup => call(body, |r| self.create_security_group(c, r)),
            O::DeleteSecurityGroup => call(body, |r| self.delete_security_group(c, r)),
            O::AuthorizeSecurityGroupIngress => {
                call(body, |r| self.authorize_security_group_ingress(c, r))
            }
            O::AuthorizeSecurityGroupEgress => {
                call(body, |r| self.authorize_security_group_egress(c, r))
            }
            O::RevokeSecurityGroupIngress => {
                call(body, |r| self.revoke_security_group_ingress(c, r))
            }
            O::RevokeSecurityGroupEgress => call(body, |r| self.revoke_security_group_egress(c, r)),
            O::DescribeSecurityGroupRules => {
                call(body, |r| self.describe_security_group_rules(c, r))
            }
            O::ModifySecurityGroupRules => call(body, |r| self.modify_security_group_rules(c, r)),
            O::UpdateSecurityGroupRuleDescriptionsIngress => call(body, |r| {
                self.update_security_group_rule_descriptions_ingress(c, r)
            }),
            O::UpdateSecurityGroupRuleDescriptionsEgress => call(body, |r| {
                self.update_security_group_rule_descriptions_egress(c, r)
            }),
            O::CreateTags => call(body, |r| self.create_tags(c, r)),
            O::DeleteTags => call(body, |r| self.delete_tags(c, r)),
            O::DescribeTags => call(body, |r| self.describe_tags(c, r)),
            O::DescribeNetworkInterfaces => call(body, |r| self.describe_network_interfaces(c, r)),
        }
    }

    /// Whether Berth answers `op`.
    pub fn implements(&self, op: Operation) -> bool {
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        !matches!(self.handle(&ctx, op, b"\0"), Err(Ec2Error::NotYet(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_members_are_missing_parameters() {
        let e = body_error(BodyError::Invalid(
            "1 validation error detected: Value null at 'GroupName' failed to satisfy \
             constraint: Member must not be null"
                .into(),
        ));
        assert_eq!(e.code(), "MissingParameter");
        assert_eq!(
            e.to_string(),
            "The request must contain the parameter GroupName"
        );
        let e = body_error(BodyError::Invalid("Value '1' at 'MaxResults' …".into()));
        assert_eq!(e.code(), "InvalidParameterValue");
        assert!(dry_run(br#"{"DryRun":true}"#) && !dry_run(br#"{"DryRun":false}"#));
    }
}
