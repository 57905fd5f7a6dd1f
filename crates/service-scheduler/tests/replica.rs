//! REPLICA rules, one at a time.

mod common;

use berth_service_scheduler::*;
use common::*;

#[test]
fn a_new_service_starts_its_desired_count() {
    let s = spec(3, 100, 200);
    let actions = run(&s, &[primary("d1")], &[]);
    assert_eq!(
        actions,
        vec![Action::Start {
            deployment_id: "d1".into(),
            count: 3
        }]
    );
}

#[test]
fn pending_and_in_flight_tasks_are_not_started_again() {
    let s = spec(3, 100, 200);
    let deps = [primary("d1")];
    let tasks = [pending("a", "d1")];
    let in_flight = [("d1".to_owned(), 1)];
    let i = Input {
        in_flight: &in_flight,
        ..input(&s, &deps, &tasks, 100.0)
    };
    assert_eq!(
        reconcile(&i),
        vec![Action::Start {
            deployment_id: "d1".into(),
            count: 1
        }]
    );
}

#[test]
fn stopped_tasks_are_replaced() {
    let s = spec(2, 100, 200);
    let mut gone = task("b", "d1");
    gone.phase = TaskPhase::Stopped;
    let actions = run(&s, &[primary("d1")], &[task("a", "d1"), gone]);
    assert_eq!(started(&actions), 1);
}

#[test]
fn rolling_update_with_defaults_starts_new_tasks_first() {
    // 100% / 200%: all new tasks start next to the old ones; nothing healthy stops.
    let s = spec(2, 100, 200);
    let deps = [active("d1", 0.0), primary("d2")];
    let tasks = [task("a", "d1"), task("b", "d1")];
    let actions = run(&s, &deps, &tasks);
    assert_eq!(
        actions,
        vec![Action::Start {
            deployment_id: "d2".into(),
            count: 2
        }]
    );
}

#[test]
fn old_tasks_drain_as_new_ones_become_healthy() {
    let s = spec(2, 100, 200);
    let deps = [active("d1", 0.0), primary("d2")];
    let tasks = [
        task("a", "d1"),
        task("b", "d1"),
        task("c", "d2"),
        pending("d", "d2"),
    ];
    // 3 healthy, minimum 2: one old task may go.
    let actions = run(&s, &deps, &tasks);
    assert_eq!(started(&actions), 0);
    assert_eq!(stopped(&actions).len(), 1);
    assert!(stopped(&actions)[0] == "a" || stopped(&actions)[0] == "b");
    assert_eq!(
        stop_reason(&actions, stopped(&actions)[0]),
        Some("Scaling activity initiated by (deployment d1)")
    );
}

#[test]
fn minimum_below_100_stops_old_tasks_before_new_ones_exist() {
    // desiredCount 4, minimum 50%: two old tasks may stop to free capacity.
    let s = spec(4, 50, 100);
    let deps = [active("d1", 0.0), primary("d2")];
    let tasks: Vec<_> = (0..4).map(|i| task(&format!("o{i}"), "d1")).collect();
    let actions = run(&s, &deps, &tasks);
    assert_eq!(started(&actions), 0, "maximum 100% leaves no room");
    assert_eq!(stopped(&actions).len(), 2);
}

#[test]
fn old_tasks_that_are_not_healthy_go_first_and_freely() {
    let s = spec(2, 100, 200);
    let deps = [active("d1", 0.0), primary("d2")];
    let tasks = [
        task("a", "d1"),
        task("b", "d1"),
        pending("p", "d1"),
        unhealthy("u", "d1"),
    ];
    let actions = run(&s, &deps, &tasks);
    let mut stops = stopped(&actions);
    stops.sort_unstable();
    assert_eq!(stops, ["p", "u"]);
}

#[test]
fn the_rollout_completes_once_with_ecs_events() {
    let s = spec(2, 100, 200);
    let deps = [active("d1", 0.0), primary("d2")];
    let tasks = [task("c", "d2"), task("d", "d2")];
    let actions = run(&s, &deps, &tasks);
    let done = updated(&actions, "d2").expect("primary updated");
    assert_eq!(done.rollout_state, RolloutState::Completed);
    assert_eq!(
        done.rollout_state_reason.as_deref(),
        Some("ECS deployment d2 completed.")
    );
    assert_eq!(
        updated(&actions, "d1").map(|d| d.status),
        Some(DeploymentStatus::Inactive)
    );
    assert_eq!(
        events(&actions),
        [
            "(service web) (deployment d2) deployment completed.",
            "(service web) has reached a steady state."
        ]
    );

    // Already completed and steady: nothing to say.
    let deps = [
        Deployment {
            status: DeploymentStatus::Inactive,
            ..active("d1", 0.0)
        },
        done.clone(),
    ];
    assert!(run(&s, &deps, &tasks).is_empty());
}

