//! `loadBalancers`: a service's tasks registered as targets of its target groups, as ECS
//! does it — once RUNNING (awsvpc: the task's address and container port; bridge and host:
//! its container instance's EC2 instance id and the host port), counted healthy for the
//! rollout only once every target is `healthy`, replaced when a target turns `unhealthy`
//! after the grace period, and, when the task is to stop, deregistered and drained before
//! its agent is told (the task is DEACTIVATING meanwhile).
//!
//! What to do is a pure function of the state, the target groups and their health
//! ([`plan`]); [`Ecs::sync_load_balancers`] carries it out through the [`LoadBalancers`]
//! port the binary wires to ELB.

use std::collections::{BTreeMap, HashMap};

use berth_ecs_model::shapes::{LoadBalancer, NetworkMode, Task, TaskDefinition};

use crate::error::{EcsError, Result};
use crate::records::{LbTarget, ServiceRec, TaskLb, TaskRec};
use crate::state::State;
use crate::Ecs;

/// The most load balancers a service has.
const MAX_LOAD_BALANCERS: usize = 5;

/// What ECS needs to know of a target group.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetGroupInfo {
    /// `instance` or `ip`.
    pub target_type: String,
    /// A load balancer's listener or rule forwards to it.
    pub has_load_balancer: bool,
    /// Its `deregistration_delay.timeout_seconds`.
    pub deregistration_delay_secs: f64,
}

/// The health of a target group's targets: (id, port) → ELB's state (`initial`, `healthy`,
/// `unhealthy`, `draining`, …). A target absent is neither registered nor draining.
pub type TargetStates = BTreeMap<(String, u16), String>;

/// Elastic Load Balancing, as ECS uses it (the binary wires it to berth-elbv2).
pub trait LoadBalancers: Send + Sync + 'static {
    /// Err: no such target group (the message says so).
    fn target_group(&self, account: &str, arn: &str) -> Result<TargetGroupInfo, String>;
    fn register(&self, account: &str, arn: &str, targets: &[(String, u16)]) -> Result<(), String>;
    fn deregister(&self, account: &str, arn: &str, targets: &[(String, u16)])
        -> Result<(), String>;
    fn health(&self, account: &str, arn: &str) -> Result<TargetStates, String>;
}

/// A service's `loadBalancers` as ECS checks them: at most five, each naming a target group
/// that a load balancer uses, of the target type the network mode needs, and a container
/// of the task definition with the `containerPort` it maps.
pub(crate) fn check_load_balancers(
    lbs: &[LoadBalancer],
    td: &TaskDefinition,
    port: Option<&dyn LoadBalancers>,
    account: &str,
) -> Result<()> {
    if lbs.len() > MAX_LOAD_BALANCERS {
        return Err(EcsError::invalid(format!(
            "A service can have at most {MAX_LOAD_BALANCERS} load balancers."
        )));
    }
    if lbs.is_empty() {
        return Ok(());
    }
    let port = port.ok_or_else(|| {
        EcsError::UnsupportedFeature("No load balancing service is wired to ECS.".into())
    })?;
    let awsvpc = td.network_mode == Some(NetworkMode::Awsvpc);
    for lb in lbs {
        if lb.load_balancer_name.is_some() && lb.target_group_arn.is_none() {
            return Err(EcsError::UnsupportedFeature(
                "Classic Load Balancers (loadBalancerName) are not supported by Berth yet; use a target group.".into(),
            ));
        }
        let arn = lb
            .target_group_arn
            .as_deref()
            .ok_or_else(|| EcsError::invalid("A load balancer needs its targetGroupArn."))?;
        let name = lb.container_name.as_deref().ok_or_else(|| {
            EcsError::invalid(
                "containerName and containerPort must be specified for a load balancer.",
            )
        })?;
        let container_port = lb.container_port.ok_or_else(|| {
            EcsError::invalid(
                "containerName and containerPort must be specified for a load balancer.",
            )
        })?;
        let container = td
            .container_definitions
            .iter()
            .flatten()
            .find(|c| c.name.as_deref() == Some(name))
            .ok_or_else(|| {
                EcsError::invalid(format!(
                    "The container {name} does not exist in the task definition."
                ))
            })?;
        let mapped = container
            .port_mappings
            .iter()
            .flatten()
            .any(|m| m.container_port == Some(container_port));
        if !mapped {
            return Err(EcsError::invalid(format!(
                "The container {name} did not have a container port {container_port} defined."
            )));
        }
        let info = port
            .target_group(account, arn)
            .map_err(|e| EcsError::invalid(format!("Unable to use target group {arn}: {e}")))?;
        if !info.has_load_balancer {
            return Err(EcsError::invalid(format!(
                "The target group with targetGroupArn {arn} does not have an associated load balancer."
            )));
        }
        let wanted = if awsvpc { "ip" } else { "instance" };
        if info.target_type != wanted {
            return Err(EcsError::invalid(format!(
                "The provided target group {arn} has target type {}, which is incompatible with the {} network mode specified in the task definition.",
                info.target_type,
                if awsvpc { "awsvpc" } else { "bridge or host" }
            )));
        }
    }
    Ok(())
}

