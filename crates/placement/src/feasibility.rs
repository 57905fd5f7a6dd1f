//! Can this instance take one more task? The checks, in their fixed order.
//!
//! An instance is *feasible* when it passes every check; the first check
//! that fails is the [`Reason`] recorded for it. The order follows how ECS
//! describes placement (resources first, then constraints):
//!
//! 1. launch type: EC2 tasks go to EC2 instances, EXTERNAL tasks to ECS
//!    Anywhere instances (those with `ecs.capability.external`);
//! 2. status `ACTIVE` (a `DRAINING` instance gets no new tasks);
//! 3. agent connected (`AGENT`);
//! 4. required attributes present, with the required value (`ATTRIBUTE`);
//! 5. CPU (`RESOURCE:CPU`), 6. memory (`RESOURCE:MEMORY`);
//! 7. TCP host ports (`RESOURCE:PORTS`), 8. UDP host ports (`RESOURCE:PORTS_UDP`);
//! 9. `distinctInstance`: no task of the same group on the instance;
//! 10. each `memberOf` expression, in order.

use std::fmt;

use berth_query::Subject;

use crate::demand::{Demand, EXTERNAL_ATTRIBUTE};
use crate::policy::{Constraint, Policy};
use crate::snapshot::{Candidate, InstanceStatus};

/// Why an instance cannot take the task: the first check it failed.
/// The derived order is the check order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// The instance is not of the task's launch type.
    LaunchType,
    /// The instance is not `ACTIVE`.
    NotActive,
    /// The agent is disconnected.
    AgentDisconnected,
    /// The required attribute at this index of `Demand::required_attributes`
    /// is missing or has another value. (Indexes are `u16` to keep verdicts
    /// small; the lists are short.)
    MissingAttribute(u16),
    /// Not enough CPU left.
    Cpu,
    /// Not enough memory left.
    Memory,
    /// A static TCP host port is taken.
    TcpPorts,
    /// A static UDP host port is taken.
    UdpPorts,
    /// A task of the same group is already on the instance.
    DistinctInstance,
    /// The `memberOf` constraint at this index of `Policy::constraints` does
    /// not hold.
    MemberOf(u16),
}

impl Reason {
    /// The reason code ECS puts in a RunTask/StartTask `failures` entry.
    pub fn ecs_code(self) -> &'static str {
        match self {
            // Not a documented code: ECS never considers such instances for
            // RunTask; StartTask callers get this one.
            Reason::LaunchType => "ATTRIBUTE",
            Reason::NotActive => "INACTIVE",
            Reason::AgentDisconnected => "AGENT",
            Reason::MissingAttribute(_) => "ATTRIBUTE",
            Reason::Cpu => "RESOURCE:CPU",
            Reason::Memory => "RESOURCE:MEMORY",
            Reason::TcpPorts => "RESOURCE:PORTS",
            Reason::UdpPorts => "RESOURCE:PORTS_UDP",
            Reason::DistinctInstance => "DistinctInstance placement constraint unsatisfied.",
            Reason::MemberOf(_) => "MemberOf placement constraint unsatisfied.",
        }
    }

    /// A short name for summaries: the ECS code, or the constraint's name.
    pub fn label(self) -> &'static str {
        match self {
            Reason::LaunchType => "LAUNCH_TYPE",
            Reason::NotActive => "NOT_ACTIVE",
            Reason::DistinctInstance => "distinctInstance",
            Reason::MemberOf(_) => "memberOf",
            other => other.ecs_code(),
        }
    }

    /// A sentence for people, with the numbers and names involved.
    pub fn describe(self, demand: &Demand, policy: &Policy) -> String {
        match self {
            Reason::LaunchType => {
                format!("instance is not a {} instance", demand.launch_type.as_ecs())
            }
            Reason::NotActive => "instance is not ACTIVE".into(),
            Reason::AgentDisconnected => "container agent is disconnected".into(),
            Reason::MissingAttribute(i) => match demand.required_attributes.get(usize::from(i)) {
                Some(a) => format!("missing required attribute {a}"),
                None => "missing a required attribute".into(),
            },
            Reason::Cpu => format!("needs {} CPU units", demand.cpu),
            Reason::Memory => format!("needs {} MiB of memory", demand.memory),
            Reason::TcpPorts => format!("a TCP host port of {:?} is taken", demand.tcp_ports),
            Reason::UdpPorts => format!("a UDP host port of {:?} is taken", demand.udp_ports),
            Reason::DistinctInstance => format!("already runs a task of group {}", demand.group),
            Reason::MemberOf(i) => match policy.constraints.get(usize::from(i)) {
                Some(c) => format!("does not satisfy {c}"),
                None => "does not satisfy a memberOf constraint".into(),
            },
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.ecs_code())
    }
}

