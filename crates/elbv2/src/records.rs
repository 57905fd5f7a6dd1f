//! What ELB keeps: load balancers, target groups, their registered targets, listeners and
//! rules, each its own record keyed by the owning account. A load balancer's listeners, a
//! listener's rules and a target group's targets are each one key range, so the data
//! plane's view and the listings read ranges rather than scan.
//!
//! Actions and conditions are stored as the wire shapes the caller sent (checked, with
//! defaults filled in), so a Describe answers them as they were given.

use std::collections::BTreeMap;

use berth_elbv2_model::shapes::{Action, Certificate, RuleCondition};
use serde::{Deserialize, Serialize};

use crate::state::State;

/// `<account>:<name>`: names are unique per account (and kind).
pub fn named_key(account: &str, name: &str) -> String {
    format!("{account}:{name}")
}

/// A listener: `<account>:<load balancer id>:<listener id>`.
pub fn listener_key(account: &str, lb_id: &str, listener_id: &str) -> String {
    format!("{account}:{lb_id}:{listener_id}")
}

/// A rule: `<account>:<listener id>:<rule id>`.
pub fn rule_key(account: &str, listener_id: &str, rule_id: &str) -> String {
    format!("{account}:{listener_id}:{rule_id}")
}

/// A registered target: `<account>:<target group id>:<target id>:<port, 5 digits>`.
pub fn target_key(account: &str, tg_id: &str, target_id: &str, port: u16) -> String {
    format!("{account}:{tg_id}:{target_id}:{port:05}")
}

/// Tags in the order they were first set (AWS answers them so).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tags {
    pub map: BTreeMap<String, String>,
    pub order: Vec<String>,
}

/// A subnet a load balancer is in, with its availability zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneRec {
    pub subnet_id: String,
    pub zone: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerRec {
    pub account: String,
    pub arn: String,
    pub id: String,
    pub name: String,
    /// `application` or `network`.
    pub kind: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    /// `ipv4` or `dualstack`.
    pub ip_address_type: String,
    pub vpc_id: String,
    pub zones: Vec<ZoneRec>,
    pub security_groups: Vec<String>,
    /// The IPv4 address Berth gave it: its listeners listen there, its DNS name names it.
    pub address: String,
    pub dns_name: String,
    pub created: f64,
    /// Attributes set to other values than their defaults.
    pub attributes: BTreeMap<String, String>,
    pub tags: Tags,
}
berth_commit::record!(State: LoadBalancerRec, "elbv2/load-balancer", load_balancers, |r| {
    named_key(&r.account, &r.name)
});

/// A target group's health check settings, defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheckRec {
    pub enabled: bool,
    pub protocol: String,
    /// A port number, or `traffic-port`.
    pub port: String,
    /// HTTP and HTTPS checks only.
    pub path: Option<String>,
    pub interval_seconds: i32,
    pub timeout_seconds: i32,
    pub healthy_threshold: i32,
    pub unhealthy_threshold: i32,
    /// HTTP codes (`200`, `200,202`, `200-299`), HTTP and HTTPS checks only.
    pub matcher: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupRec {
    pub account: String,
    pub arn: String,
    pub id: String,
    pub name: String,
    /// `HTTP`, `HTTPS`, `TCP`, …; none for a `lambda` target group.
    pub protocol: Option<String>,
    /// `HTTP1`, `HTTP2` or `GRPC` for HTTP and HTTPS target groups.
    pub protocol_version: Option<String>,
    pub port: Option<u16>,
    pub vpc_id: Option<String>,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: String,
    pub ip_address_type: String,
    pub health_check: HealthCheckRec,
    pub created: f64,
    pub attributes: BTreeMap<String, String>,
    pub tags: Tags,
}
berth_commit::record!(State: TargetGroupRec, "elbv2/target-group", target_groups, |r| {
    named_key(&r.account, &r.name)
});

/// A target registered with a target group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRec {
    pub account: String,
    pub target_group_id: String,
    /// An instance id (`i-…`) or an IP address, as registered.
    pub id: String,
    pub port: u16,
    pub availability_zone: Option<String>,
    pub registered: f64,
}
berth_commit::record!(State: TargetRec, "elbv2/target", targets, |r| target_key(
    &r.account,
    &r.target_group_id,
    &r.id,
    r.port
));

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerRec {
    pub account: String,
    pub arn: String,
    pub id: String,
    pub load_balancer_arn: String,
    pub load_balancer_id: String,
    pub load_balancer_name: String,
    pub port: u16,
    pub protocol: String,
    pub ssl_policy: Option<String>,
    pub certificates: Vec<Certificate>,
    pub alpn_policy: Vec<String>,
    pub default_actions: Vec<Action>,
    /// The id of its default rule (DescribeRules shows it; ModifyRule changes its actions).
    pub default_rule_id: String,
    pub attributes: BTreeMap<String, String>,
    pub tags: Tags,
    #[serde(default)]
    pub default_rule_tags: Tags,
}
berth_commit::record!(State: ListenerRec, "elbv2/listener", listeners, |r| listener_key(
    &r.account,
    &r.load_balancer_id,
    &r.id
));

/// A listener's rule other than its default one (which its listener holds).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleRec {
    pub account: String,
    pub arn: String,
    pub id: String,
    pub listener_id: String,
    pub priority: u32,
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<Action>,
    pub tags: Tags,
}
berth_commit::record!(State: RuleRec, "elbv2/rule", rules, |r| rule_key(
    &r.account,
    &r.listener_id,
    &r.id
));
