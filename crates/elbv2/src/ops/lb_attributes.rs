//! DescribeLoadBalancerAttributes and ModifyLoadBalancerAttributes: every attribute an
//! Application (or Network) Load Balancer has, with ELB's defaults and value rules.
//! The data plane reads `idle_timeout.timeout_seconds`, `routing.http2.enabled` and
//! `routing.http.drop_invalid_header_fields.enabled`; the rest are stored and answered.

use berth_aws::RequestContext;
use berth_elbv2_model::shapes::*;

use super::attributes::{self, Rule, Table};
use super::{find_lb, required};
use crate::error::Result;
use crate::records::LoadBalancerRec;
use crate::Elb;

const APPLICATION: Table = &[
    ("access_logs.s3.enabled", "false", Rule::Bool),
    ("access_logs.s3.bucket", "", Rule::Text(255)),
    ("access_logs.s3.prefix", "", Rule::Text(255)),
    ("client_keep_alive.seconds", "3600", Rule::Int(60, 604800)),
    ("connection_logs.s3.enabled", "false", Rule::Bool),
    ("connection_logs.s3.bucket", "", Rule::Text(255)),
    ("connection_logs.s3.prefix", "", Rule::Text(255)),
    ("deletion_protection.enabled", "false", Rule::Bool),
    ("health_check_logs.s3.enabled", "false", Rule::Bool),
    ("health_check_logs.s3.bucket", "", Rule::Text(255)),
    ("health_check_logs.s3.prefix", "", Rule::Text(255)),
    ("idle_timeout.timeout_seconds", "60", Rule::Int(1, 4000)),
    ("load_balancing.cross_zone.enabled", "true", Rule::Bool),
    (
        "routing.http.desync_mitigation_mode",
        "defensive",
        Rule::OneOf(&["monitor", "defensive", "strictest"]),
    ),
    (
        "routing.http.drop_invalid_header_fields.enabled",
        "false",
        Rule::Bool,
    ),
    (
        "routing.http.preserve_host_header.enabled",
        "false",
        Rule::Bool,
    ),
    (
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
        "false",
        Rule::Bool,
    ),
    ("routing.http.xff_client_port.enabled", "false", Rule::Bool),
    (
        "routing.http.xff_header_processing.mode",
        "append",
        Rule::OneOf(&["append", "preserve", "remove"]),
    ),
    ("routing.http2.enabled", "true", Rule::Bool),
    ("waf.fail_open.enabled", "false", Rule::Bool),
    ("zonal_shift.config.enabled", "false", Rule::Bool),
];

const NETWORK: Table = &[
    ("access_logs.s3.enabled", "false", Rule::Bool),
    ("access_logs.s3.bucket", "", Rule::Text(255)),
    ("access_logs.s3.prefix", "", Rule::Text(255)),
    ("deletion_protection.enabled", "false", Rule::Bool),
    (
        "dns_record.client_routing_policy",
        "any_availability_zone",
        Rule::OneOf(&[
            "availability_zone_affinity",
            "partial_availability_zone_affinity",
            "any_availability_zone",
        ]),
    ),
    ("load_balancing.cross_zone.enabled", "false", Rule::Bool),
    ("zonal_shift.config.enabled", "false", Rule::Bool),
];

fn table(kind: &str) -> Table {
    if kind == "network" {
        NETWORK
    } else {
        APPLICATION
    }
}

/// The value of attribute `key` of `lb`, its default if it was never set.
pub(crate) fn lb_attribute<'a>(lb: &'a LoadBalancerRec, key: &str) -> Option<&'a str> {
    attributes::value(table(&lb.kind), &lb.attributes, key)
}

fn all(lb: &LoadBalancerRec) -> Vec<LoadBalancerAttribute> {
    attributes::listed(table(&lb.kind), &lb.attributes)
        .into_iter()
        .map(|(k, v)| LoadBalancerAttribute {
            key: Some(k),
            value: Some(v),
        })
        .collect()
}

impl Elb {
    pub(crate) fn describe_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        r: DescribeLoadBalancerAttributesInput,
    ) -> Result<DescribeLoadBalancerAttributesOutput> {
        let arn = required(&r.load_balancer_arn, "LoadBalancerArn")?;
        let lb = find_lb(&self.db.snapshot(), ctx, arn)?;
        Ok(DescribeLoadBalancerAttributesOutput {
            attributes: Some(all(&lb)),
        })
    }

    pub(crate) fn modify_load_balancer_attributes(
        &self,
        ctx: &RequestContext,
        r: ModifyLoadBalancerAttributesInput,
    ) -> Result<ModifyLoadBalancerAttributesOutput> {
        let arn = required(&r.load_balancer_arn, "LoadBalancerArn")?;
        let given = required(&r.attributes, "Attributes")?;
        let pairs = || {
            given.iter().map(|a| {
                (
                    a.key.as_deref().unwrap_or_default(),
                    a.value.as_deref().unwrap_or_default(),
                )
            })
        };
        let lb = self.update_lb(ctx, arn, |lb| {
            attributes::apply(
                table(&lb.kind),
                &mut lb.attributes,
                pairs(),
                "Load balancer",
            )
        })?;
        Ok(ModifyLoadBalancerAttributesOutput {
            attributes: Some(all(&lb)),
        })
    }
}
