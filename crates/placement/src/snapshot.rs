//! The candidates: container instances of one cluster, as placement sees them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::demand::Demand;

/// The `status` of a container instance.
///
/// Only `ACTIVE` instances take new tasks. A `DRAINING` instance keeps the
/// tasks it runs but gets no new ones; the others are on their way in or out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceStatus {
    /// `ACTIVE`: accepts tasks.
    Active,
    /// `DRAINING`: no new tasks.
    Draining,
    /// `REGISTERING`.
    Registering,
    /// `DEREGISTERING`.
    Deregistering,
    /// `REGISTRATION_FAILED`.
    RegistrationFailed,
    /// `INACTIVE`: deregistered.
    Inactive,
}

impl InstanceStatus {
    /// Reads the ECS spelling (`ACTIVE`, `DRAINING`, …); `None` for anything else.
    pub fn from_ecs(s: &str) -> Option<Self> {
        Some(match s {
            "ACTIVE" => Self::Active,
            "DRAINING" => Self::Draining,
            "REGISTERING" => Self::Registering,
            "DEREGISTERING" => Self::Deregistering,
            "REGISTRATION_FAILED" => Self::RegistrationFailed,
            "INACTIVE" => Self::Inactive,
            _ => return None,
        })
    }

    /// The ECS spelling.
    pub fn as_ecs(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Draining => "DRAINING",
            Self::Registering => "REGISTERING",
            Self::Deregistering => "DEREGISTERING",
            Self::RegistrationFailed => "REGISTRATION_FAILED",
            Self::Inactive => "INACTIVE",
        }
    }
}

impl fmt::Display for InstanceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_ecs())
    }
}

/// One container instance, with what it has left.
///
/// The caller fills this from its state: `remaining_*` from the instance's
/// `remainingResources` (`CPU`, `MEMORY`), `used_*_ports` from its `PORTS`
/// and `PORTS_UDP` remaining-resource string sets (the agent's reserved ports
/// plus the host ports of tasks on it), `task_groups` counting per group the tasks
/// whose *desired* status is `RUNNING` (ECS looks at the desired status, so a
/// task being stopped no longer counts).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The container instance ARN: what placement reports and ECS failures name.
    pub arn: String,
    /// The EC2 instance id, if any (the `ec2InstanceId` query subject).
    pub ec2_instance_id: Option<String>,
    /// The instance's status; only `ACTIVE` takes tasks.
    pub status: InstanceStatus,
    /// Whether the container agent is connected.
    pub agent_connected: bool,
    /// Registration time in epoch seconds (the `registeredAt` query subject).
    pub registered_at: Option<f64>,
    /// The agent version, e.g. `1.14.5` (the `agentVersion` query subject).
    pub agent_version: Option<String>,
    /// Attributes: name → value; `None` for an attribute without a value.
    pub attributes: BTreeMap<String, Option<String>>,
    /// CPU units left (1024 per vCPU).
    pub remaining_cpu: i64,
    /// Memory left, in MiB.
    pub remaining_memory: i64,
    /// TCP host ports in use or reserved.
    pub used_tcp_ports: BTreeSet<u16>,
    /// UDP host ports in use or reserved.
    pub used_udp_ports: BTreeSet<u16>,
    /// Tasks in the `RUNNING` state (the `runningTasksCount` query subject).
    pub running_tasks_count: i64,
    /// How many tasks of each group are on the instance (groups with none are absent).
    pub task_groups: BTreeMap<String, usize>,
}

impl Candidate {
    /// An `ACTIVE`, connected instance with the given ARN, resources and
    /// nothing else: a starting point for building candidates.
    pub fn new(arn: impl Into<String>, cpu: i64, memory: i64) -> Self {
        Candidate {
            arn: arn.into(),
            ec2_instance_id: None,
            status: InstanceStatus::Active,
            agent_connected: true,
            registered_at: None,
            agent_version: None,
            attributes: BTreeMap::new(),
            remaining_cpu: cpu,
            remaining_memory: memory,
            used_tcp_ports: BTreeSet::new(),
            used_udp_ports: BTreeSet::new(),
            running_tasks_count: 0,
            task_groups: BTreeMap::new(),
        }
    }

    /// Sets attribute `name` (builder style).
    pub fn with_attribute(mut self, name: &str, value: Option<&str>) -> Self {
        self.attributes
            .insert(name.to_owned(), value.map(str::to_owned));
        self
    }

    /// The value of attribute `name`: `Some("")` for a present attribute
    /// without a value, `None` when absent.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .get(name)
            .map(|v| v.as_deref().unwrap_or(""))
    }

    /// How many of its tasks are in `group`.
    pub fn group_count(&self, group: &str) -> usize {
        self.task_groups.get(group).copied().unwrap_or(0)
    }

    /// Counts one more task of `group` on this instance.
    pub fn add_task_group(&mut self, group: &str) {
        match self.task_groups.get_mut(group) {
            Some(n) => *n += 1,
            None => {
                self.task_groups.insert(group.to_owned(), 1);
            }
        }
    }

    /// Records one task of `demand` on this instance: takes its CPU, memory
    /// and host ports, and counts it as running in its group. This is what
    /// the engine does (virtually) between two placements of one call;
    /// callers can use it to update their own copy.
    pub fn account(&mut self, demand: &Demand) {
        self.remaining_cpu -= i64::from(demand.cpu);
        self.remaining_memory -= i64::from(demand.memory);
        self.used_tcp_ports.extend(demand.tcp_ports.iter().copied());
        self.used_udp_ports.extend(demand.udp_ports.iter().copied());
        self.running_tasks_count += 1;
        self.add_task_group(&demand.group);
    }
}

/// A candidate is a cluster query subject as it stands (the engine adds
/// the tasks it is placing on top of this).
impl berth_query::Subject for Candidate {
    fn attribute(&self, name: &str) -> Option<&str> {
        Candidate::attribute(self, name)
    }
    fn agent_connected(&self) -> bool {
        self.agent_connected
    }
    fn agent_version(&self) -> Option<&str> {
        self.agent_version.as_deref()
    }
    fn ec2_instance_id(&self) -> Option<&str> {
        self.ec2_instance_id.as_deref()
    }
    fn registered_at(&self) -> Option<f64> {
        self.registered_at
    }
    fn running_tasks_count(&self) -> i64 {
        self.running_tasks_count
    }
    fn task_groups(&self) -> Vec<&str> {
        self.task_groups.keys().map(String::as_str).collect()
    }
}
