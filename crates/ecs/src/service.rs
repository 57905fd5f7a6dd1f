//! ECS as a service the server hosts: its signing name and target prefixes (ECS's own,
//! Berth's agent channel and Berth's extensions), which calls are hot, the agent long poll,
//! and its background jobs (the service scheduler and the stopped-task sweeper).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use berth_aws::protocol::Protocol;
use berth_aws::service::{BoxFuture, Call, Exec, Job, Service, ServiceInfo};
use berth_aws::AwsError;
use berth_ecs_model::operations::{SIGNING_NAME, TARGET_PREFIX};
use berth_ecs_model::Operation;
use tokio::sync::Notify;

use crate::agent_channel::{self, Hub};
use crate::error::EcsError;
use crate::ops::task_credentials::{RoleCredentials, TaskCredentialsRequest, TASKS_PRINCIPAL};
use crate::state::{Lock, Staged};
use crate::Ecs;

/// The target prefix of Berth's own ECS extensions (placement explanations).
pub const BERTH_PREFIX: &str = "BerthV1";

static INFO: ServiceInfo = ServiceInfo {
    name: "ecs",
    signing_name: SIGNING_NAME,
    protocol: Protocol::Json11,
    target_prefixes: &[TARGET_PREFIX, agent_channel::TARGET_PREFIX, BERTH_PREFIX],
    query_compatible: false,
    max_body_bytes: None,
    signing_region: None,
};

/// Opens the ECS state of another account (the binary says where it is kept).
pub type OpenAccount = Arc<dyn Fn(&str) -> crate::Result<Ecs> + Send + Sync>;

/// ECS for every account, with what the server needs around it. Each account has its own
/// `Ecs` (its own state, writer and ARNs); the default account's is opened at start, the
/// others when first called (and at start once they exist).
pub struct EcsService {
    default_account: String,
    ecs: Arc<Ecs>,
    others: RwLock<HashMap<String, Arc<Ecs>>>,
    open_account: OpenAccount,
    hub: Arc<Hub>,
    scheduler_wake: Arc<Notify>,
    endpoint: RwLock<Option<String>>,
    task_retention_secs: f64,
    /// How task roles' credentials are had (STS; set once by the binary).
    role_credentials: std::sync::OnceLock<Arc<dyn RoleCredentials>>,
    /// Where services' tasks are registered (Cloud Map; set once by the binary).
    registries: std::sync::OnceLock<Arc<dyn crate::Registries>>,
    /// Where services' tasks are registered as targets (ELB; set once by the binary).
    load_balancers: std::sync::OnceLock<Arc<dyn crate::LoadBalancers>>,
    registry_wake: Arc<Notify>,
}

impl EcsService {
    /// Wraps the default account's `ecs`; `open_account` opens any other account's, and
    /// `known` names the accounts to open now (those with state).
    pub fn new(
        ecs: Arc<Ecs>,
        default_account: &str,
        open_account: OpenAccount,
        known: &[String],
        task_retention_secs: f64,
    ) -> crate::Result<Arc<Self>> {
        let service = Arc::new(EcsService {
            default_account: default_account.to_owned(),
            ecs,
            others: RwLock::default(),
            open_account,
            hub: Arc::new(Hub::default()),
            scheduler_wake: Arc::new(Notify::new()),
            endpoint: RwLock::default(),
            task_retention_secs,
            role_credentials: std::sync::OnceLock::new(),
            registries: std::sync::OnceLock::new(),
            load_balancers: std::sync::OnceLock::new(),
            registry_wake: Arc::new(Notify::new()),
        });
        service.wire(&service.ecs);
        for account in known.iter().filter(|a| **a != service.default_account) {
            service.for_account(account)?;
        }
        Ok(service)
    }

    /// The default account's ECS.
    pub fn ecs(&self) -> &Arc<Ecs> {
        &self.ecs
    }

    /// Installs the agents' wake-ups, the scheduler's and the poll endpoint.
    fn wire(&self, ecs: &Ecs) {
        if let Some(port) = self.load_balancers.get() {
            ecs.set_load_balancers(port.clone());
        }
        let hub = self.hub.clone();
        ecs.set_notifier(Arc::new(move |id: &str| hub.wake(id)));
        let wake = self.scheduler_wake.clone();
        let registry_wake = self.registry_wake.clone();
        ecs.set_service_waker(Arc::new(move || {
            wake.notify_one();
            registry_wake.notify_one();
        }));
        if let Some(e) = self
            .endpoint
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_deref()
        {
            ecs.set_poll_endpoint(e);
        }
    }

    /// The ECS of `account`, opened on first use.
    pub fn for_account(&self, account: &str) -> crate::Result<Arc<Ecs>> {
        if account == self.default_account {
            return Ok(self.ecs.clone());
        }
        if let Some(e) = self
            .others
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(account)
        {
            return Ok(e.clone());
        }
        let mut others = self.others.write().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = others.get(account) {
            return Ok(e.clone());
        }
        let ecs = Arc::new((self.open_account)(account)?);
        self.wire(&ecs);
        others.insert(account.to_owned(), ecs.clone());
        Ok(ecs)
    }

    /// Every account's ECS opened so far.
    fn all(&self) -> Vec<Arc<Ecs>> {
        let mut all = vec![self.ecs.clone()];
        all.extend(
            self.others
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .cloned(),
        );
        all
    }
}

impl EcsService {
    /// Task roles' credentials come from `credentials` (the binary wires STS).
    pub fn set_role_credentials(&self, credentials: Arc<dyn RoleCredentials>) {
        let _ = self.role_credentials.set(credentials);
    }

    /// Services' `serviceRegistries` register their tasks in `registries` (the binary
    /// wires Cloud Map).
    pub fn set_registries(&self, registries: Arc<dyn crate::Registries>) {
        let _ = self.registries.set(registries);
    }

