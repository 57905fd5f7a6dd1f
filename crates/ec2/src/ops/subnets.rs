//! DescribeSubnets: the default VPC's subnets, one per availability zone.

use berth_aws::RequestContext;
use berth_ec2_model::shapes::*;

use super::{arn, flag, one, page, tag_list};
use crate::error::{Ec2Error, Result};
use crate::filters::Filters;
use crate::network::{default_subnets, default_vpc_id, DefaultSubnet, SUBNET_FREE_ADDRESSES};
use crate::Ec2;

/// The filters DescribeSubnets takes (the camel-case ones are EC2's older spellings).
const FILTERS: &[&str] = &[
    "availability-zone",
    "availabilityZone",
    "availability-zone-id",
    "availabilityZoneId",
    "available-ip-address-count",
    "cidr-block",
    "cidr",
    "cidrBlock",
    "default-for-az",
    "defaultForAz",
    "enable-dns64",
    "ipv6-native",
    "map-customer-owned-ip-on-launch",
    "map-public-ip-on-launch",
    "owner-id",
    "state",
    "subnet-arn",
    "subnet-id",
    "vpc-id",
];

fn subnet(ctx: &RequestContext, s: &DefaultSubnet, tags: Vec<Tag>) -> Subnet {
    Subnet {
        subnet_id: Some(s.id.clone()),
        subnet_arn: Some(arn(ctx, "subnet", &s.id)),
        vpc_id: Some(default_vpc_id(&ctx.account)),
        owner_id: Some(ctx.account.clone()),
        state: Some(SubnetState::Available),
        cidr_block: Some(s.cidr.clone()),
        availability_zone: Some(s.zone.name.clone()),
        availability_zone_id: Some(s.zone.id.clone()),
        available_ip_address_count: Some(SUBNET_FREE_ADDRESSES),
        default_for_az: Some(true),
        map_public_ip_on_launch: Some(true),
        map_customer_owned_ip_on_launch: Some(false),
        assign_ipv6_address_on_creation: Some(false),
        ipv6_cidr_block_association_set: Some(Vec::new()),
        enable_dns64: Some(false),
        ipv6_native: Some(false),
        private_dns_name_options_on_launch: Some(PrivateDnsNameOptionsOnLaunch {
            hostname_type: Some(HostnameType::IpName),
            enable_resource_name_dns_a_record: Some(false),
            enable_resource_name_dns_aaaa_record: Some(false),
        }),
        tags: Some(tags),
        ..Default::default()
    }
}

/// The subnet's values for a filter name.
fn values(s: &Subnet, name: &str) -> Vec<String> {
    let text = |v: &Option<String>| v.iter().cloned().collect();
    match name {
        "availability-zone" | "availabilityZone" => text(&s.availability_zone),
        "availability-zone-id" | "availabilityZoneId" => text(&s.availability_zone_id),
        "available-ip-address-count" => one(SUBNET_FREE_ADDRESSES.to_string()),
        "cidr-block" | "cidr" | "cidrBlock" => text(&s.cidr_block),
        "default-for-az" | "defaultForAz" => flag(s.default_for_az == Some(true)),
        "map-public-ip-on-launch" => flag(s.map_public_ip_on_launch == Some(true)),
        "enable-dns64" | "ipv6-native" | "map-customer-owned-ip-on-launch" => flag(false),
        "owner-id" => text(&s.owner_id),
        "state" => one("available"),
        "subnet-arn" => text(&s.subnet_arn),
        "subnet-id" => text(&s.subnet_id),
        "vpc-id" => text(&s.vpc_id),
        _ => Vec::new(),
    }
}

impl Ec2 {
    pub(crate) fn describe_subnets(
        &self,
        ctx: &RequestContext,
        req: DescribeSubnetsRequest,
    ) -> Result<DescribeSubnetsResult> {
        let filters = Filters::parse(req.filters.as_ref(), FILTERS)?;
        let all = default_subnets(&ctx.account, &ctx.region);
        let wanted = req.subnet_ids.unwrap_or_default();
        if let Some(id) = wanted.iter().find(|id| !all.iter().any(|s| s.id == **id)) {
            return Err(Ec2Error::no_subnet(id));
        }
        let state = self.db.snapshot();
        let mut listed: Vec<(String, Subnet)> = Vec::new();
        for s in &all {
            if !wanted.is_empty() && !wanted.contains(&s.id) {
                continue;
            }
            let tags = state.resource_tags(&ctx.account, &s.id);
            let subnet = subnet(ctx, s, tag_list(&tags));
            if filters.matches(|n| values(&subnet, n), &tags) {
                // In zone order, which pages follow.
                listed.push((s.zone.name.clone(), subnet));
            }
        }
        let (subnets, next_token) = page(listed, req.next_token.as_deref(), req.max_results)?;
        Ok(DescribeSubnetsResult {
            subnets: Some(subnets),
            next_token,
        })
    }
}
