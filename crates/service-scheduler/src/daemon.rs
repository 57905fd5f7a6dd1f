//! DAEMON: exactly one task of the primary deployment on every eligible instance.
//!
//! The desired count is the number of eligible instances that are not draining (the
//! targets); `minimumHealthyPercent` (default 0) and `maximumPercent` (default 100) are
//! percentages of it. One call:
//!
//! 1. stops tasks that failed their health checks;
//! 2. stops tasks on anything but a target (no instance, unknown, ineligible, draining);
//! 3. keeps one task per target — a primary one if there is one — and stops the others;
//! 4. starts a primary task on each target that lacks one, within the upper bound: empty
//!    targets first, then those still running an older deployment's task. A target whose
//!    older task cannot be joined by a new one (no room) has that older task stopped, so the
//!    next call can start there — with the defaults, ECS's stop-then-start daemon rollout.
//!
//! Healthy tasks are stopped only within the healthy budget, and tasks under scale-in
//! protection only for failed health checks. Tasks asked to start but not yet visible
//! (`in_flight`) are taken to cover the first targets that lack a primary task, in the order
//! this module starts them.

use std::collections::{BTreeMap, BTreeSet};

use crate::events;
use crate::health::{failed_health_checks, is_healthy, is_live, is_protected, is_settled, limits};
use crate::model::{Action, Deployment, Input, Instance, ObservedTask, RolloutState, TaskPhase};
use crate::pick::{pick, unprotected, Budget, Candidate};
use crate::rollout::primary_index;
use crate::{in_flight, Plan};

/// Eligible, non-draining instances by id: where a daemon task belongs.
pub(crate) fn targets(instances: &[Instance]) -> BTreeMap<&str, &Instance> {
    instances
        .iter()
        .filter(|i| i.eligible && !i.draining)
        .map(|i| (i.id.as_str(), i))
        .collect()
}

