//! The control plane's side of the agent protocol (see docs/AGENT_PROTOCOL.md).
//!
//! Agents learn what to run by polling: `Poll` answers at once with every task of the
//! instance whose desired state changed after the sequence number the agent has seen
//! (the transport holds the call open until there is something, see berth-server), so a
//! reconnect or a duplicated answer is harmless: the agent applies desired states, which are
//! idempotent. Each poll is also the agent's heartbeat: an instance whose agent has not polled
//! within the timeout shows `agentConnected: false` and gets no new tasks. `Reconcile` is
//! what an agent sends when it (re)connects: tasks the control plane placed on the instance
//! that the agent has seen but no longer knows are marked STOPPED.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use berth_ecs_model::shapes::{Task, TaskDefinition, TaskStopCode};
use serde::{Deserialize, Serialize};

use crate::error::{EcsError, Result};
use crate::ops::container_instances::find;
use crate::records::{ContainerInstanceRec, TaskRec};
use crate::Ecs;

/// How much earlier than its timeout an agent's poll already counts as a revival (see
/// `Agents::seen`).
const REVIVAL_MARGIN_SECS: f64 = 1.0;

/// Called with a container instance id whenever its agent has something new to learn.
pub type Notifier = Arc<dyn Fn(&str) + Send + Sync>;

/// Agent liveness and wake-ups; not durable (after a restart every agent gets a full timeout
/// to come back).
pub(crate) struct Agents {
    last_seen: Mutex<HashMap<String, f64>>,
    timeout_secs: RwLock<f64>,
    notifier: RwLock<Option<Notifier>>,
    poll_endpoint: RwLock<String>,
    started_at: f64,
    /// Bumped whenever an instance may have become connected without a change to its
    /// records (an agent back after a silence, a longer timeout): cached placement
    /// candidates then look at every agent again.
    revivals: AtomicU64,
}

/// What placement needs to know of agents: whether each is connected and until when it stays
/// so without another poll, and a counter that moves when one may have come back.
pub(crate) struct Liveness<'a> {
    pub revivals: u64,
    /// The agent timeout, seconds.
    pub timeout: f64,
    pub check: LiveCheck<'a>,
}

/// An instance id → whether its agent is connected, and until when it stays so.
pub(crate) type LiveCheck<'a> = Box<dyn Fn(&str) -> (bool, f64) + 'a>;

impl Agents {
    pub(crate) fn new(now: f64) -> Self {
        Agents {
            last_seen: Mutex::new(HashMap::new()),
            timeout_secs: RwLock::new(60.0),
            notifier: RwLock::new(None),
            poll_endpoint: RwLock::new(String::new()),
            started_at: now,
            revivals: AtomicU64::new(0),
        }
    }