/// Whether `candidate`, as it is, can take one task of `demand` under
/// `policy`; the first failing check otherwise.
pub fn check(candidate: &Candidate, demand: &Demand, policy: &Policy) -> Result<(), Reason> {
    check_with(candidate, 0, demand, policy)
}

/// [`check`], with `placed` tasks of this demand already (virtually) added
/// to the candidate by the current placement call.
pub(crate) fn check_with(
    c: &Candidate,
    placed: u32,
    demand: &Demand,
    policy: &Policy,
) -> Result<(), Reason> {
    let external = c.attributes.contains_key(EXTERNAL_ATTRIBUTE);
    if external != matches!(demand.launch_type, crate::LaunchType::External) {
        return Err(Reason::LaunchType);
    }
    if c.status != InstanceStatus::Active {
        return Err(Reason::NotActive);
    }
    if !c.agent_connected {
        return Err(Reason::AgentDisconnected);
    }
    for (i, want) in demand.required_attributes.iter().enumerate() {
        let ok = match (c.attributes.get(&want.name), &want.value) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(have), Some(want)) => have.as_deref().unwrap_or("") == want,
        };
        if !ok {
            return Err(Reason::MissingAttribute(index(i)));
        }
    }
    if left(c.remaining_cpu, placed, demand.cpu) < i64::from(demand.cpu) {
        return Err(Reason::Cpu);
    }
    if left(c.remaining_memory, placed, demand.memory) < i64::from(demand.memory) {
        return Err(Reason::Memory);
    }
    // Every task of one call binds the same ports: a second one on the same
    // instance always collides with the first.
    let taken = |ports: &[u16], used: &std::collections::BTreeSet<u16>| {
        !ports.is_empty() && (placed > 0 || ports.iter().any(|p| used.contains(p)))
    };
    if taken(&demand.tcp_ports, &c.used_tcp_ports) {
        return Err(Reason::TcpPorts);
    }
    if taken(&demand.udp_ports, &c.used_udp_ports) {
        return Err(Reason::UdpPorts);
    }
    if policy.distinct_instance() && (placed > 0 || c.task_groups.contains_key(&demand.group)) {
        return Err(Reason::DistinctInstance);
    }
    let view = View {
        c,
        placed,
        group: &demand.group,
    };
    for (i, constraint) in policy.constraints.iter().enumerate() {
        if let Constraint::MemberOf { expr, .. } = constraint {
            if !expr.matches(&view) {
                return Err(Reason::MemberOf(index(i)));
            }
        }
    }
    Ok(())
}

fn index(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// What is left of `remaining` after `placed` tasks that take `each`.
pub(crate) fn left(remaining: i64, placed: u32, each: u32) -> i64 {
    remaining.saturating_sub(i64::from(placed).saturating_mul(i64::from(each)))
}

/// A candidate with `placed` more tasks of `group`, as a query subject.
struct View<'a> {
    c: &'a Candidate,
    placed: u32,
    group: &'a str,
}