/// The target a task is for one of its service's load balancers: awsvpc, its address and
/// the container port; otherwise its instance's EC2 id and the host port bound to it.
fn target_of(
    state: &State,
    t: &TaskRec,
    lb: &LoadBalancer,
    target_type: &str,
) -> Option<(String, u16)> {
    let container_port = lb.container_port?;
    if target_type == "ip" {
        let ip = super::service_registries::task_ip(&t.task)?;
        return Some((ip, u16::try_from(container_port).ok()?));
    }
    let instance = t
        .instance
        .as_ref()
        .and_then(|i| state.container_instances.get(i))?;
    let ec2 = instance.instance.ec2_instance_id.clone()?;
    let host_port = bound_port(&t.task, lb.container_name.as_deref()?, container_port)?;
    Some((ec2, u16::try_from(host_port).ok()?))
}

/// The host port a container's `containerPort` is bound to.
fn bound_port(task: &Task, container: &str, container_port: i32) -> Option<i32> {
    task.containers
        .iter()
        .flatten()
        .find(|c| c.name.as_deref() == Some(container))?
        .network_bindings
        .iter()
        .flatten()
        .find(|b| b.container_port == Some(container_port))?
        .host_port
}

/// One thing [`Ecs::sync_load_balancers`] does.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Register a RUNNING task's targets.
    Register {
        task: String,
        targets: Vec<LbTarget>,
        drain_secs: f64,
    },
    /// Deregister the targets of a task on its way out.
    Deregister { task: String },
    /// Its targets drained (or the wait is over): tell the agent to stop it.
    Release { task: String },
}

/// The service whose task `t` is, if it has load balancers.
fn service_of<'a>(state: &'a State, t: &TaskRec) -> Option<&'a ServiceRec> {
    state
        .services
        .get(&t.service_key())
        .map(|s| &**s)
        .filter(|s| {
            s.service
                .load_balancers
                .as_ref()
                .is_some_and(|l| !l.is_empty())
        })
}

