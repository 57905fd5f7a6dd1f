//! Services: CreateService, UpdateService, DeleteService, DescribeServices, ListServices.
//! The scheduler that keeps them at their desired state is in `service_controller.rs`; here
//! is what the API stores and shows. A service's tasks carry group `service:<name>` and
//! startedBy = the id of the deployment that started them (as ECS does).

use berth_ecs_model::shapes::*;

use super::tags::validate_tags;
use super::{failure, list};
use crate::arn::{is_arn, valid_name};
use crate::error::{EcsError, Result};
use crate::page::{page_size, paginate};
use crate::records::ServiceRec;
use crate::state::State;
use crate::Ecs;

/// Events kept per service (ECS shows the latest 100).
pub(crate) const MAX_EVENTS: usize = 100;

fn deployment_id() -> String {
    let n = u64::from_le_bytes(
        uuid::Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .unwrap_or([7; 8]),
    );
    format!("ecs-svc/{:019}", n % 10_000_000_000_000_000_000)
}

fn is_daemon(s: &Service) -> bool {
    s.scheduling_strategy == Some(SchedulingStrategy::Daemon)
}

/// ECS's defaults for a deployment configuration, filled where the request leaves them out.
fn deployment_configuration(
    given: Option<&DeploymentConfiguration>,
    daemon: bool,
) -> Result<DeploymentConfiguration> {
    let mut c = given.cloned().unwrap_or_default();
    let max = *c
        .maximum_percent
        .get_or_insert(if daemon { 100 } else { 200 });
    let min = *c
        .minimum_healthy_percent
        .get_or_insert(if daemon { 0 } else { 100 });
    if !(0..=100).contains(&min) {
        return Err(EcsError::invalid(
            "minimumHealthyPercent must be between 0 and 100.",
        ));
    }
    if max < 100 {
        return Err(EcsError::invalid("maximumPercent must be at least 100."));
    }
    c.deployment_circuit_breaker
        .get_or_insert(DeploymentCircuitBreaker {
            enable: false,
            rollback: false,
            ..Default::default()
        });
    Ok(c)
}

