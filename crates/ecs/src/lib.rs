//! The Amazon ECS control plane: every ECS operation Berth answers, over durable state.
//!
//! How a request flows through this crate:
//!
//! 1. the transport (berth-server) has authenticated the caller and found the operation;
//! 2. [`Ecs::handle`] parses the JSON body into the generated request shape
//!    (wrong JSON types → `SerializationException`), checks the model's constraints
//!    (→ `InvalidParameterException`) and calls the operation's handler in `ops/`;
//! 3. a handler reads the in-memory [`state::State`] and, to change anything, stages records in
//!    a [`state::Tx`]; the batch is committed to the [`berth_store::Store`] before it becomes
//!    visible or is acknowledged;
//! 4. the handler's response shape is serialized back; errors are [`EcsError`]s, which the
//!    transport turns into `{"__type": ..., "message": ...}`.
//!
//! ```
//! use std::sync::Arc;
//! use berth_ecs::{Ecs, Scope, SystemClock};
//! use berth_ecs_model::Operation;
//! let ecs = Ecs::open(Arc::new(berth_store::MemStore::default()), Arc::new(SystemClock),
//!                     Scope::new("us-east-1", "000000000000")).unwrap();
//! let out = ecs.handle(Operation::CreateCluster, br#"{"clusterName":"web"}"#).unwrap();
//! assert!(String::from_utf8(out).unwrap().contains("cluster/web"));
//! ```

pub mod agent;
mod agent_channel;
pub mod arn;
mod candidate_cache;
pub mod clock;
mod dispatch;
pub mod error;
pub(crate) mod ops;
mod page;
mod placing;
mod query;
pub mod records;
pub mod resources;
mod service;
pub mod state;

use std::sync::Arc;

pub use arn::Scope;
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{EcsError, Result};
pub use ops::fargate::FARGATE_POOL;
pub use ops::load_balancers::{LoadBalancers, TargetGroupInfo, TargetStates};
pub use ops::service_registries::Registries;
pub use ops::task_credentials::{IssuedCredentials, RoleCredentials, TASKS_PRINCIPAL};
pub use ops::task_details::{ContainerDetails, TaskDetailsRequest};
pub use service::{EcsService, OpenAccount};

/// The ECS service of one account and region.
pub struct Ecs {
    pub(crate) db: state::Db,
    pub(crate) agents: agent::Agents,
    pub(crate) candidate_cache: candidate_cache::CandidateCache,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) scope: Scope,
    pub(crate) cluster_hook: std::sync::RwLock<Option<ClusterHook>>,
    pub(crate) service_waker: std::sync::RwLock<Option<Waker>>,
    /// Where services' load balancer targets are registered (ELB; set by EcsService).
    pub(crate) load_balancers: std::sync::RwLock<Option<Arc<dyn LoadBalancers>>>,
}

/// Wakes a background loop (the service controller).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Called with a cluster's name after CreateCluster made it (or found it) ACTIVE, before the
/// call answers: `berth dev` uses it to have its local host join every cluster.
pub type ClusterHook = Arc<dyn Fn(&str) + Send + Sync>;

impl Ecs {
    /// Loads the state from `store`; the store stays the durable record of every change.
    pub fn open(
        store: Arc<dyn berth_store::Store>,
        clock: Arc<dyn Clock>,
        scope: Scope,
    ) -> Result<Self> {
        let db = state::open(store)?;
        let agents = agent::Agents::new(clock.now());
        let ecs = Ecs {
            db,
            agents,
            candidate_cache: Default::default(),
            clock,
            scope,
            cluster_hook: Default::default(),
            service_waker: Default::default(),
            load_balancers: Default::default(),
        };
        ecs.ensure_builtin_capacity_providers()?;
        ecs.ensure_fargate_pool()?;
        Ok(ecs)
    }

    /// Services' `loadBalancers` register their tasks through `port` (the binary wires ELB).
    pub fn set_load_balancers(&self, port: Arc<dyn LoadBalancers>) {
        *self
            .load_balancers
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(port);
    }

    pub(crate) fn load_balancer_port(&self) -> Option<Arc<dyn LoadBalancers>> {
        self.load_balancers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Installs the [`ClusterHook`].
    pub fn set_cluster_hook(&self, hook: ClusterHook) {
        *self.cluster_hook.write().unwrap_or_else(|p| p.into_inner()) = Some(hook);
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub(crate) fn now(&self) -> f64 {
        self.clock.now()
    }
}