/// What to do now, given the target groups (by ARN) and their targets' health.
pub fn plan(
    state: &State,
    groups: &HashMap<String, TargetGroupInfo>,
    health: &HashMap<String, TargetStates>,
    now: f64,
) -> Vec<Step> {
    let mut steps = Vec::new();
    for t in state.tasks.values() {
        match &t.lb {
            None => {
                let Some(svc) = service_of(state, t) else {
                    continue;
                };
                let running = t.last_status() == "RUNNING" && t.desired_status() == "RUNNING";
                if !running {
                    continue;
                }
                let lbs = svc.service.load_balancers.as_deref().unwrap_or_default();
                let mut targets = Vec::new();
                let mut drain: f64 = 0.0;
                for lb in lbs {
                    let arn = lb.target_group_arn.clone().unwrap_or_default();
                    let Some(info) = groups.get(&arn) else { break };
                    let Some((id, port)) = target_of(state, t, lb, &info.target_type) else {
                        break;
                    };
                    drain = drain.max(info.deregistration_delay_secs);
                    targets.push(LbTarget {
                        target_group: arn,
                        id,
                        port,
                    });
                }
                if targets.len() == lbs.len() {
                    steps.push(Step::Register {
                        task: t.id.clone(),
                        targets,
                        drain_secs: drain,
                    });
                }
            }
            Some(lb) if !lb.deregistered => {
                let leaving =
                    t.desired_status() == "STOPPED" || t.last_status() == "STOPPED" || lb.held();
                if leaving {
                    steps.push(Step::Deregister { task: t.id.clone() });
                }
            }
            Some(lb) => {
                let Some(until) = lb.hold_until else { continue };
                let drained = lb.targets.iter().all(|g| {
                    health.get(&g.target_group).is_some_and(|h| {
                        !matches!(
                            h.get(&(g.id.clone(), g.port)).map(String::as_str),
                            Some("draining" | "healthy" | "unhealthy" | "initial")
                        )
                    })
                });
                if drained || now >= until {
                    steps.push(Step::Release { task: t.id.clone() });
                }
            }
        }
    }
    steps
}

/// A service task's health as its load balancers see it: Some(true) when every target is
/// healthy, Some(false) with the target group when one is unhealthy, None otherwise.
pub(crate) fn lb_health(
    t: &TaskRec,
    health: &HashMap<String, TargetStates>,
) -> Option<Result<(), String>> {
    let lb = t.lb.as_ref()?;
    let mut all_healthy = true;
    for g in &lb.targets {
        let state = health
            .get(&g.target_group)
            .and_then(|h| h.get(&(g.id.clone(), g.port)));
        match state.map(String::as_str) {
            Some("healthy") => {}
            Some("unhealthy") => return Some(Err(g.target_group.clone())),
            _ => all_healthy = false,
        }
    }
    all_healthy.then_some(Ok(()))
}

impl Ecs {
    /// The target groups of this account's services with load balancers, and their health.
    pub(crate) fn lb_view(
        &self,
        state: &State,
        port: &dyn LoadBalancers,
    ) -> (
        HashMap<String, TargetGroupInfo>,
        HashMap<String, TargetStates>,
    ) {
        let account = self.scope.account.clone();
        let mut groups = HashMap::new();
        let mut health = HashMap::new();
        let arns = state
            .services
            .values()
            .flat_map(|s| s.service.load_balancers.iter().flatten())
            .filter_map(|l| l.target_group_arn.clone())
            .chain(
                state
                    .tasks
                    .values()
                    .filter_map(|t| t.lb.as_ref())
                    .flat_map(|l| l.targets.iter().map(|g| g.target_group.clone())),
            );
        for arn in arns {
            if groups.contains_key(&arn) {
                continue;
            }
            if let Ok(info) = port.target_group(&account, &arn) {
                groups.insert(arn.clone(), info);
            }
            if let Ok(h) = port.health(&account, &arn) {
                health.insert(arn, h);
            }
        }
        (groups, health)
    }

