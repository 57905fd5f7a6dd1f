//! DescribeTargetGroupAttributes and ModifyTargetGroupAttributes: a target group's
//! attributes with ELB's defaults and value rules. The data plane reads the deregistration
//! delay, stickiness, slow start and the load balancing algorithm.

use berth_aws::RequestContext;
use berth_elbv2_model::shapes::*;

use super::attributes::{self, Rule, Table};
use super::{find_tg, required};
use crate::error::{ElbError, Result};
use crate::records::TargetGroupRec;
use crate::Elb;

const HTTP: Table = &[
    (
        "deregistration_delay.timeout_seconds",
        "300",
        Rule::Int(0, 3600),
    ),
    (
        "load_balancing.algorithm.anomaly_mitigation",
        "off",
        Rule::OneOf(&["on", "off"]),
    ),
    (
        "load_balancing.algorithm.type",
        "round_robin",
        Rule::OneOf(&[
            "round_robin",
            "least_outstanding_requests",
            "weighted_random",
        ]),
    ),
    (
        "load_balancing.cross_zone.enabled",
        "use_load_balancer_configuration",
        Rule::OneOf(&["true", "false", "use_load_balancer_configuration"]),
    ),
    ("slow_start.duration_seconds", "0", Rule::Int(0, 900)),
    ("stickiness.app_cookie.cookie_name", "", Rule::Text(255)),
    (
        "stickiness.app_cookie.duration_seconds",
        "86400",
        Rule::Int(1, 604800),
    ),
    ("stickiness.enabled", "false", Rule::Bool),
    (
        "stickiness.lb_cookie.duration_seconds",
        "86400",
        Rule::Int(1, 604800),
    ),
    (
        "stickiness.type",
        "lb_cookie",
        Rule::OneOf(&["lb_cookie", "app_cookie"]),
    ),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.count",
        "1",
        Rule::Int(1, 65535),
    ),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.percentage",
        "off",
        Rule::Text(3),
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
        "1",
        Rule::Int(1, 65535),
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
        "off",
        Rule::Text(3),
    ),
];

const TCP: Table = &[
    (
        "deregistration_delay.connection_termination.enabled",
        "false",
        Rule::Bool,
    ),
    (
        "deregistration_delay.timeout_seconds",
        "300",
        Rule::Int(0, 3600),
    ),
    ("preserve_client_ip.enabled", "true", Rule::Bool),
    ("proxy_protocol_v2.enabled", "false", Rule::Bool),
    ("stickiness.enabled", "false", Rule::Bool),
    ("stickiness.type", "source_ip", Rule::OneOf(&["source_ip"])),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.count",
        "1",
        Rule::Int(1, 65535),
    ),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.percentage",
        "off",
        Rule::Text(3),
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
        "1",
        Rule::Int(1, 65535),
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
        "off",
        Rule::Text(3),
    ),
];

const LAMBDA: Table = &[("lambda.multi_value_headers.enabled", "false", Rule::Bool)];

fn table(tg: &TargetGroupRec) -> Table {
    match tg.protocol.as_deref() {
        None => LAMBDA,
        Some("HTTP") | Some("HTTPS") => HTTP,
        Some(_) => TCP,
    }
}

/// The value of attribute `key` of `tg`, its default if it was never set.
pub(crate) fn tg_attribute<'a>(tg: &'a TargetGroupRec, key: &str) -> Option<&'a str> {
    attributes::value(table(tg), &tg.attributes, key)
}

fn all(tg: &TargetGroupRec) -> Vec<TargetGroupAttribute> {
    attributes::listed(table(tg), &tg.attributes)
        .into_iter()
        .map(|(k, v)| TargetGroupAttribute {
            key: Some(k),
            value: Some(v),
        })
        .collect()
}

impl Elb {
    pub(crate) fn describe_target_group_attributes(
        &self,
        ctx: &RequestContext,
        r: DescribeTargetGroupAttributesInput,
    ) -> Result<DescribeTargetGroupAttributesOutput> {
        let arn = required(&r.target_group_arn, "TargetGroupArn")?;
        let tg = find_tg(&self.db.snapshot(), ctx, arn)?;
        Ok(DescribeTargetGroupAttributesOutput {
            attributes: Some(all(&tg)),
        })
    }

    pub(crate) fn modify_target_group_attributes(
        &self,
        ctx: &RequestContext,
        r: ModifyTargetGroupAttributesInput,
    ) -> Result<ModifyTargetGroupAttributesOutput> {
        let arn = required(&r.target_group_arn, "TargetGroupArn")?;
        let attrs = required(&r.attributes, "Attributes")?;
        let tg = self.db.write(|tx| {
            let mut tg = (*find_tg(tx.state, ctx, arn)?).clone();
            let pairs = attrs.iter().map(|a| {
                (
                    a.key.as_deref().unwrap_or_default(),
                    a.value.as_deref().unwrap_or_default(),
                )
            });
            attributes::apply(table(&tg), &mut tg.attributes, pairs, "Target group")?;
            let slow = tg_attribute(&tg, "slow_start.duration_seconds")
                .and_then(|v| v.parse::<i64>().ok());
            if slow.is_some_and(|n| n != 0 && n < 30) {
                return Err(ElbError::invalid_config(
                    "Slow start duration must be 0 (off) or from 30 to 900 seconds",
                ));
            }
            if tg_attribute(&tg, "slow_start.duration_seconds") != Some("0")
                && tg_attribute(&tg, "load_balancing.algorithm.type")
                    == Some("least_outstanding_requests")
            {
                return Err(ElbError::invalid_config(
                    "Slow start cannot be enabled with the least outstanding requests algorithm",
                ));
            }
            if tg_attribute(&tg, "stickiness.enabled") == Some("true")
                && tg_attribute(&tg, "stickiness.type") == Some("app_cookie")
            {
                let name = tg_attribute(&tg, "stickiness.app_cookie.cookie_name").unwrap_or("");
                if name.is_empty() {
                    return Err(ElbError::invalid_config(
                        "An application cookie name is required for application-based stickiness",
                    ));
                }
                if ["AWSALB", "AWSALBAPP", "AWSALBTG"]
                    .iter()
                    .any(|p| name.starts_with(p))
                {
                    return Err(ElbError::invalid_config(
                        "The cookie name cannot start with AWSALB, AWSALBAPP or AWSALBTG; those are reserved for the load balancer",
                    ));
                }
            }
            tx.put(tg.clone())?;
            Ok(tg)
        })?;
        Ok(ModifyTargetGroupAttributesOutput {
            attributes: Some(all(&tg)),
        })
    }
}
