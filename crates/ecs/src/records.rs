//! What the control plane stores: one record type per resource, mostly the wire shape itself
//! plus what the wire shape does not carry (tags of a task definition, an instance's cluster).

use berth_ecs_model::shapes::{
    CapacityProvider, Cluster, ContainerInstance, Service, Setting, Tag, Task, TaskDefinition,
};
use serde::{Deserialize, Serialize};

use crate::state::State;

/// A cluster; counts are computed when described, not stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClusterRec {
    pub cluster: Cluster,
}
berth_commit::record!(State: ClusterRec, "cluster", clusters, |r| r.name().to_owned());

impl ClusterRec {
    pub fn name(&self) -> &str {
        self.cluster.cluster_name.as_deref().unwrap_or_default()
    }
    pub fn is_active(&self) -> bool {
        self.cluster.status.as_deref() == Some("ACTIVE")
    }
}

/// A task definition family: its last revision number, never reused.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FamilyRec {
    pub family: String,
    pub last_revision: i32,
}
berth_commit::record!(State: FamilyRec, "family", families, |r| r.family.clone());

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskDefinitionRec {
    pub definition: TaskDefinition,
    #[serde(default)]
    pub tags: Vec<Tag>,
}
berth_commit::record!(State: TaskDefinitionRec,
    "task_definition",
    task_definitions,
    |r| task_definition_key(r.family(), r.definition.revision)
);

impl TaskDefinitionRec {
    pub fn family(&self) -> &str {
        self.definition.family.as_deref().unwrap_or_default()
    }
    pub fn status(&self) -> &str {
        self.definition
            .status
            .as_ref()
            .map(|s| s.as_str())
            .unwrap_or("ACTIVE")
    }
}

/// Store key of a task definition: family, then the revision zero-padded so keys sort.
pub fn task_definition_key(family: &str, revision: i32) -> String {
    format!("{family}:{revision:010}")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContainerInstanceRec {
    pub cluster: String,
    pub id: String,
    /// Assignment sequence: bumped whenever a task on this instance changes desired state.
    #[serde(default)]
    pub seq: u64,
    pub instance: ContainerInstance,
    /// Where the instance is reached (its identity document's `privateIp`): the address
    /// Cloud Map registrations of its bridge and host tasks carry.
    #[serde(default)]
    pub private_ip: Option<String>,
}
berth_commit::record!(State: ContainerInstanceRec,
    "container_instance",
    container_instances,
    |r| r.id.clone(),
    index = |s, old, new| {
        if let Some(id) = new.or(old).map(|r| r.id.as_str()) {
            s.touch_instance(id);
        }
    }
);

impl ContainerInstanceRec {
    pub fn arn(&self) -> &str {
        self.instance
            .container_instance_arn
            .as_deref()
            .unwrap_or_default()
    }
    pub fn status(&self) -> &str {
        self.instance.status.as_deref().unwrap_or_default()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CapacityProviderRec {
    pub provider: CapacityProvider,
}
berth_commit::record!(State: CapacityProviderRec,
    "capacity_provider",
    capacity_providers,
    |r| r.provider.name.clone().unwrap_or_default()
);

/// An account setting for one principal ARN, or the account default (`principal` empty).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccountSettingRec {
    pub principal: String,
    pub setting: Setting,
}
berth_commit::record!(State: AccountSettingRec,
    "account_setting",
    account_settings,
    |r| account_setting_key(
        &r.principal,
        r.setting
            .name
            .as_ref()
            .map(|n| n.as_str())
            .unwrap_or_default()
    )
);

pub fn account_setting_key(principal: &str, name: &str) -> String {
    format!("{principal}\u{1f}{name}")
}

/// What a task holds on its container instance while it is there: released when it stops.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub cpu: i64,
    pub memory: i64,
    pub tcp_ports: Vec<u16>,
    pub udp_ports: Vec<u16>,
}

/// A task: the wire shape plus where it runs and what it holds there.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskRec {
    pub cluster: String,
    pub id: String,
    /// The container instance's id (EC2 launch type).
    pub instance: Option<String>,
    /// Resources charged to the instance; `None` once released.
    pub reservation: Option<Reservation>,
    /// The instance's assignment sequence number at the task's last desired-state change;
    /// the agent channel delivers changes after the sequence an agent has seen.
    pub seq: u64,
    pub task: Task,
    /// Scale-in protection (UpdateTaskProtection): protected until this time.
    #[serde(default)]
    pub protected_until: Option<f64>,
    /// Its service's load balancers: the targets ECS registered for it, and the hold on its
    /// stop while they drain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lb: Option<TaskLb>,
}

/// A target ECS registered for a task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LbTarget {
    pub target_group: String,
    pub id: String,
    pub port: u16,
}

/// A service task's load balancer registrations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskLb {
    pub targets: Vec<LbTarget>,
    /// Its targets were deregistered (the task is on its way out).
    #[serde(default)]
    pub deregistered: bool,
    /// The longest deregistration delay of its target groups.
    pub drain_secs: f64,
    /// Desired STOPPED, but its agent is not told until its targets drained or this time
    /// passed (ECS's DEACTIVATING).
    #[serde(default)]
    pub hold_until: Option<f64>,
}