    /// Services' `loadBalancers` register their tasks as targets through `port` (the binary
    /// wires ELB).
    pub fn set_load_balancers(&self, port: Arc<dyn crate::LoadBalancers>) {
        if self.load_balancers.set(port.clone()).is_ok() {
            for ecs in self.all() {
                ecs.set_load_balancers(port.clone());
            }
        }
    }

    /// `GetTaskCredentials`: the role of a task on the asking agent's instance, assumed as
    /// ECS's tasks service principal, the task's id the session name.
    fn task_credentials(&self, ecs: &Ecs, body: &[u8]) -> Result<Vec<u8>, AwsError> {
        let req: TaskCredentialsRequest = serde_json::from_slice(body)
            .map_err(|e| AwsError::new(400, "SerializationException", e.to_string()))?;
        let (role, task_id) = ecs.task_role(&req)?;
        let issuer = self.role_credentials.get().ok_or_else(|| {
            AwsError::new(
                400,
                "ClientException",
                "This endpoint issues no role credentials.",
            )
        })?;
        let creds = issuer
            .issue(&role, TASKS_PRINCIPAL, &task_id)
            .map_err(|why| AwsError::new(400, "AccessDeniedException", why))?;
        serde_json::to_vec(&creds).map_err(|e| AwsError::new(500, "ServerException", e.to_string()))
    }
}

impl Service for EcsService {
    fn resources(&self, ctx: &berth_aws::RequestContext, op: &str, body: &[u8]) -> Vec<String> {
        crate::resources::resources(ctx, op, body)
    }

    fn info(&self) -> &ServiceInfo {
        &INFO
    }

    fn exec(&self, prefix: &str, op: &str) -> Option<Exec> {
        match prefix {
            TARGET_PREFIX => {
                let op = Operation::from_name(op)?;
                Some(if Ecs::is_hot(op) {
                    Exec::Hot
                } else {
                    Exec::Blocking
                })
            }
            agent_channel::TARGET_PREFIX => match op {
                "Poll" => Some(Exec::Async),
                "SubmitTaskStateChanges" => Some(Exec::Hot),
                "Reconcile" | "ReportTaskDetails" | "GetTaskCredentials" => Some(Exec::Blocking),
                _ => None,
            },
            BERTH_PREFIX => (op == "ExplainRunTask").then_some(Exec::Blocking),
            _ => None,
        }
    }

    fn call(&self, call: &Call, lock: Lock) -> Result<Staged<Vec<u8>>, AwsError> {
        let ecs = self.for_account(&call.ctx.account)?;
        let out = match call.prefix.as_str() {
            TARGET_PREFIX => match Operation::from_name(&call.op) {
                Some(op) => ecs.handle_staged(op, &call.body, lock),
                None => Err(EcsError::Client(format!("Unknown operation {}", call.op))),
            },
            agent_channel::TARGET_PREFIX if call.op == "GetTaskCredentials" => {
                return self.task_credentials(&ecs, &call.body).map(Staged::settled);
            }
            agent_channel::TARGET_PREFIX => agent_channel::call(&ecs, &call.op, &call.body, lock),
            _ => ecs.explain_run_task(&call.body).map(Staged::settled),
        };
        Ok(out?)
    }

    fn call_async(self: Arc<Self>, call: Call) -> BoxFuture<Result<Vec<u8>, AwsError>> {
        Box::pin(async move {
            let ecs = self.for_account(&call.ctx.account)?;
            agent_channel::poll(ecs, self.hub.clone(), call.body).await
        })
    }

    fn jobs(self: Arc<Self>) -> Vec<Job> {
        let scheduler = {
            let service = self.clone();
            Job {
                name: "service scheduler",
                period: Duration::from_secs(1),
                wake: Some(self.scheduler_wake.clone()),
                settle: Duration::from_millis(5),
                run: Arc::new(move || {
                    for ecs in service.all() {
                        ecs.reconcile_services()?;
                    }
                    Ok(false)
                }),
            }
        };
        let sweeper = {
            let service = self.clone();
            let retention = self.task_retention_secs;
            Job {
                name: "stopped-task sweeper",
                period: Duration::from_secs(60),
                wake: None,
                settle: Duration::ZERO,
                run: Arc::new(move || {
                    let mut more = false;
                    for ecs in service.all() {
                        more |= ecs.sweep(retention)? > 0;
                    }
                    Ok(more)
                }),
            }
        };
        let registry_sync = {
            let service = self.clone();
            Job {
                name: "service registry sync",
                period: Duration::from_secs(5),
                wake: Some(self.registry_wake.clone()),
                settle: Duration::from_millis(20),
                run: Arc::new(move || {
                    if let Some(registries) = service.registries.get() {
                        for ecs in service.all() {
                            ecs.sync_registries(registries.as_ref());
                        }
                    }
                    Ok(false)
                }),
            }
        };
        let lb_sync = {
            let service = self.clone();
            Job {
                name: "load balancer target sync",
                period: Duration::from_secs(1),
                wake: Some(self.registry_wake.clone()),
                settle: Duration::from_millis(20),
                run: Arc::new(move || {
                    if let Some(port) = service.load_balancers.get() {
                        for ecs in service.all() {
                            ecs.sync_load_balancers(port.as_ref())?;
                        }
                    }
                    Ok(false)
                }),
            }
        };
        vec![scheduler, sweeper, registry_sync, lb_sync]
    }

    fn listening(&self, endpoint: &str) {
        *self.endpoint.write().unwrap_or_else(|p| p.into_inner()) = Some(endpoint.to_owned());
        for ecs in self.all() {
            ecs.set_poll_endpoint(endpoint);
        }
    }
}
