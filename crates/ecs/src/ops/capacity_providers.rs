//! CreateCapacityProvider, DescribeCapacityProviders, UpdateCapacityProvider,
//! DeleteCapacityProvider. FARGATE and FARGATE_SPOT always exist.

use berth_ecs_model::shapes::*;

use super::{failure, list, validate_tags};
use crate::arn::valid_name;
use crate::error::{EcsError, Result};
use crate::page::{page_size, paginate};
use crate::records::CapacityProviderRec;
use crate::state::State;
use crate::Ecs;

const BUILTIN: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

impl Ecs {
    pub(crate) fn ensure_builtin_capacity_providers(&self) -> Result<()> {
        self.db.write(|tx| {
            for name in BUILTIN {
                if !tx.state.capacity_providers.contains_key(name) {
                    tx.put(CapacityProviderRec {
                        provider: CapacityProvider {
                            capacity_provider_arn: Some(self.scope.capacity_provider_arn(name)),
                            name: Some(name.into()),
                            status: Some(CapacityProviderStatus::Active),
                            tags: Some(Vec::new()),
                            ..Default::default()
                        },
                    })?;
                }
            }
            Ok(())
        })
    }

    pub(crate) fn create_capacity_provider(
        &self,
        req: CreateCapacityProviderRequest,
    ) -> Result<CreateCapacityProviderResponse> {
        let name = req.name.clone().unwrap_or_default();
        if !valid_name(&name) {
            return Err(EcsError::invalid(
                "Capacity provider name must be 1-255 characters: letters, numbers, hyphens and underscores.",
            ));
        }
        let lower = name.to_ascii_lowercase();
        if ["aws", "ecs", "fargate"]
            .iter()
            .any(|p| lower.starts_with(p))
        {
            return Err(EcsError::invalid(
                "Capacity provider names cannot begin with 'aws', 'ecs' or 'fargate'.",
            ));
        }
        if req.auto_scaling_group_provider.is_none() && req.managed_instances_provider.is_none() {
            return Err(EcsError::invalid(
                "A capacity provider needs an autoScalingGroupProvider or a managedInstancesProvider.",
            ));
        }
        if req.managed_instances_provider.is_some() {
            return Err(EcsError::UnsupportedFeature(
                "Managed instances capacity providers are not supported by Berth yet.".into(),
            ));
        }
        validate_tags(list(&req.tags))?;
        let rec = self.db.write(|tx| {
            if let Some(c) = req.cluster.as_deref() {
                self.active_cluster(tx.state, Some(c))?;
            }
            if let Some(existing) = tx.state.capacity_providers.get(&name) {
                if existing.provider.status == Some(CapacityProviderStatus::Active) {
                    return Err(EcsError::client(format!(
                        "The specified capacity provider '{name}' already exists."
                    )));
                }
            }
            let mut asg = req.auto_scaling_group_provider.clone();
            if let Some(a) = asg.as_mut() {
                let scaling = a.managed_scaling.get_or_insert_with(Default::default);
                scaling.status.get_or_insert(ManagedScalingStatus::Disabled);
                scaling.target_capacity.get_or_insert(100);
                scaling.minimum_scaling_step_size.get_or_insert(1);
                scaling.maximum_scaling_step_size.get_or_insert(10000);
                scaling.instance_warmup_period.get_or_insert(300);
                a.managed_termination_protection
                    .get_or_insert(ManagedTerminationProtection::Disabled);
                a.managed_draining.get_or_insert(ManagedDraining::Enabled);
            }
            let rec = CapacityProviderRec {
                provider: CapacityProvider {
                    capacity_provider_arn: Some(self.scope.capacity_provider_arn(&name)),
                    name: Some(name.clone()),
                    cluster: req.cluster.clone(),
                    status: Some(CapacityProviderStatus::Active),
                    auto_scaling_group_provider: asg,
                    tags: Some(req.tags.clone().unwrap_or_default()),
                    ..Default::default()
                },
            };
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        Ok(CreateCapacityProviderResponse {
            capacity_provider: Some(rec.provider),
        })
    }

    pub(crate) fn describe_capacity_providers(
        &self,
        req: DescribeCapacityProvidersRequest,
    ) -> Result<DescribeCapacityProvidersResponse> {
        let with_tags = list(&req.include).contains(&CapacityProviderField::Tags);
        let view = |rec: &CapacityProviderRec| {
            let mut p = rec.provider.clone();
            if !with_tags {
                p.tags = None;
            }
            p
        };
        self.db
            .read(|state| match req.capacity_providers.as_deref() {
                Some(names) if !names.is_empty() => {
                    let mut providers = Vec::new();
                    let mut failures = Vec::new();
                    for n in names {
                        match find(state, n) {
                            Some(rec) => providers.push(view(rec)),
                            None => {
                                let arn = if n.starts_with("arn:") {
                                    n.clone()
                                } else {
                                    self.scope.capacity_provider_arn(n)
                                };
                                failures.push(failure(arn, "MISSING"))
                            }
                        }
                    }
                    Ok(DescribeCapacityProvidersResponse {
                        capacity_providers: Some(providers),
                        failures: Some(failures),
                        next_token: None,
                    })
                }
                _ => {
                    let size = page_size(req.max_results, 10, 10)?;
                    let active = state
                        .capacity_providers
                        .iter()
                        .filter(|(_, r)| r.provider.status == Some(CapacityProviderStatus::Active))
                        .map(|(k, r)| (k.clone(), view(r)));
                    let page = paginate(active, req.next_token.as_deref(), size)?;
                    Ok(DescribeCapacityProvidersResponse {
                        capacity_providers: Some(page.items),
                        failures: Some(Vec::new()),
                        next_token: page.next_token,
                    })
                }
            })
    }

    pub(crate) fn update_capacity_provider(
        &self,
        req: UpdateCapacityProviderRequest,
    ) -> Result<UpdateCapacityProviderResponse> {
        let name = req.name.clone().unwrap_or_default();
        let rec = self.db.write(|tx| {
            let mut rec = find(tx.state, &name)
                .filter(|r| r.provider.status == Some(CapacityProviderStatus::Active))
                .cloned()
                .ok_or_else(|| not_found(&name))?;
            if BUILTIN.contains(&rec.provider.name.as_deref().unwrap_or_default()) {
                return Err(EcsError::client(
                    "The FARGATE capacity providers cannot be updated.",
                ));
            }
            if let (Some(update), Some(asg)) = (
                &req.auto_scaling_group_provider,
                rec.provider.auto_scaling_group_provider.as_mut(),
            ) {
                if let Some(ms) = &update.managed_scaling {
                    let cur = asg.managed_scaling.get_or_insert_with(Default::default);
                    if ms.status.is_some() {
                        cur.status = ms.status.clone();
                    }
                    if ms.target_capacity.is_some() {
                        cur.target_capacity = ms.target_capacity;
                    }
                    if ms.minimum_scaling_step_size.is_some() {
                        cur.minimum_scaling_step_size = ms.minimum_scaling_step_size;
                    }
                    if ms.maximum_scaling_step_size.is_some() {
                        cur.maximum_scaling_step_size = ms.maximum_scaling_step_size;
                    }
                    if ms.instance_warmup_period.is_some() {
                        cur.instance_warmup_period = ms.instance_warmup_period;
                    }
                }
                if update.managed_termination_protection.is_some() {
                    asg.managed_termination_protection =
                        update.managed_termination_protection.clone();
                }
                if update.managed_draining.is_some() {
                    asg.managed_draining = update.managed_draining.clone();
                }
            }
            rec.provider.update_status = Some(CapacityProviderUpdateStatus::UpdateComplete);
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        Ok(UpdateCapacityProviderResponse {
            capacity_provider: Some(rec.provider),
        })
    }

    pub(crate) fn delete_capacity_provider(
        &self,
        req: DeleteCapacityProviderRequest,
    ) -> Result<DeleteCapacityProviderResponse> {
        let name = req.capacity_provider.clone().unwrap_or_default();
        let rec = self.db.write(|tx| {
            let mut rec = find(tx.state, &name)
                .filter(|r| r.provider.status == Some(CapacityProviderStatus::Active))
                .cloned()
                .ok_or_else(|| not_found(&name))?;
            let pname = rec.provider.name.clone().unwrap_or_default();
            if BUILTIN.contains(&pname.as_str()) {
                return Err(EcsError::client("The FARGATE capacity providers cannot be deleted."));
            }
            let in_use = tx.state.clusters.values().any(|c| {
                c.is_active() && list(&c.cluster.capacity_providers).contains(&pname)
            });
            if in_use {
                return Err(EcsError::ResourceInUse(format!(
                    "The capacity provider '{pname}' is associated with a cluster; remove it with PutClusterCapacityProviders first."
                )));
            }
            rec.provider.status = Some(CapacityProviderStatus::Inactive);
            rec.provider.update_status = Some(CapacityProviderUpdateStatus::DeleteComplete);
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        Ok(DeleteCapacityProviderResponse {
            capacity_provider: Some(rec.provider),
        })
    }
}

fn find<'s>(state: &'s State, name_or_arn: &str) -> Option<&'s CapacityProviderRec> {
    state
        .capacity_providers
        .get(name_or_arn)
        .or_else(|| {
            state
                .capacity_providers
                .values()
                .find(|r| r.provider.capacity_provider_arn.as_deref() == Some(name_or_arn))
        })
        .map(|r| &**r)
}

fn not_found(name: &str) -> EcsError {
    EcsError::client(format!(
        "The specified capacity provider '{name}' does not exist."
    ))
}