    fn timeout(&self) -> f64 {
        *self.timeout_secs.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn seen(&self, instance_id: &str, now: f64) {
        let timeout = self.timeout();
        let before = self
            .seen_map()
            .insert(instance_id.to_owned(), now)
            .unwrap_or(self.started_at);
        // A placement that read the clock a little after this poll did could have judged the
        // agent timed out a moment ago: count it as a revival a little early.
        if now + REVIVAL_MARGIN_SECS >= before + timeout {
            self.revivals.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn seen_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, f64>> {
        self.last_seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Until when an instance's agent counts as connected without another poll: its last
    /// poll (or, if none since this process started, the start) plus the timeout.
    fn connected_until(&self, seen: &HashMap<String, f64>, id: &str, timeout: f64) -> f64 {
        seen.get(id).copied().unwrap_or(self.started_at) + timeout
    }

    /// Every agent's liveness at `now`. Each look takes the lock on its own, so agents'
    /// heartbeats are not held up while a placement runs.
    pub(crate) fn live_view(&self, now: f64) -> Liveness<'_> {
        let revivals = self.revivals.load(Ordering::Relaxed);
        let timeout = self.timeout();
        Liveness {
            revivals,
            timeout,
            check: Box::new(move |id: &str| {
                let until = self.connected_until(&self.seen_map(), id, timeout);
                (now < until, until)
            }),
        }
    }

    pub(crate) fn connected(&self, instance_id: &str, now: f64) -> bool {
        now < self.connected_until(&self.seen_map(), instance_id, self.timeout())
    }

    /// `connected` for many instances under one lock.
    pub(crate) fn liveness(&self, now: f64) -> impl Fn(&str) -> bool + '_ {
        let seen = self.seen_map();
        let timeout = self.timeout();
        move |id: &str| now < self.connected_until(&seen, id, timeout)
    }

    /// Wakes the agents of these instances now.
    pub(crate) fn notify(&self, instance_ids: &[String]) {
        self.waker(instance_ids)();
    }

    /// What wakes the agents of these instances, for a staged write to run once it is
    /// durable: an agent woken before would poll, find nothing new in the durable state and
    /// sleep again.
    pub(crate) fn waker(&self, instance_ids: &[String]) -> impl FnOnce() + Send + 'static {
        let notifier = self
            .notifier
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let ids = instance_ids.to_vec();
        move || {
            if let Some(n) = notifier {
                for id in &ids {
                    n(id);
                }
            }
        }
    }

    pub(crate) fn poll_endpoint(&self) -> String {
        self.poll_endpoint
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub container_instance: String,
    #[serde(default)]
    pub after_seq: u64,
}

/// One task as its agent must run it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentTask {
    pub seq: u64,
    pub task_arn: String,
    pub desired_status: String,
    pub task: Task,
    pub task_definition: TaskDefinition,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollResponse {
    /// The highest sequence number this answer covers; send it back as `afterSeq`.
    pub seq: u64,
    pub tasks: Vec<AgentTask>,
    /// Poll at least this often to stay connected.
    pub heartbeat_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileRequest {
    #[serde(default)]
    pub cluster: Option<String>,
    pub container_instance: String,
    /// Every task the agent knows (running or not).
    #[serde(default)]
    pub known_task_arns: Vec<String>,
    /// The highest sequence number the agent has applied.
    #[serde(default)]
    pub seen_seq: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileResponse {
    /// Tasks the control plane marked STOPPED because the agent lost them.
    pub stopped_task_arns: Vec<String>,
}

impl Ecs {
    /// Seconds without a poll after which an agent counts as disconnected.
    pub fn set_agent_timeout(&self, secs: f64) {
        *self
            .agents
            .timeout_secs
            .write()
            .unwrap_or_else(|p| p.into_inner()) = secs;
        self.agents.revivals.fetch_add(1, Ordering::Relaxed);
    }

    /// Installs the function told which instances have news for their agents.
    pub fn set_notifier(&self, n: Notifier) {
        *self
            .agents
            .notifier
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(n);
    }

    /// The URL DiscoverPollEndpoint answers (this server's own endpoint).
    pub fn set_poll_endpoint(&self, url: &str) {
        *self
            .agents
            .poll_endpoint
            .write()
            .unwrap_or_else(|p| p.into_inner()) = url.to_owned();
    }

    /// The id of the instance an agent call names; the call counts as a heartbeat.
    pub fn agent_instance(&self, cluster: Option<&str>, instance: &str) -> Result<String> {
        let id = self.db.read(|state| {
            let cluster = self.active_cluster(state, cluster)?.name().to_owned();
            find(self, state, &cluster, instance)
                .filter(|r| r.status() != "INACTIVE")
                .map(|r| r.id.clone())
                .ok_or_else(|| {
                    EcsError::invalid("The referenced container instance was not found.")
                })
        })?;
        self.agents.seen(&id, self.now());
        Ok(id)
    }

    /// How often agents must poll to stay connected: a third of the agent timeout. A poll is
    /// never held longer than this, so a waiting agent stays connected.
    pub fn heartbeat_seconds(&self) -> u64 {
        (*self
            .agents
            .timeout_secs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            / 3.0)
            .max(1.0) as u64
    }

    /// What the agent of `instance_id` must apply after `after_seq` (empty when nothing).
    pub fn agent_poll(&self, instance_id: &str, after_seq: u64) -> Result<PollResponse> {
        self.agents.seen(instance_id, self.now());
        let heartbeat = self.heartbeat_seconds();
        self.db.read(|state| {
            let inst = state.container_instances.get(instance_id).ok_or_else(|| {
                EcsError::invalid("The referenced container instance was not found.")
            })?;
            let mut tasks = Vec::new();
            let after = (after_seq.saturating_add(1), String::new());
            let changed = state
                .instance_tasks
                .get(instance_id)
                .filter(|_| after_seq < u64::MAX)
                .map(|set| set.range(after..))
                .into_iter()
                .flatten();
            for (_, task_id) in changed {
                let Some(t) = state.tasks.get(task_id) else {
                    continue;
                };
                let td = t
                    .task
                    .task_definition_arn
                    .as_deref()
                    .and_then(|arn| self.find_task_definition(state, arn))
                    .map(|r| r.definition.clone())
                    .unwrap_or_default();
                // A task draining from its load balancers keeps running until it drained.
                let mut task = t.task.clone();
                if t.lb.as_ref().is_some_and(|l| l.held()) {
                    task.desired_status = Some("RUNNING".into());
                }
                tasks.push(AgentTask {
                    seq: t.seq,
                    task_arn: t.arn().to_owned(),
                    desired_status: task.desired_status.clone().unwrap_or_default(),
                    task,
                    task_definition: td,
                });
            }
            // In sequence order already (the index is ordered by it).
            Ok(PollResponse {
                seq: inst.seq.max(after_seq),
                tasks,
                heartbeat_seconds: heartbeat,
            })
        })
    }

    /// Marks STOPPED the tasks of the instance that its agent has seen but no longer knows.
    pub fn agent_reconcile(&self, req: &ReconcileRequest) -> Result<ReconcileResponse> {
        let id = self.agent_instance(req.cluster.as_deref(), &req.container_instance)?;
        let now = self.now();
        let stopped = self.db.write(|tx| {
            let lost: Vec<_> = tx
                .state
                .instance_tasks
                .get(&id)
                .into_iter()
                .flatten()
                .take_while(|(seq, _)| *seq <= req.seen_seq)
                .filter_map(|(_, task_id)| tx.state.tasks.get(task_id))
                .filter(|t| !req.known_task_arns.iter().any(|a| a == t.arn()))
                .map(|t| TaskRec::clone(t))
                .collect();
            let mut arns = Vec::new();
            for mut t in lost {
                t.task.stopped_reason =
                    Some("The container instance's agent no longer knows this task.".into());
                t.task.stop_code = Some(TaskStopCode::TaskFailedToStart);
                t.task.version += 1;
                self.finish_stopped(tx, &mut t, now)?;
                arns.push(t.arn().to_owned());
                tx.put(t)?;
            }
            Ok(arns)
        })?;
        Ok(ReconcileResponse {
            stopped_task_arns: stopped,
        })
    }

    /// The instance as described: `agentConnected` from the agent's last heartbeat.
    pub(crate) fn live_instance(
        &self,
        state: &crate::state::State,
        rec: &ContainerInstanceRec,
    ) -> berth_ecs_model::shapes::ContainerInstance {
        let mut i = rec.instance.clone();
        let counts = state.task_counts(&rec.id);
        i.running_tasks_count = counts.running;
        i.pending_tasks_count = counts.pending;
        i.agent_connected =
            rec.status() != "INACTIVE" && self.agents.connected(&rec.id, self.now());
        i
    }
}
