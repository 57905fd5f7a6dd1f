//! **The service scheduler's decisions**: what to do next to move an ECS service toward
//! what it asks for.
//!
//! This crate is the decision core of the ECS service scheduler with the rolling-update
//! (`ECS`) deployment controller. It does no IO and reads no clock: [`reconcile`] takes a
//! service's spec, its deployments, the tasks (and, for DAEMON, the container instances) the
//! caller observed, and `now`, and answers [`Action`]s. The control plane runs it whenever
//! something changes and periodically, carries the actions out (placement and creation for
//! starts, StopTask-like stopping, storing deployment records, writing service events), and
//! calls it again.
//!
//! # Level-triggered
//!
//! Every answer is computed from the inputs alone. The same inputs answer the same actions,
//! and nothing assumes earlier actions were carried out: a task asked to start may not exist
//! yet (the caller reports those as `in_flight`), a task asked to stop may still be RUNNING.
//! Transitions are derived from the inputs too: the steady-state event is answered when the
//! primary's rollout is marked COMPLETED, which happens once.
//!
//! # The rules, as ECS documents them
//!
//! - **Healthy** ([`is_healthy`]): RUNNING, and no essential container has a health check, or
//!   the task is HEALTHY, or it is still within `healthCheckGracePeriodSeconds` of starting.
//! - **Bounds** ([`limits`]): PENDING + RUNNING tasks (plus those in flight) never exceed
//!   `floor(desired * maximumPercent / 100)` after the starts; healthy tasks never drop below
//!   `ceil(desired * minimumHealthyPercent / 100)` because of the stops (if already below,
//!   no healthy task is stopped).
//! - **Rolling update**: the primary gets up to the desired count; older deployments are
//!   drained, tasks that are not healthy first. When the primary runs exactly the desired
//!   count, all healthy, and nothing else is left, its rollout is COMPLETED, older
//!   deployments become INACTIVE, and ECS's "deployment completed" and "has reached a steady
//!   state" events are answered.
//! - **Replacement**: stopped tasks are not counted, so new ones start; tasks that failed
//!   their health checks are replaced first and then stopped; tasks on draining instances
//!   are replaced and stopped while the minimum holds.
//! - **Scale-in**: tasks that are not healthy first, then from the fullest Availability Zone,
//!   then the newest; never a task under scale-in protection.
//! - **Circuit breaker** ([`failure_threshold`]): tasks of the IN_PROGRESS primary that
//!   stopped on their own before ever being healthy are its `failed_tasks`; at the threshold
//!   the rollout FAILS and the deployment launches no more tasks; with rollback a new PRIMARY
//!   on the most recent COMPLETED deployment's task definition takes over.
//! - **DAEMON**: one primary task per eligible, non-draining instance, rolled instance by
//!   instance within the bounds (see [`daemon`](crate#daemon)).
//!
//! `failed_tasks` is `max(stored, counted)`: it never decreases, so the caller should keep
//! passing the Stopped tasks of an IN_PROGRESS deployment for as long as it holds them.
//!
//! # Example
//!
//! ```
//! use berth_service_scheduler::*;
//!
//! let spec = ServiceSpec {
//!     name: "web".into(),
//!     scheduling: Scheduling::Replica,
//!     desired_count: 2,
//!     minimum_healthy_percent: 100,
//!     maximum_percent: 200,
//!     circuit_breaker: CircuitBreaker { enable: true, rollback: true },
//!     health_check_grace_seconds: 0.0,
//!     settle_seconds: 0.0,
//! };
//! let deployments = [Deployment {
//!     id: "ecs-svc/1".into(),
//!     task_definition: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1".into(),
//!     status: DeploymentStatus::Primary,
//!     rollout_state: RolloutState::InProgress,
//!     rollout_state_reason: Some(events::in_progress("ecs-svc/1")),
//!     created_at: 0.0,
//!     updated_at: 0.0,
//!     failed_tasks: 0,
//!     rollback_of: None,
//! }];
//! let input = Input {
//!     spec: &spec,
//!     deployments: &deployments,
//!     tasks: &[],
//!     instances: &[],
//!     in_flight: &[],
//!     now: 10.0,
//! };
//! assert_eq!(
//!     reconcile(&input),
//!     vec![Action::Start { deployment_id: "ecs-svc/1".into(), count: 2 }]
//! );
//! ```
//!
//! # Daemon
//!
//! A DAEMON service's desired count is its number of eligible, non-draining instances. Tasks
//! elsewhere are stopped, one task is kept per instance (a primary one if any), and instances
//! lacking a primary task get [`Action::StartOn`]. With the DAEMON defaults (minimum 0%,
//! maximum 100%) a rollout stops an instance's older task, then starts the new one there.

