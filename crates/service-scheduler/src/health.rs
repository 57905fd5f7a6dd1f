//! What a task counts as, and the bounds a rolling update keeps.
//!
//! ECS words the bounds as percentages of the desired count: `maximumPercent` is an upper
//! limit on the tasks in the RUNNING or PENDING state, "rounded down to the nearest
//! integer"; `minimumHealthyPercent` is a lower limit on the tasks that must remain RUNNING
//! and healthy, "rounded up to the nearest integer".

use crate::model::{Health, ObservedTask, TaskPhase};

/// PENDING or RUNNING: the tasks `maximumPercent` counts.
pub fn is_live(task: &ObservedTask) -> bool {
    matches!(task.phase, TaskPhase::Pending | TaskPhase::Running)
}

/// Still within the health check grace period that started when the task became RUNNING.
/// A RUNNING task without a start time is taken as just started.
pub fn in_grace(task: &ObservedTask, grace_seconds: f64, now: f64) -> bool {
    task.phase == TaskPhase::Running
        && match task.started_at {
            Some(started) => now < started + grace_seconds,
            None => grace_seconds > 0.0,
        }
}

/// Counts toward the minimum: RUNNING, and no health check, or HEALTHY, or still in the
/// grace period (whose health checks the scheduler ignores).
pub fn is_healthy(task: &ObservedTask, grace_seconds: f64, now: f64) -> bool {
    task.phase == TaskPhase::Running
        && (!task.has_health_check
            || task.health == Health::Healthy
            || in_grace(task, grace_seconds, now))
}

/// Healthy for good: RUNNING and HEALTHY, or, without a health check, RUNNING for at least
/// `settle_seconds`. A rollout completes only on these, never on tasks whose checks the
/// grace period is still hiding.
pub fn is_settled(task: &ObservedTask, settle_seconds: f64, now: f64) -> bool {
    task.phase == TaskPhase::Running
        && if task.has_health_check {
            task.health == Health::Healthy
        } else {
            task.started_at
                .map_or(settle_seconds <= 0.0, |s| now - s >= settle_seconds)
        }
}

/// RUNNING, UNHEALTHY, and past the grace period: to be replaced.
pub fn failed_health_checks(task: &ObservedTask, grace_seconds: f64, now: f64) -> bool {
    task.phase == TaskPhase::Running
        && task.has_health_check
        && task.health == Health::Unhealthy
        && !in_grace(task, grace_seconds, now)
}

/// Under task scale-in protection: neither scale-in nor a deployment may stop it.
pub fn is_protected(task: &ObservedTask, now: f64) -> bool {
    task.protected_until.is_some_and(|until| until > now)
}

/// The two bounds a rolling update keeps, in tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The fewest healthy tasks: `ceil(desired * minimumHealthyPercent / 100)`, at most
    /// `desired`.
    pub lower: u32,
    /// The most PENDING + RUNNING tasks: `floor(desired * maximumPercent / 100)`, at least
    /// `desired` (a smaller bound could never reach the desired count).
    pub upper: u32,
}

/// The bounds for a desired count and the two percentages.
pub fn limits(desired: u32, minimum_healthy_percent: u32, maximum_percent: u32) -> Limits {
    let d = u64::from(desired);
    let lower = (d * u64::from(minimum_healthy_percent))
        .div_ceil(100)
        .min(d);
    let upper = (d * u64::from(maximum_percent) / 100).max(d);
    Limits {
        lower: saturate(lower),
        upper: saturate(upper),
    }
}

fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_follows_ecs() {
        // 3 * 50% = 1.5: the minimum rounds up, the maximum rounds down.
        assert_eq!(limits(3, 50, 150), Limits { lower: 2, upper: 4 });
        assert_eq!(limits(4, 100, 200), Limits { lower: 4, upper: 8 });
        assert_eq!(limits(1, 0, 100), Limits { lower: 0, upper: 1 });
        assert_eq!(limits(0, 100, 200), Limits { lower: 0, upper: 0 });
        // Out-of-range percentages are clamped to what can work.
        assert_eq!(limits(4, 150, 50), Limits { lower: 4, upper: 4 });
    }
}
