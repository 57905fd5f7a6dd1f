//! ELB's `Network` port answered by EC2: the VPCs, subnets and security groups load
//! balancers are put in are EC2's (every account's default VPC, and the groups it made).

use std::sync::Arc;

use berth_ec2::Ec2;
use berth_elbv2::{Network, Subnet};

pub struct Ec2Network(pub Arc<Ec2>);

fn subnet(s: berth_ec2::SubnetInfo) -> Subnet {
    Subnet {
        id: s.id,
        vpc_id: s.vpc_id,
        availability_zone: s.availability_zone,
    }
}

impl Network for Ec2Network {
    fn subnet(&self, account: &str, subnet_id: &str) -> Option<Subnet> {
        self.0.subnet(account, subnet_id).map(subnet)
    }

    fn default_subnets(&self, account: &str) -> Vec<Subnet> {
        self.0
            .default_subnets(account)
            .into_iter()
            .map(subnet)
            .collect()
    }

    fn vpc_exists(&self, account: &str, vpc_id: &str) -> bool {
        self.0.vpc_exists(account, vpc_id)
    }

    fn security_group_vpc(&self, account: &str, id: &str) -> Option<String> {
        self.0.security_group_vpc(account, id)
    }

    fn default_security_group(&self, account: &str, vpc_id: &str) -> Option<String> {
        self.0.default_security_group(account, vpc_id)
    }
}