#[test]
fn no_completion_while_an_old_task_is_still_stopping() {
    let s = spec(1, 100, 200);
    let deps = [active("d1", 0.0), primary("d2")];
    let mut old = task("a", "d1");
    old.phase = TaskPhase::Stopping;
    assert!(run(&s, &deps, &[old, task("b", "d2")]).is_empty());
}

#[test]
fn no_completion_on_tasks_whose_checks_the_grace_period_hides() {
    let mut s = spec(1, 100, 200);
    s.health_check_grace_seconds = 60.0;
    let mut t = task("a", "d1");
    t.has_health_check = true;
    t.health = Health::Unknown;
    t.started_at = Some(90.0);
    assert!(run(&s, &[primary("d1")], &[t]).is_empty());
}

#[test]
fn unhealthy_tasks_are_replaced_first_then_stopped() {
    let s = spec(2, 100, 200);
    let deps = [primary("d1")];
    let first = run(&s, &deps, &[task("a", "d1"), unhealthy("u", "d1")]);
    assert_eq!(
        first,
        vec![Action::Start {
            deployment_id: "d1".into(),
            count: 1
        }]
    );
    let second = run(
        &s,
        &deps,
        &[task("a", "d1"), unhealthy("u", "d1"), pending("r", "d1")],
    );
    assert_eq!(stopped(&second), ["u"]);
    assert_eq!(
        stop_reason(&second, "u"),
        Some("Task failed container health checks")
    );
    assert_eq!(started(&second), 0);
}

#[test]
fn unhealthy_tasks_stop_one_by_one_when_the_maximum_leaves_no_room() {
    let s = spec(2, 100, 100);
    let actions = run(
        &s,
        &[primary("d1")],
        &[unhealthy("u", "d1"), unhealthy("v", "d1")],
    );
    assert_eq!(started(&actions), 0);
    assert_eq!(stopped(&actions).len(), 1);
}

#[test]
fn unhealthy_within_the_grace_period_counts_as_healthy() {
    let mut s = spec(1, 100, 200);
    s.health_check_grace_seconds = 60.0;
    let mut t = unhealthy("u", "d1");
    t.started_at = Some(80.0);
    let i = input(&s, &[], &[], 100.0);
    assert!(is_healthy(&t, s.health_check_grace_seconds, i.now));
    let actions = run(&s, &[primary("d1")], &[t]);
    assert_eq!(started(&actions), 0);
    assert!(stopped(&actions).is_empty());
}

#[test]
fn draining_tasks_are_replaced_and_stopped_while_the_minimum_holds() {
    let s = spec(2, 100, 200);
    let deps = [primary("d1")];
    let mut d = task("d", "d1");
    d.instance_draining = true;
    // 2 healthy, minimum 2: start a replacement, keep the draining one for now.
    let first = run(&s, &deps, &[task("a", "d1"), d.clone()]);
    assert_eq!(started(&first), 1);
    assert!(stopped(&first).is_empty());
    // The replacement is healthy: 3 healthy, the draining one may go.
    let second = run(&s, &deps, &[task("a", "d1"), d.clone(), task("r", "d1")]);
    assert_eq!(stopped(&second), ["d"]);
    assert_eq!(
        stop_reason(&second, "d"),
        Some("Task stopped during instance draining")
    );
    // A pending task on a draining instance stops at once.
    let mut p = pending("p", "d1");
    p.instance_draining = true;
    let third = run(&s, &deps, &[task("a", "d1"), task("b", "d1"), p]);
    assert_eq!(stopped(&third), ["p"]);
}

#[test]
fn scale_in_prefers_unhealthy_then_the_fullest_zone_then_the_newest() {
    let s = spec(3, 100, 200);
    let deps = [primary("d1")];
    let mut newest_a = in_zone(task("a2", "d1"), "a");
    newest_a.started_at = Some(50.0);
    let tasks = [
        in_zone(task("a1", "d1"), "a"),
        newest_a,
        in_zone(task("b1", "d1"), "b"),
        in_zone(task("c1", "d1"), "c"),
        in_zone(pending("p", "d1"), "c"),
    ];
    let actions = run(&s, &deps, &tasks);
    assert_eq!(stopped(&actions), ["p", "a2"]);
}

