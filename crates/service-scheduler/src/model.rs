//! The scheduler's inputs and outputs: a service's spec, its deployments, the
//! tasks and instances the caller observed, and the actions it answers.
//!
//! Enums serialize as ECS spells them on the wire (`PRIMARY`, `IN_PROGRESS`,
//! `DAEMON`, ...), so stored records read like `DescribeServices` output.

use serde::{Deserialize, Serialize};

/// How the service places its tasks (`schedulingStrategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Scheduling {
    /// `desired_count` tasks anywhere in the cluster.
    Replica,
    /// One task on every eligible container instance.
    Daemon,
}

/// `deploymentConfiguration.deploymentCircuitBreaker`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

/// What the service asks for. The caller fills ECS's defaults before calling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceSpec {
    pub name: String,
    pub scheduling: Scheduling,
    /// REPLICA only; a DAEMON's desired count is its number of eligible instances.
    pub desired_count: u32,
    /// ECS defaults: REPLICA 100, DAEMON 0.
    pub minimum_healthy_percent: u32,
    /// ECS defaults: REPLICA 200, DAEMON 100.
    pub maximum_percent: u32,
    pub circuit_breaker: CircuitBreaker,
    pub health_check_grace_seconds: f64,
    /// How long a task without health checks must have been RUNNING before it counts
    /// toward completing a rollout: a container that crashes right after starting must not
    /// complete a deployment (and so escape the circuit breaker).
    #[serde(default)]
    pub settle_seconds: f64,
}

/// A deployment's `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentStatus {
    /// The deployment the service is moving to.
    Primary,
    /// An older deployment whose tasks are being drained.
    Active,
    /// Done with; ECS no longer lists it.
    Inactive,
}

impl DeploymentStatus {
    /// The ECS wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "PRIMARY",
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
        }
    }
}

/// A deployment's `rolloutState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RolloutState {
    InProgress,
    Completed,
    Failed,
}

impl RolloutState {
    /// The ECS wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }
}

/// One deployment of the service, as stored by the caller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: String,
    /// Task definition ARN.
    pub task_definition: String,
    pub status: DeploymentStatus,
    pub rollout_state: RolloutState,
    pub rollout_state_reason: Option<String>,
    pub created_at: f64,
    pub updated_at: f64,
    pub failed_tasks: u32,
    /// The deployment that this one rolls back from, if it is a circuit-breaker rollback.
    pub rollback_of: Option<String>,
}

/// Where a task is in its life, from the scheduler's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskPhase {
    /// Not yet RUNNING (PROVISIONING, PENDING, ACTIVATING).
    Pending,
    Running,
    /// Desired STOPPED but not yet STOPPED.
    Stopping,
    Stopped,
}

/// A task's `healthStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Health {
    Healthy,
    Unhealthy,
    Unknown,
}

/// A task of the service as the caller sees it now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObservedTask {
    pub id: String,
    pub deployment_id: String,
    pub phase: TaskPhase,
    pub health: Health,
    /// Some essential container has a health check.
    pub has_health_check: bool,
    /// When it became RUNNING.
    pub started_at: Option<f64>,
    /// Container instance id (None for FARGATE).
    pub instance: Option<String>,
    pub availability_zone: Option<String>,
    /// Its instance is DRAINING.
    pub instance_draining: bool,
    /// Task scale-in protection expiry.
    pub protected_until: Option<f64>,
    /// For Stopped tasks: true if it stopped on its own (failed to start, essential container
    /// exited, failed health checks) rather than because the scheduler or a user stopped it.
    /// Only stopped tasks that belong to a deployment and stopped on their own before ever
    /// being healthy count toward that deployment's `failed_tasks`.
    pub failed: bool,
    pub ever_healthy: bool,
    /// Why it is unhealthy, when something other than its container health checks says so
    /// (a load balancer's): the `stoppedReason` it is replaced with.
    #[serde(default)]
    pub health_reason: Option<String>,
}

/// A container instance of the cluster (DAEMON services only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub availability_zone: Option<String>,
    pub draining: bool,
    /// ACTIVE, agent connected, and matching the service's placement constraints.
    pub eligible: bool,
}

/// Everything one decision is made from. Nothing else is read: no clock, no randomness.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub spec: &'a ServiceSpec,
    pub deployments: &'a [Deployment],
    /// Includes the Stopped tasks the caller still holds: they are how `failed_tasks` is
    /// counted (see [`Deployment::failed_tasks`] and the crate docs).
    pub tasks: &'a [ObservedTask],
    /// DAEMON only (may be empty for REPLICA).
    pub instances: &'a [Instance],
    /// (deployment id, tasks asked to start but not yet visible) — usually empty.
    pub in_flight: &'a [(String, u32)],
    /// Seconds since the epoch.
    pub now: f64,
}

/// One thing for the caller to do. [`crate::reconcile`] answers deployment records first
/// (`AddDeployment`, `UpdateDeployment`), then starts, then stops, then events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Start `count` new tasks of the deployment (placement is the caller's job).
    Start {
        deployment_id: String,
        count: u32,
    },
    /// DAEMON: start one task of the deployment on this instance.
    StartOn {
        deployment_id: String,
        instance: String,
    },
    Stop {
        task_id: String,
        reason: String,
    },
    /// Record a deployment change (status, rollout state and reason, failed_tasks).
    UpdateDeployment(Deployment),
    /// A new deployment to add (circuit-breaker rollback): PRIMARY; the old primary becomes
    /// ACTIVE via `UpdateDeployment`.
    AddDeployment(Deployment),
    /// A service event message, worded as ECS words them.
    Event(String),
}
