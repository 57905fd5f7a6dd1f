//! REPLICA: `desired_count` tasks of the primary deployment, anywhere.
//!
//! One call decides, from the tasks as they are:
//!
//! 1. **start** — the primary is topped up to the desired count, not counting its tasks that
//!    are on their way out (failed health checks, draining instance), within
//!    `maximumPercent`: PENDING + RUNNING + in flight, of every deployment, never exceeds
//!    the upper bound;
//! 2. **stop**, spending the healthy budget (healthy tasks above `minimumHealthyPercent`):
//!    - primary tasks that failed their health checks, once their replacements exist, or one
//!      at a time when `maximumPercent` leaves no room to start one;
//!    - tasks of older deployments that failed their health checks;
//!    - tasks on draining instances (older deployments first);
//!    - the rest of the older deployments' tasks;
//!    - primary tasks beyond the desired count (scale-in).
//!
//!    Tasks under scale-in protection are stopped only for failed health checks.
//!
//! While the primary cannot launch tasks (FAILED, or no primary at all), older deployments
//! are left alone: draining them would shrink the service with nothing to replace them.

use crate::events;
use crate::health::{failed_health_checks, is_healthy, is_live, is_settled, limits};
use crate::model::{Action, Deployment, Input, ObservedTask, RolloutState, TaskPhase};
use crate::pick::{pick, unprotected, Budget, Candidate};
use crate::rollout::primary_index;
use crate::{in_flight, Plan};

pub(crate) fn plan(input: &Input, deployments: &[Deployment]) -> Plan {
    let spec = input.spec;
    let (now, grace) = (input.now, spec.health_check_grace_seconds);
    let desired = spec.desired_count as usize;
    let bounds = limits(
        spec.desired_count,
        spec.minimum_healthy_percent,
        spec.maximum_percent,
    );
    let primary = primary_index(deployments).map(|i| &deployments[i]);
    let primary_id = primary.map(|p| p.id.as_str());
    let can_start = primary.is_some_and(|p| p.rollout_state != RolloutState::Failed);
    let healthy = |t: &ObservedTask| is_healthy(t, grace, now);
    let failed = |t: &ObservedTask| failed_health_checks(t, grace, now);

    let live: Vec<&ObservedTask> = input.tasks.iter().filter(|t| is_live(t)).collect();
    let (prim, old): (Vec<&ObservedTask>, Vec<&ObservedTask>) = live
        .iter()
        .copied()
        .partition(|t| Some(t.deployment_id.as_str()) == primary_id);
    let in_flight_primary = primary_id.map_or(0, |id| in_flight(input, Some(id)));
    // A task being stopped is still RUNNING until its containers exit: it counts against
    // maximumPercent (but not toward the healthy minimum) until it is STOPPED.
    let stopping = input
        .tasks
        .iter()
        .filter(|t| t.phase == TaskPhase::Stopping)
        .count();
    let total = live.len() + in_flight(input, None) + stopping;
    let room = (bounds.upper as usize).saturating_sub(total);
    let healthy_now = live.iter().filter(|t| healthy(t)).count();
    let mut budget = Budget(saturate(healthy_now.saturating_sub(bounds.lower as usize)));

    let unhealthy: Vec<&ObservedTask> = prim.iter().copied().filter(|t| failed(t)).collect();
    let draining: Vec<&ObservedTask> = prim
        .iter()
        .copied()
        .filter(|t| !failed(t) && t.instance_draining)
        .collect();
    let normal: Vec<&ObservedTask> = prim
        .iter()
        .copied()
        .filter(|t| !failed(t) && !t.instance_draining)
        .collect();
    let keep = normal.len() + in_flight_primary;
    let starts = if can_start {
        desired.saturating_sub(keep).min(room)
    } else {
        0
    };

    let mut stops: Vec<(&ObservedTask, String)> = Vec::new();
    let mut replace = (keep + unhealthy.len())
        .saturating_sub(desired)
        .min(unhealthy.len());
    if replace == 0 && !unhealthy.is_empty() && can_start && room == 0 {
        replace = 1;
    }
    let cands: Vec<Candidate> = unhealthy
        .iter()
        .map(|t| Candidate::of(t, grace, now))
        .collect();
    for t in pick(&cands, &prim, replace, &mut budget) {
        stops.push((t, events::health_reason(t)));
    }

    let old: Vec<&ObservedTask> = if can_start { old } else { Vec::new() };
    for t in old.iter().filter(|t| failed(t)) {
        stops.push((t, events::health_reason(t)));
    }
    let old_draining = unprotected(
        old.iter()
            .copied()
            .filter(|t| !failed(t) && t.instance_draining),
        grace,
        now,
    );
    let primary_draining = unprotected(draining.iter().copied(), grace, now);
    for cands in [old_draining, primary_draining] {
        for t in pick(&cands, &live, cands.len(), &mut budget) {
            stops.push((t, events::INSTANCE_DRAINING.to_owned()));
        }
    }
    let old_rest = unprotected(
        old.iter()
            .copied()
            .filter(|t| !failed(t) && !t.instance_draining),
        grace,
        now,
    );
    for t in pick(&old_rest, &old, old_rest.len(), &mut budget) {
        stops.push((t, events::scaling_activity(&t.deployment_id)));
    }
    let excess = keep.saturating_sub(desired);
    let extra = unprotected(normal.iter().copied(), grace, now);
    for t in pick(&extra, &normal, excess, &mut budget) {
        stops.push((t, events::scaling_activity(&t.deployment_id)));
    }

    let settled = primary.is_some()
        && starts == 0
        && stops.is_empty()
        && total == prim.len()
        && prim.len() == desired
        && prim
            .iter()
            .all(|t| is_settled(t, input.spec.settle_seconds, input.now))
        && !input.tasks.iter().any(|t| {
            t.phase == TaskPhase::Stopping && Some(t.deployment_id.as_str()) != primary_id
        });

    let mut plan = Plan {
        settled,
        ..Plan::default()
    };
    if let (Some(id), true) = (primary_id, starts > 0) {
        plan.starts.push(Action::Start {
            deployment_id: id.to_owned(),
            count: saturate(starts),
        });
    }
    plan.stops = stops
        .into_iter()
        .map(|(t, reason)| Action::Stop {
            task_id: t.id.clone(),
            reason,
        })
        .collect();
    plan
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
