//! Security group rules as EC2's requests carry them: `IpPermission`s — a protocol and port
//! range with lists of peers (IPv4 and IPv6 ranges, prefix lists, groups) — or the older
//! top-level `IpProtocol`/`FromPort`/`ToPort`/`CidrIp`/`SourceSecurityGroupName`; each peer
//! of each permission is one rule. (`rule_shapes.rs` turns rules back into answers.)
//!
//! Protocols are normalized as EC2 answers them: names lower-cased, `6`, `17`, `1` and `58`
//! as `tcp`, `udp`, `icmp` and `icmpv6`, `-1` for all; TCP and UDP need both ports (0-65535),
//! ICMP's are the type and code (-1 for all), other protocols have none.

use std::net::{Ipv4Addr, Ipv6Addr};

use berth_ec2_model::shapes::{IpPermission, IpRange, UserIdGroupPair};

use crate::error::{Ec2Error, Result};
use crate::records::{Peer, RuleRec};

/// The most rules a group has in each direction.
pub(crate) const MAX_RULES: usize = 60;

/// A rule's protocol as EC2 keeps it.
pub(crate) fn protocol(given: Option<&str>) -> Result<String> {
    let given = given.ok_or_else(|| Ec2Error::missing("IpProtocol"))?;
    let lower = given.trim().to_ascii_lowercase();
    Ok(match lower.as_str() {
        "-1" | "all" => "-1".into(),
        "tcp" | "6" => "tcp".into(),
        "udp" | "17" => "udp".into(),
        "icmp" | "1" => "icmp".into(),
        "icmpv6" | "58" => "icmpv6".into(),
        n => match n.parse::<u8>() {
            Ok(number) => number.to_string(),
            Err(_) => {
                return Err(Ec2Error::invalid(format!(
                    "Invalid value '{given}' for IP protocol. Unknown protocol."
                )))
            }
        },
    })
}

/// The ports a rule of `protocol` keeps.
pub(crate) fn ports(
    protocol: &str,
    from: Option<i32>,
    to: Option<i32>,
) -> Result<(Option<i32>, Option<i32>)> {
    match protocol {
        "tcp" | "udp" => {
            let (Some(from), Some(to)) = (from, to) else {
                return Err(Ec2Error::invalid(
                    "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange",
                ));
            };
            if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) || from > to {
                return Err(Ec2Error::invalid(format!(
                    "Invalid {protocol} port range: from port {from}, to port {to} \
                     (ports are 0 to 65535, from no greater than to)"
                )));
            }
            Ok((Some(from), Some(to)))
        }
        "icmp" | "icmpv6" => {
            let (kind, code) = (from.unwrap_or(-1), to.unwrap_or(-1));
            if !(-1..=255).contains(&kind) || !(-1..=255).contains(&code) {
                return Err(Ec2Error::invalid(format!(
                    "Invalid ICMP type {kind} or code {code} (each -1 to 255)"
                )));
            }
            if kind == -1 && code != -1 {
                return Err(Ec2Error::invalid(
                    "Invalid ICMP code: a rule for all ICMP types is for all codes (-1)",
                ));
            }
            Ok((Some(kind), Some(code)))
        }
        _ => Ok((None, None)),
    }
}

/// An IPv4 (`v6 == false`) or IPv6 CIDR block, checked.
pub(crate) fn cidr(given: Option<&str>, v6: bool) -> Result<String> {
    let what = if v6 { "CidrIpv6" } else { "CidrIp" };
    let given = given.ok_or_else(|| Ec2Error::missing(what))?;
    let ok = given.split_once('/').is_some_and(|(addr, len)| {
        let len = match len.parse::<u8>() {
            Ok(l) if len.bytes().all(|b| b.is_ascii_digit()) => l,
            _ => return false,
        };
        if v6 {
            addr.parse::<Ipv6Addr>().is_ok() && len <= 128
        } else {
            addr.parse::<Ipv4Addr>().is_ok() && len <= 32
        }
    });
    if !ok {
        return Err(Ec2Error::invalid(format!(
            "CIDR block {given} is malformed"
        )));
    }
    Ok(given.to_owned())
}

/// Characters EC2 allows in security group names and descriptions (of VPC groups).
pub(crate) fn allowed_text(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c))
}

