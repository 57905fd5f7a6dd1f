//! ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions and
//! StopServiceDeployment: each deployment of a service (`ecs-svc/<n>`) is a service
//! deployment `service-deployment/<cluster>/<service>/<n>` that targets a service revision
//! `service-revision/<cluster>/<service>/<n>`.

use berth_ecs_model::shapes::*;

use super::list;
use crate::error::{EcsError, Result};
use crate::page::{page_size, paginate_ordered};
use crate::records::ServiceRec;
use crate::state::State;
use crate::Ecs;

fn number(deployment_id: &str) -> &str {
    deployment_id
        .strip_prefix("ecs-svc/")
        .unwrap_or(deployment_id)
}

/// Every deployment a service has had, newest first.
fn all_deployments(rec: &ServiceRec) -> Vec<&Deployment> {
    let mut all: Vec<&Deployment> = list(&rec.service.deployments)
        .iter()
        .chain(rec.past_deployments.iter())
        .collect();
    all.sort_by(|a, b| {
        b.created_at
            .unwrap_or(0.0)
            .total_cmp(&a.created_at.unwrap_or(0.0))
    });
    all
}

impl Ecs {
    fn deployment_arn(&self, rec: &ServiceRec, kind: &str, d: &Deployment) -> String {
        self.scope.arn(&format!(
            "{kind}/{}/{}/{}",
            rec.cluster,
            rec.name,
            number(d.id.as_deref().unwrap_or_default())
        ))
    }

    fn deployment_status(&self, rec: &ServiceRec, d: &Deployment) -> ServiceDeploymentStatus {
        let id = d.id.as_deref().unwrap_or_default();
        let rollback = rec
            .rollbacks
            .iter()
            .find(|(_, failed)| failed.as_str() == id)
            .and_then(|(by, _)| {
                all_deployments(rec)
                    .into_iter()
                    .find(|x| x.id.as_deref() == Some(by))
            });
        match (&d.rollout_state, rollback) {
            (Some(DeploymentRolloutState::Completed), _) => ServiceDeploymentStatus::Successful,
            (Some(DeploymentRolloutState::Failed), Some(r)) => match r.rollout_state {
                Some(DeploymentRolloutState::Completed) => {
                    ServiceDeploymentStatus::RollbackSuccessful
                }
                Some(DeploymentRolloutState::Failed) => ServiceDeploymentStatus::RollbackFailed,
                _ => ServiceDeploymentStatus::RollbackInProgress,
            },
            (Some(DeploymentRolloutState::Failed), None) => ServiceDeploymentStatus::Stopped,
            _ if d.status.as_deref() == Some("PRIMARY") => ServiceDeploymentStatus::InProgress,
            // Superseded by a newer deployment before it completed.
            _ => ServiceDeploymentStatus::Stopped,
        }
    }

    fn finished(d: &Deployment) -> Option<f64> {
        matches!(
            d.rollout_state,
            Some(DeploymentRolloutState::Completed) | Some(DeploymentRolloutState::Failed)
        )
        .then_some(d.updated_at)
        .flatten()
    }

