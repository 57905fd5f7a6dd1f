//! Security group rules as EC2 answers them: grouped back into `IpPermission`s by protocol
//! and ports (DescribeSecurityGroups; every peer list present, empty or not), one by one
//! with their ids (`SecurityGroupRule`, `RevokedSecurityGroupRule`), and named in messages.

use berth_ec2_model::shapes::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ReferencedSecurityGroup,
    RevokedSecurityGroupRule, SecurityGroupRule, UserIdGroupPair,
};

use crate::records::{Peer, RuleRec};

/// Rules grouped back into permissions by protocol and ports, in the order first seen.
pub(crate) fn permissions(rules: &[RuleRec]) -> Vec<IpPermission> {
    let mut out: Vec<IpPermission> = Vec::new();
    for r in rules {
        let same = |p: &&mut IpPermission| {
            p.ip_protocol.as_deref() == Some(r.protocol.as_str())
                && p.from_port == r.from_port
                && p.to_port == r.to_port
        };
        let p = match out.iter_mut().position(|p| same(&p)) {
            Some(i) => &mut out[i],
            None => {
                out.push(IpPermission {
                    ip_protocol: Some(r.protocol.clone()),
                    from_port: r.from_port,
                    to_port: r.to_port,
                    ip_ranges: Some(Vec::new()),
                    ipv6_ranges: Some(Vec::new()),
                    prefix_list_ids: Some(Vec::new()),
                    user_id_group_pairs: Some(Vec::new()),
                });
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        let description = r.description.clone();
        match &r.peer {
            Peer::Cidr4(c) => p.ip_ranges.get_or_insert_with(Vec::new).push(IpRange {
                cidr_ip: Some(c.clone()),
                description,
            }),
            Peer::Cidr6(c) => p.ipv6_ranges.get_or_insert_with(Vec::new).push(Ipv6Range {
                cidr_ipv6: Some(c.clone()),
                description,
            }),
            Peer::PrefixList(id) => {
                p.prefix_list_ids
                    .get_or_insert_with(Vec::new)
                    .push(PrefixListId {
                        prefix_list_id: Some(id.clone()),
                        description,
                    })
            }
            Peer::Group { group_id, user_id } => p
                .user_id_group_pairs
                .get_or_insert_with(Vec::new)
                .push(UserIdGroupPair {
                    group_id: Some(group_id.clone()),
                    user_id: Some(user_id.clone()),
                    description,
                    ..Default::default()
                }),
        }
    }
    out
}

/// One rule as `SecurityGroupRule` answers it (without tags and ARN, which the caller adds).
pub(crate) fn rule_shape(
    account: &str,
    group_id: &str,
    r: &RuleRec,
    egress: bool,
) -> SecurityGroupRule {
    let mut out = SecurityGroupRule {
        security_group_rule_id: Some(r.id.clone()),
        group_id: Some(group_id.to_owned()),
        group_owner_id: Some(account.to_owned()),
        is_egress: Some(egress),
        ip_protocol: Some(r.protocol.clone()),
        from_port: Some(r.from_port.unwrap_or(-1)),
        to_port: Some(r.to_port.unwrap_or(-1)),
        description: r.description.clone(),
        ..Default::default()
    };
    match &r.peer {
        Peer::Cidr4(c) => out.cidr_ipv4 = Some(c.clone()),
        Peer::Cidr6(c) => out.cidr_ipv6 = Some(c.clone()),
        Peer::PrefixList(id) => out.prefix_list_id = Some(id.clone()),
        Peer::Group { group_id, user_id } => {
            out.referenced_group_info = Some(ReferencedSecurityGroup {
                group_id: Some(group_id.clone()),
                user_id: Some(user_id.clone()),
                ..Default::default()
            })
        }
    }
    out
}

/// A rule a revoke removed.
pub(crate) fn revoked_shape(group_id: &str, r: &RuleRec, egress: bool) -> RevokedSecurityGroupRule {
    let mut out = RevokedSecurityGroupRule {
        security_group_rule_id: Some(r.id.clone()),
        group_id: Some(group_id.to_owned()),
        is_egress: Some(egress),
        ip_protocol: Some(r.protocol.clone()),
        from_port: Some(r.from_port.unwrap_or(-1)),
        to_port: Some(r.to_port.unwrap_or(-1)),
        description: r.description.clone(),
        ..Default::default()
    };
    match &r.peer {
        Peer::Cidr4(c) => out.cidr_ipv4 = Some(c.clone()),
        Peer::Cidr6(c) => out.cidr_ipv6 = Some(c.clone()),
        Peer::PrefixList(id) => out.prefix_list_id = Some(id.clone()),
        Peer::Group { group_id, .. } => out.referenced_group_id = Some(group_id.clone()),
    }
    out
}

/// A rule as EC2's messages name it: `peer: 0.0.0.0/0, TCP, from port: 80, to port: 80,
/// ALLOW`.
pub(crate) fn describe(r: &RuleRec) -> String {
    let peer = match &r.peer {
        Peer::Cidr4(c) | Peer::Cidr6(c) => c.clone(),
        Peer::PrefixList(id) => id.clone(),
        Peer::Group { group_id, .. } => group_id.clone(),
    };
    let ports = match (r.protocol.as_str(), r.from_port, r.to_port) {
        ("icmp" | "icmpv6", Some(t), Some(c)) => format!(", type: {t}, code: {c}"),
        (_, Some(f), Some(t)) => format!(", from port: {f}, to port: {t}"),
        _ => String::new(),
    };
    let protocol = match r.protocol.as_str() {
        "-1" => "ALL".to_owned(),
        p => p.to_ascii_uppercase(),
    };
    format!("peer: {peer}, {protocol}{ports}, ALLOW")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn grouping_keeps_every_rule(ports in proptest::collection::vec((0i32..3, 0usize..4), 0..20)) {
            let peers = ["10.0.0.0/8", "10.1.0.0/16", "0.0.0.0/0", "172.16.0.0/12"];
            let rules: Vec<RuleRec> = ports.iter().map(|(p, c)| RuleRec {
                id: String::new(),
                protocol: "tcp".into(),
                from_port: Some(*p),
                to_port: Some(*p),
                peer: Peer::Cidr4(peers[*c].into()),
                description: None,
                tags: Default::default(),
            }).collect();
            let perms = permissions(&rules);
            let total: usize = perms.iter().map(|p| p.ip_ranges.as_ref().map_or(0, Vec::len)).sum();
            prop_assert_eq!(total, rules.len());
            let keys: std::collections::BTreeSet<_> = perms.iter().map(|p| p.from_port).collect();
            prop_assert_eq!(keys.len(), perms.len());
        }
    }
}
