//! Which tasks to stop first, and the budget of healthy tasks that may be stopped.
//!
//! ECS stops tasks that do not count as healthy first (stopping them costs no capacity),
//! then keeps the service balanced: it stops from the Availability Zone with the most tasks,
//! and of those the newest task.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::health::{is_healthy, is_protected};
use crate::model::ObservedTask;

/// How many healthy tasks may still be stopped: the healthy count minus the minimum, never
/// below zero. Stopping a task that is not healthy costs nothing.
#[derive(Debug)]
pub(crate) struct Budget(pub u32);

/// A task the scheduler could stop, with whether it counts as healthy.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate<'a> {
    pub task: &'a ObservedTask,
    pub healthy: bool,
}

impl<'a> Candidate<'a> {
    pub fn of(task: &'a ObservedTask, grace_seconds: f64, now: f64) -> Self {
        Self {
            task,
            healthy: is_healthy(task, grace_seconds, now),
        }
    }
}

/// The tasks a scale-in, a deployment or a draining instance may stop: those not under
/// scale-in protection.
pub(crate) fn unprotected<'a>(
    tasks: impl IntoIterator<Item = &'a ObservedTask>,
    grace_seconds: f64,
    now: f64,
) -> Vec<Candidate<'a>> {
    tasks
        .into_iter()
        .filter(|t| !is_protected(t, now))
        .map(|t| Candidate::of(t, grace_seconds, now))
        .collect()
}

/// Picks up to `n` of `candidates` in ECS's order, spending `budget` on healthy ones. The
/// zones are balanced over `group`, the tasks the stopped ones are taken from.
pub(crate) fn pick<'a>(
    candidates: &[Candidate<'a>],
    group: &[&ObservedTask],
    n: usize,
    budget: &mut Budget,
) -> Vec<&'a ObservedTask> {
    let mut per_zone: BTreeMap<Option<&str>, usize> = BTreeMap::new();
    for t in group {
        *per_zone.entry(t.availability_zone.as_deref()).or_default() += 1;
    }
    let mut left: Vec<Candidate<'a>> = candidates.to_vec();
    let mut out = Vec::new();
    while out.len() < n {
        let best = left
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.healthy || budget.0 > 0)
            .min_by(|(_, a), (_, b)| order(a, b, &per_zone))
            .map(|(i, _)| i);
        let Some(i) = best else { break };
        let chosen = left.swap_remove(i);
        if chosen.healthy {
            budget.0 -= 1;
        }
        if let Some(count) = per_zone.get_mut(&chosen.task.availability_zone.as_deref()) {
            *count = count.saturating_sub(1);
        }
        out.push(chosen.task);
    }
    out
}

/// Stop-first order: not healthy before healthy, then the fullest zone, then the newest
/// (a task not yet started is the newest), then by id so the answer is deterministic.
fn order(a: &Candidate, b: &Candidate, per_zone: &BTreeMap<Option<&str>, usize>) -> Ordering {
    let zone = |c: &Candidate| {
        per_zone
            .get(&c.task.availability_zone.as_deref())
            .copied()
            .unwrap_or(0)
    };
    let started = |c: &Candidate| c.task.started_at.unwrap_or(f64::INFINITY);
    a.healthy
        .cmp(&b.healthy)
        .then_with(|| zone(b).cmp(&zone(a)))
        .then_with(|| started(b).total_cmp(&started(a)))
        .then_with(|| a.task.id.cmp(&b.task.id))
}
