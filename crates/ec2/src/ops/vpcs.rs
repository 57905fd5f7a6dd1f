//! DescribeVpcs and DescribeVpcAttribute: every account has its default VPC and no other.

use berth_aws::RequestContext;
use berth_ec2_model::shapes::*;

use super::{flag, one, page, tag_list};
use crate::error::{Ec2Error, Result};
use crate::filters::Filters;
use crate::network::{default_vpc_id, derived_id, VPC_CIDR};
use crate::Ec2;

/// The filters DescribeVpcs takes (`isDefault` is the older spelling of `is-default`).
const FILTERS: &[&str] = &[
    "cidr",
    "cidr-block-association.association-id",
    "cidr-block-association.cidr-block",
    "cidr-block-association.state",
    "dhcp-options-id",
    "ipv6-cidr-block-association.association-id",
    "ipv6-cidr-block-association.ipv6-cidr-block",
    "ipv6-cidr-block-association.ipv6-pool",
    "ipv6-cidr-block-association.state",
    "is-default",
    "isDefault",
    "owner-id",
    "state",
    "vpc-id",
];

/// The default VPC as EC2 describes it.
fn default_vpc(ctx: &RequestContext, tags: &std::collections::BTreeMap<String, String>) -> Vpc {
    let account = &ctx.account;
    Vpc {
        vpc_id: Some(default_vpc_id(account)),
        owner_id: Some(account.clone()),
        state: Some(VpcState::Available),
        cidr_block: Some(VPC_CIDR.into()),
        cidr_block_association_set: Some(vec![VpcCidrBlockAssociation {
            association_id: Some(derived_id("vpc-cidr-assoc", &format!("{account}:cidr"))),
            cidr_block: Some(VPC_CIDR.into()),
            cidr_block_state: Some(VpcCidrBlockState {
                state: Some(VpcCidrBlockStateCode::Associated),
                ..Default::default()
            }),
        }]),
        ipv6_cidr_block_association_set: Some(Vec::new()),
        dhcp_options_id: Some(derived_id("dopt", account)),
        instance_tenancy: Some(Tenancy::Default),
        is_default: Some(true),
        tags: Some(tag_list(tags)),
        ..Default::default()
    }
}

/// The VPC's values for a filter name.
fn values(vpc: &Vpc, name: &str) -> Vec<String> {
    let assoc = vpc.cidr_block_association_set.iter().flatten();
    match name {
        "vpc-id" => vpc.vpc_id.iter().cloned().collect(),
        "is-default" | "isDefault" => flag(vpc.is_default == Some(true)),
        "state" => one("available"),
        "cidr" => vpc.cidr_block.iter().cloned().collect(),
        "cidr-block-association.cidr-block" => assoc.filter_map(|a| a.cidr_block.clone()).collect(),
        "cidr-block-association.association-id" => {
            assoc.filter_map(|a| a.association_id.clone()).collect()
        }
        "cidr-block-association.state" => one("associated"),
        "dhcp-options-id" => vpc.dhcp_options_id.iter().cloned().collect(),
        "owner-id" => vpc.owner_id.iter().cloned().collect(),
        _ => Vec::new(),
    }
}

impl Ec2 {
    pub(crate) fn describe_vpcs(
        &self,
        ctx: &RequestContext,
        req: DescribeVpcsRequest,
    ) -> Result<DescribeVpcsResult> {
        let filters = Filters::parse(req.filters.as_ref(), FILTERS)?;
        let own = default_vpc_id(&ctx.account);
        if let Some(id) = req.vpc_ids.iter().flatten().find(|id| **id != own) {
            return Err(Ec2Error::no_vpc(id));
        }
        let tags = self.db.read(|s| s.resource_tags(&ctx.account, &own));
        let vpc = default_vpc(ctx, &tags);
        let listed = filters
            .matches(|n| values(&vpc, n), &tags)
            .then(|| (own.clone(), vpc));
        let (vpcs, next_token) = page(listed, req.next_token.as_deref(), req.max_results)?;
        Ok(DescribeVpcsResult {
            vpcs: Some(vpcs),
            next_token,
        })
    }

    pub(crate) fn describe_vpc_attribute(
        &self,
        ctx: &RequestContext,
        req: DescribeVpcAttributeRequest,
    ) -> Result<DescribeVpcAttributeResult> {
        let vpc_id = req.vpc_id.unwrap_or_default();
        if !self.vpc_exists(&ctx.account, &vpc_id) {
            return Err(Ec2Error::no_vpc(&vpc_id));
        }
        let value = |b: bool| Some(AttributeBooleanValue { value: Some(b) });
        let mut out = DescribeVpcAttributeResult {
            vpc_id: Some(vpc_id),
            ..Default::default()
        };
        // A default VPC resolves names and gives instances public DNS names.
        match req.attribute {
            Some(VpcAttributeName::EnableDnsSupport) => out.enable_dns_support = value(true),
            Some(VpcAttributeName::EnableDnsHostnames) => out.enable_dns_hostnames = value(true),
            Some(VpcAttributeName::EnableNetworkAddressUsageMetrics) => {
                out.enable_network_address_usage_metrics = value(false)
            }
            _ => return Err(Ec2Error::missing("Attribute")),
        }
        Ok(out)
    }
}
