//! Properties of placement over random clusters, demands and policies.
//!
//! Each placement is replayed on a copy of the candidates with
//! `Candidate::account`, so every property is judged against the state the
//! engine saw when it chose, using only the public `check`.

use std::collections::{BTreeMap, BTreeSet};

use berth_placement::{
    check, place, place_with_memo, Candidate, Constraint, Demand, InstanceStatus, Memo,
    NoContainerInstances, Policy, Request, Resource, SpreadField, Strategy as Rule, TaskOutcome,
};
use berth_query::Subject;
use proptest::prelude::*;

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];
const TYPES: [&str; 3] = ["t2.micro", "t2.large", "m5.large"];
const EXPRESSIONS: [&str; 4] = [
    "attribute:ecs.instance-type =~ t2.*",
    "runningTasksCount < 3",
    "not (task:group == g)",
    "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
];

fn candidate(i: usize) -> impl Strategy<Value = Candidate> {
    (
        (-50i64..4096, -50i64..8192),
        prop::collection::btree_set(80u16..84, 0..3),
        prop::collection::btree_set(80u16..84, 0..2),
        prop::option::of(0..ZONES.len()),
        prop::option::of(0..TYPES.len()),
        prop::collection::vec(prop::bool::ANY, 0..4),
        (prop::bool::weighted(0.9), prop::bool::weighted(0.9)),
    )
        .prop_map(
            move |((cpu, mem), tcp, udp, zone, ty, groups, (active, agent))| {
                let mut c = Candidate::new(format!("ci/{i}"), cpu, mem);
                c.used_tcp_ports = tcp;
                c.used_udp_ports = udp;
                if let Some(z) = zone {
                    c = c.with_attribute("ecs.availability-zone", Some(ZONES[z]));
                }
                if let Some(t) = ty {
                    c = c.with_attribute("ecs.instance-type", Some(TYPES[t]));
                }
                for g in &groups {
                    c.add_task_group(if *g { "g" } else { "h" });
                }
                c.running_tasks_count = i64::try_from(groups.len()).unwrap_or(0);
                if !active {
                    c.status = InstanceStatus::Draining;
                }
                c.agent_connected = agent;
                c
            },
        )
}

fn cluster() -> impl Strategy<Value = Vec<Candidate>> {
    (0usize..25).prop_flat_map(|n| (0..n).map(candidate).collect::<Vec<_>>())
}

fn demand() -> impl Strategy<Value = Demand> {
    (
        0u32..1500,
        0u32..3000,
        prop::collection::btree_set(80u16..84, 0..2),
        prop::collection::btree_set(80u16..84, 0..2),
    )
        .prop_map(|(cpu, mem, tcp, udp)| {
            Demand::new(cpu, mem, "g")
                .with_tcp_ports(tcp)
                .with_udp_ports(udp)
        })
}

fn strategy() -> impl Strategy<Value = Rule> {
    prop_oneof![
        Just(Rule::Binpack(Resource::Cpu)),
        Just(Rule::Binpack(Resource::Memory)),
        Just(Rule::Spread(SpreadField::Instance)),
        Just(Rule::Spread(SpreadField::Attribute(
            "ecs.availability-zone".into()
        ))),
        Just(Rule::Random),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        prop::bool::ANY,
        prop::option::of(0..EXPRESSIONS.len()),
        prop::collection::vec(strategy(), 0..4),
    )
        .prop_map(|(distinct, expr, strategies)| {
            let mut p = Policy::default();
            if distinct {
                p = p.with_constraint(Constraint::DistinctInstance);
            }
            if let Some(e) = expr {
                if let Ok(c) = Constraint::member_of(EXPRESSIONS[e]) {
                    p = p.with_constraint(c);
                }
            }
            p.strategies = strategies;
            p
        })
}