pub(crate) fn plan(input: &Input, deployments: &[Deployment]) -> Plan {
    let spec = input.spec;
    let (now, grace) = (input.now, spec.health_check_grace_seconds);
    let targets = targets(input.instances);
    let desired = u32::try_from(targets.len()).unwrap_or(u32::MAX);
    let bounds = limits(desired, spec.minimum_healthy_percent, spec.maximum_percent);
    let primary = primary_index(deployments).map(|i| &deployments[i]);
    let primary_id = primary.map(|p| p.id.as_str());
    let can_start = primary.is_some_and(|p| p.rollout_state != RolloutState::Failed);
    let is_primary = |t: &ObservedTask| Some(t.deployment_id.as_str()) == primary_id;
    let healthy = |t: &ObservedTask| is_healthy(t, grace, now);

    let live: Vec<&ObservedTask> = input.tasks.iter().filter(|t| is_live(t)).collect();
    let total = live.len() + in_flight(input, None);
    let mut room = (bounds.upper as usize).saturating_sub(total);
    let healthy_now = live.iter().filter(|t| healthy(t)).count();
    let mut budget = Budget(saturate(healthy_now.saturating_sub(bounds.lower as usize)));
    let mut stops: Vec<(&ObservedTask, String)> = Vec::new();

    // 1. Failed health checks.
    let (unhealthy, live): (Vec<&ObservedTask>, Vec<&ObservedTask>) = live
        .iter()
        .copied()
        .partition(|t| failed_health_checks(t, grace, now));
    for t in unhealthy {
        stops.push((t, events::health_reason(t)));
    }

    // 2. Not on a target.
    let placed = |t: &&ObservedTask| {
        t.instance
            .as_deref()
            .is_some_and(|i| targets.contains_key(i))
    };
    let misplaced = unprotected(live.iter().copied().filter(|t| !placed(t)), grace, now);
    for t in pick(&misplaced, &live, misplaced.len(), &mut budget) {
        let reason = if t.instance_draining {
            events::INSTANCE_DRAINING.to_owned()
        } else {
            events::scaling_activity(&t.deployment_id)
        };
        stops.push((t, reason));
    }

    // 3. One task per target: the best primary task, else the best older one.
    let mut on: BTreeMap<&str, Vec<&ObservedTask>> = BTreeMap::new();
    for t in live.iter().copied().filter(placed) {
        if let Some(i) = t.instance.as_deref() {
            on.entry(i).or_default().push(t);
        }
    }
    let mut kept: BTreeMap<&str, &ObservedTask> = BTreeMap::new();
    let mut duplicates: Vec<&ObservedTask> = Vec::new();
    for (instance, mut tasks) in on {
        tasks.sort_by(|a, b| keep_order(a, b, &is_primary, &healthy));
        let mut rest = tasks.into_iter();
        if let Some(first) = rest.next() {
            kept.insert(instance, first);
        }
        duplicates.extend(rest);
    }
    // An older task sharing a target with a primary one is a duplicate too, but while the
    // primary cannot launch, older tasks are left alone.
    let dup_cands = unprotected(
        duplicates
            .iter()
            .copied()
            .filter(|t| can_start || is_primary(t)),
        grace,
        now,
    );
    for t in pick(&dup_cands, &live, dup_cands.len(), &mut budget) {
        stops.push((t, events::scaling_activity(&t.deployment_id)));
    }

    // 4. Start on targets that lack a primary task.
    let mut lacking: Vec<(&str, Option<&ObservedTask>)> = targets
        .keys()
        .map(|&id| (id, kept.get(id).copied()))
        .filter(|(_, t)| !t.is_some_and(&is_primary))
        .collect();
    lacking.sort_by_key(|(id, t)| (t.is_some(), *id));
    let covered = primary_id.map_or(0, |id| in_flight(input, Some(id)));
    let mut starts = Vec::new();
    let mut rolling: Vec<Candidate> = Vec::new();
    for (instance, older) in lacking.into_iter().skip(covered) {
        match primary_id {
            Some(id) if can_start && room > 0 => {
                room -= 1;
                starts.push(Action::StartOn {
                    deployment_id: id.to_owned(),
                    instance: instance.to_owned(),
                });
            }
            _ if can_start => {
                if let Some(t) = older.filter(|t| !is_protected(t, now)) {
                    rolling.push(Candidate::of(t, grace, now));
                }
            }
            _ => {}
        }
    }
    for t in pick(&rolling, &live, rolling.len(), &mut budget) {
        stops.push((t, events::scaling_activity(&t.deployment_id)));
    }

    let distinct: BTreeSet<Option<&str>> = live.iter().map(|t| t.instance.as_deref()).collect();
    let settled = primary.is_some()
        && starts.is_empty()
        && stops.is_empty()
        && total == targets.len()
        && live.len() == targets.len()
        && distinct.len() == live.len()
        && live.iter().all(|t| {
            is_primary(t) && is_settled(t, input.spec.settle_seconds, input.now) && placed(t)
        })
        && !input
            .tasks
            .iter()
            .any(|t| t.phase == TaskPhase::Stopping && !is_primary(t));

    Plan {
        starts,
        stops: stops
            .into_iter()
            .map(|(t, reason)| Action::Stop {
                task_id: t.id.clone(),
                reason,
            })
            .collect(),
        settled,
    }
}

/// The task a target keeps: primary first, then healthy, then RUNNING, then the oldest,
/// then by id.
fn keep_order(
    a: &ObservedTask,
    b: &ObservedTask,
    is_primary: &impl Fn(&ObservedTask) -> bool,
    healthy: &impl Fn(&ObservedTask) -> bool,
) -> std::cmp::Ordering {
    let started = |t: &ObservedTask| t.started_at.unwrap_or(f64::INFINITY);
    is_primary(b)
        .cmp(&is_primary(a))
        .then_with(|| healthy(b).cmp(&healthy(a)))
        .then_with(|| (b.phase == TaskPhase::Running).cmp(&(a.phase == TaskPhase::Running)))
        .then_with(|| started(a).total_cmp(&started(b)))
        .then_with(|| a.id.cmp(&b.id))
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
