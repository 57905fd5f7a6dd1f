//! Which deployment is the primary, and what happens when the service reaches it.

use crate::events;
use crate::model::{Deployment, DeploymentStatus, RolloutState};

/// The PRIMARY deployment; if the records hold several, the newest (then the greatest id).
pub(crate) fn primary_index(deployments: &[Deployment]) -> Option<usize> {
    deployments
        .iter()
        .enumerate()
        .filter(|(_, d)| d.status == DeploymentStatus::Primary)
        .max_by(|(_, a), (_, b)| {
            a.created_at
                .total_cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        })
        .map(|(i, _)| i)
}

/// The service runs exactly what its primary asks for and nothing else: an IN_PROGRESS
/// primary becomes COMPLETED (with ECS's two events), and every other deployment becomes
/// INACTIVE. A FAILED primary stays FAILED; a COMPLETED one only tidies the others.
pub(crate) fn settle(service: &str, deployments: &mut [Deployment], now: f64) -> Vec<String> {
    let Some(p) = primary_index(deployments) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match deployments[p].rollout_state {
        RolloutState::Failed => return out,
        RolloutState::Completed => {}
        RolloutState::InProgress => {
            let primary = &mut deployments[p];
            primary.rollout_state = RolloutState::Completed;
            primary.rollout_state_reason = Some(events::completed(&primary.id));
            primary.updated_at = now;
            out.push(events::deployment_completed(service, &primary.id));
            out.push(events::steady_state(service));
        }
    }
    for (i, d) in deployments.iter_mut().enumerate() {
        if i != p && d.status != DeploymentStatus::Inactive {
            d.status = DeploymentStatus::Inactive;
            d.updated_at = now;
        }
    }
    out
}
