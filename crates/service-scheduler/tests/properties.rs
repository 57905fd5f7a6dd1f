//! Properties over random services, simulated step by step: the world carries every answer
//! out (starts become PENDING tasks, stops STOPPING ones), then time passes (PENDING tasks
//! start or fail, STOPPING ones stop, health flaps), and the scheduler is asked again.

mod common;

use std::collections::BTreeSet;

use berth_service_scheduler::*;
use common::*;
use proptest::prelude::*;

const STEPS: usize = 40;
const PATIENCE: usize = 300;

fn random_task(id: usize, deployments: &[String], dice: &mut Dice, now: f64) -> ObservedTask {
    let deployment = &deployments[dice.below(deployments.len())];
    let mut t = task(&format!("x{id}"), deployment);
    t.phase = match dice.below(4) {
        0 => TaskPhase::Pending,
        1 => TaskPhase::Stopping,
        _ => TaskPhase::Running,
    };
    if t.phase == TaskPhase::Pending {
        t.started_at = None;
        t.ever_healthy = false;
    } else {
        t.started_at = Some(now - dice.below(120) as f64);
    }
    t.has_health_check = dice.chance(50);
    t.health = match dice.below(3) {
        0 => Health::Healthy,
        1 => Health::Unhealthy,
        _ => Health::Unknown,
    };
    t.availability_zone = Some(ZONES[dice.below(ZONES.len())].to_owned());
    t.instance_draining = dice.chance(15);
    if dice.chance(25) {
        t.protected_until = Some(now - 50.0 + dice.below(250) as f64);
    }
    t
}

/// A random service in the middle of things: up to two older deployments, tasks in every
/// phase and health, some protected, some on draining instances.
fn random_world(
    scheduling: Scheduling,
    (desired, min, max): (u32, u32, u32),
    breaker: (bool, bool),
    grace: bool,
    seed: u64,
) -> World {
    let mut dice = Dice::new(seed);
    let mut s = match scheduling {
        Scheduling::Replica => spec(desired, min, max),
        Scheduling::Daemon => daemon_spec(min, max),
    };
    s.circuit_breaker = CircuitBreaker {
        enable: breaker.0,
        rollback: breaker.1,
    };
    s.health_check_grace_seconds = if grace { 30.0 } else { 0.0 };
    let mut deployments: Vec<Deployment> = (0..dice.below(3))
        .map(|i| active(&format!("old{i}"), i as f64))
        .collect();
    deployments.push(Deployment {
        created_at: 10.0,
        ..primary("new")
    });
    let ids: Vec<String> = deployments.iter().map(|d| d.id.clone()).collect();
    let mut world = World::new(s, deployments, Vec::new());
    world.behaviour = Behaviour::Chaos;
    world.tasks = (0..dice.below(25))
        .map(|i| random_task(i, &ids, &mut dice, world.now))
        .collect();
    if scheduling == Scheduling::Daemon {
        world.instances = (0..dice.below(7))
            .map(|i| Instance {
                id: format!("i{i}"),
                availability_zone: Some(ZONES[i % ZONES.len()].to_owned()),
                draining: dice.chance(15),
                eligible: dice.chance(85),
            })
            .collect();
        let names: Vec<Option<String>> = world
            .instances
            .iter()
            .map(|i| Some(i.id.clone()))
            .chain([None, Some("gone".to_owned())])
            .collect();
        for t in &mut world.tasks {
            t.instance = names[dice.below(names.len())].clone();
            t.instance_draining = t
                .instance
                .as_deref()
                .and_then(|id| world.instances.iter().find(|i| i.id == id))
                .is_some_and(|i| i.draining);
        }
    }
    world
}

