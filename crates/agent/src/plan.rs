//! The pure part of running a task: given each container's definition and observed state,
//! which containers may start now (dependsOn), whether the task must stop and why, and in
//! which order running containers stop. No IO; the task runner acts on the answers.

use std::collections::{BTreeMap, BTreeSet};

/// A dependency condition (ECS `dependsOn[].condition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    Start,
    Complete,
    Success,
    Healthy,
}

impl Condition {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "START" => Condition::Start,
            "COMPLETE" => Condition::Complete,
            "SUCCESS" => Condition::Success,
            "HEALTHY" => Condition::Healthy,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Start => "START",
            Condition::Complete => "COMPLETE",
            Condition::Success => "SUCCESS",
            Condition::Healthy => "HEALTHY",
        }
    }
}

/// What a container is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not started yet (perhaps not created).
    Waiting,
    Running {
        healthy: Option<bool>,
    },
    Exited {
        code: Option<i64>,
    },
}

#[derive(Clone, Debug)]
pub struct Member {
    pub essential: bool,
    pub depends_on: Vec<(String, Condition)>,
    pub state: State,
}

/// Why the task must stop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Keep going.
    Continue,
    /// An essential container exited.
    EssentialExited {
        container: String,
        code: Option<i64>,
    },
    /// A container can never start because a dependency's condition can no longer hold.
    DependencyFailed {
        container: String,
        dependency: String,
        condition: Condition,
    },
}

fn met(dep: State, condition: Condition) -> bool {
    matches!(
        (condition, dep),
        (
            Condition::Start,
            State::Running { .. } | State::Exited { .. }
        ) | (Condition::Complete, State::Exited { .. })
            | (Condition::Success, State::Exited { code: Some(0) })
            | (
                Condition::Healthy,
                State::Running {
                    healthy: Some(true)
                }
            )
    )
}

fn impossible(dep: State, condition: Condition) -> bool {
    match (condition, dep) {
        (Condition::Success, State::Exited { code }) => code != Some(0),
        (Condition::Healthy, State::Exited { .. }) => true,
        _ => false,
    }
}

/// Containers that may start now: waiting, with every dependency's condition met.
pub fn startable(members: &BTreeMap<String, Member>) -> Vec<String> {
    members
        .iter()
        .filter(|(_, m)| m.state == State::Waiting)
        .filter(|(_, m)| {
            m.depends_on.iter().all(|(dep, cond)| {
                members
                    .get(dep)
                    .map(|d| met(d.state, *cond))
                    // A dependency on an unknown container cannot block (registration checks it).
                    .unwrap_or(true)
            })
        })
        .map(|(n, _)| n.clone())
        .collect()
}

/// Whether the task must stop.
pub fn verdict(members: &BTreeMap<String, Member>) -> Verdict {
    for (name, m) in members {
        if m.essential {
            if let State::Exited { code } = m.state {
                return Verdict::EssentialExited {
                    container: name.clone(),
                    code,
                };
            }
        }
    }
    for (name, m) in members {
        if m.state != State::Waiting {
            continue;
        }
        for (dep, cond) in &m.depends_on {
            if let Some(d) = members.get(dep) {
                if impossible(d.state, *cond) {
                    return Verdict::DependencyFailed {
                        container: name.clone(),
                        dependency: dep.clone(),
                        condition: *cond,
                    };
                }
            }
        }
    }
    Verdict::Continue
}

/// Every container has been started (it runs or has run): the task is RUNNING.
pub fn all_started(members: &BTreeMap<String, Member>) -> bool {
    members.values().all(|m| m.state != State::Waiting)
}