#[test]
fn scale_in_never_stops_a_protected_task() {
    let s = spec(1, 0, 200);
    let mut keep = task("a", "d1");
    keep.protected_until = Some(500.0);
    let mut expired = task("b", "d1");
    expired.protected_until = Some(50.0);
    let actions = run(&s, &[primary("d1")], &[keep, expired]);
    assert_eq!(stopped(&actions), ["b"]);

    let mut both = task("c", "d1");
    both.protected_until = Some(500.0);
    let mut other = task("d", "d1");
    other.protected_until = Some(500.0);
    assert!(run(&s, &[primary("d1")], &[both, other]).is_empty());
}

#[test]
fn a_deployment_does_not_stop_protected_old_tasks() {
    let s = spec(1, 0, 200);
    let deps = [active("d1", 0.0), primary("d2")];
    let mut old = task("a", "d1");
    old.protected_until = Some(500.0);
    let actions = run(&s, &deps, &[old, task("b", "d2")]);
    assert!(stopped(&actions).is_empty());
    assert!(
        updated(&actions, "d2").is_none(),
        "not complete while it runs"
    );
}

#[test]
fn scale_to_zero_stops_everything() {
    let s = spec(0, 100, 200);
    let actions = run(&s, &[primary("d1")], &[task("a", "d1"), task("b", "d1")]);
    assert_eq!(stopped(&actions).len(), 2);
}

#[test]
fn no_healthy_task_stops_when_already_below_the_minimum() {
    let s = spec(4, 100, 200);
    let deps = [active("d1", 0.0), primary("d2")];
    let tasks = [task("a", "d1"), task("b", "d2"), pending("c", "d2")];
    let actions = run(&s, &deps, &tasks);
    assert!(stopped(&actions).is_empty());
    assert_eq!(started(&actions), 2);
}

#[test]
fn steady_is_what_the_waiter_checks() {
    let s = spec(2, 100, 200);
    let deps = [primary("d1")];
    let tasks = [task("a", "d1"), task("b", "d1")];
    assert!(is_steady(&input(&s, &deps, &tasks, 0.0)));
    assert!(!is_steady(&input(&s, &deps, &tasks[..1], 0.0)));
    let two = [active("d0", 0.0), primary("d1")];
    assert!(!is_steady(&input(&s, &two, &tasks, 0.0)));
}

#[test]
fn the_same_input_answers_the_same_actions() {
    let s = spec(5, 50, 150);
    let deps = [active("d1", 0.0), primary("d2")];
    let tasks = [
        in_zone(task("a", "d1"), "a"),
        in_zone(task("b", "d1"), "b"),
        in_zone(unhealthy("c", "d2"), "a"),
        in_zone(pending("d", "d2"), "c"),
    ];
    assert_eq!(run(&s, &deps, &tasks), run(&s, &deps, &tasks));
}

#[test]
fn tasks_still_stopping_count_against_the_maximum() {
    // 4 desired at 150%: at most 6 RUNNING or PENDING. Two old tasks are still stopping
    // (their containers have not exited yet) next to 4 live ones: no room to start more.
    let s = spec(4, 50, 150);
    let deps = [active("d1", 0.0), primary("d2")];
    let mut stopping_a = task("s1", "d1");
    stopping_a.phase = TaskPhase::Stopping;
    let mut stopping_b = task("s2", "d1");
    stopping_b.phase = TaskPhase::Stopping;
    let tasks = [
        task("a", "d1"),
        task("b", "d1"),
        task("c", "d2"),
        task("d", "d2"),
        stopping_a,
        stopping_b,
    ];
    let actions = run(&s, &deps, &tasks);
    assert_eq!(started(&actions), 0, "{actions:?}");
}

#[test]
fn a_rollout_completes_only_once_tasks_without_health_checks_have_settled() {
    // A container that crashes right after starting must not complete the deployment.
    let mut s = spec(1, 100, 200);
    s.settle_seconds = 3.0;
    let deps = [primary("d1")];
    let mut fresh = task("a", "d1");
    fresh.started_at = Some(99.0);
    let early = reconcile(&input(&s, &deps, std::slice::from_ref(&fresh), 100.0));
    assert!(
        updated(&early, "d1").is_none_or(|d| d.rollout_state != RolloutState::Completed),
        "{early:?}"
    );
    let later = reconcile(&input(&s, &deps, std::slice::from_ref(&fresh), 102.5));
    assert_eq!(
        updated(&later, "d1").map(|d| d.rollout_state),
        Some(RolloutState::Completed),
        "{later:?}"
    );
}