impl Subject for View<'_> {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.c.attribute(name)
    }
    fn agent_connected(&self) -> bool {
        self.c.agent_connected
    }
    fn agent_version(&self) -> Option<&str> {
        self.c.agent_version.as_deref()
    }
    fn ec2_instance_id(&self) -> Option<&str> {
        self.c.ec2_instance_id.as_deref()
    }
    fn registered_at(&self) -> Option<f64> {
        self.c.registered_at
    }
    fn running_tasks_count(&self) -> i64 {
        self.c.running_tasks_count + i64::from(self.placed)
    }
    fn task_groups(&self) -> Vec<&str> {
        // Each group once: a query only asks whether the instance has one of the group.
        let mut groups: Vec<&str> = self.c.task_groups.keys().map(String::as_str).collect();
        if self.placed > 0 && !self.c.task_groups.contains_key(self.group) {
            groups.push(self.group);
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demand::{LaunchType, RequiredAttribute};

    fn inst() -> Candidate {
        Candidate::new("arn:ci/1", 1024, 2048)
    }

    fn demand() -> Demand {
        Demand::new(256, 512, "family:web")
    }

    fn none() -> Policy {
        Policy::default()
    }

    #[test]
    fn a_fitting_instance_passes() {
        assert_eq!(check(&inst(), &demand(), &none()), Ok(()));
    }

    #[test]
    fn launch_type() {
        let ext = inst().with_attribute(EXTERNAL_ATTRIBUTE, None);
        assert_eq!(check(&ext, &demand(), &none()), Err(Reason::LaunchType));
        let mut d = demand();
        d.launch_type = LaunchType::External;
        assert_eq!(check(&ext, &d, &none()), Ok(()));
        assert_eq!(check(&inst(), &d, &none()), Err(Reason::LaunchType));
    }

    #[test]
    fn status() {
        for s in [
            InstanceStatus::Draining,
            InstanceStatus::Registering,
            InstanceStatus::Deregistering,
            InstanceStatus::RegistrationFailed,
            InstanceStatus::Inactive,
        ] {
            let mut c = inst();
            c.status = s;
            assert_eq!(check(&c, &demand(), &none()), Err(Reason::NotActive), "{s}");
        }
    }

    #[test]
    fn agent() {
        let mut c = inst();
        c.agent_connected = false;
        assert_eq!(
            check(&c, &demand(), &none()),
            Err(Reason::AgentDisconnected)
        );
        assert_eq!(Reason::AgentDisconnected.ecs_code(), "AGENT");
    }

    #[test]
    fn attributes() {
        let d = demand()
            .with_attribute(RequiredAttribute::present("ecs.capability.task-eni"))
            .with_attribute(RequiredAttribute::equal("ecs.os-type", "linux"));
        let c = inst();
        assert_eq!(check(&c, &d, &none()), Err(Reason::MissingAttribute(0)));
        let c = c.with_attribute("ecs.capability.task-eni", None);
        assert_eq!(check(&c, &d, &none()), Err(Reason::MissingAttribute(1)));
        let wrong = c.clone().with_attribute("ecs.os-type", Some("windows"));
        assert_eq!(check(&wrong, &d, &none()), Err(Reason::MissingAttribute(1)));
        let right = c.with_attribute("ecs.os-type", Some("linux"));
        assert_eq!(check(&right, &d, &none()), Ok(()));
        assert_eq!(Reason::MissingAttribute(1).ecs_code(), "ATTRIBUTE");
    }

    #[test]
    fn cpu_and_memory_are_inclusive() {
        let exact = Candidate::new("a", 256, 512);
        assert_eq!(check(&exact, &demand(), &none()), Ok(()));
        let low_cpu = Candidate::new("a", 255, 4096);
        assert_eq!(check(&low_cpu, &demand(), &none()), Err(Reason::Cpu));
        let low_mem = Candidate::new("a", 4096, 511);
        assert_eq!(check(&low_mem, &demand(), &none()), Err(Reason::Memory));
        // CPU is checked before memory.
        let both = Candidate::new("a", 0, 0);
        assert_eq!(check(&both, &demand(), &none()), Err(Reason::Cpu));
        // A task that needs nothing fits anywhere.
        assert_eq!(check(&both, &Demand::new(0, 0, "g"), &none()), Ok(()));
    }

    #[test]
    fn ports() {
        let d = demand().with_tcp_ports([80]).with_udp_ports([53]);
        let mut c = inst();
        c.used_tcp_ports.insert(80);
        assert_eq!(check(&c, &d, &none()), Err(Reason::TcpPorts));
        c.used_tcp_ports.clear();
        c.used_udp_ports.insert(53);
        assert_eq!(check(&c, &d, &none()), Err(Reason::UdpPorts));
        c.used_udp_ports.clear();
        c.used_udp_ports.insert(80); // same number, other protocol
        assert_eq!(check(&c, &d, &none()), Ok(()));
        // A second task of the same call wants the same ports.
        assert_eq!(check_with(&c, 1, &d, &none()), Err(Reason::TcpPorts));
        assert_eq!(Reason::TcpPorts.ecs_code(), "RESOURCE:PORTS");
        assert_eq!(Reason::UdpPorts.ecs_code(), "RESOURCE:PORTS_UDP");
    }

    #[test]
    fn resources_account_for_tasks_placed_in_this_call() {
        let c = Candidate::new("a", 600, 4096);
        assert_eq!(check_with(&c, 1, &demand(), &none()), Ok(()));
        assert_eq!(check_with(&c, 2, &demand(), &none()), Err(Reason::Cpu));
    }

    #[test]
    fn distinct_instance() {
        let p = none().with_constraint(Constraint::DistinctInstance);
        let mut c = inst();
        c.add_task_group("family:other");
        assert_eq!(check(&c, &demand(), &p), Ok(()));
        assert_eq!(
            check_with(&c, 1, &demand(), &p),
            Err(Reason::DistinctInstance)
        );
        c.add_task_group("family:web");
        assert_eq!(check(&c, &demand(), &p), Err(Reason::DistinctInstance));
        // Without the constraint, sharing is fine.
        assert_eq!(check(&c, &demand(), &none()), Ok(()));
    }

    #[test]
    fn member_of() {
        let p = none()
            .with_constraint(Constraint::DistinctInstance)
            .with_constraint(
                Constraint::member_of("attribute:ecs.instance-type =~ t2.*").expect("parse"),
            );
        let t2 = inst().with_attribute("ecs.instance-type", Some("t2.micro"));
        let m5 = inst().with_attribute("ecs.instance-type", Some("m5.large"));
        assert_eq!(check(&t2, &demand(), &p), Ok(()));
        assert_eq!(check(&m5, &demand(), &p), Err(Reason::MemberOf(1)));
        assert_eq!(
            Reason::MemberOf(1).ecs_code(),
            "MemberOf placement constraint unsatisfied."
        );
    }

    #[test]
    fn member_of_sees_tasks_placed_in_this_call() {
        let p =
            none().with_constraint(Constraint::member_of("runningTasksCount < 2").expect("parse"));
        let c = inst();
        assert_eq!(check_with(&c, 1, &demand(), &p), Ok(()));
        assert_eq!(check_with(&c, 2, &demand(), &p), Err(Reason::MemberOf(0)));
        let g = none()
            .with_constraint(Constraint::member_of("task:group == family:web").expect("parse"));
        assert_eq!(check(&c, &demand(), &g), Err(Reason::MemberOf(0)));
        assert_eq!(check_with(&c, 1, &demand(), &g), Ok(()));
    }

    #[test]
    fn descriptions_name_the_details() {
        let d = demand().with_attribute(RequiredAttribute::present("x.y"));
        let p = none().with_constraint(Constraint::member_of("attribute:a exists").expect("parse"));
        assert!(Reason::MissingAttribute(0).describe(&d, &p).contains("x.y"));
        assert!(Reason::MemberOf(0)
            .describe(&d, &p)
            .contains("attribute:a exists"));
        assert!(Reason::Memory.describe(&d, &p).contains("512"));
        assert_eq!(Reason::MemberOf(0).label(), "memberOf");
        assert_eq!(Reason::Cpu.label(), "RESOURCE:CPU");
    }
}