impl TaskLb {
    pub fn held(&self) -> bool {
        self.hold_until.is_some()
    }
}
berth_commit::record!(State: TaskRec,
    "task",
    tasks,
    |r| r.id.clone(),
    index = |s, old, new| {
        let on = |r: Option<&TaskRec>| {
            r.filter(|r| r.reservation.is_some())
                .and_then(|r| r.instance.clone())
        };
        let (was_on, now_on) = (on(old), on(new));
        if let Some(i) = &was_on {
            s.touch_instance(i);
        }
        if let Some(i) = now_on.filter(|n| Some(n) != was_on.as_ref()) {
            s.touch_instance(&i);
        }
        if let Some(o) = old.filter(|o| o.reservation.is_some()) {
            if let Some(i) = &o.instance {
                if let Some(set) = s.instance_tasks.get_mut(i) {
                    set.remove(&(o.seq, o.id.clone()));
                }
                if let Some(groups) = s.instance_groups.get_mut(i) {
                    match groups.get_mut(o.group()) {
                        Some(n) if *n > 1 => *n -= 1,
                        _ => {
                            groups.remove(o.group());
                        }
                    }
                }
                s.instance_counts
                    .entry(i.clone())
                    .or_default()
                    .add(o.last_status(), -1);
            }
        }
        if let Some(o) = old.filter(|o| o.reservation.is_some() && o.is_fargate()) {
            s.fargate_counts
                .entry(o.cluster.clone())
                .or_default()
                .add(o.last_status(), -1);
        }
        if let Some(n) = new.filter(|n| n.reservation.is_some() && n.is_fargate()) {
            s.fargate_counts
                .entry(n.cluster.clone())
                .or_default()
                .add(n.last_status(), 1);
        }
        if let Some(o) = old.filter(|o| o.group().starts_with("service:")) {
            if let Some(set) = s.service_tasks.get_mut(&o.service_key()) {
                set.remove(&o.id);
            }
        }
        if let Some(n) = new.filter(|n| n.group().starts_with("service:")) {
            s.service_tasks
                .entry(n.service_key())
                .or_default()
                .insert(n.id.clone());
        }
        if let Some(n) = new.filter(|n| n.reservation.is_some()) {
            if let Some(i) = &n.instance {
                s.instance_tasks
                    .entry(i.clone())
                    .or_default()
                    .insert((n.seq, n.id.clone()));
                let groups = s.instance_groups.entry(i.clone()).or_default();
                match groups.get_mut(n.group()) {
                    Some(c) => *c += 1,
                    None => {
                        groups.insert(n.group().to_owned(), 1);
                    }
                }
                s.instance_counts
                    .entry(i.clone())
                    .or_default()
                    .add(n.last_status(), 1);
            }
        }
    }
);

impl TaskRec {
    /// `<cluster>/<service name>` for a service's task (the key of its [`ServiceRec`]).
    pub fn service_key(&self) -> String {
        let name = self.group().strip_prefix("service:").unwrap_or_default();
        format!("{}/{name}", self.cluster)
    }
    pub fn is_fargate(&self) -> bool {
        self.task.launch_type == Some(berth_ecs_model::shapes::LaunchType::Fargate)
    }
    pub fn arn(&self) -> &str {
        self.task.task_arn.as_deref().unwrap_or_default()
    }
    pub fn group(&self) -> &str {
        self.task.group.as_deref().unwrap_or_default()
    }
    pub fn last_status(&self) -> &str {
        self.task.last_status.as_deref().unwrap_or_default()
    }
    pub fn desired_status(&self) -> &str {
        self.task.desired_status.as_deref().unwrap_or_default()
    }
}

/// How many of an instance's tasks are PENDING (provisioning, pending, activating) and
/// RUNNING: derived from the tasks, never stored, so it cannot drift.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskCounts {
    pub pending: i32,
    pub running: i32,
}

impl TaskCounts {
    fn add(&mut self, last_status: &str, n: i32) {
        match last_status {
            "PROVISIONING" | "PENDING" | "ACTIVATING" => self.pending += n,
            "RUNNING" => self.running += n,
            _ => {}
        }
    }
}

/// A RunTask `clientToken` and what it answered, so a retried call returns the same tasks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClientTokenRec {
    pub token: String,
    /// Fingerprint of the request the token was first used with.
    pub request: String,
    pub task_ids: Vec<String>,
    pub failures: Vec<berth_ecs_model::shapes::Failure>,
    pub created_at: f64,
}
berth_commit::record!(State: ClientTokenRec, "client_token", client_tokens, |r| r
    .token
    .clone());

/// A service: the wire shape (its deployments and latest events included) plus what the
/// shape does not carry. Counts are derived from its tasks when described.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServiceRec {
    pub cluster: String,
    pub name: String,
    pub service: Service,
    /// The clientToken CreateService was called with, and a fingerprint of that request.
    #[serde(default)]
    pub client_token: Option<(String, String)>,
    /// Deployments no longer shown (INACTIVE), kept for ListServiceDeployments.
    #[serde(default)]
    pub past_deployments: Vec<berth_ecs_model::shapes::Deployment>,
    /// Circuit-breaker rollbacks: rollback deployment id → the failed deployment's id.
    #[serde(default)]
    pub rollbacks: std::collections::BTreeMap<String, String>,
}
berth_commit::record!(State: ServiceRec, "service", services, |r| format!(
    "{}/{}",
    r.cluster, r.name
));

impl ServiceRec {
    pub fn status(&self) -> &str {
        self.service.status.as_deref().unwrap_or_default()
    }
    pub fn group(&self) -> String {
        format!("service:{}", self.name)
    }
}
