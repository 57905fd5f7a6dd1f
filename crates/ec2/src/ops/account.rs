//! DescribeAccountAttributes: what the account may do (EC2-VPC only) and its default VPC.

use berth_aws::RequestContext;
use berth_ec2_model::shapes::*;

use crate::error::Result;
use crate::network::default_vpc_id;
use crate::Ec2;

impl Ec2 {
    pub(crate) fn describe_account_attributes(
        &self,
        ctx: &RequestContext,
        req: DescribeAccountAttributesRequest,
    ) -> Result<DescribeAccountAttributesResult> {
        let vpc = default_vpc_id(&ctx.account);
        // EC2's defaults for a new account.
        let all: [(&str, &str); 6] = [
            ("supported-platforms", "VPC"),
            ("vpc-max-security-groups-per-interface", "5"),
            ("max-elastic-ips", "5"),
            ("max-instances", "20"),
            ("vpc-max-elastic-ips", "5"),
            ("default-vpc", &vpc),
        ];
        let wanted: Vec<String> = req
            .attribute_names
            .iter()
            .flatten()
            .map(|n| n.as_str().to_owned())
            .collect();
        let attributes = all
            .iter()
            .filter(|(name, _)| wanted.is_empty() || wanted.iter().any(|w| w == name))
            .map(|(name, value)| AccountAttribute {
                attribute_name: Some((*name).into()),
                attribute_values: Some(vec![AccountAttributeValue {
                    attribute_value: Some((*value).into()),
                }]),
            })
            .collect();
        Ok(DescribeAccountAttributesResult {
            account_attributes: Some(attributes),
        })
    }
}
