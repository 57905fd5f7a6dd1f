//! Every account's default VPC, which exists without being created: its id, its subnets
//! (one per availability zone `<region>a`, `b`, `c`) and its `default` security group, all
//! derived from the account, so they are the same on every start and every host. Nothing
//! here is stored; only what callers change (tags, the default group's rules) is.
//!
//! Ids are `<prefix>-` and the first 17 hex digits of SHA-256 over
//! `berth-default-vpc:<what>` — `<account>` for the VPC, `<account>:<zone>` for a subnet,
//! `<account>:default` for the security group — the ids Berth's load balancers already hand
//! out.

use sha2::{Digest, Sha256};

/// The default VPC's IPv4 block, as in every AWS account.
pub const VPC_CIDR: &str = "172.31.0.0/16";

/// The addresses a default subnet (a /20) offers: 4096 less the five AWS reserves.
pub const SUBNET_FREE_ADDRESSES: i32 = 4091;

/// The zones' letters, in order.
const ZONE_LETTERS: [char; 3] = ['a', 'b', 'c'];

/// `<prefix>-` and 17 hex digits derived from what the id names.
pub fn derived_id(prefix: &str, what: &str) -> String {
    let h = hex::encode(Sha256::digest(format!("berth-default-vpc:{what}")));
    format!("{prefix}-{}", &h[..17])
}

pub fn default_vpc_id(account: &str) -> String {
    derived_id("vpc", account)
}

pub fn default_subnet_id(account: &str, zone: &str) -> String {
    derived_id("subnet", &format!("{account}:{zone}"))
}

pub fn default_group_id(account: &str) -> String {
    derived_id("sg", &format!("{account}:default"))
}

/// An availability zone of the region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    /// `us-east-1a`.
    pub name: String,
    /// `use1-az1`.
    pub id: String,
}

/// The region's availability zones, as Berth's agents name them by default.
pub fn zones(region: &str) -> Vec<Zone> {
    let short = region_short_name(region);
    ZONE_LETTERS
        .iter()
        .enumerate()
        .map(|(i, letter)| Zone {
            name: format!("{region}{letter}"),
            id: format!("{short}-az{}", i + 1),
        })
        .collect()
}

/// A region's name as zone ids abbreviate it: `us-east-1` → `use1`, `ap-southeast-2` →
/// `apse2`, `eu-central-1` → `euc1`.
fn region_short_name(region: &str) -> String {
    let parts: Vec<&str> = region.split('-').collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 || i + 1 == parts.len() {
            out.push_str(part);
            continue;
        }
        let compass = [
            ("northeast", "ne"),
            ("northwest", "nw"),
            ("southeast", "se"),
            ("southwest", "sw"),
        ];
        match compass.iter().find(|(word, _)| part == word) {
            Some((_, short)) => out.push_str(short),
            None => out.extend(part.chars().next()),
        }
    }
    out
}

/// One subnet of the default VPC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultSubnet {
    pub id: String,
    pub zone: Zone,
    /// `172.31.0.0/20`, `172.31.16.0/20`, `172.31.32.0/20`.
    pub cidr: String,
}

/// The default VPC's subnets, one per zone, in zone order.
pub fn default_subnets(account: &str, region: &str) -> Vec<DefaultSubnet> {
    zones(region)
        .into_iter()
        .enumerate()
        .map(|(i, zone)| DefaultSubnet {
            id: default_subnet_id(account, &zone.name),
            cidr: format!("172.31.{}.0/20", 16 * i),
            zone,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_digests_the_binary_hands_out() {
        // sha256("berth-default-vpc:000000000000"), as Berth's ELB derives it.
        let vpc = default_vpc_id("000000000000");
        assert!(vpc.starts_with("vpc-") && vpc.len() == 21, "{vpc}");
        assert_eq!(vpc, derived_id("vpc", "000000000000"));
        let h = hex::encode(Sha256::digest("berth-default-vpc:000000000000:us-east-1b"));
        assert_eq!(
            default_subnet_id("000000000000", "us-east-1b"),
            format!("subnet-{}", &h[..17])
        );
        let h = hex::encode(Sha256::digest("berth-default-vpc:123456789012:default"));
        assert_eq!(default_group_id("123456789012"), format!("sg-{}", &h[..17]));
        assert_ne!(
            default_vpc_id("000000000000"),
            default_vpc_id("111111111111")
        );
    }

    #[test]
    fn zones_and_subnets_follow_the_region() {
        let subnets = default_subnets("000000000000", "us-east-1");
        let names: Vec<&str> = subnets.iter().map(|s| s.zone.name.as_str()).collect();
        assert_eq!(names, ["us-east-1a", "us-east-1b", "us-east-1c"]);
        let ids: Vec<&str> = subnets.iter().map(|s| s.zone.id.as_str()).collect();
        assert_eq!(ids, ["use1-az1", "use1-az2", "use1-az3"]);
        let cidrs: Vec<&str> = subnets.iter().map(|s| s.cidr.as_str()).collect();
        assert_eq!(cidrs, ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"]);
        assert_eq!(region_short_name("ap-southeast-2"), "apse2");
        assert_eq!(region_short_name("eu-central-1"), "euc1");
        assert_eq!(region_short_name("local"), "local");
    }
}