mod breaker;
mod daemon;
pub mod events;
mod health;
mod model;
mod pick;
mod replica;
mod rollout;

pub use breaker::{counted_failures, failure_threshold, rollback_id};
pub use health::{
    failed_health_checks, in_grace, is_healthy, is_live, is_protected, is_settled, limits, Limits,
};
pub use model::{
    Action, CircuitBreaker, Deployment, DeploymentStatus, Health, Input, Instance, ObservedTask,
    RolloutState, Scheduling, ServiceSpec, TaskPhase,
};

/// Task actions one scheduling strategy answers, and whether the service runs exactly what
/// its primary asks for.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub starts: Vec<Action>,
    pub stops: Vec<Action>,
    pub settled: bool,
}

/// The actions that move the service toward its desired state, in this order: deployment
/// records (`UpdateDeployment`, then `AddDeployment`), starts, stops, events.
pub fn reconcile(input: &Input) -> Vec<Action> {
    let mut deployments = input.deployments.to_vec();
    let mut events = breaker::apply(
        input.spec,
        input.tasks,
        desired_count(input),
        &mut deployments,
        input.now,
    );
    let plan = match input.spec.scheduling {
        Scheduling::Replica => replica::plan(input, &deployments),
        Scheduling::Daemon => daemon::plan(input, &deployments),
    };
    if plan.settled {
        events.extend(rollout::settle(
            &input.spec.name,
            &mut deployments,
            input.now,
        ));
    }

    let mut actions = Vec::new();
    let (kept, added) = deployments.split_at(input.deployments.len());
    for (before, after) in input.deployments.iter().zip(kept) {
        if before != after {
            actions.push(Action::UpdateDeployment(after.clone()));
        }
    }
    actions.extend(added.iter().cloned().map(Action::AddDeployment));
    actions.extend(plan.starts);
    actions.extend(plan.stops);
    actions.extend(events.into_iter().map(Action::Event));
    actions
}

/// The service's desired count: `desired_count` for REPLICA, the number of eligible,
/// non-draining instances for DAEMON.
pub fn desired_count(input: &Input) -> u32 {
    match input.spec.scheduling {
        Scheduling::Replica => input.spec.desired_count,
        Scheduling::Daemon => {
            u32::try_from(daemon::targets(input.instances).len()).unwrap_or(u32::MAX)
        }
    }
}

/// Whether the service is in a steady state, as `aws ecs wait services-stable` judges it:
/// exactly one deployment listed (PRIMARY or ACTIVE) and as many RUNNING tasks as desired.
pub fn is_steady(input: &Input) -> bool {
    let listed = input
        .deployments
        .iter()
        .filter(|d| d.status != DeploymentStatus::Inactive)
        .count();
    let running = input
        .tasks
        .iter()
        .filter(|t| t.phase == TaskPhase::Running)
        .count();
    listed == 1 && running == desired_count(input) as usize
}

/// Tasks asked to start and not yet visible: of one deployment, or of all.
pub(crate) fn in_flight(input: &Input, deployment_id: Option<&str>) -> usize {
    input
        .in_flight
        .iter()
        .filter(|(id, _)| deployment_id.is_none_or(|want| id == want))
        .map(|(_, n)| *n as usize)
        .sum()
}
