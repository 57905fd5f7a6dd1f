//! What Cloud Map keeps: namespaces, services, instances and operations, each its own record
//! keyed by the owning account (`<account>:<id>`; an instance `<account>:<service>:<id>`, so
//! a service's instances are one key range).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::State;

pub fn key(account: &str, id: &str) -> String {
    format!("{account}:{id}")
}

pub fn instance_key(account: &str, service_id: &str, instance_id: &str) -> String {
    format!("{account}:{service_id}:{instance_id}")
}

/// `DNS_PRIVATE`, `DNS_PUBLIC` or `HTTP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NamespaceKind {
    DnsPrivate,
    DnsPublic,
    Http,
}

impl NamespaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NamespaceKind::DnsPrivate => "DNS_PRIVATE",
            NamespaceKind::DnsPublic => "DNS_PUBLIC",
            NamespaceKind::Http => "HTTP",
        }
    }

    pub fn is_dns(self) -> bool {
        self != NamespaceKind::Http
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceRec {
    pub account: String,
    pub id: String,
    pub arn: String,
    pub name: String,
    pub kind: NamespaceKind,
    pub description: Option<String>,
    /// The VPC a private namespace was created for (accepted; Berth has one network view).
    pub vpc: Option<String>,
    /// Of a DNS namespace: its hosted zone's id and SOA TTL.
    pub hosted_zone_id: Option<String>,
    pub soa_ttl: Option<i64>,
    pub created: f64,
    pub creator_request_id: Option<String>,
    /// The operation that created it (answered again to a retried create).
    pub create_operation: String,
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub tag_order: Vec<String>,
}
berth_commit::record!(State: NamespaceRec, "servicediscovery/namespace", namespaces, |r| key(
    &r.account, &r.id
));

/// A DNS record type a service's instances get, with its TTL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecordRec {
    /// `A`, `AAAA`, `SRV` or `CNAME`.
    pub kind: String,
    pub ttl: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheckRec {
    /// `HTTP`, `HTTPS` or `TCP`.
    pub kind: String,
    pub resource_path: Option<String>,
    pub failure_threshold: Option<i32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRec {
    pub account: String,
    pub id: String,
    pub arn: String,
    pub name: String,
    pub namespace_id: String,
    pub description: Option<String>,
    /// `HTTP`, `DNS_HTTP` or `DNS`.
    pub kind: String,
    /// `MULTIVALUE` or `WEIGHTED`, with the records: for a service discoverable by DNS.
    pub routing_policy: Option<String>,
    pub dns_records: Vec<DnsRecordRec>,
    pub health_check: Option<HealthCheckRec>,
    /// Some: instances report their own health (`HealthCheckCustomConfig`).
    pub custom_health: Option<Option<i32>>,
    pub attributes: BTreeMap<String, String>,
    pub created: f64,
    pub creator_request_id: Option<String>,
    /// Bumped by every change to the service's instances (DiscoverInstancesRevision).
    pub revision: i64,
    pub instance_count: i64,
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub tag_order: Vec<String>,
}
berth_commit::record!(State: ServiceRec, "servicediscovery/service", services, |r| key(
    &r.account, &r.id
));

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRec {
    pub account: String,
    pub service_id: String,
    pub id: String,
    pub attributes: BTreeMap<String, String>,
    pub creator_request_id: Option<String>,
    /// `HEALTHY`, `UNHEALTHY` or `UNKNOWN` (a service without health checks).
    pub health: String,
    pub registered: f64,
    /// The operation that registered it (answered again to a retried RegisterInstance).
    pub operation: String,
}
berth_commit::record!(State: InstanceRec, "servicediscovery/instance", instances, |r| {
    instance_key(&r.account, &r.service_id, &r.id)
});

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationRec {
    pub account: String,
    pub id: String,
    /// `CREATE_NAMESPACE`, `DELETE_NAMESPACE`, `UPDATE_NAMESPACE`, `UPDATE_SERVICE`,
    /// `REGISTER_INSTANCE` or `DEREGISTER_INSTANCE`.
    pub kind: String,
    /// `SUCCESS` or `FAIL` (Berth's changes take effect as they are made).
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub created: f64,
    pub updated: f64,
    /// (`NAMESPACE`/`SERVICE`/`INSTANCE`, id): a list, not a map — one of these is kept
    /// per registration, and a two-entry map costs a whole tree node.
    pub targets: Vec<(String, String)>,
    /// The request id a retried call names (`CreatorRequestId`, `UpdaterRequestId`).
    pub request_token: Option<String>,
}
impl OperationRec {
    /// The id of its target of `kind` (`NAMESPACE`, `SERVICE`, `INSTANCE`).
    pub fn target(&self, kind: &str) -> Option<&str> {
        self.targets
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, id)| id.as_str())
    }
}

berth_commit::record!(State: OperationRec, "servicediscovery/operation", operations, |r| key(
    &r.account, &r.id
));