/// Running containers that may be stopped now: none of the running containers depends on
/// them (dependents stop before what they depend on).
pub fn stoppable(members: &BTreeMap<String, Member>) -> Vec<String> {
    let needed: BTreeSet<&str> = members
        .values()
        .filter(|m| matches!(m.state, State::Running { .. }))
        .flat_map(|m| m.depends_on.iter().map(|(d, _)| d.as_str()))
        .collect();
    members
        .iter()
        .filter(|(n, m)| matches!(m.state, State::Running { .. }) && !needed.contains(n.as_str()))
        .map(|(n, _)| n.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn member(essential: bool, deps: &[(&str, Condition)], state: State) -> Member {
        Member {
            essential,
            depends_on: deps.iter().map(|(d, c)| (d.to_string(), *c)).collect(),
            state,
        }
    }

    fn set(v: Vec<(&str, Member)>) -> BTreeMap<String, Member> {
        v.into_iter().map(|(n, m)| (n.to_owned(), m)).collect()
    }

    const RUNNING: State = State::Running { healthy: None };

    fn put(m: &mut BTreeMap<String, Member>, name: &str, state: State) {
        if let Some(member) = m.get_mut(name) {
            member.state = state;
        }
    }

    #[test]
    fn dependencies_gate_starting() {
        let mut m = set(vec![
            ("db", member(true, &[], State::Waiting)),
            (
                "app",
                member(true, &[("db", Condition::Healthy)], State::Waiting),
            ),
            ("init", member(false, &[], State::Waiting)),
            (
                "web",
                member(true, &[("init", Condition::Success)], State::Waiting),
            ),
        ]);
        assert_eq!(startable(&m), vec!["db", "init"]);
        put(&mut m, "db", State::Running { healthy: None });
        if let Some(d) = m.get_mut("init") {
            d.state = RUNNING;
        }
        assert!(startable(&m).is_empty());
        put(
            &mut m,
            "db",
            State::Running {
                healthy: Some(true),
            },
        );
        assert_eq!(startable(&m), vec!["app"]);
        put(&mut m, "init", State::Exited { code: Some(0) });
        assert_eq!(startable(&m), vec!["app", "web"]);
        assert_eq!(verdict(&m), Verdict::Continue);
    }

    #[test]
    fn a_failed_success_dependency_stops_the_task() {
        let m = set(vec![
            ("init", member(false, &[], State::Exited { code: Some(3) })),
            (
                "web",
                member(true, &[("init", Condition::Success)], State::Waiting),
            ),
        ]);
        assert_eq!(
            verdict(&m),
            Verdict::DependencyFailed {
                container: "web".into(),
                dependency: "init".into(),
                condition: Condition::Success
            }
        );
        // COMPLETE accepts any exit code.
        let m = set(vec![
            ("init", member(false, &[], State::Exited { code: Some(3) })),
            (
                "web",
                member(true, &[("init", Condition::Complete)], State::Waiting),
            ),
        ]);
        assert_eq!(startable(&m), vec!["web"]);
    }

    #[test]
    fn essential_exit_ends_the_task_but_a_sidecar_exit_does_not() {
        let m = set(vec![
            ("app", member(true, &[], RUNNING)),
            (
                "sidecar",
                member(false, &[], State::Exited { code: Some(1) }),
            ),
        ]);
        assert_eq!(verdict(&m), Verdict::Continue);
        assert!(all_started(&m));
        let m = set(vec![
            ("app", member(true, &[], State::Exited { code: Some(2) })),
            ("sidecar", member(false, &[], RUNNING)),
        ]);
        assert_eq!(
            verdict(&m),
            Verdict::EssentialExited {
                container: "app".into(),
                code: Some(2)
            }
        );
    }

    #[test]
    fn dependents_stop_first() {
        let mut m = set(vec![
            ("db", member(true, &[], RUNNING)),
            ("app", member(true, &[("db", Condition::Start)], RUNNING)),
            ("proxy", member(true, &[("app", Condition::Start)], RUNNING)),
        ]);
        assert_eq!(stoppable(&m), vec!["proxy"]);
        put(&mut m, "proxy", State::Exited { code: Some(0) });
        assert_eq!(stoppable(&m), vec!["app"]);
        put(&mut m, "app", State::Exited { code: Some(0) });
        assert_eq!(stoppable(&m), vec!["db"]);
    }

    fn arb_condition() -> impl Strategy<Value = Condition> {
        prop_oneof![
            Just(Condition::Start),
            Just(Condition::Complete),
            Just(Condition::Success),
            Just(Condition::Healthy)
        ]
    }

    proptest! {
        /// Starting whatever is startable and then letting containers reach random states
        /// never starts a container before its dependencies' conditions hold, and the
        /// process ends (every container started, or the task fails) within n rounds.
        #[test]
        fn start_order_respects_dependencies(
            n in 1usize..7,
            edges in proptest::collection::vec((0usize..7, 0usize..7, arb_condition()), 0..12),
            outcomes in proptest::collection::vec((any::<bool>(), 0i64..3, any::<bool>()), 7),
        ) {
            let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
            let mut members: BTreeMap<String, Member> = BTreeMap::new();
            for (i, name) in names.iter().enumerate() {
                // Only depend on lower-numbered containers: registration rejects cycles.
                let deps = edges.iter()
                    .filter(|(a, b, _)| *a == i && *b < i)
                    .map(|(_, b, c)| (names[*b].clone(), *c))
                    .collect();
                members.insert(name.clone(), Member { essential: false, depends_on: deps, state: State::Waiting });
            }
            for _round in 0..=n {
                if verdict(&members) != Verdict::Continue { break; }
                let ready = startable(&members);
                for name in &ready {
                    let deps = members[name].depends_on.clone();
                    for (d, c) in deps {
                        prop_assert!(met(members[&d].state, c), "{name} started before {d} met {c:?}");
                    }
                }
                for name in ready {
                    let idx: usize = name[1..].parse().unwrap_or(0);
                    let (exits, code, healthy) = outcomes[idx];
                    let state = if exits { State::Exited { code: Some(code) } } else { State::Running { healthy: Some(healthy) } };
                    if let Some(m) = members.get_mut(&name) { m.state = state; }
                }
            }
            let stuck = startable(&members).is_empty() && !all_started(&members);
            if stuck && verdict(&members) == Verdict::Continue {
                // Only a HEALTHY dependency on an unhealthy (still running) container may
                // wait forever here; the runner's startTimeout ends that.
                let waits_on_health = members.values().any(|m| m.state == State::Waiting
                    && m.depends_on.iter().any(|(d, c)| *c == Condition::Healthy
                        && members[d].state == State::Running { healthy: Some(false) }));
                let waits_on_exit = members.values().any(|m| m.state == State::Waiting
                    && m.depends_on.iter().any(|(d, c)| matches!(c, Condition::Complete | Condition::Success)
                        && matches!(members[d].state, State::Running { .. })));
                prop_assert!(waits_on_health || waits_on_exit);
            }
        }
    }
}
