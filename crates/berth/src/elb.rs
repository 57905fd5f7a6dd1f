//! ELB's ports wired: `instance` targets are the ECS container instances of the target's
//! account (their `privateIp`).

use std::net::IpAddr;
use std::sync::Arc;

use berth_ecs::EcsService;

pub struct EcsInstances(pub Arc<EcsService>);

impl berth_elbv2::Instances for EcsInstances {
    fn address(&self, account: &str, instance_id: &str) -> Option<IpAddr> {
        self.0
            .for_account(account)
            .ok()?
            .instance_address(instance_id)
    }
}
