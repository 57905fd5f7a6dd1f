//! Placement scenarios, including the examples of the ECS developer guide.

use berth_placement::{
    place, start_on, validate, Candidate, Constraint, ConstraintSpec, Demand, Detail, EcsFailure,
    InstanceStatus, LaunchType, NoContainerInstances, Policy, Reason, Request, Resource,
    SpreadField, Strategy, StrategySpec, TaskOutcome, Verdict, EXTERNAL_ATTRIBUTE,
};

fn ci(n: &str) -> String {
    format!("arn:aws:ecs:us-east-1:123456789012:container-instance/default/{n}")
}

fn inst(n: &str, cpu: i64, mem: i64) -> Candidate {
    Candidate::new(ci(n), cpu, mem)
}

fn zoned(n: &str, zone: &str) -> Candidate {
    inst(n, 4096, 8192).with_attribute("ecs.availability-zone", Some(zone))
}

fn web(cpu: u32, mem: u32) -> Demand {
    Demand::new(cpu, mem, "family:web")
}

fn chosen(p: &berth_placement::Placement<'_>) -> Vec<String> {
    p.chosen()
        .map(|c| c.arn.rsplit('/').next().unwrap_or_default().to_owned())
        .collect()
}

fn spread(field: &str) -> Strategy {
    match field {
        "instanceId" => Strategy::Spread(SpreadField::Instance),
        f => Strategy::Spread(SpreadField::Attribute(f.to_owned())),
    }
}

#[test]
fn binpack_memory_fills_the_fullest_instance_first() {
    // "if you binpack on memory, a task is placed on the instance with the
    // least amount of remaining memory but still enough to run the task."
    let cluster = [
        inst("a", 4096, 3000),
        inst("b", 4096, 1200),
        inst("c", 4096, 400),
    ];
    let policy = Policy::default().with_strategy(Strategy::Binpack(Resource::Memory));
    let req = Request::new(web(10, 500), policy, 4);
    let p = place(&req, &cluster, 1);
    // c is too small; b takes two (1200 → 700 → 200), then a.
    assert_eq!(chosen(&p), ["b", "b", "a", "a"]);
}

#[test]
fn binpack_cpu() {
    let cluster = [
        inst("a", 1024, 8000),
        inst("b", 512, 8000),
        inst("c", 2048, 8000),
    ];
    let policy = Policy::default().with_strategy(Strategy::Binpack(Resource::Cpu));
    let req = Request::new(web(256, 10), policy, 3);
    assert_eq!(chosen(&place(&req, &cluster, 9)), ["b", "b", "a"]);
}

#[test]
fn spread_instance_id_places_one_per_instance() {
    let cluster = [
        inst("a", 4096, 8192),
        inst("b", 4096, 8192),
        inst("c", 4096, 8192),
    ];
    for field in ["instanceId", "host"] {
        let policy = validate(
            &[],
            &[StrategySpec {
                kind: Some("spread"),
                field: Some(field),
            }],
        )
        .expect("valid");
        let req = Request::new(web(1, 1), policy, 3);
        let mut got = chosen(&place(&req, &cluster, 5));
        got.sort();
        assert_eq!(got, ["a", "b", "c"], "{field}");
    }
}

#[test]
fn spread_counts_only_the_tasks_of_the_group() {
    let mut a = inst("a", 4096, 8192);
    for _ in 0..5 {
        a.add_task_group("family:db");
    }
    let mut b = inst("b", 4096, 8192);
    b.add_task_group("family:web");
    let req = Request::new(
        web(1, 1),
        Policy::default().with_strategy(spread("instanceId")),
        1,
    );
    assert_eq!(chosen(&place(&req, &[a, b], 3)), ["a"]);
}

#[test]
fn service_default_spreads_over_zones_then_instances() {
    let cluster = [
        zoned("a1", "us-east-1a"),
        zoned("a2", "us-east-1a"),
        zoned("b1", "us-east-1b"),
        zoned("b2", "us-east-1b"),
    ];
    let req = Request::new(
        Demand::new(1, 1, "service:api"),
        Policy::service_default(),
        4,
    );
    let mut got = chosen(&place(&req, &cluster, 11));
    got.sort();
    assert_eq!(got, ["a1", "a2", "b1", "b2"]);
}

