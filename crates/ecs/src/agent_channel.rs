//! The agent channel: `BerthAgentV1.Poll` held open until the instance has news (or a
//! timeout), `BerthAgentV1.Reconcile`, `BerthAgentV1.SubmitTaskStateChanges` and
//! `BerthAgentV1.ReportTaskDetails`. See docs/AGENT_PROTOCOL.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use berth_aws::AwsError;
use tokio::sync::Notify;

use crate::agent::{PollRequest, ReconcileRequest};
use crate::error::EcsError;
use crate::state::{Lock, Staged};
use crate::{Ecs, TaskDetailsRequest};

/// The target prefix of Berth's agent operations.
pub const TARGET_PREFIX: &str = "BerthAgentV1";

/// Longest a poll is held open.
const MAX_WAIT: Duration = Duration::from_secs(20);

/// One wake-up per container instance with a waiting agent.
#[derive(Default)]
pub struct Hub {
    waiters: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Hub {
    fn notify_for(&self, instance_id: &str) -> Arc<Notify> {
        self.waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(instance_id.to_owned())
            .or_default()
            .clone()
    }

    pub fn wake(&self, instance_id: &str) {
        let n = self
            .waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(instance_id)
            .cloned();
        if let Some(n) = n {
            n.notify_waiters();
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PollBody {
    #[serde(flatten)]
    req: PollRequest,
    #[serde(default)]
    wait_seconds: Option<u64>,
}

/// `SubmitTaskStateChanges`: ECS's task reports, many per call.
#[derive(serde::Deserialize)]
struct TaskReports {
    changes: Vec<berth_ecs_model::shapes::SubmitTaskStateChangeRequest>,
}

/// The agent operations that run as ordinary (blocking or hot) calls.
pub(crate) fn call(
    ecs: &Ecs,
    op: &str,
    body: &[u8],
    lock: Lock,
) -> Result<Staged<Vec<u8>>, EcsError> {
    match op {
        "Reconcile" => {
            let req: ReconcileRequest = parse(body)?;
            Ok(Staged::settled(encode(&ecs.agent_reconcile(&req)?)?))
        }
        "SubmitTaskStateChanges" => {
            let req: TaskReports = parse(body)?;
            let staged = ecs.submit_task_state_changes(&req.changes, lock)?;
            let results: Vec<serde_json::Value> = staged
                .peek()
                .iter()
                .map(|r| match r {
                    Ok(()) => serde_json::json!({"acknowledgment": "ACK"}),
                    Err(e) => {
                        serde_json::json!({"error": {"__type": e.code(), "message": e.to_string()}})
                    }
                })
                .collect();
            let bytes = encode(&serde_json::json!({ "results": results }))?;
            Ok(staged.map(|_| bytes))
        }
        "ReportTaskDetails" => {
            let req: TaskDetailsRequest = parse(body)?;
            ecs.report_task_details(&req)?;
            Ok(Staged::settled(b"{}".to_vec()))
        }
        other => Err(EcsError::Client(format!(
            "Unknown operation {TARGET_PREFIX}.{other}"
        ))),
    }
}

/// `Poll`: held open until the instance has tasks to hear of, or its wait ends.
pub(crate) async fn poll(ecs: Arc<Ecs>, hub: Arc<Hub>, body: Vec<u8>) -> Result<Vec<u8>, AwsError> {
    let PollBody { req, wait_seconds } = parse(&body)?;
    let wait = wait_seconds
        .map_or(MAX_WAIT, |s| Duration::from_secs(s).min(MAX_WAIT))
        .min(Duration::from_secs(ecs.heartbeat_seconds()));
    // A poll only reads the last durable snapshot: it never waits for the disk, so it runs
    // on the async worker (no hop to a blocking thread), except a full resync (`afterSeq`
    // 0), whose answer can hold every task of the instance.
    let inline = req.after_seq > 0;
    let id = ecs.agent_instance(req.cluster.as_deref(), &req.container_instance)?;
    let notify = hub.notify_for(&id);
    let deadline = tokio::time::Instant::now() + wait;
    let look = |ecs: Arc<Ecs>, id: String, after: u64| async move {
        if inline {
            Ok(ecs.agent_poll(&id, after)?)
        } else {
            tokio::task::spawn_blocking(move || ecs.agent_poll(&id, after))
                .await
                .map_err(|_| AwsError::server("a poll panicked"))?
                .map_err(AwsError::from)
        }
    };
    loop {
        // Register interest before looking, so a change between the look and the wait wakes us.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let resp = look(ecs.clone(), id.clone(), req.after_seq).await?;
        if !resp.tasks.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(encode(&resp)?);
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            let resp = look(ecs.clone(), id.clone(), req.after_seq).await?;
            return Ok(encode(&resp)?);
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, EcsError> {
    serde_json::from_slice(body)
        .map_err(|e| EcsError::Serialization(format!("Invalid request: {e}")))
}

fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, EcsError> {
    serde_json::to_vec(v).map_err(|e| EcsError::Server(e.to_string()))
}
