//! Turning a placement into the `failures` list of a RunTask or StartTask
//! response.
//!
//! ECS reports a task it cannot place as one `Failure` per container
//! instance, naming the instance ARN and a reason code: `RESOURCE:CPU`,
//! `RESOURCE:MEMORY`, `RESOURCE:PORTS`, `RESOURCE:PORTS_UDP`, `AGENT`,
//! `ATTRIBUTE`, `MemberOf placement constraint unsatisfied.`,
//! `DistinctInstance placement constraint unsatisfied.`. A cluster with no
//! container instance at all is not a failure but an error:
//! `InvalidParameterException: No Container Instances were found in your
//! cluster.`

use crate::engine::{Api, Placement, TaskOutcome};
use crate::feasibility::Reason;

/// One entry of a response's `failures`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsFailure {
    /// The container instance ARN.
    pub arn: String,
    /// The ECS reason code.
    pub reason: String,
    /// A sentence for people (ECS leaves `detail` empty for these; callers
    /// that want to answer exactly like ECS can drop it).
    pub detail: String,
}

/// RunTask found no `ACTIVE` container instance of the task's launch type:
/// the caller answers `InvalidParameterException` with this message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("No Container Instances were found in your cluster.")]
pub struct NoContainerInstances;

impl Placement<'_> {
    /// The `failures` ECS would return for this placement.
    ///
    /// - RunTask: nothing when every task was placed. Otherwise one failure
    ///   per container instance that rejected the first unplaced task, in
    ///   candidate order, with the first check it failed (later unplaced
    ///   tasks meet the same instances in the same state, so they add
    ///   nothing). Instances of another launch type and instances that are
    ///   not `ACTIVE` are not listed: RunTask never considers them. If that
    ///   leaves nothing, there was no instance to place on at all and the
    ///   answer is [`NoContainerInstances`].
    /// - StartTask: one failure per task that its named instance refused
    ///   (`INACTIVE` for an instance that is not `ACTIVE`).
    pub fn ecs_failures(&self) -> Result<Vec<EcsFailure>, NoContainerInstances> {
        let req = self.request();
        let cands = self.candidates();
        let failure = |i: usize, r: Reason| {
            cands.get(i).map(|c| EcsFailure {
                arn: c.arn.clone(),
                reason: r.ecs_code().to_owned(),
                detail: r.describe(&req.demand, &req.policy),
            })
        };
        match self.api() {
            Api::StartTask => Ok(self
                .outcomes()
                .iter()
                .filter_map(|o| match o {
                    TaskOutcome::Refused { candidate, reason } => failure(*candidate, *reason),
                    _ => None,
                })
                .collect()),
            Api::RunTask => {
                let Some(stuck) = &self.stuck else {
                    return Ok(Vec::new());
                };
                let out: Vec<EcsFailure> = stuck
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| match r {
                        Some(Reason::LaunchType | Reason::NotActive) | None => None,
                        Some(r) => failure(i, *r),
                    })
                    .collect();
                if out.is_empty() {
                    Err(NoContainerInstances)
                } else {
                    Ok(out)
                }
            }
        }
    }
}