/// A rule's description, checked.
pub(crate) fn description(given: Option<&str>) -> Result<Option<String>> {
    match given {
        None => Ok(None),
        Some(d) if d.chars().count() <= 255 && allowed_text(d) => Ok(Some(d.to_owned())),
        Some(_) => Err(Ec2Error::invalid(
            "Invalid rule description. Valid descriptions are strings less than 256 characters \
             from the following set: a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*",
        )),
    }
}

/// A rule with no id or tags yet.
fn rule(
    protocol: &str,
    ports: (Option<i32>, Option<i32>),
    peer: Peer,
    d: Option<&str>,
) -> Result<RuleRec> {
    Ok(RuleRec {
        id: String::new(),
        protocol: protocol.to_owned(),
        from_port: ports.0,
        to_port: ports.1,
        peer,
        description: description(d)?,
        tags: Default::default(),
    })
}

/// The rules a permission asks for, one per peer; `resolve` finds the group a group pair
/// names.
pub(crate) fn rules_of(
    perm: &IpPermission,
    resolve: &dyn Fn(&UserIdGroupPair) -> Result<Peer>,
) -> Result<Vec<RuleRec>> {
    let protocol = protocol(perm.ip_protocol.as_deref())?;
    let ports = ports(&protocol, perm.from_port, perm.to_port)?;
    let mut out = Vec::new();
    for r in perm.ip_ranges.iter().flatten() {
        let peer = Peer::Cidr4(cidr(r.cidr_ip.as_deref(), false)?);
        out.push(rule(&protocol, ports, peer, r.description.as_deref())?);
    }
    for r in perm.ipv6_ranges.iter().flatten() {
        let peer = Peer::Cidr6(cidr(r.cidr_ipv6.as_deref(), true)?);
        out.push(rule(&protocol, ports, peer, r.description.as_deref())?);
    }
    for p in perm.prefix_list_ids.iter().flatten() {
        let id = p
            .prefix_list_id
            .clone()
            .ok_or_else(|| Ec2Error::missing("PrefixListId"))?;
        out.push(rule(
            &protocol,
            ports,
            Peer::PrefixList(id),
            p.description.as_deref(),
        )?);
    }
    for g in perm.user_id_group_pairs.iter().flatten() {
        out.push(rule(
            &protocol,
            ports,
            resolve(g)?,
            g.description.as_deref(),
        )?);
    }
    if out.is_empty() {
        return Err(Ec2Error::missing(
            "IpPermissions.N.IpRanges, Ipv6Ranges, PrefixListIds or Groups",
        ));
    }
    Ok(out)
}

/// The older top-level form of a rule, as permissions: `CidrIp` with a protocol and ports,
/// or a source group by name (all TCP, UDP and ICMP unless a protocol is given).
pub(crate) fn legacy(
    cidr_ip: Option<&str>,
    ip_protocol: Option<&str>,
    from_port: Option<i32>,
    to_port: Option<i32>,
    source_group: Option<&str>,
    source_owner: Option<&str>,
) -> Vec<IpPermission> {
    let pair = source_group.map(|name| UserIdGroupPair {
        group_name: Some(name.to_owned()),
        user_id: source_owner.map(str::to_owned),
        ..Default::default()
    });
    if cidr_ip.is_none() && ip_protocol.is_none() && pair.is_none() {
        return Vec::new();
    }
    let permission = |protocol: Option<&str>, from: Option<i32>, to: Option<i32>| IpPermission {
        ip_protocol: protocol.map(str::to_owned),
        from_port: from,
        to_port: to,
        ip_ranges: cidr_ip.map(|c| {
            vec![IpRange {
                cidr_ip: Some(c.to_owned()),
                ..Default::default()
            }]
        }),
        user_id_group_pairs: pair.clone().map(|p| vec![p]),
        ..Default::default()
    };
    match (ip_protocol, &pair) {
        (None, Some(_)) if cidr_ip.is_none() => vec![
            permission(Some("tcp"), Some(0), Some(65535)),
            permission(Some("udp"), Some(0), Some(65535)),
            permission(Some("icmp"), Some(-1), Some(-1)),
        ],
        _ => vec![permission(ip_protocol, from_port, to_port)],
    }
}

