//! Which service and operation a request is for.

use berth_ecs_model::operations::TARGET_PREFIX as ECS_PREFIX;
use berth_ecs_model::Operation;

use crate::wire::WireError;

pub enum Route {
    Ecs(Operation),
    /// Berth's agent channel (`BerthAgentV1.<op>`).
    Agent(String),
    /// Berth's own extensions (`BerthV1.<op>`), e.g. placement explanations.
    Berth(String),
}

/// The target prefix of Berth's own operations.
pub const BERTH_PREFIX: &str = "BerthV1";

/// Routes by `X-Amz-Target: <ServicePrefix>.<Operation>`.
pub fn route(target: Option<&str>) -> Result<Route, WireError> {
    let unknown = |what: &str| {
        WireError::new(
            400,
            "UnknownOperationException",
            format!("Unknown operation {what}"),
        )
    };
    let Some(target) = target else {
        return Err(WireError::new(
            400,
            "UnknownOperationException",
            "The request has no X-Amz-Target header naming an operation.",
        ));
    };
    let (prefix, op) = target.split_once('.').ok_or_else(|| unknown(target))?;
    if prefix == BERTH_PREFIX {
        return Ok(Route::Berth(op.to_owned()));
    }
    if prefix == crate::agent_channel::TARGET_PREFIX {
        return Ok(Route::Agent(op.to_owned()));
    }
    if prefix == ECS_PREFIX {
        return Operation::from_name(op)
            .map(Route::Ecs)
            .ok_or_else(|| unknown(target));
    }
    Err(unknown(target))
}
