//! **Task placement**: which container instance gets each new task.
//!
//! This crate decides where RunTask, StartTask and (later) the service
//! scheduler put tasks on the EC2 (and ECS Anywhere) container instances of
//! a cluster. It is a pure function of its input: no IO, no clock, no
//! global randomness. The same request, candidates and seed always give the
//! same answer, and the answer says why.
//!
//! # The pipeline
//!
//! ECS describes placement as four steps: find the instances that satisfy
//! the task's CPU, memory and port requirements; keep those that satisfy
//! the placement constraints; apply the placement strategies; select an
//! instance. Here that is:
//!
//! 1. **validate** — [`validate`] reads the request's `placementConstraints`
//!    and `placementStrategy` into a [`Policy`], or explains what is wrong
//!    ([`PolicyError`], the caller's `InvalidParameterException`): unknown
//!    types, a `memberOf` expression that does not parse, a `binpack` field
//!    other than `cpu`/`memory`, more than 10 constraints or 5 strategies.
//! 2. **feasibility** — every [`Candidate`] goes through the checks of
//!    [`feasibility`] in a fixed order: launch type, status `ACTIVE`, agent
//!    connected (`AGENT`), required attributes (`ATTRIBUTE`), CPU
//!    (`RESOURCE:CPU`), memory (`RESOURCE:MEMORY`), TCP ports
//!    (`RESOURCE:PORTS`), UDP ports (`RESOURCE:PORTS_UDP`), then the
//!    constraints: `distinctInstance` and each `memberOf` expression. The
//!    first failing check is the candidate's [`Reason`]. Constraints are
//!    binding: a task that fits nowhere is not placed.
//! 3. **strategies** — each [`Strategy`], in order, narrows the feasible
//!    set to its best members: `binpack` keeps the least remaining CPU or
//!    memory, `spread` keeps the instances (or attribute values) with the
//!    fewest tasks of the task's group, `random` keeps one at random.
//!    Strategies are best effort: they order, they never exclude everyone.
//! 4. **choose** — what is left is a tie, broken at random with the seeded
//!    generator. No strategy at all is therefore random placement, which is
//!    what RunTask does by default; services default to spreading over
//!    `attribute:ecs.availability-zone`, then `instanceId`
//!    ([`Policy::service_default`]).
//! 5. **account** — the chosen instance is charged the task's CPU, memory and
//!    ports, its task count and groups grow, and it alone is checked again
//!    before the next task. A call placing `count` tasks therefore never
//!    over-commits an instance, and costs one check per candidate plus one
//!    pass per strategy and task (no sorting).
//!
//! # The API
//!
//! - [`Candidate`] (in [`snapshot`]): one container instance with what it
//!   has left; [`Demand`] (in [`demand`]): what one task needs, buildable
//!   from a task definition with [`Demand::from_task`].
//! - [`validate`] → [`Policy`]; [`Request`] = demand + policy + count.
//! - [`place`] (RunTask, services) and [`start_on`] (StartTask: one task
//!   per named instance) → [`Placement`]: a [`TaskOutcome`] and a
//!   [`TaskExplanation`] per task.
//! - [`Placement::explain`] renders a report for people: per task, the
//!   chosen instance, the rejection counts per reason, and per candidate the
//!   check that rejected it or its rank among the feasible.
//! - [`Placement::ecs_failures`] gives the `failures` entries ECS would
//!   return (one per instance, with its reason code), or
//!   [`NoContainerInstances`] when the cluster has no instance to try.
//! - [`Placement::closest_match`] names the instance that came closest, as
//!   ECS service events do.
//!
//! # Where the ECS documentation is silent
//!
//! These choices are ours, made to be predictable and explainable:
//!
//! - No strategy means random placement for RunTask (the guide only states
//!   the service default).
//! - `spread(attribute:…)` counts the group's tasks over every instance of
//!   the snapshot with that value; instances lacking the attribute share one
//!   bucket of their own. Ties after the last strategy go to the seeded
//!   random generator.
//! - RunTask failures leave out instances RunTask never considers (another
//!   launch type, not `ACTIVE`); if nothing is left the cluster has no
//!   instance to place on, reported as [`NoContainerInstances`].
//! - Instances of the other launch type are rejected first, so an EC2 task
//!   never lands on an ECS Anywhere instance and the reverse.
//!
//! # Example
//!
//! ```
//! use berth_placement::{place, validate, Candidate, Demand, Request, StrategySpec};
//!
//! let zone = |arn: &str, az: &str, mem| {
//!     Candidate::new(arn, 2048, mem).with_attribute("ecs.availability-zone", Some(az))
//! };
//! let mut busy = zone("ci/c", "us-east-1b", 8192);
//! busy.add_task_group("family:web"); // one task of the group runs in 1b
//! let cluster = [zone("ci/a", "us-east-1a", 4096), zone("ci/b", "us-east-1b", 1024), busy];
//!
//! let policy = validate(
//!     &[],
//!     &[
//!         StrategySpec { kind: Some("spread"), field: Some("attribute:ecs.availability-zone") },
//!         StrategySpec { kind: Some("binpack"), field: Some("memory") },
//!     ],
//! )?;
//! let request = Request::new(Demand::new(256, 512, "family:web"), policy, 2);
//! let placement = place(&request, &cluster, 42);
//!
//! // The first task evens out the zones; with both at one task, binpack
//! // picks the instance with the least memory left.
//! let chosen: Vec<&str> = placement.chosen().map(|c| c.arn.as_str()).collect();
//! assert_eq!(chosen, ["ci/a", "ci/b"]);
//! assert!(placement.ecs_failures()?.is_empty());
//! println!("{}", placement.explain());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod demand;
mod engine;
mod explain;
mod failures;
pub mod feasibility;
mod memo;
mod policy;
pub mod snapshot;
mod strategy;

pub use demand::{
    ContainerShape, Demand, LaunchType, NetworkMode, PortMapping, Protocol, RequiredAttribute,
    TaskShape, EXTERNAL_ATTRIBUTE,
};
pub use engine::{place, place_with_memo, start_on, Api, Detail, Placement, Request, TaskOutcome};
pub use explain::{Explanation, TaskExplanation, Verdict};
pub use failures::{EcsFailure, NoContainerInstances};
pub use feasibility::{check, Reason};
pub use memo::Memo;
pub use policy::{
    validate, Constraint, ConstraintSpec, Policy, PolicyError, Resource, SpreadField, Strategy,
    StrategySpec, MAX_CONSTRAINTS, MAX_FIELD_LEN, MAX_STRATEGIES,
};
pub use snapshot::{Candidate, InstanceStatus};
