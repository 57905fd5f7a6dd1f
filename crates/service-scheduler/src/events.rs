//! ECS's wording: service event messages, `rolloutStateReason`s and `stoppedReason`s.
//!
//! The messages are the ones ECS writes to `services[].events` and
//! `deployments[].rolloutStateReason`, so tools that grep for them keep working.

/// `stoppedReason` of a task stopped because it failed its container health checks.
pub const FAILED_HEALTH_CHECKS: &str = "Task failed container health checks";

/// The `stoppedReason` of a task replaced for failing its health checks: what failed them.
pub fn health_reason(t: &crate::model::ObservedTask) -> String {
    t.health_reason
        .clone()
        .unwrap_or_else(|| FAILED_HEALTH_CHECKS.to_owned())
}

/// `stoppedReason` of a task stopped because its container instance is draining.
pub const INSTANCE_DRAINING: &str = "Task stopped during instance draining";

/// `rolloutStateReason` of a deployment the circuit breaker failed.
pub const BREAKER_FAILED: &str = "ECS deployment circuit breaker: tasks failed to start.";

/// `stoppedReason` of a task the scheduler stops to scale in or to roll a deployment.
pub fn scaling_activity(deployment_id: &str) -> String {
    format!("Scaling activity initiated by (deployment {deployment_id})")
}

/// `rolloutStateReason` of a deployment that has just started (the caller's, on UpdateService).
pub fn in_progress(deployment_id: &str) -> String {
    format!("ECS deployment {deployment_id} in progress.")
}

/// `rolloutStateReason` of a completed deployment.
pub fn completed(deployment_id: &str) -> String {
    format!("ECS deployment {deployment_id} completed.")
}

/// `rolloutStateReason` of a circuit-breaker rollback deployment.
pub fn rolling_back_reason(target_deployment_id: &str) -> String {
    format!("ECS deployment circuit breaker: rolling back to deploymentId {target_deployment_id}.")
}

/// Service event: the service runs what it should.
pub fn steady_state(service: &str) -> String {
    format!("(service {service}) has reached a steady state.")
}

/// Service event: a deployment's rollout completed.
pub fn deployment_completed(service: &str, deployment_id: &str) -> String {
    format!("(service {service}) (deployment {deployment_id}) deployment completed.")
}

/// Service event: the circuit breaker failed a deployment.
pub fn deployment_failed(service: &str, deployment_id: &str) -> String {
    format!("(service {service}) (deployment {deployment_id}) deployment failed: tasks failed to start.")
}

/// Service event: the circuit breaker rolls back to the last completed deployment.
pub fn rolling_back(service: &str, target_deployment_id: &str) -> String {
    format!("(service {service}) rolling back to deployment {target_deployment_id}.")
}
