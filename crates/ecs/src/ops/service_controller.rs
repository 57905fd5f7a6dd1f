//! The service scheduler's executor: for each ACTIVE or DRAINING service, builds the pure
//! scheduler's input (berth-service-scheduler) from the state, asks it what to do, and
//! carries the actions out in one durable write — placing and creating tasks, asking
//! agents to stop tasks, recording deployments and events. Level-triggered: the server runs
//! a pass whenever something changes and every second, and a restarted control plane simply
//! carries on from the stored state.

use std::collections::HashMap;

use berth_ecs_model::shapes::*;
use berth_service_scheduler as sched;

use super::list;
use super::services::MAX_EVENTS;
use crate::error::Result;
use crate::records::{ServiceRec, TaskRec};
use crate::state::Owned;
use crate::state::{State, Tx};
use crate::Ecs;

/// What a pass does to one service: the scheduler's actions, or retiring a DRAINING service
/// whose tasks have all stopped (it becomes INACTIVE).
enum Step {
    Scheduler(sched::Action),
    Retire,
}

/// How long a task without health checks must run before it completes a rollout.
const SETTLE_SECS: f64 = 3.0;

/// Services reconciled in one durable write: one fsync for many, without holding the writer
/// for long.
const SERVICES_PER_WRITE: usize = 50;

/// Unplaceable-task events are not repeated more often than this (ECS throttles them too).
const EVENT_REPEAT_SECS: f64 = 60.0;

fn rollout(d: &Deployment) -> sched::RolloutState {
    match d.rollout_state {
        Some(DeploymentRolloutState::Completed) => sched::RolloutState::Completed,
        Some(DeploymentRolloutState::Failed) => sched::RolloutState::Failed,
        _ => sched::RolloutState::InProgress,
    }
}

fn to_sched(d: &Deployment, rec: &ServiceRec) -> sched::Deployment {
    let id = d.id.clone().unwrap_or_default();
    sched::Deployment {
        rollback_of: rec.rollbacks.get(&id).cloned(),
        id,
        task_definition: d.task_definition.clone().unwrap_or_default(),
        status: match d.status.as_deref() {
            Some("PRIMARY") => sched::DeploymentStatus::Primary,
            Some("ACTIVE") => sched::DeploymentStatus::Active,
            _ => sched::DeploymentStatus::Inactive,
        },
        rollout_state: rollout(d),
        rollout_state_reason: d.rollout_state_reason.clone(),
        created_at: d.created_at.unwrap_or(0.0),
        updated_at: d.updated_at.unwrap_or(0.0),
        failed_tasks: d.failed_tasks.max(0) as u32,
    }
}

/// Writes the scheduler's view of a deployment back into the wire shape.
fn apply_deployment(d: &mut Deployment, s: &sched::Deployment, now: f64) {
    d.status = Some(
        match s.status {
            sched::DeploymentStatus::Primary => "PRIMARY",
            sched::DeploymentStatus::Active => "ACTIVE",
            sched::DeploymentStatus::Inactive => "INACTIVE",
        }
        .into(),
    );
    d.rollout_state = Some(match s.rollout_state {
        sched::RolloutState::InProgress => DeploymentRolloutState::InProgress,
        sched::RolloutState::Completed => DeploymentRolloutState::Completed,
        sched::RolloutState::Failed => DeploymentRolloutState::Failed,
    });
    d.rollout_state_reason = s.rollout_state_reason.clone();
    d.failed_tasks = s.failed_tasks.min(i32::MAX as u32) as i32;
    d.task_definition = Some(s.task_definition.clone());
    d.updated_at = Some(now);
}

/// A task of a service with load balancers is healthy once its targets are (and its
/// container health checks, if it has them, pass); a target turned unhealthy makes it
/// unhealthy, to be replaced with ELB's reason.
fn with_lb_health(
    o: &mut sched::ObservedTask,
    t: &TaskRec,
    health: &HashMap<String, super::load_balancers::TargetStates>,
) {
    let containers = if o.has_health_check {
        o.health
    } else {
        sched::Health::Healthy
    };
    o.has_health_check = true;
    o.health = match (super::load_balancers::lb_health(t, health), containers) {
        (_, sched::Health::Unhealthy) => sched::Health::Unhealthy,
        (Some(Err(tg)), _) => {
            o.health_reason = Some(format!(
                "Task failed ELB health checks in (target-group {tg})"
            ));
            sched::Health::Unhealthy
        }
        (Some(Ok(())), sched::Health::Healthy) => sched::Health::Healthy,
        _ => sched::Health::Unknown,
    };
    // Only the present health is known: a task unhealthy now counts as never healthy.
    o.ever_healthy = o.health == sched::Health::Healthy;
}

