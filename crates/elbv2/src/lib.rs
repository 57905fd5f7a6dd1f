//! Elastic Load Balancing v2: Application (and, stored, Network) Load Balancers, target
//! groups and their registered targets, listeners with their default actions, rules with
//! priorities, attributes and tags — and, from all of it, the configuration Berth's proxy
//! serves ([`dataplane`]).
//!
//! The shape is the other services': the server hands [`Elb::handle`] an authenticated call
//! whose AWS Query body it has transcoded into the input's JSON document with the model's
//! schema; the document is parsed into the generated request shape and checked against the
//! model (berth-elbv2-model); [`dispatch`] picks the handler in `ops/` (`load_balancers.rs`,
//! `lb_attributes.rs`, `target_groups.rs`, `tg_attributes.rs`, `targets.rs`, `listeners.rs`,
//! `rules.rs`, `actions.rs` and `conditions.rs` the checks of what rules say, `tags.rs`,
//! `account.rs`); each resource is one record ([`records`]) keyed by its account.
//!
//! What ELB needs from elsewhere it declares as traits the binary wires: [`Network`] (the
//! VPCs, subnets and security groups EC2 answers), [`Instances`] (where an `instance`
//! target is reached: an ECS container instance's address) and [`HealthView`] (what the
//! data plane's health checks see, which DescribeTargetHealth answers).
//!
//! ```
//! use std::sync::Arc;
//! use berth_aws::{clock::SystemClock, RequestContext};
//! use berth_elbv2::{Elb, ElbConfig};
//! use berth_elbv2_model::Operation;
//! let elb = Elb::open(
//!     Arc::new(berth_store::MemStore::default()),
//!     Arc::new(SystemClock),
//!     ElbConfig::new("169.254.181.0/24".parse().unwrap()),
//! ).unwrap();
//! let ctx = RequestContext::for_account("000000000000", "us-east-1");
//! let out = elb.handle(&ctx, Operation::CreateTargetGroup,
//!     br#"{"Name":"web","Protocol":"HTTP","Port":80,"VpcId":"vpc-1","TargetType":"ip"}"#).unwrap();
//! assert!(String::from_utf8(out).unwrap().contains(r#""TargetGroupName":"web""#));
//! ```

pub mod dataplane;
mod dispatch;
pub mod error;
mod ops;
pub mod records;
pub mod resources;
mod service;
pub mod state;

use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use berth_aws::clock::Clock;

pub use error::{ElbError, Result};
pub use service::ElbService;

/// A subnet as ELB sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
}

/// The VPCs, subnets and security groups load balancers are put in (EC2's).
pub trait Network: Send + Sync {
    fn subnet(&self, account: &str, subnet_id: &str) -> Option<Subnet>;
    /// The subnets of the account's default VPC, one per availability zone.
    fn default_subnets(&self, account: &str) -> Vec<Subnet>;
    fn vpc_exists(&self, account: &str, vpc_id: &str) -> bool;
    /// The VPC of security group `id`, if it exists.
    fn security_group_vpc(&self, account: &str, id: &str) -> Option<String>;
    /// The `default` security group of a VPC.
    fn default_security_group(&self, account: &str, vpc_id: &str) -> Option<String>;
}

/// Where an `instance` target is reached.
pub trait Instances: Send + Sync {
    /// The address of instance `id` (an ECS container instance's EC2 instance id), if Berth
    /// knows it.
    fn address(&self, account: &str, instance_id: &str) -> Option<IpAddr>;
}

/// What the data plane sees of one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedTarget {
    pub id: String,
    pub port: u16,
    /// `initial`, `healthy`, `unhealthy`, `draining`, `unused` or `unavailable`.
    pub state: String,
    pub reason: Option<String>,
    pub description: Option<String>,
}

/// The data plane's health of the targets of target groups.
pub trait HealthView: Send + Sync {
    /// The targets the data plane holds for target group `arn`: registered ones and those
    /// still draining after their deregistration.
    fn targets(&self, target_group_arn: &str) -> Vec<ObservedTarget>;
}

/// A certificate and its private key, PEM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificatePem {
    pub chain_pem: String,
    pub key_pem: String,
}

/// The certificates HTTPS listeners name by ARN (IAM's server certificates).
pub trait Certificates: Send + Sync {
    fn certificate(&self, account: &str, arn: &str) -> Option<CertificatePem>;
}

/// How ELB of a region is set up.
#[derive(Clone, Debug)]
pub struct ElbConfig {
    /// The addresses load balancers are given, one each.
    pub addresses: ipnet::Ipv4Net,
    /// What DNS names end in after the region: `<name>-<n>.<region>.<suffix>`.
    pub dns_suffix: String,
}

impl ElbConfig {
    pub fn new(addresses: ipnet::Ipv4Net) -> Self {
        ElbConfig {
            addresses,
            dns_suffix: DEFAULT_DNS_SUFFIX.into(),
        }
    }
}

/// The zone load balancers' DNS names are in, after the region.
pub const DEFAULT_DNS_SUFFIX: &str = "elb.berth.internal";

/// ELB of one region (every account).
pub struct Elb {
    pub(crate) db: state::Db,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: ElbConfig,
    network: RwLock<Option<Arc<dyn Network>>>,
    instances: RwLock<Option<Arc<dyn Instances>>>,
    health: RwLock<Option<Arc<dyn HealthView>>>,
    certificates: RwLock<Option<Arc<dyn Certificates>>>,
}

impl Elb {
    /// Loads the load balancers, target groups, targets, listeners and rules from `store`.
    pub fn open(
        store: Arc<dyn berth_store::Store>,
        clock: Arc<dyn Clock>,
        config: ElbConfig,
    ) -> Result<Self> {
        Ok(Elb {
            db: state::open(store)?,
            clock,
            config,
            network: RwLock::new(None),
            instances: RwLock::new(None),
            health: RwLock::new(None),
            certificates: RwLock::new(None),
        })
    }

    pub fn set_network(&self, n: Arc<dyn Network>) {
        if let Ok(mut g) = self.network.write() {
            *g = Some(n);
        }
    }

    pub fn set_instances(&self, i: Arc<dyn Instances>) {
        if let Ok(mut g) = self.instances.write() {
            *g = Some(i);
        }
    }

    pub fn set_health_view(&self, h: Arc<dyn HealthView>) {
        if let Ok(mut g) = self.health.write() {
            *g = Some(h);
        }
    }

    pub fn set_certificates(&self, c: Arc<dyn Certificates>) {
        if let Ok(mut g) = self.certificates.write() {
            *g = Some(c);
        }
    }

    pub(crate) fn certificates(&self) -> Option<Arc<dyn Certificates>> {
        self.certificates.read().ok().and_then(|g| g.clone())
    }

    pub(crate) fn network(&self) -> Option<Arc<dyn Network>> {
        self.network.read().ok().and_then(|g| g.clone())
    }

    pub(crate) fn instances(&self) -> Option<Arc<dyn Instances>> {
        self.instances.read().ok().and_then(|g| g.clone())
    }

    pub(crate) fn health_view(&self) -> Option<Arc<dyn HealthView>> {
        self.health.read().ok().and_then(|g| g.clone())
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.now()
    }

    /// Calls `f` after every durable change (the data plane is reconfigured from it).
    pub fn on_change(&self, f: impl Fn() + Send + Sync + 'static) {
        self.db.subscribe(Box::new(move |_| f()));
    }

    /// The state as last made durable.
    pub fn snapshot(&self) -> Arc<state::State> {
        self.db.snapshot()
    }
}
