//! FARGATE: capacity Berth manages itself. Agents started with `--fargate` (and `berth
//! dev`'s local host) register in an internal pool cluster that users never see; a FARGATE
//! task belongs to the user's cluster but runs on a pool host, with no container instance
//! of its own (as in ECS).

use berth_ecs_model::shapes::*;

use super::list;
use crate::error::{EcsError, Result};
use crate::records::ClusterRec;
use crate::Ecs;

/// The internal pool cluster. `~` is not allowed in cluster names, so no user cluster can
/// collide with it; ListClusters and DescribeClusters never show it.
pub const FARGATE_POOL: &str = "~fargate";

/// How a task is launched.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Launch {
    Ec2,
    /// FARGATE; `provider` is set when a capacity provider strategy chose it.
    Fargate {
        provider: Option<String>,
    },
}

impl ClusterRec {
    /// Berth's own clusters (the FARGATE pool), hidden from users.
    pub fn is_internal(&self) -> bool {
        self.name().starts_with('~')
    }
}

impl Ecs {
    pub(crate) fn ensure_fargate_pool(&self) -> Result<()> {
        self.db.write(|tx| {
            if tx.state.clusters.contains_key(FARGATE_POOL) {
                return Ok(());
            }
            tx.put(ClusterRec {
                cluster: Cluster {
                    cluster_arn: Some(self.scope.cluster_arn(FARGATE_POOL)),
                    cluster_name: Some(FARGATE_POOL.into()),
                    status: Some("ACTIVE".into()),
                    tags: Some(Vec::new()),
                    ..Default::default()
                },
            })
        })
    }

    /// Which launch a RunTask asks for: its launchType, else its capacity provider strategy,
    /// else the cluster's default strategy; EC2 when none says.
    pub(crate) fn launch_of(
        &self,
        cluster: Option<&ClusterRec>,
        launch_type: Option<&LaunchType>,
        strategy: &[CapacityProviderStrategyItem],
    ) -> Result<Launch> {
        match launch_type {
            Some(LaunchType::Ec2) => return Ok(Launch::Ec2),
            Some(LaunchType::Fargate) => return Ok(Launch::Fargate { provider: None }),
            Some(other) => {
                return Err(EcsError::UnsupportedFeature(format!(
                    "The {other} launch type is not supported by Berth yet."
                )))
            }
            None => {}
        }
        let cluster_default = cluster
            .map(|c| list(&c.cluster.default_capacity_provider_strategy).to_vec())
            .unwrap_or_default();
        let strategy = if strategy.is_empty() {
            &cluster_default[..]
        } else {
            strategy
        };
        // The provider with the highest base, then weight, takes the task (ECS spreads by
        // base and weight across many tasks; a RunTask of one provider family is the norm).
        let chosen = strategy
            .iter()
            .filter(|i| i.weight > 0 || i.base > 0)
            .max_by_key(|i| (i.base, i.weight))
            .or_else(|| strategy.first());
        match chosen.and_then(|i| i.capacity_provider.as_deref()) {
            Some(p @ ("FARGATE" | "FARGATE_SPOT")) => Ok(Launch::Fargate {
                provider: Some(p.to_owned()),
            }),
            _ => Ok(Launch::Ec2),
        }
    }

    /// FARGATE's requirements of the definition and the request.
    pub(crate) fn check_fargate(
        &self,
        td: &TaskDefinition,
        constraints: &[PlacementConstraint],
        strategies: &[PlacementStrategy],
    ) -> Result<()> {
        let compatible = list(&td.compatibilities).contains(&Compatibility::Fargate);
        if !compatible {
            return Err(EcsError::invalid(
                "Task definition does not support launch_type FARGATE.",
            ));
        }
        if !constraints.is_empty() || !list(&td.placement_constraints).is_empty() {
            return Err(EcsError::invalid(
                "Placement constraints are not supported with the FARGATE launch type.",
            ));
        }
        if !strategies.is_empty() {
            return Err(EcsError::invalid(
                "Placement strategies are not supported with the FARGATE launch type.",
            ));
        }
        Ok(())
    }
}
