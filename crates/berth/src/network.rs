//! The network ELB puts load balancers in, until Berth serves EC2's API: every account's
//! default VPC (172.31.0.0/16) with one subnet per availability zone of the region
//! (`<region>a`, `b`, `c`) and its `default` security group. Ids are derived from the
//! account, so they are the same on every start and every host.

use berth_elbv2::{Network, Subnet};
use sha2::{Digest, Sha256};

/// The availability zones of a region, as Berth's agents name them by default.
pub fn zones(region: &str) -> Vec<String> {
    ["a", "b", "c"]
        .iter()
        .map(|z| format!("{region}{z}"))
        .collect()
}

/// `<prefix>-` and 17 hex digits derived from what the id names.
fn id(prefix: &str, what: &str) -> String {
    let h = hex::encode(Sha256::digest(format!("berth-default-vpc:{what}")));
    format!("{prefix}-{}", &h[..17])
}

pub fn default_vpc(account: &str) -> String {
    id("vpc", account)
}

pub fn default_subnet(account: &str, zone: &str) -> String {
    id("subnet", &format!("{account}:{zone}"))
}

pub fn default_security_group(account: &str) -> String {
    id("sg", &format!("{account}:default"))
}

pub struct DefaultNetwork {
    pub region: String,
}

impl Network for DefaultNetwork {
    fn subnet(&self, account: &str, subnet_id: &str) -> Option<Subnet> {
        self.default_subnets(account)
            .into_iter()
            .find(|s| s.id == subnet_id)
    }

    fn default_subnets(&self, account: &str) -> Vec<Subnet> {
        zones(&self.region)
            .into_iter()
            .map(|zone| Subnet {
                id: default_subnet(account, &zone),
                vpc_id: default_vpc(account),
                availability_zone: zone,
            })
            .collect()
    }

    fn vpc_exists(&self, account: &str, vpc_id: &str) -> bool {
        vpc_id == default_vpc(account)
    }

    fn security_group_vpc(&self, account: &str, id: &str) -> Option<String> {
        (id == default_security_group(account)).then(|| default_vpc(account))
    }

    fn default_security_group(&self, account: &str, vpc_id: &str) -> Option<String> {
        (vpc_id == default_vpc(account)).then(|| default_security_group(account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_vpc_is_stable_and_per_account() {
        let n = DefaultNetwork {
            region: "us-east-1".into(),
        };
        let a = n.default_subnets("000000000000");
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].availability_zone, "us-east-1a");
        assert!(a[0].id.starts_with("subnet-") && a[0].id.len() == 24);
        assert_eq!(a, n.default_subnets("000000000000"));
        assert_ne!(a[0].id, n.default_subnets("111111111111")[0].id);
        assert!(n.vpc_exists("000000000000", &a[0].vpc_id));
        assert_eq!(
            n.subnet("000000000000", &a[1].id)
                .map(|s| s.availability_zone),
            Some("us-east-1b".into())
        );
    }
}