    /// The service and deployment a service-deployment (or service-revision) ARN names.
    fn by_arn<'s>(
        &self,
        state: &'s State,
        arn: &str,
        kind: &str,
    ) -> Option<(&'s ServiceRec, Deployment)> {
        let rest = self
            .scope
            .resource_of(arn)?
            .strip_prefix(kind)?
            .strip_prefix('/')?;
        let mut parts = rest.splitn(3, '/');
        let (cluster, service, n) = (parts.next()?, parts.next()?, parts.next()?);
        let rec = state.services.get(&format!("{cluster}/{service}"))?;
        let d = all_deployments(rec)
            .into_iter()
            .find(|d| number(d.id.as_deref().unwrap_or_default()) == n)?
            .clone();
        Some((rec, d))
    }

    pub(crate) fn list_service_deployments(
        &self,
        req: ListServiceDeploymentsRequest,
    ) -> Result<ListServiceDeploymentsResponse> {
        let size = page_size(req.max_results, 100, 20)?;
        self.db.read(|state| {
            let rec = self.find_service(state, req.cluster.as_deref(), req.service.as_deref())?;
            let wanted = list(&req.status);
            let mut items: Vec<(String, ServiceDeploymentBrief)> = Vec::new();
            for d in all_deployments(&rec) {
                let status = self.deployment_status(&rec, d);
                if !wanted.is_empty() && !wanted.contains(&status) {
                    continue;
                }
                let created = d.created_at.unwrap_or(0.0);
                if let Some(range) = &req.created_at {
                    if range.before.is_some_and(|b| created >= b)
                        || range.after.is_some_and(|a| created <= a)
                    {
                        continue;
                    }
                }
                // Newest first: the key sorts descending by creation time.
                let key = format!("{:020.6}", created);
                items.push((
                    key,
                    ServiceDeploymentBrief {
                        service_deployment_arn: Some(self.deployment_arn(
                            &rec,
                            "service-deployment",
                            d,
                        )),
                        service_arn: rec.service.service_arn.clone(),
                        cluster_arn: rec.service.cluster_arn.clone(),
                        started_at: d.created_at,
                        created_at: d.created_at,
                        finished_at: Self::finished(d),
                        target_service_revision_arn: Some(self.deployment_arn(
                            &rec,
                            "service-revision",
                            d,
                        )),
                        status: Some(status),
                        status_reason: d.rollout_state_reason.clone(),
                    },
                ));
            }
            items.sort_by(|a, b| b.0.cmp(&a.0));
            let page = paginate_ordered(items, req.next_token.as_deref(), size, true)?;
            Ok(ListServiceDeploymentsResponse {
                service_deployments: Some(page.items),
                next_token: page.next_token,
            })
        })
    }

    pub(crate) fn describe_service_deployments(
        &self,
        req: DescribeServiceDeploymentsRequest,
    ) -> Result<DescribeServiceDeploymentsResponse> {
        let arns = list(&req.service_deployment_arns).to_vec();
        if arns.is_empty() || arns.len() > 20 {
            return Err(EcsError::invalid(
                "serviceDeploymentArns must name 1 to 20 deployments.",
            ));
        }
        self.db.read(|state| {
            let mut found = Vec::new();
            let mut failures = Vec::new();
            for arn in &arns {
                let Some((rec, d)) = self.by_arn(state, arn, "service-deployment") else {
                    failures.push(super::failure(arn.clone(), "MISSING"));
                    continue;
                };
                let view = self.service_view_in(state, rec, false);
                let counts = |id: &Option<String>| {
                    list(&view.deployments)
                        .iter()
                        .find(|x| x.id == *id)
                        .map(|x| (x.running_count, x.pending_count))
                        .unwrap_or((0, 0))
                };
                let summary = |x: &Deployment| {
                    let (running, pending) = counts(&x.id);
                    ServiceRevisionSummary {
                        arn: Some(self.deployment_arn(rec, "service-revision", x)),
                        requested_task_count: x.desired_count,
                        running_task_count: running,
                        pending_task_count: pending,
                        requested_test_traffic_weight: 0.0,
                        requested_production_traffic_weight: 0.0,
                    }
                };
                let sources: Vec<ServiceRevisionSummary> = all_deployments(rec)
                    .into_iter()
                    .filter(|x| x.id != d.id && x.created_at < d.created_at)
                    .filter(|x| x.status.as_deref() == Some("ACTIVE"))
                    .map(summary)
                    .collect();
                let breaker = rec
                    .service
                    .deployment_configuration
                    .as_ref()
                    .and_then(|c| c.deployment_circuit_breaker.as_ref())
                    .filter(|b| b.enable);
                let rollback = rec
                    .rollbacks
                    .iter()
                    .find(|(_, failed)| Some(failed.as_str()) == d.id.as_deref())
                    .and_then(|(by, _)| {
                        all_deployments(rec)
                            .into_iter()
                            .find(|x| x.id.as_deref() == Some(by))
                    })
                    .map(|r| Rollback {
                        reason: r.rollout_state_reason.clone(),
                        started_at: r.created_at,
                        service_revision_arn: Some(self.deployment_arn(rec, "service-revision", r)),
                    });
                found.push(ServiceDeployment {
                    service_deployment_arn: Some(self.deployment_arn(
                        rec,
                        "service-deployment",
                        &d,
                    )),
                    service_arn: rec.service.service_arn.clone(),
                    cluster_arn: rec.service.cluster_arn.clone(),
                    created_at: d.created_at,
                    started_at: d.created_at,
                    finished_at: Self::finished(&d),
                    updated_at: d.updated_at,
                    source_service_revisions: Some(sources),
                    target_service_revision: Some(summary(&d)),
                    status: Some(self.deployment_status(rec, &d)),
                    status_reason: d.rollout_state_reason.clone(),
                    deployment_configuration: rec.service.deployment_configuration.clone(),
                    rollback,
                    deployment_circuit_breaker: breaker.map(|_| ServiceDeploymentCircuitBreaker {
                        status: Some(if d.rollout_state == Some(DeploymentRolloutState::Failed) {
                            ServiceDeploymentRollbackMonitorsStatus::Triggered
                        } else {
                            ServiceDeploymentRollbackMonitorsStatus::Monitoring
                        }),
                        failure_count: d.failed_tasks,
                        threshold: berth_service_scheduler::failure_threshold(
                            d.desired_count.max(0) as u32,
                        ) as i32,
                    }),
                    ..Default::default()
                });
            }
            Ok(DescribeServiceDeploymentsResponse {
                service_deployments: Some(found),
                failures: Some(failures),
            })
        })
    }

    pub(crate) fn describe_service_revisions(
        &self,
        req: DescribeServiceRevisionsRequest,
    ) -> Result<DescribeServiceRevisionsResponse> {
        let arns = list(&req.service_revision_arns).to_vec();
        if arns.is_empty() || arns.len() > 20 {
            return Err(EcsError::invalid(
                "serviceRevisionArns must name 1 to 20 revisions.",
            ));
        }
        self.db.read(|state| {
            let mut found = Vec::new();
            let mut failures = Vec::new();
            for arn in &arns {
                let Some((rec, d)) = self.by_arn(state, arn, "service-revision") else {
                    failures.push(super::failure(arn.clone(), "MISSING"));
                    continue;
                };
                let images = d
                    .task_definition
                    .as_deref()
                    .and_then(|td| self.find_task_definition(state, td))
                    .map(|td| {
                        list(&td.definition.container_definitions)
                            .iter()
                            .map(|c| ContainerImage {
                                container_name: c.name.clone(),
                                image: c.image.clone(),
                                image_digest: None,
                            })
                            .collect()
                    });
                found.push(ServiceRevision {
                    service_revision_arn: Some(arn.clone()),
                    service_arn: rec.service.service_arn.clone(),
                    cluster_arn: rec.service.cluster_arn.clone(),
                    task_definition: d.task_definition.clone(),
                    capacity_provider_strategy: d.capacity_provider_strategy.clone(),
                    launch_type: d.launch_type.clone(),
                    platform_version: d.platform_version.clone(),
                    platform_family: d.platform_family.clone(),
                    network_configuration: d.network_configuration.clone(),
                    container_images: images,
                    created_at: d.created_at,
                    ..Default::default()
                });
            }
            Ok(DescribeServiceRevisionsResponse {
                service_revisions: Some(found),
                failures: Some(failures),
            })
        })
    }

    pub(crate) fn stop_service_deployment(
        &self,
        req: StopServiceDeploymentRequest,
    ) -> Result<StopServiceDeploymentResponse> {
        let arn = req.service_deployment_arn.clone().unwrap_or_default();
        let rollback = req.stop_type != Some(StopServiceDeploymentStopType::Abort);
        let now = self.now();
        self.db.write(|tx| {
            let (rec, d) = self
                .by_arn(tx.state, &arn, "service-deployment")
                .map(|(r, d)| (r.clone(), d))
                .ok_or_else(|| {
                    EcsError::ServiceDeploymentNotFound(
                        "The service deployment was not found.".into(),
                    )
                })?;
            let in_progress = d.status.as_deref() == Some("PRIMARY")
                && d.rollout_state == Some(DeploymentRolloutState::InProgress);
            if !in_progress || rec.status() != "ACTIVE" {
                return Err(EcsError::Conflict(
                    "The service deployment is not in progress.".into(),
                ));
            }
            let mut rec = rec;
            let id = d.id.clone().unwrap_or_default();
            let target = all_deployments(&rec)
                .into_iter()
                .find(|x| x.rollout_state == Some(DeploymentRolloutState::Completed))
                .cloned();
            let deployments = rec.service.deployments.get_or_insert_with(Vec::new);
            for x in deployments.iter_mut() {
                if x.id.as_deref() == Some(id.as_str()) {
                    x.rollout_state = Some(DeploymentRolloutState::Failed);
                    x.rollout_state_reason = Some("Service deployment stopped by user.".into());
                    x.updated_at = Some(now);
                    if rollback && target.is_some() {
                        x.status = Some("ACTIVE".into());
                    }
                }
            }
            if let (true, Some(t)) = (rollback, target) {
                let new_id = berth_service_scheduler::rollback_id(&id);
                deployments.insert(
                    0,
                    Deployment {
                        id: Some(new_id.clone()),
                        status: Some("PRIMARY".into()),
                        rollout_state: Some(DeploymentRolloutState::InProgress),
                        rollout_state_reason: Some(format!(
                            "Rolling back to service deployment {}.",
                            number(t.id.as_deref().unwrap_or_default())
                        )),
                        created_at: Some(now),
                        updated_at: Some(now),
                        failed_tasks: 0,
                        desired_count: rec.service.desired_count,
                        ..t.clone()
                    },
                );
                rec.service.task_definition = t.task_definition.clone();
                rec.rollbacks.insert(new_id, id);
            }
            tx.put(rec)?;
            Ok(())
        })?;
        self.wake_services();
        Ok(StopServiceDeploymentResponse {
            service_deployment_arn: Some(arn),
        })
    }
}