fn has_health_check(td: &TaskDefinition) -> bool {
    list(&td.container_definitions)
        .iter()
        .any(|c| c.essential.unwrap_or(true) && c.health_check.is_some())
}

impl Ecs {
    /// One pass over every service that is not INACTIVE. Answers how many services changed.
    pub fn reconcile_services(&self) -> Result<usize> {
        let now = self.now();
        // Decide on the visible state first; write only for services with something to do,
        // a batch of them per durable write (one fsync), the decision redone inside it.
        let busy: Vec<String> = self.db.read(|s| {
            s.services
                .iter()
                .filter(|(_, r)| r.status() != "INACTIVE")
                .filter(|(k, _)| !self.service_actions(s, k, now).is_empty())
                .map(|(k, _)| k.clone())
                .collect()
        });
        for batch in busy.chunks(SERVICES_PER_WRITE) {
            let touched: Vec<Task> = self.db.write(|tx| {
                let mut touched = Vec::new();
                for key in batch {
                    touched.extend(self.reconcile_service(tx, key, now)?);
                }
                Ok(touched)
            })?;
            self.notify_tasks(&touched);
        }
        Ok(busy.len())
    }

    fn service_input_parts(
        &self,
        state: &State,
        rec: &ServiceRec,
        now: f64,
    ) -> (
        sched::ServiceSpec,
        Vec<sched::Deployment>,
        Vec<sched::ObservedTask>,
        Vec<sched::Instance>,
    ) {
        let s = &rec.service;
        let config = s.deployment_configuration.clone().unwrap_or_default();
        let breaker = config
            .deployment_circuit_breaker
            .clone()
            .unwrap_or_default();
        let daemon = s.scheduling_strategy == Some(SchedulingStrategy::Daemon);
        let draining = rec.status() == "DRAINING";
        let spec = sched::ServiceSpec {
            name: rec.name.clone(),
            scheduling: if daemon {
                sched::Scheduling::Daemon
            } else {
                sched::Scheduling::Replica
            },
            desired_count: if draining {
                0
            } else {
                s.desired_count.max(0) as u32
            },
            minimum_healthy_percent: config.minimum_healthy_percent.unwrap_or(100).max(0) as u32,
            maximum_percent: config.maximum_percent.unwrap_or(200).max(0) as u32,
            circuit_breaker: sched::CircuitBreaker {
                enable: breaker.enable,
                rollback: breaker.rollback,
            },
            health_check_grace_seconds: f64::from(s.health_check_grace_period_seconds.unwrap_or(0)),
            settle_seconds: SETTLE_SECS,
        };
        let deployments: Vec<sched::Deployment> = list(&s.deployments)
            .iter()
            .map(|d| to_sched(d, rec))
            .collect();
        let mut checked: HashMap<String, bool> = HashMap::new();
        let lb_health = self.lb_health_of(s);
        let tasks: Vec<sched::ObservedTask> = self
            .service_tasks(state, rec)
            .map(|t| {
                let mut o = self.observed(state, t, &mut checked);
                if let Some(h) = &lb_health {
                    with_lb_health(&mut o, t, h);
                }
                if draining {
                    // DeleteService stops every task, protected or not.
                    o.protected_until = None;
                }
                o
            })
            .collect();
        let instances: Vec<sched::Instance> = if daemon && !draining {
            let live = self.agents.liveness(now);
            state
                .container_instances
                .values()
                .filter(|i| i.cluster == rec.cluster && i.status() != "INACTIVE")
                .map(|i| sched::Instance {
                    id: i.id.clone(),
                    availability_zone: list(&i.instance.attributes)
                        .iter()
                        .find(|a| a.name.as_deref() == Some("ecs.availability-zone"))
                        .and_then(|a| a.value.clone()),
                    draining: i.status() == "DRAINING",
                    eligible: i.status() == "ACTIVE" && live(&i.id),
                })
                .collect()
        } else {
            Vec::new()
        };
        (spec, deployments, tasks, instances)
    }