/// Replays the placement: checks each chosen instance against the state it
/// had when chosen, and that every unplaced task really had no feasible
/// instance. Returns the final state.
fn replay(
    req: &Request,
    cluster: &[Candidate],
    outcomes: &[TaskOutcome],
) -> Result<Vec<Candidate>, TestCaseError> {
    let mut state = cluster.to_vec();
    let mut chosen_before: BTreeSet<usize> = BTreeSet::new();
    for o in outcomes {
        match o {
            TaskOutcome::Placed(i) => {
                let c = &state[*i];
                prop_assert_eq!(check(c, &req.demand, &req.policy), Ok(()));
                for constraint in &req.policy.constraints {
                    match constraint {
                        Constraint::MemberOf { expr, .. } => {
                            prop_assert!(expr.matches(c as &dyn Subject))
                        }
                        Constraint::DistinctInstance => prop_assert!(!chosen_before.contains(i)),
                    }
                }
                chosen_before.insert(*i);
                state[*i].account(&req.demand);
            }
            TaskOutcome::Unplaced => {
                for c in &state {
                    prop_assert!(check(c, &req.demand, &req.policy).is_err());
                }
            }
            TaskOutcome::Refused { .. } => prop_assert!(false, "RunTask never refuses"),
        }
    }
    Ok(state)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// No over-commit, every constraint holds, and a task is unplaced only
    /// when nothing is feasible; failures name the instances as they were.
    #[test]
    fn placements_are_feasible(
        cluster in cluster(),
        demand in demand(),
        policy in policy(),
        count in 0usize..12,
        seed in any::<u64>(),
    ) {
        let req = Request::new(demand, policy, count);
        let p = place(&req, &cluster, seed);
        prop_assert_eq!(p.outcomes().len(), count);
        let end = replay(&req, &cluster, p.outcomes())?;
        for (before, after) in cluster.iter().zip(&end) {
            if before.remaining_cpu >= 0 {
                prop_assert!(after.remaining_cpu >= 0);
            }
            if before.remaining_memory >= 0 {
                prop_assert!(after.remaining_memory >= 0);
            }
            let tcp: Vec<_> = after.used_tcp_ports.iter().collect();
            let tasks = |c: &Candidate| c.task_groups.values().sum::<usize>();
            let added = tasks(after) - tasks(before);
            if added > 0 {
                for port in &req.demand.tcp_ports {
                    prop_assert!(!before.used_tcp_ports.contains(port), "{:?}", tcp);
                }
                if !req.demand.tcp_ports.is_empty() || !req.demand.udp_ports.is_empty() {
                    prop_assert_eq!(added, 1);
                }
            }
        }
        match p.ecs_failures() {
            Ok(failures) => {
                prop_assert_eq!(failures.is_empty(), p.unplaced() == 0);
                for f in failures {
                    let c = end.iter().find(|c| c.arn == f.arn);
                    let c = c.ok_or_else(|| TestCaseError::fail("unknown arn"))?;
                    let r = check(c, &req.demand, &req.policy).err();
                    prop_assert_eq!(r.map(|r| r.ecs_code()), Some(f.reason.as_str()));
                }
            }
            Err(NoContainerInstances) => {
                prop_assert!(p.placed() == 0 && count > 0);
                prop_assert!(cluster.iter().all(|c| c.status != InstanceStatus::Active));
            }
        }
    }

    /// A caller that keeps a memo across calls (telling it which candidates its placements
    /// changed, and when the list itself changed) gets exactly the placements it would get
    /// without one, call after call, whichever demands and policies alternate.
    #[test]
    fn a_memo_changes_no_placement(
        cluster in cluster(),
        pairs in proptest::collection::vec((demand(), policy()), 1..3),
        calls in proptest::collection::vec((0usize..2, 1usize..6, any::<u64>(), 0u8..5), 1..10),
    ) {
        let mut cluster = cluster;
        let mut memo = Memo::default();
        for (pick, count, seed, shrink) in calls {
            let (demand, policy) = pairs[pick % pairs.len()].clone();
            let shrink = shrink == 0;
            let req = Request::new(demand, policy, count);
            let plain = place(&req, &cluster, seed);
            let memoised = place_with_memo(&req, &cluster, seed, &mut memo);
            prop_assert_eq!(plain.outcomes(), memoised.outcomes());
            let after = replay(&req, &cluster, plain.outcomes())?;
            let changed: Vec<usize> = (0..cluster.len()).filter(|&i| after[i] != cluster[i]).collect();
            cluster = after;
            for i in changed {
                memo.changed(i);
            }
            if shrink && cluster.len() > 1 {
                cluster.pop();
                memo.reset();
            }
        }
    }

    /// Same seed, same input: same outcomes and the same report.
    #[test]
    fn deterministic(
        cluster in cluster(),
        demand in demand(),
        policy in policy(),
        count in 0usize..8,
        seed in any::<u64>(),
    ) {
        let req = Request::new(demand, policy, count);
        let a = place(&req, &cluster, seed);
        let b = place(&req, &cluster, seed);
        prop_assert_eq!(a.outcomes(), b.outcomes());
        prop_assert_eq!(a.explanations(), b.explanations());
        prop_assert_eq!(a.explain().to_string(), b.explain().to_string());
    }

    /// binpack: each chosen instance had the least remaining resource among
    /// the feasible ones at that moment.
    #[test]
    fn binpack_packs(
        cluster in cluster(),
        demand in demand(),
        memory in prop::bool::ANY,
        count in 1usize..10,
        seed in any::<u64>(),
    ) {
        let (resource, left): (_, fn(&Candidate) -> i64) = if memory {
            (Resource::Memory, |c| c.remaining_memory)
        } else {
            (Resource::Cpu, |c| c.remaining_cpu)
        };
        let policy = Policy::default().with_strategy(Rule::Binpack(resource));
        let req = Request::new(demand, policy, count);
        let p = place(&req, &cluster, seed);
        let mut state = cluster.clone();
        for o in p.outcomes() {
            if let TaskOutcome::Placed(i) = o {
                let least = state
                    .iter()
                    .filter(|c| check(c, &req.demand, &req.policy).is_ok())
                    .map(left)
                    .min();
                prop_assert_eq!(Some(left(&state[*i])), least);
                state[*i].account(&req.demand);
            }
        }
    }

    /// spread over an attribute with m values and room everywhere: after k
    /// tasks the per-value counts differ by at most one; likewise per
    /// instance for spread(instanceId).
    #[test]
    fn spread_balances(
        per_zone in prop::collection::vec(1usize..4, 1..5),
        k in 0usize..30,
        by_instance in prop::bool::ANY,
        seed in any::<u64>(),
    ) {
        let mut cluster = Vec::new();
        for (z, n) in per_zone.iter().enumerate() {
            for j in 0..*n {
                let zone = format!("zone-{z}");
                cluster.push(Candidate::new(format!("ci/{z}/{j}"), 1 << 20, 1 << 20)
                    .with_attribute("zone", Some(&zone)));
            }
        }
        let field = if by_instance {
            SpreadField::Instance
        } else {
            SpreadField::Attribute("zone".into())
        };
        let policy = Policy::default().with_strategy(Rule::Spread(field));
        let req = Request::new(Demand::new(1, 1, "g"), policy, k);
        let p = place(&req, &cluster, seed);
        prop_assert_eq!(p.placed(), k);
        let mut counts: BTreeMap<String, usize> = cluster
            .iter()
            .map(|c| {
                let key = if by_instance { c.arn.clone() } else { c.attribute("zone").unwrap_or("").to_owned() };
                (key, 0)
            })
            .collect();
        for c in p.chosen() {
            let key = if by_instance { c.arn.clone() } else { c.attribute("zone").unwrap_or("").to_owned() };
            *counts.entry(key).or_default() += 1;
        }
        let max = counts.values().max().copied().unwrap_or(0);
        let min = counts.values().min().copied().unwrap_or(0);
        prop_assert!(max - min <= 1, "{:?}", counts);
    }

    /// Strategies never exclude everyone: with any strategies, a call places
    /// as many tasks as the same call without strategies (placement is
    /// greedy on one demand, so each task's feasibility does not depend on
    /// which feasible instance the others took) — checked on clusters
    /// without ports, distinctInstance or memberOf, where that holds.
    #[test]
    fn strategies_do_not_lose_tasks(
        cluster in cluster(),
        cpu in 0u32..1500,
        mem in 0u32..3000,
        strategies in prop::collection::vec(strategy(), 0..4),
        count in 0usize..12,
        seed in any::<u64>(),
    ) {
        let demand = Demand::new(cpu, mem, "g");
        let total_fit: usize = cluster
            .iter()
            .filter(|c| check(c, &demand, &Policy::default()).is_ok())
            .map(|c| {
                let by = |left: i64, each: u32| if each == 0 { usize::MAX } else { usize::try_from(left / i64::from(each)).unwrap_or(0) };
                by(c.remaining_cpu, cpu).min(by(c.remaining_memory, mem))
            })
            .fold(0usize, usize::saturating_add);
        let policy = Policy { constraints: Vec::new(), strategies };
        let req = Request::new(demand, policy, count);
        let p = place(&req, &cluster, seed);
        prop_assert_eq!(p.placed(), count.min(total_fit));
    }
}
