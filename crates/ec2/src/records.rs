//! What EC2 keeps, keyed `<account>:<id>`: security groups with their rules and tags, and
//! the tags of the default VPC and its subnets (which are derived, not stored, until
//! tagged). The default VPC's `default` security group is stored only once its rules or tags
//! change; until then [`crate::state::State::group`] derives it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::State;

pub fn key(account: &str, id: &str) -> String {
    format!("{account}:{id}")
}

/// Where a rule lets traffic come from (ingress) or go to (egress).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Peer {
    /// An IPv4 CIDR block.
    Cidr4(String),
    /// An IPv6 CIDR block.
    Cidr6(String),
    /// A managed prefix list, by id.
    PrefixList(String),
    /// A security group (of `user_id`'s account).
    Group { group_id: String, user_id: String },
}

/// One rule of a security group: a protocol and port range from or to one peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleRec {
    /// `sgr-…`.
    pub id: String,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, another protocol's number, or `-1` (all).
    pub protocol: String,
    /// The port range (TCP, UDP) or the ICMP type and code; None for protocols without.
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub peer: Peer,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl RuleRec {
    /// Whether `other` lets the same traffic through (descriptions, ids and tags aside).
    pub fn same_traffic(&self, other: &RuleRec) -> bool {
        self.protocol == other.protocol
            && self.from_port == other.from_port
            && self.to_port == other.to_port
            && self.peer == other.peer
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupRec {
    pub account: String,
    /// `sg-…`.
    pub id: String,
    pub name: String,
    pub description: String,
    pub vpc_id: String,
    pub ingress: Vec<RuleRec>,
    pub egress: Vec<RuleRec>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}
berth_commit::record!(State: SecurityGroupRec, "ec2/security-group", security_groups,
    |r| key(&r.account, &r.id));

impl SecurityGroupRec {
    /// The rules of one direction.
    pub fn rules(&self, egress: bool) -> &[RuleRec] {
        if egress {
            &self.egress
        } else {
            &self.ingress
        }
    }

    pub fn rules_mut(&mut self, egress: bool) -> &mut Vec<RuleRec> {
        if egress {
            &mut self.egress
        } else {
            &mut self.ingress
        }
    }
}

/// The tags of a resource that is not itself stored (the default VPC, its subnets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagsRec {
    pub account: String,
    pub resource_id: String,
    pub tags: BTreeMap<String, String>,
}
berth_commit::record!(State: TagsRec, "ec2/tags", tags, |r| key(&r.account, &r.resource_id));