/// What every answer must respect, judged against the input it was given.
fn check(world: &World, actions: &[Action]) -> Result<(), TestCaseError> {
    let input = world.input();
    prop_assert_eq!(&reconcile(&input), actions, "same input, same answer");

    let (now, grace) = (world.now, world.spec.health_check_grace_seconds);
    let bounds = limits(
        desired_count(&input),
        world.spec.minimum_healthy_percent,
        world.spec.maximum_percent,
    );
    let live = world.tasks.iter().filter(|t| is_live(t)).count();
    let starts = started(actions) as usize;
    prop_assert!(
        starts == 0 || live + starts <= bounds.upper as usize,
        "{live} live + {starts} started > upper {}",
        bounds.upper
    );

    let healthy_before = world
        .tasks
        .iter()
        .filter(|t| is_healthy(t, grace, now))
        .count();
    let stops = stopped(actions);
    let unique: BTreeSet<&str> = stops.iter().copied().collect();
    prop_assert_eq!(unique.len(), stops.len(), "a task stopped twice");
    let mut healthy_stopped = 0;
    for id in &stops {
        let t = world.tasks.iter().find(|t| t.id == *id);
        prop_assert!(t.is_some_and(is_live), "stopped {id}, which is not live");
        let Some(t) = t else { continue };
        healthy_stopped += usize::from(is_healthy(t, grace, now));
        if is_protected(t, now) {
            prop_assert_eq!(
                stop_reason(actions, id),
                Some(events::FAILED_HEALTH_CHECKS),
                "protected task {} stopped",
                id
            );
        }
    }
    prop_assert!(
        healthy_before - healthy_stopped >= healthy_before.min(bounds.lower as usize),
        "healthy {healthy_before} - {healthy_stopped} stopped < min(lower {}, before)",
        bounds.lower
    );

    // Starts are for the primary the answer leaves, and never for a FAILED one.
    let mut after = world.deployments.clone();
    for a in actions {
        match a {
            Action::UpdateDeployment(d) => {
                if let Some(slot) = after.iter_mut().find(|x| x.id == d.id) {
                    *slot = d.clone();
                }
            }
            Action::AddDeployment(d) => after.push(d.clone()),
            _ => {}
        }
    }
    let primaries: Vec<&Deployment> = after
        .iter()
        .filter(|d| d.status == DeploymentStatus::Primary)
        .collect();
    prop_assert_eq!(primaries.len(), 1, "exactly one primary");
    for d in &after {
        let before = world.deployment(&d.id).map_or(0, |b| b.failed_tasks);
        prop_assert!(d.failed_tasks >= before, "failed_tasks decreased");
    }
    let mut on_instances = BTreeSet::new();
    for a in actions {
        let (id, instance) = match a {
            Action::Start { deployment_id, .. } => (deployment_id, None),
            Action::StartOn {
                deployment_id,
                instance,
            } => (deployment_id, Some(instance)),
            _ => continue,
        };
        prop_assert_eq!(id, &primaries[0].id);
        prop_assert_ne!(primaries[0].rollout_state, RolloutState::Failed);
        if let Some(instance) = instance {
            prop_assert!(on_instances.insert(instance.clone()), "two starts on one");
            let target = world.instances.iter().find(|i| &i.id == instance);
            prop_assert!(target.is_some_and(|i| i.eligible && !i.draining));
        }
    }
    Ok(())
}

fn percentages() -> impl Strategy<Value = (u32, u32, u32)> {
    (0u32..=20, 0u32..=100, 100u32..=200)
}