#[test]
fn spread_by_zone_then_binpack_memory_within_the_zone() {
    // The guide's "distribute tasks evenly across Availability Zones and then
    // bin pack tasks based on memory within each Availability Zone".
    let cluster = [
        zoned("a-big", "us-east-1a"),
        inst("a-small", 4096, 1000).with_attribute("ecs.availability-zone", Some("us-east-1a")),
        zoned("b-big", "us-east-1b"),
        inst("b-small", 4096, 2000).with_attribute("ecs.availability-zone", Some("us-east-1b")),
    ];
    let policy = validate(
        &[],
        &[
            StrategySpec {
                kind: Some("spread"),
                field: Some("attribute:ecs.availability-zone"),
            },
            StrategySpec {
                kind: Some("binpack"),
                field: Some("memory"),
            },
        ],
    )
    .expect("valid");
    let req = Request::new(web(1, 400), policy, 4);
    let p = place(&req, &cluster, 2);
    let got = chosen(&p);
    let zone_a = got.iter().filter(|n| n.starts_with("a-")).count();
    assert_eq!(zone_a, 2);
    assert!(got.iter().all(|n| n.ends_with("-small")), "{got:?}");
}

#[test]
fn instances_without_the_attribute_form_their_own_bucket() {
    let cluster = [zoned("a", "z1"), inst("none", 4096, 8192)];
    let req = Request::new(
        web(1, 1),
        Policy::default().with_strategy(spread("ecs.availability-zone")),
        2,
    );
    let mut got = chosen(&place(&req, &cluster, 0));
    got.sort();
    assert_eq!(got, ["a", "none"]);
}

#[test]
fn random_strategy_and_the_default_use_every_instance_over_seeds() {
    let cluster = [
        inst("a", 4096, 8192),
        inst("b", 4096, 8192),
        inst("c", 4096, 8192),
    ];
    for policy in [
        Policy::run_task_default(),
        Policy::default().with_strategy(Strategy::Random),
    ] {
        let req = Request::new(web(1, 1), policy, 1);
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..64 {
            seen.extend(chosen(&place(&req, &cluster, seed)));
        }
        assert_eq!(seen.len(), 3);
    }
}

#[test]
fn same_seed_same_placement() {
    let cluster: Vec<Candidate> = (0..50)
        .map(|i| inst(&format!("i{i}"), 4096, 8192))
        .collect();
    let req = Request::new(web(100, 100), Policy::default(), 10);
    let a = place(&req, &cluster, 1234);
    let b = place(&req, &cluster, 1234);
    assert_eq!(a.outcomes(), b.outcomes());
    assert_eq!(a.explain().to_string(), b.explain().to_string());
}

#[test]
fn distinct_instance_places_each_task_on_a_different_instance() {
    let cluster = [inst("a", 4096, 8192), inst("b", 4096, 8192)];
    let policy = Policy::default().with_constraint(Constraint::DistinctInstance);
    let req = Request::new(web(1, 1), policy, 3);
    let p = place(&req, &cluster, 7);
    let mut got = chosen(&p);
    got.sort();
    assert_eq!(got, ["a", "b"]);
    assert_eq!(p.outcomes()[2], TaskOutcome::Unplaced);
    let reason = "DistinctInstance placement constraint unsatisfied.";
    let failures = p.ecs_failures().expect("instances exist");
    assert_eq!(
        failures
            .iter()
            .map(|f| (f.arn.clone(), f.reason.as_str()))
            .collect::<Vec<_>>(),
        [(ci("a"), reason), (ci("b"), reason)]
    );
}

#[test]
fn distinct_instance_counts_tasks_already_running() {
    let mut a = inst("a", 4096, 8192);
    a.add_task_group("family:web");
    let b = inst("b", 4096, 8192);
    let policy = Policy::default().with_constraint(Constraint::DistinctInstance);
    let req = Request::new(web(1, 1), policy, 1);
    assert_eq!(chosen(&place(&req, &[a, b], 0)), ["b"]);
}

#[test]
fn member_of_instance_type_example() {
    // The guide: "attribute:ecs.instance-type =~ t2.*".
    let t2 = inst("t2", 4096, 8192).with_attribute("ecs.instance-type", Some("t2.small"));
    let m5 = inst("m5", 4096, 8192).with_attribute("ecs.instance-type", Some("m5.large"));
    let policy = validate(
        &[ConstraintSpec {
            kind: Some("memberOf"),
            expression: Some("attribute:ecs.instance-type =~ t2.*"),
        }],
        &[],
    )
    .expect("valid");
    let req = Request::new(web(1, 1), policy, 5);
    let both = [m5.clone(), t2];
    let p = place(&req, &both, 8);
    assert_eq!(chosen(&p), ["t2"; 5]);

    let only_m5 = [m5];
    let p = place(&req, &only_m5, 8);
    assert_eq!(p.placed(), 0);
    assert_eq!(
        p.ecs_failures(),
        Ok(vec![EcsFailure {
            arn: ci("m5"),
            reason: "MemberOf placement constraint unsatisfied.".into(),
            detail: "does not satisfy memberOf(attribute:ecs.instance-type =~ t2.*)".into(),
        }])
    );
}