    /// The health of the targets of a service with load balancers, by target group.
    fn lb_health_of(
        &self,
        s: &Service,
    ) -> Option<HashMap<String, super::load_balancers::TargetStates>> {
        let lbs = s.load_balancers.as_deref().filter(|l| !l.is_empty())?;
        let port = self.load_balancer_port()?;
        let mut out = HashMap::new();
        for arn in lbs.iter().filter_map(|l| l.target_group_arn.clone()) {
            if let Ok(h) = port.health(&self.scope.account, &arn) {
                out.insert(arn, h);
            }
        }
        Some(out)
    }

    fn observed(
        &self,
        state: &State,
        t: &TaskRec,
        checked: &mut HashMap<String, bool>,
    ) -> sched::ObservedTask {
        let td_arn = t.task.task_definition_arn.clone().unwrap_or_default();
        let with_check = *checked.entry(td_arn.clone()).or_insert_with(|| {
            self.find_task_definition(state, &td_arn)
                .map(|d| has_health_check(&d.definition))
                .unwrap_or(false)
        });
        let phase = match (t.last_status(), t.desired_status()) {
            ("STOPPED", _) => sched::TaskPhase::Stopped,
            (_, "STOPPED") => sched::TaskPhase::Stopping,
            ("RUNNING", _) => sched::TaskPhase::Running,
            _ => sched::TaskPhase::Pending,
        };
        let health = match t.task.health_status {
            Some(HealthStatus::Healthy) => sched::Health::Healthy,
            Some(HealthStatus::Unhealthy) => sched::Health::Unhealthy,
            _ => sched::Health::Unknown,
        };
        let stopped_by_us = matches!(
            t.task.stop_code,
            Some(TaskStopCode::ServiceSchedulerInitiated) | Some(TaskStopCode::UserInitiated)
        );
        let instance = t
            .instance
            .as_ref()
            .and_then(|i| state.container_instances.get(i));
        sched::ObservedTask {
            id: t.id.clone(),
            deployment_id: t.task.started_by.clone().unwrap_or_default(),
            phase,
            ever_healthy: t.task.started_at.is_some()
                && (!with_check || health == sched::Health::Healthy),
            health,
            has_health_check: with_check,
            started_at: t.task.started_at,
            instance: t.instance.clone().filter(|_| !t.is_fargate()),
            availability_zone: t.task.availability_zone.clone(),
            instance_draining: instance.is_some_and(|i| i.status() == "DRAINING"),
            protected_until: t.protected_until,
            failed: t.last_status() == "STOPPED" && !stopped_by_us,
            health_reason: None,
        }
    }

    fn service_actions(&self, state: &State, key: &str, now: f64) -> Vec<Step> {
        let Some(rec) = state.services.get(key) else {
            return Vec::new();
        };
        if rec.status() == "INACTIVE" {
            return Vec::new();
        }
        let (spec, deployments, tasks, instances) = self.service_input_parts(state, rec, now);
        let input = sched::Input {
            spec: &spec,
            deployments: &deployments,
            tasks: &tasks,
            instances: &instances,
            in_flight: &[],
            now,
        };
        let mut steps: Vec<Step> = sched::reconcile(&input)
            .into_iter()
            .map(Step::Scheduler)
            .collect();
        let live = tasks
            .iter()
            .any(|t| !matches!(t.phase, sched::TaskPhase::Stopped));
        if rec.status() == "DRAINING" && !live && steps.is_empty() {
            steps.push(Step::Retire);
        }
        steps
    }