/// Bounds that let a rollout move: some room above the minimum.
fn movable((desired, min, max): (u32, u32, u32)) -> bool {
    let b = limits(desired, min, max);
    desired == 0 || b.upper > b.lower
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_replica_answer_keeps_the_bounds(
        counts in percentages(),
        breaker in (any::<bool>(), any::<bool>()),
        grace in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut world = random_world(Scheduling::Replica, counts, breaker, grace, seed);
        let mut dice = Dice::new(seed ^ 0x5eed);
        for _ in 0..STEPS {
            let actions = reconcile(&world.input());
            check(&world, &actions)?;
            world.apply(&actions, &mut dice);
            world.evolve(&mut dice);
            if dice.chance(10) {
                world.spec.desired_count = dice.below(21) as u32;
            }
        }
    }

    #[test]
    fn every_daemon_answer_keeps_the_bounds(
        counts in percentages(),
        breaker in (any::<bool>(), any::<bool>()),
        grace in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut world = random_world(Scheduling::Daemon, counts, breaker, grace, seed);
        let mut dice = Dice::new(seed ^ 0xdae);
        for _ in 0..STEPS {
            let actions = reconcile(&world.input());
            check(&world, &actions)?;
            world.apply(&actions, &mut dice);
            world.evolve(&mut dice);
            if dice.chance(5) && !world.instances.is_empty() {
                let i = dice.below(world.instances.len());
                let instance = &mut world.instances[i];
                instance.draining = dice.chance(30);
                instance.eligible = dice.chance(80);
                let (id, draining) = (instance.id.clone(), instance.draining);
                for t in &mut world.tasks {
                    if t.instance.as_deref() == Some(id.as_str()) {
                        t.instance_draining = draining;
                    }
                }
            }
        }
    }

    #[test]
    fn a_deployment_of_healthy_tasks_completes(
        counts in percentages(),
        old_tasks in 0usize..=20,
        seed in any::<u64>(),
    ) {
        prop_assume!(movable(counts));
        let (desired, min, max) = counts;
        let mut dice = Dice::new(seed);
        let deployments = vec![active("old", 0.0), Deployment { created_at: 1.0, ..primary("new") }];
        let mut world = World::new(spec(desired, min, max), deployments, Vec::new());
        world.tasks = (0..old_tasks)
            .map(|i| {
                let mut t = in_zone(task(&format!("o{i}"), "old"), ZONES[i % 3]);
                if dice.chance(20) {
                    t.protected_until = Some(world.now + dice.below(300) as f64);
                }
                t
            })
            .collect();
        let mut steps = 0;
        while world.deployment("new").map(|d| d.rollout_state) != Some(RolloutState::Completed) {
            prop_assert!(steps < PATIENCE, "no completion after {PATIENCE} steps");
            let actions = reconcile(&world.input());
            check(&world, &actions)?;
            world.apply(&actions, &mut dice);
            world.evolve(&mut dice);
            steps += 1;
        }
        let primary_live: Vec<&ObservedTask> = world
            .tasks
            .iter()
            .filter(|t| t.deployment_id == "new" && is_live(t))
            .collect();
        prop_assert_eq!(primary_live.len(), desired as usize);
        prop_assert!(primary_live.iter().all(|t| is_settled(t, world.spec.settle_seconds, world.now)));
        prop_assert_eq!(
            world.deployment("old").map(|d| d.status),
            Some(DeploymentStatus::Inactive)
        );
        let steady = world.events.iter().filter(|e| e.ends_with("has reached a steady state.")).count();
        prop_assert_eq!(steady, 1);
        // Settled: nothing more to do, and the waiter agrees.
        world.evolve(&mut dice);
        prop_assert!(reconcile(&world.input()).is_empty());
        prop_assert!(is_steady(&world.input()));
    }

    #[test]
    fn a_daemon_rollout_of_healthy_tasks_completes(
        (instances, min, max) in (0u32..=6, 0u32..=100, 100u32..=200),
        seed in any::<u64>(),
    ) {
        prop_assume!(movable((instances, min, max)));
        let mut dice = Dice::new(seed);
        let deployments = vec![active("old", 0.0), Deployment { created_at: 1.0, ..primary("new") }];
        let tasks = (0..instances)
            .map(|i| on(task(&format!("o{i}"), "old"), &format!("i{i}")))
            .collect();
        let mut world = World::new(daemon_spec(min, max), deployments, tasks);
        world.instances = (0..instances).map(|i| instance(&format!("i{i}"))).collect();
        let mut steps = 0;
        while world.deployment("new").map(|d| d.rollout_state) != Some(RolloutState::Completed) {
            prop_assert!(steps < PATIENCE, "no completion after {PATIENCE} steps");
            let actions = reconcile(&world.input());
            check(&world, &actions)?;
            world.apply(&actions, &mut dice);
            world.evolve(&mut dice);
            steps += 1;
        }
        let live: Vec<&ObservedTask> = world.tasks.iter().filter(|t| is_live(t)).collect();
        prop_assert!(live.iter().all(|t| t.deployment_id == "new"));
        let on_instances: BTreeSet<Option<&str>> =
            live.iter().map(|t| t.instance.as_deref()).collect();
        prop_assert_eq!(live.len(), instances as usize);
        prop_assert_eq!(on_instances.len(), instances as usize);
        prop_assert!(is_steady(&world.input()));
    }

    #[test]
    fn the_breaker_fails_a_deployment_whose_tasks_all_fail(
        counts in percentages().prop_filter("some tasks", |c| c.0 > 0),
        rollback in any::<bool>(),
        seed in any::<u64>(),
    ) {
        prop_assume!(movable(counts));
        let (desired, min, max) = counts;
        let mut dice = Dice::new(seed);
        let mut s = spec(desired, min, max);
        s.circuit_breaker = CircuitBreaker { enable: true, rollback };
        let bad = Deployment {
            task_definition: "bad".into(),
            created_at: 1.0,
            ..primary("new")
        };
        let good = active("old", 0.0);
        let good_definition = good.task_definition.clone();
        let tasks = (0..desired).map(|i| task(&format!("o{i}"), "old")).collect();
        let mut world = World::new(s, vec![good, bad], tasks);
        world.behaviour = Behaviour::FailsOn("bad");

        let mut steps = 0;
        while world.deployment("new").map(|d| d.rollout_state) != Some(RolloutState::Failed) {
            prop_assert!(steps < PATIENCE, "no failure after {PATIENCE} steps");
            let actions = reconcile(&world.input());
            check(&world, &actions)?;
            world.apply(&actions, &mut dice);
            world.evolve(&mut dice);
            steps += 1;
        }
        let failed = world.deployment("new").cloned().expect("still listed");
        prop_assert!(failed.failed_tasks >= failure_threshold(desired));

        if rollback {
            prop_assert_eq!(failed.status, DeploymentStatus::Active);
            let back = world.primary().cloned().expect("a primary");
            prop_assert_eq!(back.rollback_of.as_deref(), Some("new"));
            prop_assert_eq!(&back.task_definition, &good_definition);
            // The rollback runs healthy tasks, so it completes.
            let mut steps = 0;
            while world.deployment(&back.id).map(|d| d.rollout_state) != Some(RolloutState::Completed) {
                prop_assert!(steps < PATIENCE, "rollback did not complete");
                let actions = reconcile(&world.input());
                check(&world, &actions)?;
                world.apply(&actions, &mut dice);
                world.evolve(&mut dice);
                steps += 1;
            }
            prop_assert_eq!(
                world.deployment("new").map(|d| d.status),
                Some(DeploymentStatus::Inactive)
            );
        } else {
            prop_assert_eq!(failed.status, DeploymentStatus::Primary);
            for _ in 0..10 {
                let actions = reconcile(&world.input());
                check(&world, &actions)?;
                prop_assert_eq!(started(&actions), 0, "a FAILED deployment launched a task");
                world.apply(&actions, &mut dice);
                world.evolve(&mut dice);
            }
        }
    }
}
