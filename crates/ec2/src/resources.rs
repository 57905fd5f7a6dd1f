//! The resources a call names, as IAM policies see them: the ARNs of the security groups it
//! changes and of the resources it tags; `*` for the calls that name none (EC2's Describe
//! calls take no resource-level permissions).

use berth_aws::resources::{input, or_any, text, texts};
use berth_aws::RequestContext;

use crate::ops::arn;

/// The ARN of a resource by its id's prefix; None for an id of no kind EC2 here has.
fn arn_of(ctx: &RequestContext, id: &str) -> Option<String> {
    let kind = match id.split_once('-').map(|(p, _)| p) {
        Some("vpc") => "vpc",
        Some("subnet") => "subnet",
        Some("sg") => "security-group",
        Some("sgr") => "security-group-rule",
        _ => return None,
    };
    Some(arn(ctx, kind, id))
}

/// For [`berth_aws::service::Service::resources`].
pub fn resources(ctx: &RequestContext, op: &str, body: &[u8]) -> Vec<String> {
    let doc = input(body);
    let names: Vec<&str> = match op {
        "CreateTags" | "DeleteTags" => texts(&doc, "Resources"),
        "CreateSecurityGroup" => text(&doc, "VpcId").into_iter().collect(),
        _ if op.starts_with("Describe") => Vec::new(),
        _ => text(&doc, "GroupId").into_iter().collect(),
    };
    or_any(names.into_iter().filter_map(|id| arn_of(ctx, id)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_name_their_groups_and_tagged_resources() {
        let ctx = RequestContext::for_account("123456789012", "us-east-1");
        assert_eq!(
            resources(
                &ctx,
                "AuthorizeSecurityGroupIngress",
                br#"{"GroupId":"sg-1"}"#
            ),
            ["arn:aws:ec2:us-east-1:123456789012:security-group/sg-1"]
        );
        assert_eq!(
            resources(&ctx, "CreateTags", br#"{"Resources":["vpc-1","i-2"]}"#),
            ["arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1"]
        );
        assert_eq!(
            resources(&ctx, "DescribeVpcs", br#"{"VpcIds":["vpc-1"]}"#),
            ["*"]
        );
    }
}
