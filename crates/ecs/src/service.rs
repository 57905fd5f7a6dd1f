//! ECS as a service the server hosts: its signing name and target prefixes (ECS's own,
//! Berth's agent channel and Berth's extensions), which calls are hot, the agent long poll,
//! and its background jobs (the service scheduler and the stopped-task sweeper).

use std::sync::Arc;
use std::time::Duration;

use berth_aws::protocol::Protocol;
use berth_aws::service::{BoxFuture, Call, Exec, Job, Service, ServiceInfo};
use berth_aws::AwsError;
use berth_ecs_model::operations::{SIGNING_NAME, TARGET_PREFIX};
use berth_ecs_model::Operation;
use tokio::sync::Notify;

use crate::agent_channel::{self, Hub};
use crate::error::EcsError;
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
};

/// The ECS service with what the server needs around it.
pub struct EcsService {
    ecs: Arc<Ecs>,
    hub: Arc<Hub>,
    scheduler_wake: Arc<Notify>,
    task_retention_secs: f64,
}

impl EcsService {
    /// Wraps `ecs`, installing the agents' wake-ups and the scheduler's.
    pub fn new(ecs: Arc<Ecs>, task_retention_secs: f64) -> Arc<Self> {
        let hub = Arc::new(Hub::default());
        {
            let hub = hub.clone();
            ecs.set_notifier(Arc::new(move |id: &str| hub.wake(id)));
        }
        let scheduler_wake = Arc::new(Notify::new());
        {
            let wake = scheduler_wake.clone();
            ecs.set_service_waker(Arc::new(move || wake.notify_one()));
        }
        Arc::new(EcsService {
            ecs,
            hub,
            scheduler_wake,
            task_retention_secs,
        })
    }

    pub fn ecs(&self) -> &Arc<Ecs> {
        &self.ecs
    }
}

impl Service for EcsService {
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
                "Reconcile" | "ReportTaskDetails" => Some(Exec::Blocking),
                _ => None,
            },
            BERTH_PREFIX => (op == "ExplainRunTask").then_some(Exec::Blocking),
            _ => None,
        }
    }

    fn call(&self, call: &Call, lock: Lock) -> Result<Staged<Vec<u8>>, AwsError> {
        let out = match call.prefix.as_str() {
            TARGET_PREFIX => match Operation::from_name(&call.op) {
                Some(op) => self.ecs.handle_staged(op, &call.body, lock),
                None => Err(EcsError::Client(format!("Unknown operation {}", call.op))),
            },
            agent_channel::TARGET_PREFIX => {
                agent_channel::call(&self.ecs, &call.op, &call.body, lock)
            }
            _ => self.ecs.explain_run_task(&call.body).map(Staged::settled),
        };
        Ok(out?)
    }

    fn call_async(self: Arc<Self>, call: Call) -> BoxFuture<Result<Vec<u8>, AwsError>> {
        Box::pin(agent_channel::poll(
            self.ecs.clone(),
            self.hub.clone(),
            call.body,
        ))
    }

    fn jobs(self: Arc<Self>) -> Vec<Job> {
        let scheduler = {
            let ecs = self.ecs.clone();
            Job {
                name: "service scheduler",
                period: Duration::from_secs(1),
                wake: Some(self.scheduler_wake.clone()),
                settle: Duration::from_millis(5),
                run: Arc::new(move || {
                    ecs.reconcile_services()?;
                    Ok(false)
                }),
            }
        };
        let sweeper = {
            let ecs = self.ecs.clone();
            let retention = self.task_retention_secs;
            Job {
                name: "stopped-task sweeper",
                period: Duration::from_secs(60),
                wake: None,
                settle: Duration::ZERO,
                run: Arc::new(move || Ok(ecs.sweep(retention)? > 0)),
            }
        };
        vec![scheduler, sweeper]
    }

    fn listening(&self, endpoint: &str) {
        self.ecs.set_poll_endpoint(endpoint);
    }
}