    /// One service's pass inside a write. Answers the tasks started or stopped.
    fn reconcile_service(&self, tx: &mut Tx<'_>, key: &str, now: f64) -> Result<Vec<Task>> {
        let actions = self.service_actions(tx.state, key, now);
        let Some(mut rec) = tx.state.services.get(key).owned() else {
            return Ok(Vec::new());
        };
        let mut touched = Vec::new();
        let mut events: Vec<String> = Vec::new();
        for step in actions {
            let action = match step {
                Step::Retire => {
                    rec.service.status = Some("INACTIVE".into());
                    continue;
                }
                Step::Scheduler(action) => action,
            };
            match action {
                sched::Action::Start {
                    deployment_id,
                    count,
                } => {
                    let started =
                        self.start_service_tasks(tx, &rec, &deployment_id, count as usize, now);
                    let (tasks, failures, explanation) = match started {
                        Ok(r) => r,
                        Err(e) => {
                            // A request the service can no longer make (its task definition
                            // gone, say): say so and carry on with the other services.
                            events.push(format!(
                                "(service {}) was unable to place a task: {e}",
                                rec.name
                            ));
                            continue;
                        }
                    };
                    if !tasks.is_empty() {
                        let ids: Vec<String> =
                            tasks.iter().map(|t| format!("(task {})", t.id)).collect();
                        events.push(format!(
                            "(service {}) has started {} tasks: {}.",
                            rec.name,
                            tasks.len(),
                            ids.join(" ")
                        ));
                    }
                    if tasks.len() < count as usize {
                        events.push(unplaced_event(&rec.name, &failures, &explanation));
                    }
                    touched.extend(tasks.into_iter().map(|t| t.task));
                }
                sched::Action::StartOn {
                    deployment_id,
                    instance,
                } => {
                    let req = StartTaskRequest {
                        cluster: Some(rec.cluster.clone()),
                        task_definition: self.deployment_td(&rec, &deployment_id),
                        group: Some(rec.group()),
                        started_by: Some(deployment_id.clone()),
                        network_configuration: rec.service.network_configuration.clone(),
                        propagate_tags: rec.service.propagate_tags.clone(),
                        enable_ecs_managed_tags: rec.service.enable_ecs_managed_tags,
                        tags: self.propagated_tags(&rec),
                        ..Default::default()
                    };
                    let (tasks, failures) = match self.start_in_tx(tx, &req, &[instance], now, true)
                    {
                        Ok(r) => r,
                        Err(e) => {
                            events.push(format!(
                                "(service {}) was unable to place a task: {e}",
                                rec.name
                            ));
                            continue;
                        }
                    };
                    if let Some(t) = tasks.first() {
                        events.push(format!(
                            "(service {}) has started 1 tasks: (task {}).",
                            rec.name, t.id
                        ));
                    } else {
                        events.push(unplaced_event(&rec.name, &failures, ""));
                    }
                    touched.extend(tasks.into_iter().map(|t| t.task));
                }
                sched::Action::Stop { task_id, reason } => {
                    if let Some(t) = tx.state.tasks.get(&task_id).owned() {
                        if t.desired_status() != "STOPPED" {
                            let t = self.request_stop(
                                tx,
                                t,
                                &reason,
                                TaskStopCode::ServiceSchedulerInitiated,
                                now,
                            )?;
                            events.push(format!(
                                "(service {}) has stopped 1 running tasks: (task {}).",
                                rec.name, t.id
                            ));
                            touched.push(t.task);
                        }
                    }
                }
                sched::Action::UpdateDeployment(d) => {
                    let deployments = rec.service.deployments.get_or_insert_with(Vec::new);
                    if let Some(pos) = deployments
                        .iter()
                        .position(|x| x.id.as_deref() == Some(d.id.as_str()))
                    {
                        apply_deployment(&mut deployments[pos], &d, now);
                        if d.status == sched::DeploymentStatus::Inactive {
                            let gone = deployments.remove(pos);
                            rec.past_deployments.push(gone);
                        }
                    }
                    if d.status == sched::DeploymentStatus::Primary {
                        rec.service.task_definition = Some(d.task_definition.clone());
                    }
                }
                sched::Action::AddDeployment(d) => {
                    let mut shape = Deployment {
                        id: Some(d.id.clone()),
                        created_at: Some(now),
                        desired_count: rec.service.desired_count,
                        launch_type: rec.service.launch_type.clone(),
                        capacity_provider_strategy: rec.service.capacity_provider_strategy.clone(),
                        network_configuration: rec.service.network_configuration.clone(),
                        ..Default::default()
                    };
                    apply_deployment(&mut shape, &d, now);
                    if let Some(from) = &d.rollback_of {
                        rec.rollbacks.insert(d.id.clone(), from.clone());
                    }
                    if d.status == sched::DeploymentStatus::Primary {
                        rec.service.task_definition = Some(d.task_definition.clone());
                    }
                    rec.service
                        .deployments
                        .get_or_insert_with(Vec::new)
                        .insert(0, shape);
                }
                sched::Action::Event(message) => events.push(message),
            }
        }
        for message in events {
            push_event(&mut rec.service, message, now);
        }
        tx.put(rec)?;
        Ok(touched)
    }