impl Ecs {
    fn service_in<'s>(
        &self,
        state: &'s State,
        cluster: &str,
        param: &str,
    ) -> Option<&'s ServiceRec> {
        let name = if is_arn(param) {
            let res = self.scope.resource_of(param)?.strip_prefix("service/")?;
            // service/<cluster>/<name> (or the old service/<name>).
            match res.split_once('/') {
                Some((c, n)) if c == cluster => n,
                Some(_) => return None,
                None => res,
            }
        } else {
            param
        };
        state
            .services
            .get(&format!("{cluster}/{name}"))
            .map(|r| &**r)
    }

    /// The service a request names, in its cluster.
    pub(crate) fn find_service(
        &self,
        state: &State,
        cluster: Option<&str>,
        service: Option<&str>,
    ) -> Result<ServiceRec> {
        let cluster = self.active_cluster(state, cluster)?.name().to_owned();
        let param = service.unwrap_or_default();
        self.service_in(state, &cluster, param)
            .cloned()
            .ok_or(EcsError::ServiceNotFound)
    }

    pub(crate) fn create_service(
        &self,
        req: CreateServiceRequest,
    ) -> Result<CreateServiceResponse> {
        let name = req.service_name.clone().unwrap_or_default();
        if !valid_name(&name) {
            return Err(EcsError::invalid(
                "Service name must be 1-255 characters: letters, numbers, hyphens and underscores.",
            ));
        }
        validate_tags(list(&req.tags))?;
        let daemon = req.scheduling_strategy == Some(SchedulingStrategy::Daemon);
        if daemon && req.desired_count.is_some() {
            return Err(EcsError::invalid(
                "The daemon scheduling strategy does not support a desired count for services.",
            ));
        }
        if !daemon && req.desired_count.is_none() {
            return Err(EcsError::invalid(
                "desiredCount is required for a service with the REPLICA scheduling strategy.",
            ));
        }
        let desired = req.desired_count.unwrap_or(0);
        if desired < 0 {
            return Err(EcsError::invalid("desiredCount must not be negative."));
        }
        if daemon
            && req
                .placement_strategy
                .as_ref()
                .is_some_and(|s| !s.is_empty())
        {
            return Err(EcsError::invalid(
                "Placement strategies are not supported with the DAEMON scheduling strategy.",
            ));
        }
        if let Some(ctl) = &req.deployment_controller {
            if ctl
                .r#type
                .as_ref()
                .is_some_and(|t| *t != DeploymentControllerType::Ecs)
            {
                return Err(EcsError::UnsupportedFeature(
                    "Only the ECS deployment controller is supported by Berth yet.".into(),
                ));
            }
        }
        let grace = req.health_check_grace_period_seconds.unwrap_or(0);
        if grace < 0 {
            return Err(EcsError::invalid(
                "healthCheckGracePeriodSeconds must not be negative.",
            ));
        }
        let config = deployment_configuration(req.deployment_configuration.as_ref(), daemon)?;
        let fingerprint = {
            let mut r = req.clone();
            r.client_token = None;
            serde_json::to_string(&r).unwrap_or_default()
        };
        let now = self.now();
        let rec = self.db.write(|tx| {
            let cluster = self
                .active_cluster(tx.state, req.cluster.as_deref())?
                .name()
                .to_owned();
            if let Some(existing) = tx.state.services.get(&format!("{cluster}/{name}")) {
                if existing.status() != "INACTIVE" {
                    let same_token = match (&existing.client_token, &req.client_token) {
                        (Some((t, f)), Some(given)) => t == given && *f == fingerprint,
                        _ => false,
                    };
                    if same_token {
                        return Ok(ServiceRec::clone(existing));
                    }
                    return Err(EcsError::invalid("Creation of service was not idempotent."));
                }
            }
            let td = self
                .find_task_definition(tx.state, req.task_definition.as_deref().unwrap_or_default())
                .cloned()
                .ok_or_else(|| EcsError::client("Unable to find the task definition."))?;
            if td.definition.status != Some(TaskDefinitionStatus::Active) {
                return Err(EcsError::client("TaskDefinition is inactive"));
            }
            let td_arn = td
                .definition
                .task_definition_arn
                .clone()
                .unwrap_or_default();
            // The same checks a RunTask of this service's tasks would meet.
            let run_like = RunTaskRequest {
                cluster: Some(cluster.clone()),
                task_definition: Some(td_arn.clone()),
                launch_type: req.launch_type.clone(),
                capacity_provider_strategy: req.capacity_provider_strategy.clone(),
                placement_constraints: req.placement_constraints.clone(),
                placement_strategy: req.placement_strategy.clone(),
                network_configuration: req.network_configuration.clone(),
                ..Default::default()
            };
            let launch_type = self.check_service_launch(tx.state, &run_like)?;
            let registries = req.service_registries.clone().unwrap_or_default();
            super::service_registries::check_registries(&registries, &td.definition)?;
            let load_balancers = req.load_balancers.clone().unwrap_or_default();
            let port = self.load_balancer_port();
            super::load_balancers::check_load_balancers(
                &load_balancers,
                &td.definition,
                port.as_deref(),
                &self.scope.account,
            )?;
            let deployment = Deployment {
                id: Some(deployment_id()),
                status: Some("PRIMARY".into()),
                task_definition: Some(td_arn.clone()),
                desired_count: desired,
                created_at: Some(now),
                updated_at: Some(now),
                launch_type: Some(launch_type.clone()),
                capacity_provider_strategy: req.capacity_provider_strategy.clone(),
                network_configuration: req.network_configuration.clone(),
                rollout_state: Some(DeploymentRolloutState::InProgress),
                rollout_state_reason: Some("ECS deployment in progress.".into()),
                platform_version: (launch_type == LaunchType::Fargate).then(|| "1.4.0".into()),
                ..Default::default()
            };
            let service = Service {
                service_arn: Some(self.scope.service_arn(&cluster, &name)),
                service_name: Some(name.clone()),
                cluster_arn: Some(self.scope.cluster_arn(&cluster)),
                status: Some("ACTIVE".into()),
                desired_count: desired,
                launch_type: Some(launch_type.clone()),
                capacity_provider_strategy: req.capacity_provider_strategy.clone(),
                platform_version: (launch_type == LaunchType::Fargate).then(|| "1.4.0".into()),
                platform_family: (launch_type == LaunchType::Fargate).then(|| "Linux".into()),
                task_definition: Some(td_arn),
                deployment_configuration: Some(config),
                deployments: Some(vec![deployment.clone()]),
                events: Some(Vec::new()),
                created_at: Some(now),
                current_service_deployment: None,
                placement_constraints: Some(req.placement_constraints.clone().unwrap_or_default()),
                placement_strategy: Some(req.placement_strategy.clone().unwrap_or_default()),
                network_configuration: req.network_configuration.clone(),
                service_registries: Some(registries),
                load_balancers: Some(load_balancers),
                health_check_grace_period_seconds: Some(grace),
                scheduling_strategy: Some(if daemon {
                    SchedulingStrategy::Daemon
                } else {
                    SchedulingStrategy::Replica
                }),
                deployment_controller: Some(DeploymentController {
                    r#type: Some(DeploymentControllerType::Ecs),
                }),
                tags: Some(req.tags.clone().unwrap_or_default()),
                created_by: Some(format!("arn:aws:iam::{}:root", self.scope.account)),
                role_arn: req.role.as_deref().filter(|r| !r.is_empty()).map(|r| {
                    if r.starts_with("arn:") {
                        r.to_owned()
                    } else {
                        format!("arn:aws:iam::{}:role/{r}", self.scope.account)
                    }
                }),
                enable_ecs_managed_tags: req.enable_ecs_managed_tags,
                propagate_tags: Some(req.propagate_tags.clone().unwrap_or(PropagateTags::None)),
                enable_execute_command: req.enable_execute_command,
                availability_zone_rebalancing: Some(
                    req.availability_zone_rebalancing
                        .clone()
                        .unwrap_or(AvailabilityZoneRebalancing::Disabled),
                ),
                ..Default::default()
            };
            let rec = ServiceRec {
                cluster: cluster.clone(),
                name: name.clone(),
                service,
                client_token: req.client_token.clone().map(|t| (t, fingerprint.clone())),
                past_deployments: Vec::new(),
                rollbacks: Default::default(),
            };
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        self.wake_services();
        Ok(CreateServiceResponse {
            service: Some(self.service_view(&rec, false)),
        })
    }

    /// The launch type a service's tasks get; the request's network and placement checked.
    fn check_service_launch(&self, state: &State, run_like: &RunTaskRequest) -> Result<LaunchType> {
        let launch = self.launch_for(state, run_like)?;
        Ok(match launch {
            super::fargate::Launch::Ec2 => LaunchType::Ec2,
            super::fargate::Launch::Fargate { .. } => LaunchType::Fargate,
        })
    }

    pub(crate) fn update_service(
        &self,
        req: UpdateServiceRequest,
    ) -> Result<UpdateServiceResponse> {
        if req.desired_count.is_some_and(|d| d < 0) {
            return Err(EcsError::invalid("desiredCount must not be negative."));
        }
        if req.health_check_grace_period_seconds.is_some_and(|g| g < 0) {
            return Err(EcsError::invalid(
                "healthCheckGracePeriodSeconds must not be negative.",
            ));
        }
        let now = self.now();
        let rec = self.db.write(|tx| {
            let mut rec = self.find_service(tx.state, req.cluster.as_deref(), req.service.as_deref())?;
            if rec.status() != "ACTIVE" {
                return Err(EcsError::ServiceNotActive);
            }
            let daemon = is_daemon(&rec.service);
            let s = &mut rec.service;
            if let Some(d) = req.desired_count {
                if daemon {
                    return Err(EcsError::invalid(
                        "The daemon scheduling strategy does not support a desired count for services.",
                    ));
                }
                s.desired_count = d;
            }
            if let Some(c) = &req.deployment_configuration {
                s.deployment_configuration = Some(deployment_configuration(Some(c), daemon)?);
            }
            if let Some(g) = req.health_check_grace_period_seconds {
                s.health_check_grace_period_seconds = Some(g);
            }
            if let Some(p) = &req.propagate_tags {
                s.propagate_tags = Some(p.clone());
            }
            if let Some(e) = req.enable_execute_command {
                s.enable_execute_command = e;
            }
            if let Some(e) = req.enable_ecs_managed_tags {
                s.enable_ecs_managed_tags = e;
            }
            // Changes that need new tasks start a new deployment.
            let mut redeploy = req.force_new_deployment;
            if let Some(td) = &req.task_definition {
                let found = self
                    .find_task_definition(tx.state, td)
                    .cloned()
                    .ok_or_else(|| EcsError::client("Unable to find the task definition."))?;
                if found.definition.status != Some(TaskDefinitionStatus::Active) {
                    return Err(EcsError::client("TaskDefinition is inactive"));
                }
                let arn = found.definition.task_definition_arn.clone();
                if arn != s.task_definition {
                    s.task_definition = arn;
                    redeploy = true;
                }
            }
            if let Some(n) = &req.network_configuration {
                s.network_configuration = Some(n.clone());
                redeploy = true;
            }
            if let Some(r) = &req.service_registries {
                let td = s
                    .task_definition
                    .as_deref()
                    .and_then(|arn| self.find_task_definition(tx.state, arn))
                    .ok_or_else(|| EcsError::client("Unable to find the task definition."))?;
                super::service_registries::check_registries(r, &td.definition)?;
                if s.service_registries.as_ref() != Some(r) {
                    s.service_registries = Some(r.clone());
                    redeploy = true;
                }
            }
            if let Some(l) = &req.load_balancers {
                let td = s
                    .task_definition
                    .as_deref()
                    .and_then(|arn| self.find_task_definition(tx.state, arn))
                    .ok_or_else(|| EcsError::client("Unable to find the task definition."))?;
                let port = self.load_balancer_port();
                super::load_balancers::check_load_balancers(l, &td.definition, port.as_deref(), &self.scope.account)?;
                if s.load_balancers.as_ref() != Some(l) {
                    s.load_balancers = Some(l.clone());
                    redeploy = true;
                }
            }
            if let Some(c) = &req.placement_constraints {
                s.placement_constraints = Some(c.clone());
                redeploy = true;
            }
            if let Some(p) = &req.placement_strategy {
                if daemon && !p.is_empty() {
                    return Err(EcsError::invalid(
                        "Placement strategies are not supported with the DAEMON scheduling strategy.",
                    ));
                }
                s.placement_strategy = Some(p.clone());
                redeploy = true;
            }
            if let Some(c) = &req.capacity_provider_strategy {
                s.capacity_provider_strategy = Some(c.clone());
                redeploy = true;
            }
            let run_like = RunTaskRequest {
                cluster: Some(rec.cluster.clone()),
                task_definition: rec.service.task_definition.clone(),
                capacity_provider_strategy: rec.service.capacity_provider_strategy.clone(),
                launch_type: if rec.service.capacity_provider_strategy.as_ref().is_some_and(|c| !c.is_empty()) {
                    None
                } else {
                    rec.service.launch_type.clone()
                },
                placement_constraints: rec.service.placement_constraints.clone(),
                placement_strategy: rec.service.placement_strategy.clone(),
                network_configuration: rec.service.network_configuration.clone(),
                ..Default::default()
            };
            let launch_type = self.check_service_launch(tx.state, &run_like)?;
            let s = &mut rec.service;
            s.launch_type = Some(launch_type.clone());
            let deployments = s.deployments.get_or_insert_with(Vec::new);
            if redeploy {
                for d in deployments.iter_mut() {
                    if d.status.as_deref() == Some("PRIMARY") {
                        d.status = Some("ACTIVE".into());
                        d.updated_at = Some(now);
                    }
                }
                deployments.insert(
                    0,
                    Deployment {
                        id: Some(deployment_id()),
                        status: Some("PRIMARY".into()),
                        task_definition: s.task_definition.clone(),
                        desired_count: s.desired_count,
                        created_at: Some(now),
                        updated_at: Some(now),
                        launch_type: Some(launch_type),
                        capacity_provider_strategy: s.capacity_provider_strategy.clone(),
                        network_configuration: s.network_configuration.clone(),
                        rollout_state: Some(DeploymentRolloutState::InProgress),
                        rollout_state_reason: Some("ECS deployment in progress.".into()),
                        ..Default::default()
                    },
                );
            } else if let Some(primary) = deployments
                .iter_mut()
                .find(|d| d.status.as_deref() == Some("PRIMARY"))
            {
                primary.desired_count = s.desired_count;
                primary.updated_at = Some(now);
            }
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        self.wake_services();
        Ok(UpdateServiceResponse {
            service: Some(self.service_view(&rec, false)),
        })
    }

    pub(crate) fn delete_service(
        &self,
        req: DeleteServiceRequest,
    ) -> Result<DeleteServiceResponse> {
        let now = self.now();
        let rec = self.db.write(|tx| {
            let mut rec =
                self.find_service(tx.state, req.cluster.as_deref(), req.service.as_deref())?;
            if rec.status() == "INACTIVE" {
                return Err(EcsError::ServiceNotActive);
            }
            if rec.status() == "DRAINING" {
                return Ok(rec);
            }
            let force = req.force.unwrap_or(false);
            if rec.service.desired_count > 0 && !is_daemon(&rec.service) && !force {
                return Err(EcsError::invalid(
                    "The service cannot be stopped while it is scaled above 0.",
                ));
            }
            rec.service.status = Some("DRAINING".into());
            rec.service.desired_count = 0;
            for d in rec.service.deployments.get_or_insert_with(Vec::new) {
                d.desired_count = 0;
                d.updated_at = Some(now);
            }
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        self.wake_services();
        Ok(DeleteServiceResponse {
            service: Some(self.service_view(&rec, false)),
        })
    }

    pub(crate) fn describe_services(
        &self,
        req: DescribeServicesRequest,
    ) -> Result<DescribeServicesResponse> {
        let wanted = req.services.clone().unwrap_or_default();
        if wanted.is_empty() || wanted.len() > 10 {
            return Err(EcsError::invalid(
                "DescribeServices takes 1 to 10 services.",
            ));
        }
        let tags = list(&req.include).contains(&ServiceField::Tags);
        self.db.read(|state| {
            let cluster = self
                .active_cluster(state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let mut services = Vec::new();
            let mut failures = Vec::new();
            for param in &wanted {
                match self.service_in(state, &cluster, param) {
                    Some(rec) => services.push(self.service_view_in(state, rec, tags)),
                    None => {
                        let arn = if is_arn(param) {
                            param.clone()
                        } else {
                            self.scope.service_arn(&cluster, param)
                        };
                        failures.push(failure(arn, "MISSING"));
                    }
                }
            }
            Ok(DescribeServicesResponse {
                services: Some(services),
                failures: Some(failures),
            })
        })
    }

    pub(crate) fn list_services(&self, req: ListServicesRequest) -> Result<ListServicesResponse> {
        let size = page_size(req.max_results, 100, 10)?;
        self.db.read(|state| {
            let cluster = self
                .active_cluster(state, req.cluster.as_deref())?
                .name()
                .to_owned();
            let arns: Vec<(String, String)> = state
                .services
                .range(format!("{cluster}/")..)
                .take_while(|(k, _)| k.starts_with(&format!("{cluster}/")))
                .map(|(_, r)| r)
                .filter(|r| r.status() != "INACTIVE")
                .filter(|r| req.launch_type.is_none() || r.service.launch_type == req.launch_type)
                .filter(|r| {
                    req.scheduling_strategy.is_none()
                        || r.service.scheduling_strategy == req.scheduling_strategy
                })
                .map(|r| {
                    let arn = self.scope.service_arn(&r.cluster, &r.name);
                    (r.name.clone(), arn)
                })
                .collect();
            let page = paginate(arns, req.next_token.as_deref(), size)?;
            Ok(ListServicesResponse {
                service_arns: Some(page.items),
                next_token: page.next_token,
            })
        })
    }

    pub(crate) fn service_view(&self, rec: &ServiceRec, tags: bool) -> Service {
        self.db.read(|state| self.service_view_in(state, rec, tags))
    }

    /// The service as described: counts derived from its tasks.
    pub(crate) fn service_view_in(&self, state: &State, rec: &ServiceRec, tags: bool) -> Service {
        let mut s = rec.service.clone();
        let (mut running, mut pending) = (0, 0);
        let mut per_deployment: std::collections::HashMap<String, (i32, i32)> = Default::default();
        for t in self.service_tasks(state, rec) {
            if t.desired_status() == "STOPPED" && t.last_status() == "STOPPED" {
                continue;
            }
            let entry = per_deployment
                .entry(t.task.started_by.clone().unwrap_or_default())
                .or_default();
            match t.last_status() {
                "RUNNING" => {
                    running += 1;
                    entry.0 += 1;
                }
                "STOPPED" => {}
                _ => {
                    pending += 1;
                    entry.1 += 1;
                }
            }
        }
        s.running_count = running;
        s.pending_count = pending;
        for d in s.deployments.get_or_insert_with(Vec::new) {
            let (r, p) = per_deployment
                .get(d.id.as_deref().unwrap_or_default())
                .copied()
                .unwrap_or_default();
            d.running_count = r;
            d.pending_count = p;
        }
        if !tags {
            s.tags = None;
        }
        s
    }

    /// The service's tasks (any status still retained).
    pub(crate) fn service_tasks<'s>(
        &self,
        state: &'s State,
        rec: &ServiceRec,
    ) -> impl Iterator<Item = &'s crate::records::TaskRec> {
        state
            .service_tasks
            .get(&format!("{}/{}", rec.cluster, rec.name))
            .into_iter()
            .flatten()
            .filter_map(|id| state.tasks.get(id).map(|t| &**t))
    }

    /// Wakes the service controller (installed by the server) now.
    pub(crate) fn wake_services(&self) {
        self.services_waker()();
    }

    /// What wakes the service controller, for a staged write to run once it is durable (the
    /// scheduler reads the durable state).
    pub(crate) fn services_waker(&self) -> impl FnOnce() + Send + 'static {
        let waker = self
            .service_waker
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        move || {
            if let Some(w) = waker {
                w();
            }
        }
    }

    /// Installs the function that wakes the service controller.
    pub fn set_service_waker(&self, w: crate::Waker) {
        *self
            .service_waker
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(w);
    }
}