    /// Registers, deregisters and releases this account's service tasks so that ELB holds
    /// what [`plan`] says; answers how many steps it took.
    pub fn sync_load_balancers(&self, port: &dyn LoadBalancers) -> Result<usize> {
        let account = self.scope.account.clone();
        let state = self.db.snapshot();
        if !state.services.values().any(|s| {
            s.service
                .load_balancers
                .as_ref()
                .is_some_and(|l| !l.is_empty())
        }) && !state.tasks.values().any(|t| t.lb.is_some())
        {
            return Ok(0);
        }
        let (groups, health) = self.lb_view(&state, port);
        let now = self.now();
        let steps = plan(&state, &groups, &health, now);
        if steps.is_empty() {
            return Ok(0);
        }
        // The calls first; a step whose call failed is tried again next run.
        let mut done: Vec<Step> = Vec::new();
        for step in steps {
            let ok = match &step {
                Step::Register { targets, .. } => targets.iter().all(|g| {
                    port.register(&account, &g.target_group, &[(g.id.clone(), g.port)])
                        .map_err(|e| tracing::warn!(target_group = %g.target_group, error = %e, "registering a task's target failed"))
                        .is_ok()
                }),
                Step::Deregister { task } => state.tasks.get(task).and_then(|t| t.lb.as_ref()).is_some_and(|lb| {
                    lb.targets.iter().all(|g| {
                        // Already gone is as good as deregistered.
                        let _ = port.deregister(&account, &g.target_group, &[(g.id.clone(), g.port)]);
                        true
                    })
                }),
                Step::Release { .. } => true,
            };
            if ok {
                done.push(step);
            }
        }
        let count = done.len();
        let released = self.db.write(|tx| {
            let mut released = Vec::new();
            for step in &done {
                let id = match step {
                    Step::Register { task, .. }
                    | Step::Deregister { task }
                    | Step::Release { task } => task,
                };
                let Some(mut rec) = tx.state.tasks.get(id).map(|r| TaskRec::clone(r)) else {
                    continue;
                };
                let service_key = rec.service_key();
                let mut events: Vec<String> = Vec::new();
                match step {
                    Step::Register {
                        targets,
                        drain_secs,
                        ..
                    } => {
                        if rec.lb.is_some() {
                            continue;
                        }
                        for g in targets {
                            events.push(format!(
                                "registered 1 targets in (target-group {})",
                                g.target_group
                            ));
                        }
                        // A task stopped meanwhile has its targets taken out again next run.
                        rec.lb = Some(TaskLb {
                            targets: targets.clone(),
                            deregistered: false,
                            drain_secs: *drain_secs,
                            hold_until: None,
                        });
                    }
                    Step::Deregister { .. } => {
                        let Some(lb) = rec.lb.as_mut() else { continue };
                        lb.deregistered = true;
                        for g in &lb.targets {
                            events.push(format!(
                                "deregistered 1 targets in (target-group {})",
                                g.target_group
                            ));
                        }
                        if lb.held() {
                            events.push("has begun draining connections on 1 tasks.".into());
                        }
                    }
                    Step::Release { .. } => {
                        let Some(lb) = rec.lb.as_mut() else { continue };
                        if lb.hold_until.take().is_none() {
                            continue;
                        }
                        rec = self.deliver_stop(tx, rec, now)?;
                        released.push(rec.task.clone());
                    }
                }
                tx.put(rec)?;
                if !events.is_empty() {
                    if let Some(s) = tx
                        .state
                        .services
                        .get(&service_key)
                        .map(|s| ServiceRec::clone(s))
                    {
                        let mut s = s;
                        let name = s.name.clone();
                        for e in events {
                            super::service_controller::push_event(
                                &mut s.service,
                                format!("(service {name}) {e}"),
                                now,
                            );
                        }
                        tx.put(s)?;
                    }
                }
            }
            Ok(released)
        })?;
        if !released.is_empty() {
            self.notify_tasks(&released);
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rec(lb: Option<TaskLb>) -> TaskRec {
        TaskRec {
            cluster: "c".into(),
            id: "t".into(),
            instance: None,
            reservation: None,
            seq: 0,
            task: Task::default(),
            protected_until: None,
            lb,
        }
    }

    fn targets() -> TaskLb {
        TaskLb {
            targets: vec![
                LbTarget {
                    target_group: "a".into(),
                    id: "10.0.0.1".into(),
                    port: 80,
                },
                LbTarget {
                    target_group: "b".into(),
                    id: "10.0.0.1".into(),
                    port: 81,
                },
            ],
            deregistered: false,
            drain_secs: 5.0,
            hold_until: None,
        }
    }

    fn states(a: &str, b: &str) -> HashMap<String, TargetStates> {
        let mut h = HashMap::new();
        h.insert(
            "a".to_owned(),
            TargetStates::from([(("10.0.0.1".to_owned(), 80), a.to_owned())]),
        );
        h.insert(
            "b".to_owned(),
            TargetStates::from([(("10.0.0.1".to_owned(), 81), b.to_owned())]),
        );
        h
    }

    #[test]
    fn a_task_is_healthy_only_when_every_target_is() {
        let t = rec(Some(targets()));
        assert_eq!(lb_health(&t, &states("healthy", "healthy")), Some(Ok(())));
        assert_eq!(lb_health(&t, &states("healthy", "initial")), None);
        assert_eq!(
            lb_health(&t, &states("healthy", "unhealthy")),
            Some(Err("b".into()))
        );
        assert_eq!(lb_health(&rec(None), &states("healthy", "healthy")), None);
    }

    fn lb_of(kind: u8, drain: f64) -> Option<TaskLb> {
        let mut lb = targets();
        lb.drain_secs = drain;
        match kind {
            0 => None,
            1 => Some(lb),
            2 => Some(TaskLb {
                deregistered: true,
                ..lb
            }),
            3 => Some(TaskLb {
                hold_until: Some(100.0),
                ..lb
            }),
            _ => Some(TaskLb {
                deregistered: true,
                hold_until: Some(100.0),
                ..lb
            }),
        }
    }

    proptest! {
        /// Whatever the tasks and the targets' health: a task gets at most one step;
        /// registered only when RUNNING without targets, deregistered only on its way out,
        /// released only when held and deregistered, and only once drained or past its time.
        #[test]
        fn steps_follow_each_tasks_lb_state(
            tasks in proptest::collection::vec((0u8..3, 0u8..2, 0u8..5), 1..8),
            health_a in prop_oneof!["healthy", "draining", "unused", "unhealthy"],
            now in 0.0f64..200.0,
        ) {
            let db = crate::state::open(std::sync::Arc::new(berth_store::MemStore::default())).expect("open");
            let statuses = ["PENDING", "RUNNING", "STOPPED"];
            db.write(|tx| {
                let mut svc = crate::records::ServiceRec {
                    cluster: "c".into(), name: "web".into(), service: Default::default(),
                    client_token: None, past_deployments: Vec::new(), rollbacks: Default::default(),
                };
                svc.service.load_balancers = Some(vec![LoadBalancer { target_group_arn: Some("a".into()), container_name: Some("web".into()), container_port: Some(80), ..Default::default() }]);
                tx.put(svc)?;
                for (i, (last, desired, kind)) in tasks.iter().enumerate() {
                    let mut t = rec(lb_of(*kind, 5.0));
                    t.id = format!("t{i}");
                    t.task.group = Some("service:web".into());
                    t.task.last_status = Some(statuses[*last as usize].into());
                    t.task.desired_status = Some(if *desired == 0 { "RUNNING" } else { "STOPPED" }.into());
                    tx.put(t)?;
                }
                Ok::<_, EcsError>(())
            }).expect("write");
            let state = db.snapshot();
            let groups = HashMap::from([("a".to_owned(), TargetGroupInfo { target_type: "ip".into(), has_load_balancer: true, deregistration_delay_secs: 5.0 })]);
            let mut health = states(&health_a, "unused");
            health.entry("b".into()).or_default();
            let steps = plan(&state, &groups, &health, now);
            let mut seen = std::collections::HashSet::new();
            for s in &steps {
                let id = match s { Step::Register { task, .. } | Step::Deregister { task } | Step::Release { task } => task };
                prop_assert!(seen.insert(id.clone()), "two steps for {}", id);
                let t = state.tasks.get(id).expect("task");
                match s {
                    Step::Register { .. } => prop_assert!(t.lb.is_none() && t.last_status() == "RUNNING" && t.desired_status() == "RUNNING"),
                    Step::Deregister { .. } => {
                        let lb = t.lb.as_ref().expect("lb");
                        prop_assert!(!lb.deregistered);
                        prop_assert!(t.desired_status() == "STOPPED" || t.last_status() == "STOPPED" || lb.held());
                    }
                    Step::Release { .. } => {
                        let lb = t.lb.as_ref().expect("lb");
                        prop_assert!(lb.deregistered && lb.held());
                        prop_assert!(now >= 100.0 || health_a == "unused");
                    }
                }
            }
        }
    }
}