#[cfg(test)]
mod tests {
    use super::super::rule_shapes::{describe, permissions};
    use super::*;
    use berth_ec2_model::shapes::Ipv6Range;

    fn no_groups(_: &UserIdGroupPair) -> Result<Peer> {
        Err(Ec2Error::no_group("x"))
    }

    #[test]
    fn protocols_and_ports_are_normalized() {
        assert_eq!(protocol(Some("TCP")).ok().as_deref(), Some("tcp"));
        assert_eq!(protocol(Some("6")).ok().as_deref(), Some("tcp"));
        assert_eq!(protocol(Some("all")).ok().as_deref(), Some("-1"));
        assert_eq!(protocol(Some("47")).ok().as_deref(), Some("47"));
        assert!(protocol(Some("sctpish")).is_err() && protocol(Some("256")).is_err());
        assert_eq!(
            protocol(None).map_err(|e| e.code()),
            Err("MissingParameter")
        );
        assert_eq!(
            ports("tcp", Some(80), Some(81)).ok(),
            Some((Some(80), Some(81)))
        );
        assert!(ports("tcp", Some(80), None).is_err());
        assert!(ports("udp", Some(90), Some(80)).is_err());
        assert!(ports("tcp", Some(-1), Some(-1)).is_err());
        assert_eq!(ports("icmp", None, None).ok(), Some((Some(-1), Some(-1))));
        assert!(ports("icmp", Some(-1), Some(3)).is_err());
        assert_eq!(ports("-1", Some(1), Some(2)).ok(), Some((None, None)));
    }

    #[test]
    fn cidrs_are_checked() {
        assert!(cidr(Some("10.0.0.0/8"), false).is_ok());
        assert!(cidr(Some("::/0"), true).is_ok());
        for bad in ["10.0.0.0", "10.0.0.0/33", "10.0.0/8", "::/0", "10.0.0.0/+8"] {
            assert!(cidr(Some(bad), false).is_err(), "{bad}");
        }
        assert!(cidr(Some("10.0.0.0/8"), true).is_err());
    }

    #[test]
    fn a_permission_is_one_rule_per_peer_and_groups_back() {
        let perm = IpPermission {
            ip_protocol: Some("tcp".into()),
            from_port: Some(443),
            to_port: Some(443),
            ip_ranges: Some(vec![
                IpRange {
                    cidr_ip: Some("10.0.0.0/8".into()),
                    description: Some("lan".into()),
                },
                IpRange {
                    cidr_ip: Some("192.168.0.0/16".into()),
                    description: None,
                },
            ]),
            ipv6_ranges: Some(vec![Ipv6Range {
                cidr_ipv6: Some("::/0".into()),
                description: None,
            }]),
            ..Default::default()
        };
        let rules = rules_of(&perm, &no_groups).expect("rules");
        assert_eq!(rules.len(), 3);
        let back = permissions(&rules);
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].ip_ranges.as_ref().map(Vec::len), Some(2));
        assert_eq!(back[0].user_id_group_pairs, Some(Vec::new()));
        assert_eq!(
            describe(&rules[0]),
            "peer: 10.0.0.0/8, TCP, from port: 443, to port: 443, ALLOW"
        );
        let empty = IpPermission {
            ip_protocol: Some("-1".into()),
            ..Default::default()
        };
        assert!(rules_of(&empty, &no_groups).is_err());
        let group = IpPermission {
            ip_protocol: Some("-1".into()),
            user_id_group_pairs: Some(vec![UserIdGroupPair::default()]),
            ..Default::default()
        };
        assert_eq!(
            rules_of(&group, &no_groups).map_err(|e| e.code()),
            Err("InvalidGroup.NotFound")
        );
    }

    #[test]
    fn the_older_form_becomes_permissions() {
        let p = legacy(
            Some("0.0.0.0/0"),
            Some("tcp"),
            Some(22),
            Some(22),
            None,
            None,
        );
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].from_port, Some(22));
        let p = legacy(None, None, None, None, Some("web"), None);
        let protocols: Vec<_> = p
            .iter()
            .map(|p| p.ip_protocol.clone().unwrap_or_default())
            .collect();
        assert_eq!(protocols, ["tcp", "udp", "icmp"]);
        assert!(legacy(None, None, Some(1), Some(2), None, None).is_empty());
    }
}
