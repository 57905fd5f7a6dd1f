//! The deployment circuit breaker.

mod common;

use berth_service_scheduler::*;
use common::*;

fn with_breaker(desired: u32, rollback: bool) -> ServiceSpec {
    ServiceSpec {
        circuit_breaker: CircuitBreaker {
            enable: true,
            rollback,
        },
        ..spec(desired, 100, 200)
    }
}

fn failures(n: usize, deployment_id: &str) -> Vec<ObservedTask> {
    (0..n)
        .map(|i| failed(&format!("f{i}"), deployment_id))
        .collect()
}

#[test]
fn failed_tasks_are_counted_and_never_decrease() {
    let s = spec(4, 100, 200);
    let actions = run(&s, &[primary("d1")], &failures(2, "d1"));
    assert_eq!(updated(&actions, "d1").map(|d| d.failed_tasks), Some(2));

    // The caller forgot one of them: the stored count stands, nothing to record.
    let stored = Deployment {
        failed_tasks: 2,
        ..primary("d1")
    };
    let actions = run(&s, &[stored], &failures(1, "d1"));
    assert!(updated(&actions, "d1").is_none());
}

#[test]
fn only_tasks_that_failed_before_being_healthy_count() {
    let s = spec(4, 100, 200);
    let mut was_healthy = failed("a", "d1");
    was_healthy.ever_healthy = true;
    let mut stopped_by_us = failed("b", "d1");
    stopped_by_us.failed = false;
    let other = failed("c", "d0");
    let actions = run(&s, &[primary("d1")], &[was_healthy, stopped_by_us, other]);
    assert!(updated(&actions, "d1").is_none());
}

#[test]
fn without_the_breaker_failures_are_retried_forever() {
    let s = spec(2, 100, 200);
    let actions = run(&s, &[primary("d1")], &failures(50, "d1"));
    let d = updated(&actions, "d1").expect("count recorded");
    assert_eq!(d.rollout_state, RolloutState::InProgress);
    assert_eq!(started(&actions), 2);
}

#[test]
fn reaching_the_threshold_fails_the_deployment_and_stops_launching() {
    let s = with_breaker(2, false);
    let deps = [active("d0", 0.0), primary("d1")];
    let below = run(&s, &deps, &failures(2, "d1"));
    assert_eq!(
        updated(&below, "d1").map(|d| d.rollout_state),
        Some(RolloutState::InProgress)
    );

    let mut tasks = failures(3, "d1");
    tasks.push(task("o", "d0"));
    let actions = run(&s, &deps, &tasks);
    let d = updated(&actions, "d1").expect("deployment updated");
    assert_eq!(d.rollout_state, RolloutState::Failed);
    assert_eq!(d.status, DeploymentStatus::Primary);
    assert_eq!(d.failed_tasks, 3);
    assert_eq!(
        d.rollout_state_reason.as_deref(),
        Some("ECS deployment circuit breaker: tasks failed to start.")
    );
    assert_eq!(started(&actions), 0);
    assert!(stopped(&actions).is_empty(), "the old task keeps serving");
    assert_eq!(
        events(&actions),
        ["(service web) (deployment d1) deployment failed: tasks failed to start."]
    );
    assert!(added(&actions).is_empty());

    // Once FAILED: no more launches, no more events.
    let deps = [active("d0", 0.0), d.clone()];
    assert!(run(&s, &deps, &tasks).is_empty());
}

#[test]
fn rollback_adds_a_primary_on_the_last_completed_task_definition() {
    let s = with_breaker(2, true);
    let deps = [
        active("d0", 0.0),
        active("d5", 5.0),
        Deployment {
            created_at: 9.0,
            ..primary("d9")
        },
    ];
    let actions = run(&s, &deps, &failures(3, "d9"));
    let failed = updated(&actions, "d9").expect("failed deployment updated");
    assert_eq!(failed.status, DeploymentStatus::Active);
    assert_eq!(failed.rollout_state, RolloutState::Failed);

    let new = added(&actions);
    assert_eq!(new.len(), 1);
    let new = new[0];
    assert_eq!(new.status, DeploymentStatus::Primary);
    assert_eq!(new.rollout_state, RolloutState::InProgress);
    assert_eq!(new.task_definition, deps[1].task_definition);
    assert_eq!(new.rollback_of.as_deref(), Some("d9"));
    assert_eq!(
        new.rollout_state_reason.as_deref(),
        Some("ECS deployment circuit breaker: rolling back to deploymentId d5.")
    );
    assert_eq!(new.id, rollback_id("d9"));
    assert_eq!(
        events(&actions),
        [
            "(service web) (deployment d9) deployment failed: tasks failed to start.",
            "(service web) rolling back to deployment d5."
        ]
    );
    // The rollback starts its tasks at once; deployment records come first.
    assert!(matches!(actions[0], Action::UpdateDeployment(_)));
    assert!(matches!(actions[1], Action::AddDeployment(_)));
    assert_eq!(
        actions[2],
        Action::Start {
            deployment_id: new.id.clone(),
            count: 2
        }
    );
    // Asking again answers the same.
    assert_eq!(actions, run(&s, &deps, &failures(3, "d9")));
}

#[test]
fn without_a_completed_deployment_the_failed_one_stalls() {
    let s = with_breaker(2, true);
    let actions = run(&s, &[primary("d1")], &failures(3, "d1"));
    let d = updated(&actions, "d1").expect("updated");
    assert_eq!(d.rollout_state, RolloutState::Failed);
    assert_eq!(d.status, DeploymentStatus::Primary);
    assert!(added(&actions).is_empty());
    assert_eq!(started(&actions), 0);
}

#[test]
fn a_failing_rollback_is_not_rolled_back_again() {
    let s = with_breaker(2, true);
    let rollback = Deployment {
        rollback_of: Some("d9".into()),
        created_at: 10.0,
        ..primary("r")
    };
    let deps = [active("d0", 0.0), rollback];
    let actions = run(&s, &deps, &failures(3, "r"));
    assert_eq!(
        updated(&actions, "r").map(|d| d.rollout_state),
        Some(RolloutState::Failed)
    );
    assert!(added(&actions).is_empty());
}

#[test]
fn a_completed_deployment_is_not_failed() {
    let s = with_breaker(2, true);
    let done = deployment("d1", DeploymentStatus::Primary, RolloutState::Completed);
    let actions = run(&s, &[done], &failures(10, "d1"));
    assert!(updated(&actions, "d1").is_none());
    assert_eq!(started(&actions), 2);
}