    fn deployment_td(&self, rec: &ServiceRec, deployment_id: &str) -> Option<String> {
        list(&rec.service.deployments)
            .iter()
            .find(|d| d.id.as_deref() == Some(deployment_id))
            .and_then(|d| d.task_definition.clone())
            .or_else(|| rec.service.task_definition.clone())
    }

    fn propagated_tags(&self, rec: &ServiceRec) -> Option<Vec<Tag>> {
        (rec.service.propagate_tags == Some(PropagateTags::Service))
            .then(|| rec.service.tags.clone().unwrap_or_default())
    }

    fn start_service_tasks(
        &self,
        tx: &mut Tx<'_>,
        rec: &ServiceRec,
        deployment_id: &str,
        count: usize,
        now: f64,
    ) -> Result<(Vec<TaskRec>, Vec<Failure>, String)> {
        let s = &rec.service;
        let uses_providers = s
            .capacity_provider_strategy
            .as_ref()
            .is_some_and(|c| !c.is_empty());
        let strategies = match s.placement_strategy.as_deref() {
            Some(p) if !p.is_empty() => p.to_vec(),
            // ECS's default for services: spread across zones, then instances.
            _ if s.launch_type != Some(LaunchType::Fargate) => vec![
                PlacementStrategy {
                    r#type: Some(PlacementStrategyType::Spread),
                    field: Some("attribute:ecs.availability-zone".into()),
                },
                PlacementStrategy {
                    r#type: Some(PlacementStrategyType::Spread),
                    field: Some("instanceId".into()),
                },
            ],
            _ => Vec::new(),
        };
        let req = RunTaskRequest {
            cluster: Some(rec.cluster.clone()),
            task_definition: self.deployment_td(rec, deployment_id),
            count: Some(count.min(i32::MAX as usize) as i32),
            launch_type: if uses_providers {
                None
            } else {
                s.launch_type.clone()
            },
            capacity_provider_strategy: s.capacity_provider_strategy.clone(),
            placement_constraints: s.placement_constraints.clone(),
            placement_strategy: Some(strategies),
            network_configuration: s.network_configuration.clone(),
            group: Some(rec.group()),
            started_by: Some(deployment_id.to_owned()),
            propagate_tags: s.propagate_tags.clone(),
            enable_ecs_managed_tags: s.enable_ecs_managed_tags,
            tags: self.propagated_tags(rec),
            ..Default::default()
        };
        self.run_in_tx(tx, &req, count, now)
    }
}

fn unplaced_event(service: &str, failures: &[Failure], explanation: &str) -> String {
    let reasons: Vec<String> = failures.iter().filter_map(|f| f.reason.clone()).collect();
    let mut msg = format!(
        "(service {service}) was unable to place a task because no container instance met all of its requirements."
    );
    if !reasons.is_empty() {
        msg.push_str(&format!(" Reasons: {}.", reasons.join(", ")));
    }
    // Berth says which check rejected each instance (the first lines of the explanation).
    let detail: Vec<&str> = explanation
        .lines()
        .filter(|l| l.trim_start().starts_with("rejected") || l.trim_start().starts_with("- "))
        .take(6)
        .map(str::trim)
        .collect();
    if !detail.is_empty() {
        msg.push_str(&format!(" Berth: {}", detail.join("; ")));
    }
    msg
}

/// Adds an event (newest first, at most [`MAX_EVENTS`]); an unplaceable-task message equal to
/// the latest one within a minute is not repeated.
pub(crate) fn push_event(s: &mut Service, message: String, now: f64) {
    let events = s.events.get_or_insert_with(Vec::new);
    if let Some(last) = events.first() {
        let recent = last.created_at.is_some_and(|t| now - t < EVENT_REPEAT_SECS);
        if recent && last.message.as_deref() == Some(message.as_str()) {
            return;
        }
    }
    events.insert(
        0,
        ServiceEvent {
            id: Some(uuid::Uuid::new_v4().to_string()),
            created_at: Some(now),
            message: Some(message),
        },
    );
    events.truncate(MAX_EVENTS);
}
