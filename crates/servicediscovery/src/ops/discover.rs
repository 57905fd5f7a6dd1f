//! DiscoverInstances and DiscoverInstancesRevision: instances by namespace and service name,
//! filtered by attributes and health.

use std::collections::BTreeMap;
use std::sync::Arc;

use berth_aws::RequestContext;
use berth_servicediscovery_model::shapes::*;

use crate::error::{CloudMapError, Result};
use crate::records::{InstanceRec, NamespaceRec, ServiceRec};
use crate::state::State;
use crate::CloudMap;

/// The service `service` of namespace `namespace` (by its HTTP name), of the caller's account.
fn lookup(
    state: &State,
    ctx: &RequestContext,
    namespace: &str,
    service: &str,
    owner: Option<&str>,
) -> Result<(Arc<NamespaceRec>, Arc<ServiceRec>)> {
    let not_found =
        || CloudMapError::NamespaceNotFound(format!("Namespace {namespace} not found."));
    if owner.is_some_and(|o| o != ctx.account) {
        return Err(not_found());
    }
    let ns = state
        .namespaces_of(&ctx.account)
        .find(|n| n.name.eq_ignore_ascii_case(namespace))
        .cloned()
        .ok_or_else(not_found)?;
    let svc = state
        .services_in(&ctx.account, &ns.id)
        .find(|s| s.name.eq_ignore_ascii_case(service))
        .cloned()
        .ok_or_else(|| {
            CloudMapError::ServiceNotFound(format!(
                "Service {service} not found in namespace {namespace}."
            ))
        })?;
    Ok((ns, svc))
}

fn has_all(i: &InstanceRec, params: &BTreeMap<String, String>) -> bool {
    params.iter().all(|(k, v)| i.attributes.get(k) == Some(v))
}

/// The instances `filter` keeps, in order: ALL, HEALTHY, UNHEALTHY, or HEALTHY_OR_ELSE_ALL
/// (the healthy ones unless none is). A service without health checks ignores the filter.
pub(crate) fn by_health<'a>(
    s: &ServiceRec,
    instances: Vec<&'a InstanceRec>,
    filter: &str,
) -> Vec<&'a InstanceRec> {
    if s.health_check.is_none() && s.custom_health.is_none() {
        return instances;
    }
    let healthy = |i: &&InstanceRec| i.health == "HEALTHY";
    match filter {
        "ALL" => instances,
        "UNHEALTHY" => instances.into_iter().filter(|i| !healthy(i)).collect(),
        "HEALTHY_OR_ELSE_ALL" => {
            if instances.iter().any(healthy) {
                instances.into_iter().filter(healthy).collect()
            } else {
                instances
            }
        }
        _ => instances.into_iter().filter(healthy).collect(),
    }
}

impl CloudMap {
    pub(crate) fn discover_instances(
        &self,
        ctx: &RequestContext,
        req: DiscoverInstancesRequest,
    ) -> Result<DiscoverInstancesResponse> {
        let max = match req.max_results {
            None => 100,
            Some(n) if (1..=1000).contains(&n) => n as usize,
            Some(n) => {
                return Err(CloudMapError::invalid(format!(
                    "MaxResults must be between 1 and 1000, got {n}."
                )))
            }
        };
        let state = self.db.snapshot();
        let (ns, s) = lookup(
            &state,
            ctx,
            req.namespace_name.as_deref().unwrap_or_default(),
            req.service_name.as_deref().unwrap_or_default(),
            req.owner_account.as_deref(),
        )?;
        let query = req.query_parameters.unwrap_or_default();
        let optional = req.optional_parameters.unwrap_or_default();
        let all: Vec<&InstanceRec> = state
            .instances_of(&ctx.account, &s.id)
            .map(|i| &**i)
            .filter(|i| has_all(i, &query))
            .collect();
        let preferred: Vec<&InstanceRec> = all
            .iter()
            .copied()
            .filter(|i| has_all(i, &optional))
            .collect();
        let chosen = if preferred.is_empty() { all } else { preferred };
        let filter = req.health_status.as_ref().map_or("HEALTHY", |h| h.as_str());
        let found = by_health(&s, chosen, filter);
        Ok(DiscoverInstancesResponse {
            instances: Some(
                found
                    .into_iter()
                    .take(max)
                    .map(|i| HttpInstanceSummary {
                        instance_id: Some(i.id.clone()),
                        namespace_name: Some(ns.name.clone()),
                        service_name: Some(s.name.clone()),
                        health_status: Some(HealthStatus::parse(&i.health)),
                        attributes: Some(i.attributes.clone()),
                    })
                    .collect(),
            ),
            instances_revision: Some(s.revision),
        })
    }

    pub(crate) fn discover_instances_revision(
        &self,
        ctx: &RequestContext,
        req: DiscoverInstancesRevisionRequest,
    ) -> Result<DiscoverInstancesRevisionResponse> {
        let state = self.db.snapshot();
        let (_, s) = lookup(
            &state,
            ctx,
            req.namespace_name.as_deref().unwrap_or_default(),
            req.service_name.as_deref().unwrap_or_default(),
            req.owner_account.as_deref(),
        )?;
        Ok(DiscoverInstancesRevisionResponse {
            instances_revision: Some(s.revision),
        })
    }
}
