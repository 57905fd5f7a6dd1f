//! The part of Amazon EC2 that load balancer callers (and the tools around ECS and ELB)
//! need: every account's default VPC with its subnets and availability zones, the region,
//! security groups and their rules, tags — over AWS's `ec2` protocol.
//!
//! The shape is the other services': the server transcodes the `ec2` form into the input's
//! JSON document with the generated schema (berth-ec2-model, a subset of EC2's model);
//! [`Ec2::handle`] parses it into the generated request shape and checks it against the
//! model, and `dispatch.rs` picks the handler in `ops/` (`vpcs.rs`, `subnets.rs`, `zones.rs`
//! zones and regions, `account.rs`, `security_groups.rs`, `authorize.rs` and `rules.rs` the
//! rules, `permissions.rs` and `rule_shapes.rs` rules to and from EC2's shapes, `tags.rs`,
//! `network_interfaces.rs`). Security groups are records
//! ([`records`]) keyed by account; the default VPC, its subnets and its `default` group are
//! derived from the account ([`network`]) and stored only once changed (tags, the default
//! group's rules). Security groups are answered faithfully but not enforced on traffic.
//!
//! What others need of EC2 is plain API here ([`Ec2::subnet`], [`Ec2::default_subnets`],
//! [`Ec2::vpc_exists`], [`Ec2::security_group_vpc`], [`Ec2::default_security_group`]),
//! which the binary wires to the ports consumers declare (ELB's `Network`).
//!
//! ```
//! use std::sync::Arc;
//! use berth_aws::RequestContext;
//! use berth_ec2::Ec2;
//! use berth_ec2_model::Operation;
//! let ec2 = Ec2::open(Arc::new(berth_store::MemStore::default()), "us-east-1").unwrap();
//! let ctx = RequestContext::for_account("000000000000", "us-east-1");
//! let out = ec2.handle(&ctx, Operation::DescribeSubnets, br#"{}"#).unwrap();
//! let subnets: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(subnets["Subnets"].as_array().unwrap().len(), 3);
//! let default = ec2.default_subnets("000000000000");
//! assert_eq!(ec2.subnet("000000000000", &default[1].id).unwrap().availability_zone, "us-east-1b");
//! ```

mod dispatch;
pub mod error;
pub mod filters;
pub mod network;
mod ops;
pub mod records;
mod resources;
mod service;
pub mod state;

use std::sync::{Arc, RwLock};

pub use error::{Ec2Error, Result};
pub use service::Ec2Service;

/// A subnet as other services see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetInfo {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
}

/// EC2 of one region (every account).
pub struct Ec2 {
    pub(crate) db: state::Db,
    pub(crate) region: String,
    /// The endpoint the server listens on (DescribeRegions answers it), once bound.
    endpoint: RwLock<Option<String>>,
}

impl Ec2 {
    /// Loads the security groups and tags from `store`; `region` is the region served.
    pub fn open(store: Arc<dyn berth_store::Store>, region: &str) -> Result<Self> {
        Ok(Ec2 {
            db: state::open(store)?,
            region: region.to_owned(),
            endpoint: RwLock::new(None),
        })
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Subnet `id` of `account`, if it exists.
    pub fn subnet(&self, account: &str, id: &str) -> Option<SubnetInfo> {
        self.default_subnets(account)
            .into_iter()
            .find(|s| s.id == id)
    }

    /// The subnets of the account's default VPC, one per availability zone.
    pub fn default_subnets(&self, account: &str) -> Vec<SubnetInfo> {
        let vpc_id = network::default_vpc_id(account);
        network::default_subnets(account, &self.region)
            .into_iter()
            .map(|s| SubnetInfo {
                id: s.id,
                vpc_id: vpc_id.clone(),
                availability_zone: s.zone.name,
            })
            .collect()
    }

    /// Whether VPC `vpc_id` of `account` exists.
    pub fn vpc_exists(&self, account: &str, vpc_id: &str) -> bool {
        vpc_id == network::default_vpc_id(account)
    }

    /// The VPC of security group `id` of `account`, if the group exists.
    pub fn security_group_vpc(&self, account: &str, id: &str) -> Option<String> {
        self.db
            .read(|s| s.group(account, id).map(|g| g.vpc_id.clone()))
    }

    /// The `default` security group of VPC `vpc_id` of `account`.
    pub fn default_security_group(&self, account: &str, vpc_id: &str) -> Option<String> {
        self.vpc_exists(account, vpc_id)
            .then(|| network::default_group_id(account))
    }

    /// The state as last made durable.
    pub fn snapshot(&self) -> Arc<state::State> {
        self.db.snapshot()
    }

    pub(crate) fn set_endpoint(&self, endpoint: &str) {
        if let Ok(mut e) = self.endpoint.write() {
            *e = Some(endpoint.to_owned());
        }
    }

    pub(crate) fn endpoint(&self) -> Option<String> {
        self.endpoint.read().ok().and_then(|e| e.clone())
    }
}
