//! One module per resource group; each holds the handlers of its operations.

mod account_settings;
mod accounting;
mod attributes;
mod capacity_providers;
mod clusters;
pub(crate) mod container_instances;
pub(crate) mod fargate;
pub mod load_balancers;
mod retention;
mod service_controller;
mod service_deployments;
pub mod service_registries;
mod services;
mod state_changes;
mod tags;
mod task_build;
pub mod task_credentials;
pub(crate) mod task_definition_rules;
mod task_definitions;
pub mod task_details;
mod task_protection;
mod task_views;
mod tasks;

use berth_ecs_model::shapes::Failure;

use crate::arn::cluster_name;
use crate::error::{EcsError, Result};
use crate::records::ClusterRec;
use crate::state::State;
use crate::Ecs;

pub(crate) use tags::validate_tags;

impl Ecs {
    /// The ACTIVE cluster named by a `cluster` parameter (name, ARN, or absent for `default`).
    pub(crate) fn active_cluster<'s>(
        &self,
        state: &'s State,
        param: Option<&str>,
    ) -> Result<&'s ClusterRec> {
        let name = cluster_name(&self.scope, param).ok_or(EcsError::ClusterNotFound)?;
        state
            .clusters
            .get(&name)
            .map(|c| &**c)
            .filter(|c| c.is_active())
            .ok_or(EcsError::ClusterNotFound)
    }
}

pub(crate) fn failure(arn: impl Into<String>, reason: &str) -> Failure {
    Failure {
        arn: Some(arn.into()),
        reason: Some(reason.into()),
        detail: None,
    }
}

/// Treats an absent list as empty (the protocol does not distinguish them in requests).
pub(crate) fn list<T>(v: &Option<Vec<T>>) -> &[T] {
    v.as_deref().unwrap_or_default()
}
