//! CreateCluster, DescribeClusters, ListClusters, UpdateCluster, UpdateClusterSettings,
//! PutClusterCapacityProviders, DeleteCluster.

use berth_ecs_model::shapes::*;

use super::{failure, list, validate_tags};
use crate::arn::{cluster_name, valid_name};
use crate::error::{EcsError, Result};
use crate::page::{page_size, paginate};
use crate::records::ClusterRec;
use crate::state::State;
use crate::Ecs;

const MAX_DESCRIBE: usize = 100;

impl Ecs {
    pub(crate) fn create_cluster(
        &self,
        req: CreateClusterRequest,
    ) -> Result<CreateClusterResponse> {
        let name = req.cluster_name.clone().unwrap_or_else(|| "default".into());
        if !valid_name(&name) {
            return Err(EcsError::invalid(
                "Cluster name must be 1-255 characters: letters, numbers, hyphens and underscores.",
            ));
        }
        validate_tags(list(&req.tags))?;
        validate_settings(list(&req.settings))?;
        let rec = self.db.write(|tx| {
            if let Some(existing) = tx.state.clusters.get(&name).filter(|c| c.is_active()) {
                return Ok(ClusterRec::clone(existing));
            }
            let providers = req.capacity_providers.clone().unwrap_or_default();
            let strategy = req
                .default_capacity_provider_strategy
                .clone()
                .unwrap_or_default();
            check_capacity_providers(tx.state, &providers, &strategy)?;
            let mut settings = req.settings.clone().unwrap_or_default();
            if !settings
                .iter()
                .any(|s| s.name == Some(ClusterSettingName::ContainerInsights))
            {
                let insights = self.effective_setting(tx.state, &SettingName::ContainerInsights);
                settings.push(ClusterSetting {
                    name: Some(ClusterSettingName::ContainerInsights),
                    value: Some(insights),
                });
            }
            let rec = ClusterRec {
                cluster: Cluster {
                    cluster_arn: Some(self.scope.cluster_arn(&name)),
                    cluster_name: Some(name.clone()),
                    configuration: req.configuration.clone(),
                    status: Some("ACTIVE".into()),
                    tags: Some(req.tags.clone().unwrap_or_default()),
                    settings: Some(settings),
                    capacity_providers: Some(providers),
                    default_capacity_provider_strategy: Some(strategy),
                    service_connect_defaults: service_connect(&req.service_connect_defaults),
                    ..Default::default()
                },
            };
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        let all = [
            ClusterField::Configurations,
            ClusterField::Settings,
            ClusterField::Tags,
        ];
        let hook = self
            .cluster_hook
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(hook) = hook {
            hook(&name);
        }
        Ok(CreateClusterResponse {
            cluster: Some(self.cluster_view(&rec, &all)),
        })
    }

    pub(crate) fn describe_clusters(
        &self,
        req: DescribeClustersRequest,
    ) -> Result<DescribeClustersResponse> {
        let wanted = match req.clusters.as_deref() {
            None | Some([]) => vec!["default".to_owned()],
            Some(c) => c.to_vec(),
        };
        if wanted.len() > MAX_DESCRIBE {
            return Err(EcsError::invalid(
                "DescribeClusters takes at most 100 clusters.",
            ));
        }
        let include = req.include.unwrap_or_default();
        self.db.read(|state| {
            let mut clusters = Vec::new();
            let mut failures = Vec::new();
            for param in &wanted {
                let found = cluster_name(&self.scope, Some(param))
                    .and_then(|n| state.clusters.get(&n))
                    .filter(|c| !c.is_internal());
                match found {
                    Some(rec) => clusters.push(self.cluster_view_in(state, rec, &include)),
                    None => {
                        let arn = if param.starts_with("arn:") {
                            param.clone()
                        } else {
                            self.scope.cluster_arn(param)
                        };
                        failures.push(failure(arn, "MISSING"));
                    }
                }
            }
            Ok(DescribeClustersResponse {
                clusters: Some(clusters),
                failures: Some(failures),
            })
        })
    }

    pub(crate) fn list_clusters(&self, req: ListClustersRequest) -> Result<ListClustersResponse> {
        let size = page_size(req.max_results, 100, 100)?;
        self.db.read(|state| {
            let mut arns: Vec<(String, String)> = state
                .clusters
                .values()
                .filter(|c| c.is_active() && !c.is_internal())
                .map(|c| {
                    let arn = self.scope.cluster_arn(c.name());
                    (arn.clone(), arn)
                })
                .collect();
            arns.sort();
            let page = paginate(arns, req.next_token.as_deref(), size)?;
            Ok(ListClustersResponse {
                cluster_arns: Some(page.items),
                next_token: page.next_token,
            })
        })
    }

    pub(crate) fn update_cluster(
        &self,
        req: UpdateClusterRequest,
    ) -> Result<UpdateClusterResponse> {
        validate_settings(list(&req.settings))?;
        let rec = self.modify_cluster(req.cluster.as_deref(), |c| {
            merge_settings(c, list(&req.settings));
            if let Some(conf) = &req.configuration {
                c.configuration = Some(conf.clone());
            }
            if req.service_connect_defaults.is_some() {
                c.service_connect_defaults = service_connect(&req.service_connect_defaults);
            }
            Ok(())
        })?;
        let all = [
            ClusterField::Configurations,
            ClusterField::Settings,
            ClusterField::Tags,
        ];
        Ok(UpdateClusterResponse {
            cluster: Some(self.cluster_view(&rec, &all)),
        })
    }

    pub(crate) fn update_cluster_settings(
        &self,
        req: UpdateClusterSettingsRequest,
    ) -> Result<UpdateClusterSettingsResponse> {
        validate_settings(list(&req.settings))?;
        let rec = self.modify_cluster(req.cluster.as_deref(), |c| {
            merge_settings(c, list(&req.settings));
            Ok(())
        })?;
        let all = [ClusterField::Settings, ClusterField::Tags];
        Ok(UpdateClusterSettingsResponse {
            cluster: Some(self.cluster_view(&rec, &all)),
        })
    }

    pub(crate) fn put_cluster_capacity_providers(
        &self,
        req: PutClusterCapacityProvidersRequest,
    ) -> Result<PutClusterCapacityProvidersResponse> {
        let providers = req.capacity_providers.clone().unwrap_or_default();
        let strategy = req
            .default_capacity_provider_strategy
            .clone()
            .unwrap_or_default();
        let rec = self.db.write(|tx| {
            let mut rec = self
                .active_cluster(tx.state, req.cluster.as_deref())?
                .clone();
            check_capacity_providers(tx.state, &providers, &strategy)?;
            rec.cluster.capacity_providers = Some(providers.clone());
            rec.cluster.default_capacity_provider_strategy = Some(strategy.clone());
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        let all = [ClusterField::Settings, ClusterField::Tags];
        Ok(PutClusterCapacityProvidersResponse {
            cluster: Some(self.cluster_view(&rec, &all)),
        })
    }

    pub(crate) fn delete_cluster(
        &self,
        req: DeleteClusterRequest,
    ) -> Result<DeleteClusterResponse> {
        let rec = self.db.write(|tx| {
            let mut rec = self
                .active_cluster(tx.state, req.cluster.as_deref())?
                .clone();
            if rec.is_internal() {
                return Err(EcsError::ClusterNotFound);
            }
            let name = rec.name().to_owned();
            let has_services = tx
                .state
                .services
                .values()
                .any(|s| s.cluster == name && s.status() != "INACTIVE");
            if has_services {
                return Err(EcsError::ClusterContainsServices);
            }
            let has_instances = tx
                .state
                .container_instances
                .values()
                .any(|ci| ci.cluster == name && ci.status() != "INACTIVE");
            if has_instances {
                return Err(EcsError::ClusterContainsContainerInstances);
            }
            let has_tasks = tx
                .state
                .tasks
                .values()
                .any(|t| t.cluster == name && t.last_status() != "STOPPED");
            if has_tasks {
                return Err(EcsError::ClusterContainsTasks);
            }
            rec.cluster.status = Some("INACTIVE".into());
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        let all = [ClusterField::Settings, ClusterField::Tags];
        Ok(DeleteClusterResponse {
            cluster: Some(self.cluster_view(&rec, &all)),
        })
    }

    /// Applies `f` to the ACTIVE cluster named by `param` as one durable write.
    fn modify_cluster(
        &self,
        param: Option<&str>,
        f: impl FnOnce(&mut Cluster) -> Result<()>,
    ) -> Result<ClusterRec> {
        self.db.write(|tx| {
            let mut rec = self.active_cluster(tx.state, param)?.clone();
            f(&mut rec.cluster)?;
            tx.put(rec.clone())?;
            Ok(rec)
        })
    }

    fn cluster_view(&self, rec: &ClusterRec, include: &[ClusterField]) -> Cluster {
        self.db
            .read(|state| self.cluster_view_in(state, rec, include))
    }

    /// The cluster as described: counts computed from the state, optional parts by `include`.
    fn cluster_view_in(
        &self,
        state: &State,
        rec: &ClusterRec,
        include: &[ClusterField],
    ) -> Cluster {
        let mut c = rec.cluster.clone();
        let name = rec.name();
        let instances = state
            .container_instances
            .values()
            .filter(|ci| ci.cluster == name && ci.status() != "INACTIVE");
        let (mut registered, mut running, mut pending) = (0, 0, 0);
        for ci in instances {
            registered += 1;
            let counts = state.task_counts(&ci.id);
            running += counts.running;
            pending += counts.pending;
        }
        let fargate = state.fargate_counts.get(name).copied().unwrap_or_default();
        c.registered_container_instances_count = registered;
        c.running_tasks_count = running + fargate.running;
        c.pending_tasks_count = pending + fargate.pending;
        let has = |f: ClusterField| include.contains(&f);
        if !has(ClusterField::Tags) {
            c.tags = Some(Vec::new());
        }
        if !has(ClusterField::Settings) {
            c.settings = None;
        }
        if !has(ClusterField::Configurations) {
            c.configuration = None;
        }
        c.statistics = Some(if has(ClusterField::Statistics) {
            statistics(&c, fargate)
        } else {
            Vec::new()
        });
        if !has(ClusterField::Attachments) {
            c.attachments = None;
        }
        c
    }
}

fn statistics(c: &Cluster, fargate: crate::records::TaskCounts) -> Vec<KeyValuePair> {
    let kv = |name: &str, value: i32| KeyValuePair {
        name: Some(name.into()),
        value: Some(value.to_string()),
    };
    vec![
        kv(
            "runningEC2TasksCount",
            c.running_tasks_count - fargate.running,
        ),
        kv("runningFargateTasksCount", fargate.running),
        kv(
            "pendingEC2TasksCount",
            c.pending_tasks_count - fargate.pending,
        ),
        kv("pendingFargateTasksCount", fargate.pending),
        kv("runningExternalTasksCount", 0),
        kv("pendingExternalTasksCount", 0),
        kv("activeEC2ServiceCount", c.active_services_count),
        kv("activeFargateServiceCount", 0),
        kv("drainingEC2ServiceCount", 0),
        kv("drainingFargateServiceCount", 0),
    ]
}

fn service_connect(
    req: &Option<ClusterServiceConnectDefaultsRequest>,
) -> Option<ClusterServiceConnectDefaults> {
    req.as_ref().map(|r| ClusterServiceConnectDefaults {
        namespace: r.namespace.clone(),
    })
}

fn validate_settings(settings: &[ClusterSetting]) -> Result<()> {
    for s in settings {
        let value = s.value.as_deref().unwrap_or_default();
        if s.name == Some(ClusterSettingName::ContainerInsights)
            && !matches!(value, "enabled" | "disabled" | "enhanced")
        {
            return Err(EcsError::invalid(format!(
                "Invalid value '{value}' for containerInsights: expected enabled, disabled or enhanced."
            )));
        }
        if s.name.is_none() {
            return Err(EcsError::invalid("A cluster setting needs a name."));
        }
    }
    Ok(())
}

fn merge_settings(c: &mut Cluster, new: &[ClusterSetting]) {
    let settings = c.settings.get_or_insert_with(Vec::new);
    for s in new {
        match settings.iter_mut().find(|e| e.name == s.name) {
            Some(existing) => existing.value = s.value.clone(),
            None => settings.push(s.clone()),
        }
    }
}

/// Capacity providers named for a cluster must exist, and a default strategy may only use them.
fn check_capacity_providers(
    state: &State,
    providers: &[String],
    strategy: &[CapacityProviderStrategyItem],
) -> Result<()> {
    for p in providers {
        let exists = state.capacity_providers.values().any(|cp| {
            cp.provider.name.as_deref() == Some(p.as_str())
                || cp.provider.capacity_provider_arn.as_deref() == Some(p.as_str())
        });
        if !exists {
            return Err(EcsError::invalid(format!(
                "The specified capacity provider '{p}' does not exist."
            )));
        }
    }
    let mut with_base = 0;
    for item in strategy {
        let name = item.capacity_provider.as_deref().unwrap_or_default();
        if !providers.iter().any(|p| p == name) {
            return Err(EcsError::invalid(format!(
                "The capacity provider '{name}' in the default strategy is not associated with the cluster."
            )));
        }
        if item.base > 0 {
            with_base += 1;
        }
    }
    if with_base > 1 {
        return Err(EcsError::invalid(
            "Only one capacity provider in a strategy can have a base defined.",
        ));
    }
    let fargate = strategy.iter().any(|i| {
        matches!(
            i.capacity_provider.as_deref(),
            Some("FARGATE") | Some("FARGATE_SPOT")
        )
    });
    let other = strategy.iter().any(|i| {
        !matches!(
            i.capacity_provider.as_deref(),
            Some("FARGATE") | Some("FARGATE_SPOT")
        )
    });
    if fargate && other {
        return Err(EcsError::invalid(
            "A capacity provider strategy cannot mix Fargate and Auto Scaling group capacity providers.",
        ));
    }
    Ok(())
}
