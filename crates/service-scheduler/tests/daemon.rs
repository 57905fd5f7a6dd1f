//! DAEMON rules.

mod common;

use berth_service_scheduler::*;
use common::*;

fn run_daemon(
    s: &ServiceSpec,
    deployments: &[Deployment],
    tasks: &[ObservedTask],
    instances: &[Instance],
) -> Vec<Action> {
    reconcile(&Input {
        instances,
        ..input(s, deployments, tasks, 100.0)
    })
}

fn start_on(actions: &[Action]) -> Vec<&str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::StartOn { instance, .. } => Some(instance.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn one_task_on_every_eligible_instance() {
    let s = daemon_spec(0, 100);
    let mut draining = instance("i3");
    draining.draining = true;
    let mut ineligible = instance("i4");
    ineligible.eligible = false;
    let instances = [instance("i1"), instance("i2"), draining, ineligible];
    let tasks = [on(task("a", "d1"), "i1")];
    let actions = run_daemon(&s, &[primary("d1")], &tasks, &instances);
    assert_eq!(
        actions,
        vec![Action::StartOn {
            deployment_id: "d1".into(),
            instance: "i2".into()
        }]
    );
}

#[test]
fn tasks_off_the_targets_and_duplicates_are_stopped() {
    let s = daemon_spec(0, 100);
    let mut draining = instance("i2");
    draining.draining = true;
    let mut ineligible = instance("i3");
    ineligible.eligible = false;
    let instances = [instance("i1"), draining, ineligible];
    let mut on_draining = on(task("b", "d1"), "i2");
    on_draining.instance_draining = true;
    let tasks = [
        on(task("a", "d1"), "i1"),
        on(pending("dup", "d1"), "i1"),
        on_draining,
        on(task("c", "d1"), "i3"),
        on(task("d", "d1"), "gone"),
        task("e", "d1"),
    ];
    let actions = run_daemon(&s, &[primary("d1")], &tasks, &instances);
    let mut stops = stopped(&actions);
    stops.sort_unstable();
    assert_eq!(stops, ["b", "c", "d", "dup", "e"]);
    assert_eq!(
        stop_reason(&actions, "b"),
        Some("Task stopped during instance draining")
    );
    assert_eq!(started(&actions), 0);
}

#[test]
fn rollout_with_defaults_stops_old_then_starts_new() {
    let s = daemon_spec(0, 100);
    let instances = [instance("i1"), instance("i2")];
    let deps = [active("d1", 0.0), primary("d2")];
    let old = [on(task("a", "d1"), "i1"), on(task("b", "d1"), "i2")];
    let first = run_daemon(&s, &deps, &old, &instances);
    assert_eq!(started(&first), 0);
    let mut stops = stopped(&first);
    stops.sort_unstable();
    assert_eq!(stops, ["a", "b"]);

    let mut stopping = old.clone();
    for t in &mut stopping {
        t.phase = TaskPhase::Stopping;
    }
    let second = run_daemon(&s, &deps, &stopping, &instances);
    assert_eq!(start_on(&second), ["i1", "i2"]);

    let done = [on(task("c", "d2"), "i1"), on(task("d", "d2"), "i2")];
    let third = run_daemon(&s, &deps, &done, &instances);
    assert_eq!(
        updated(&third, "d2").map(|d| d.rollout_state),
        Some(RolloutState::Completed)
    );
    assert_eq!(
        updated(&third, "d1").map(|d| d.status),
        Some(DeploymentStatus::Inactive)
    );
    assert!(events(&third).contains(&"(service web) has reached a steady state."));
}

#[test]
fn rollout_respects_the_minimum_over_the_instances() {
    // Minimum 50% of 4 instances: 2 may be down at a time.
    let s = daemon_spec(50, 100);
    let instances: Vec<_> = (1..=4).map(|i| instance(&format!("i{i}"))).collect();
    let deps = [active("d1", 0.0), primary("d2")];
    let old: Vec<_> = (1..=4)
        .map(|i| on(task(&format!("o{i}"), "d1"), &format!("i{i}")))
        .collect();
    let actions = run_daemon(&s, &deps, &old, &instances);
    assert_eq!(stopped(&actions).len(), 2);
    assert_eq!(started(&actions), 0);
}

#[test]
fn a_maximum_above_100_starts_new_next_to_old() {
    let s = daemon_spec(100, 200);
    let instances = [instance("i1")];
    let deps = [active("d1", 0.0), primary("d2")];
    let first = run_daemon(&s, &deps, &[on(task("a", "d1"), "i1")], &instances);
    assert_eq!(start_on(&first), ["i1"]);
    assert!(stopped(&first).is_empty());
    let second = run_daemon(
        &s,
        &deps,
        &[on(task("a", "d1"), "i1"), on(task("b", "d2"), "i1")],
        &instances,
    );
    assert_eq!(stopped(&second), ["a"]);
}

#[test]
fn in_flight_starts_are_not_repeated() {
    let s = daemon_spec(0, 100);
    let instances = [instance("i1"), instance("i2")];
    let deps = [primary("d1")];
    let in_flight = [("d1".to_owned(), 1)];
    let actions = reconcile(&Input {
        instances: &instances,
        in_flight: &in_flight,
        ..input(&s, &deps, &[], 100.0)
    });
    assert_eq!(start_on(&actions), ["i2"]);
}

#[test]
fn daemon_steady_counts_the_eligible_instances() {
    let s = daemon_spec(0, 100);
    let instances = [instance("i1"), instance("i2")];
    let deps = [primary("d1")];
    let tasks = [on(task("a", "d1"), "i1"), on(task("b", "d1"), "i2")];
    let i = Input {
        instances: &instances,
        ..input(&s, &deps, &tasks, 0.0)
    };
    assert_eq!(desired_count(&i), 2);
    assert!(is_steady(&i));
    let one = Input {
        tasks: &tasks[..1],
        ..i
    };
    assert!(!is_steady(&one));
}
