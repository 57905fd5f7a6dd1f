//! The deployment circuit breaker: counting failed tasks, failing a deployment, rolling back.
//!
//! ECS: the threshold is `0.5 * desired task count`, rounded up, at least 3 and at most
//! 200. A FAILED deployment launches no new tasks. With rollback, ECS goes back to the most
//! recent deployment in the COMPLETED state; without one the deployment is stalled. A
//! rollback is itself not rolled back again (ECS takes its target out of COMPLETED while it
//! runs, so there is nothing left to roll back to).

use crate::events;
use crate::model::{
    Deployment, DeploymentStatus, ObservedTask, RolloutState, ServiceSpec, TaskPhase,
};
use crate::rollout::primary_index;

/// The circuit breaker's threshold for a desired count: half of it, rounded up, clamped to
/// 3..=200.
pub fn failure_threshold(desired: u32) -> u32 {
    desired.div_ceil(2).clamp(3, 200)
}

/// Stopped tasks of the deployment that stopped on their own before ever being healthy.
pub fn counted_failures(tasks: &[ObservedTask], deployment_id: &str) -> u32 {
    let n = tasks
        .iter()
        .filter(|t| {
            t.deployment_id == deployment_id
                && t.phase == TaskPhase::Stopped
                && t.failed
                && !t.ever_healthy
        })
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Updates `failed_tasks` of every IN_PROGRESS deployment (it never decreases), then trips
/// the breaker on the primary if it is enabled and the threshold is reached. Changes
/// `deployments` in place (possibly adding the rollback deployment) and answers the events.
pub(crate) fn apply(
    spec: &ServiceSpec,
    tasks: &[ObservedTask],
    desired: u32,
    deployments: &mut Vec<Deployment>,
    now: f64,
) -> Vec<String> {
    for d in deployments.iter_mut() {
        if d.rollout_state == RolloutState::InProgress {
            let counted = counted_failures(tasks, &d.id);
            if counted > d.failed_tasks {
                d.failed_tasks = counted;
                d.updated_at = now;
            }
        }
    }
    let mut out = Vec::new();
    if !spec.circuit_breaker.enable {
        return out;
    }
    let Some(p) = primary_index(deployments) else {
        return out;
    };
    let failing = &deployments[p];
    if failing.rollout_state != RolloutState::InProgress
        || failing.failed_tasks < failure_threshold(desired)
    {
        return out;
    }
    let failed_id = failing.id.clone();
    let may_roll_back = spec.circuit_breaker.rollback && failing.rollback_of.is_none();
    let target = if may_roll_back {
        last_completed(deployments, &failed_id).map(|t| (t.id.clone(), t.task_definition.clone()))
    } else {
        None
    };

    let failed = &mut deployments[p];
    failed.rollout_state = RolloutState::Failed;
    failed.rollout_state_reason = Some(events::BREAKER_FAILED.to_owned());
    failed.updated_at = now;
    out.push(events::deployment_failed(&spec.name, &failed_id));

    if let Some((target_id, task_definition)) = target {
        failed.status = DeploymentStatus::Active;
        deployments.push(Deployment {
            id: rollback_id(&failed_id),
            task_definition,
            status: DeploymentStatus::Primary,
            rollout_state: RolloutState::InProgress,
            rollout_state_reason: Some(events::rolling_back_reason(&target_id)),
            created_at: now,
            updated_at: now,
            failed_tasks: 0,
            rollback_of: Some(failed_id),
        });
        out.push(events::rolling_back(&spec.name, &target_id));
    }
    out
}

/// The most recent COMPLETED deployment other than `except`.
fn last_completed<'a>(deployments: &'a [Deployment], except: &str) -> Option<&'a Deployment> {
    deployments
        .iter()
        .filter(|d| d.id != except && d.rollout_state == RolloutState::Completed)
        .max_by(|a, b| {
            a.created_at
                .total_cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        })
}

/// The rollback deployment's id: `ecs-svc/` and 19 digits, like ECS's, derived from the
/// failed deployment's id so that asking again answers the same deployment.
pub fn rollback_id(failed_id: &str) -> String {
    // FNV-1a, 64 bits: stable across builds and platforms, unlike std's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in "rollback:".bytes().chain(failed_id.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("ecs-svc/{:019}", hash % 10_000_000_000_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_is_half_rounded_up_within_3_and_200() {
        assert_eq!(failure_threshold(0), 3);
        assert_eq!(failure_threshold(1), 3);
        assert_eq!(failure_threshold(6), 3);
        assert_eq!(failure_threshold(7), 4);
        assert_eq!(failure_threshold(10), 5);
        assert_eq!(failure_threshold(25), 13);
        assert_eq!(failure_threshold(400), 200);
        assert_eq!(failure_threshold(800), 200);
    }

    #[test]
    fn rollback_id_is_stable_and_ecs_shaped() {
        let a = rollback_id("ecs-svc/1");
        assert_eq!(a, rollback_id("ecs-svc/1"));
        assert_ne!(a, rollback_id("ecs-svc/2"));
        assert_eq!(a.len(), "ecs-svc/".len() + 19);
        assert!(a["ecs-svc/".len()..].bytes().all(|b| b.is_ascii_digit()));
    }
}