#[test]
fn member_of_task_group_example() {
    // The guide: place tasks on instances with tasks of the `databases` group.
    let mut db = inst("db", 4096, 8192);
    db.add_task_group("databases");
    let other = inst("other", 4096, 8192);
    let policy = Policy::default()
        .with_constraint(Constraint::member_of("task:group == databases").expect("parse"));
    let req = Request::new(web(1, 1), policy, 2);
    assert_eq!(chosen(&place(&req, &[other, db], 4)), ["db", "db"]);
}

#[test]
fn resource_memory_failure_names_the_instance() {
    let cluster = [inst("small", 4096, 256)];
    let req = Request::new(web(128, 512), Policy::default(), 1);
    let p = place(&req, &cluster, 0);
    let f = p.ecs_failures().expect("an instance exists");
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].arn.as_str(), f[0].reason.as_str()),
        (ci("small").as_str(), "RESOURCE:MEMORY")
    );
}

#[test]
fn one_failure_per_instance_with_its_first_reason() {
    let mut agentless = inst("agentless", 4096, 8192);
    agentless.agent_connected = false;
    let mut draining = inst("draining", 4096, 8192);
    draining.status = InstanceStatus::Draining;
    let mut port = inst("port", 4096, 8192);
    port.used_tcp_ports.insert(80);
    let mut udp = inst("udp", 4096, 8192);
    udp.used_udp_ports.insert(53);
    let cluster = [
        inst("cpu", 100, 8192),
        inst("mem", 4096, 100),
        agentless,
        draining,
        port,
        udp,
        inst("noattr", 4096, 8192),
    ];
    let demand = web(256, 512)
        .with_tcp_ports([80])
        .with_udp_ports([53])
        .with_attribute(berth_placement::RequiredAttribute::present(
            "ecs.capability.task-eni",
        ));
    // Give every instance but "noattr" the attribute, so each fails at a different check.
    let cluster: Vec<Candidate> = cluster
        .into_iter()
        .map(|c| {
            if c.arn.ends_with("noattr") {
                c
            } else {
                c.with_attribute("ecs.capability.task-eni", None)
            }
        })
        .collect();
    let req = Request::new(demand, Policy::default(), 3);
    let p = place(&req, &cluster, 0);
    assert_eq!(p.unplaced(), 3);
    let got: Vec<(String, String)> = p
        .ecs_failures()
        .expect("instances exist")
        .into_iter()
        .map(|f| {
            (
                f.arn.rsplit('/').next().unwrap_or_default().to_owned(),
                f.reason,
            )
        })
        .collect();
    let want = [
        ("cpu", "RESOURCE:CPU"),
        ("mem", "RESOURCE:MEMORY"),
        ("agentless", "AGENT"),
        ("port", "RESOURCE:PORTS"),
        ("udp", "RESOURCE:PORTS_UDP"),
        ("noattr", "ATTRIBUTE"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| ((*a).into(), (*b).into()))
        .collect();
    assert_eq!(
        got, want,
        "DRAINING is not listed; one entry per instance, not per task"
    );
    let e = &p.explanations()[0];
    assert_eq!(e.feasible, 0);
    assert_eq!(e.rejected.get(&Reason::NotActive), Some(&1));
    assert_eq!(e.rejected.values().sum::<usize>(), 7);
}

#[test]
fn no_instances_is_an_error_not_a_failure() {
    let req = Request::new(web(1, 1), Policy::default(), 1);
    let empty: [Candidate; 0] = [];
    assert_eq!(
        place(&req, &empty, 0).ecs_failures(),
        Err(NoContainerInstances)
    );
    assert_eq!(
        NoContainerInstances.to_string(),
        "No Container Instances were found in your cluster."
    );
    let mut draining = inst("d", 4096, 8192);
    draining.status = InstanceStatus::Draining;
    assert_eq!(
        place(&req, &[draining], 0).ecs_failures(),
        Err(NoContainerInstances)
    );
    let external = inst("x", 4096, 8192).with_attribute(EXTERNAL_ATTRIBUTE, None);
    assert_eq!(
        place(&req, std::slice::from_ref(&external), 0).ecs_failures(),
        Err(NoContainerInstances)
    );
    // The same instance is fine for an EXTERNAL task.
    let mut ext_demand = web(1, 1);
    ext_demand.launch_type = LaunchType::External;
    let ext_req = Request::new(ext_demand, Policy::default(), 1);
    assert_eq!(chosen(&place(&ext_req, &[external], 0)), ["x"]);
}

#[test]
fn count_accounts_resources_and_ports() {
    let cluster = [inst("a", 1000, 1000)];
    let req = Request::new(web(300, 100), Policy::default(), 5);
    let p = place(&req, &cluster, 0);
    assert_eq!(p.placed(), 3);
    assert_eq!(p.ecs_failures().expect("exists")[0].reason, "RESOURCE:CPU");

    let ported = Request::new(web(1, 1).with_tcp_ports([8080]), Policy::default(), 2);
    let p = place(&ported, &cluster, 0);
    assert_eq!(
        p.outcomes(),
        [TaskOutcome::Placed(0), TaskOutcome::Unplaced]
    );
    assert_eq!(
        p.ecs_failures().expect("exists")[0].reason,
        "RESOURCE:PORTS"
    );
}

#[test]
fn zero_tasks_place_nothing() {
    let req = Request::new(web(1, 1), Policy::default(), 0);
    let one = [inst("a", 1, 1)];
    let p = place(&req, &one, 0);
    assert!(p.outcomes().is_empty());
    assert_eq!(p.ecs_failures(), Ok(vec![]));
}

#[test]
fn start_task_places_one_task_per_named_instance() {
    let mut draining = inst("draining", 4096, 8192);
    draining.status = InstanceStatus::Draining;
    let targets = [
        inst("a", 1000, 1000),
        draining,
        inst("a", 1000, 1000),
        inst("b", 100, 1000),
    ];
    let req = Request::new(web(600, 100), Policy::default(), 0);
    let p = start_on(&req, &targets);
    assert_eq!(
        p.outcomes(),
        [
            TaskOutcome::Placed(0),
            TaskOutcome::Refused {
                candidate: 1,
                reason: Reason::NotActive
            },
            // "a" again: the first task took 600 of its 1000 CPU.
            TaskOutcome::Refused {
                candidate: 2,
                reason: Reason::Cpu
            },
            TaskOutcome::Refused {
                candidate: 3,
                reason: Reason::Cpu
            },
        ]
    );
    let reasons: Vec<String> = p
        .ecs_failures()
        .expect("start task")
        .into_iter()
        .map(|f| f.reason)
        .collect();
    assert_eq!(reasons, ["INACTIVE", "RESOURCE:CPU", "RESOURCE:CPU"]);
    assert_eq!(p.explanations()[0].verdicts[1], Verdict::NotTarget);
}

#[test]
fn explanation_reports_reasons_and_ranks() {
    let mut off = inst("off", 4096, 8192);
    off.agent_connected = false;
    let cluster = [inst("big", 4096, 8192), inst("small", 4096, 1024), off];
    let policy = Policy::default().with_strategy(Strategy::Binpack(Resource::Memory));
    let req = Request::new(web(1, 512), policy, 1);
    let p = place(&req, &cluster, 0);
    let e = &p.explanations()[0];
    assert_eq!(e.chosen, Some(1));
    assert_eq!((e.feasible, e.finalists), (2, 1));
    assert_eq!(
        e.verdicts,
        [
            Verdict::Feasible { survived: 0 },
            Verdict::Chosen,
            Verdict::Rejected(Reason::AgentDisconnected)
        ]
    );
    let text = p.explain().to_string();
    assert!(
        text.contains("placed 1 of 1 task(s) over 3 candidate(s)"),
        "{text}"
    );
    assert!(text.contains("strategies: binpack(memory)"), "{text}");
    assert!(
        text.contains("1 AGENT (container agent is disconnected)"),
        "{text}"
    );
    assert!(
        text.contains(
            "default/big: feasible, rank 0: kept by 0 of 1 strategies, dropped by binpack(memory)"
        ),
        "{text}"
    );
    assert!(text.contains("default/small: chosen"), "{text}");
    assert!(text.contains("default/off: rejected, AGENT"), "{text}");
    let short = p.summary().to_string();
    assert!(!short.contains("default/big:"), "{short}");
}

#[test]
fn summary_detail_keeps_counts_and_failures() {
    let cluster = [inst("a", 1000, 1000), inst("b", 100, 1000)];
    let mut req = Request::new(web(600, 100), Policy::default(), 2);
    req.detail = Detail::Summary;
    let p = place(&req, &cluster, 0);
    assert!(p.explanations().iter().all(|e| e.verdicts.is_empty()));
    assert_eq!(p.explanations()[1].rejected.get(&Reason::Cpu), Some(&2));
    assert_eq!(p.ecs_failures().expect("exists").len(), 2);
}

#[test]
fn closest_match_is_the_instance_that_got_furthest() {
    let mut off = inst("off", 4096, 8192);
    off.agent_connected = false;
    let typed = |n, t| inst(n, 4096, 8192).with_attribute("type", Some(t));
    let policy = Policy::default()
        .with_constraint(Constraint::member_of("attribute:type == gpu").expect("parse"));
    let cluster = [
        off,
        inst("tiny", 1, 1),
        typed("cpu1", "cpu"),
        typed("cpu2", "cpu"),
    ];
    let req = Request::new(web(10, 10), policy, 1);
    let p = place(&req, &cluster, 0);
    let (c, r) = p.closest_match().expect("unplaced");
    assert_eq!(
        (c.arn.as_str(), r),
        (ci("cpu1").as_str(), Reason::MemberOf(0))
    );
}
