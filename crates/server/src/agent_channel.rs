//! The agent channel: `BerthAgentV1.Poll` held open until the instance has news (or a
//! timeout), `BerthAgentV1.Reconcile` and `BerthAgentV1.ReportTaskDetails`. See
//! docs/AGENT_PROTOCOL.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use berth_ecs::agent::{PollRequest, ReconcileRequest};
use berth_ecs::Ecs;
use berth_ecs::TaskDetailsRequest;
use tokio::sync::Notify;

use crate::committer::Committer;
use crate::wire::{blocking, WireError};

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

pub async fn handle(
    ecs: Arc<Ecs>,
    hub: Arc<Hub>,
    committer: &Committer,
    op: &str,
    body: axum::body::Bytes,
) -> Result<Vec<u8>, WireError> {
    match op {
        "Poll" => poll(ecs, hub, body).await,
        "Reconcile" => {
            let req: ReconcileRequest = parse(&body)?;
            let resp = blocking(move || ecs.agent_reconcile(&req)).await?;
            encode(&resp)
        }
        "SubmitTaskStateChanges" => {
            let req: TaskReports = parse(&body)?;
            let results = committer
                .run(&ecs, move |ecs| ecs.submit_task_state_changes(&req.changes))
                .await?;
            let results: Vec<serde_json::Value> = results
                .into_iter()
                .map(|r| match r {
                    Ok(()) => serde_json::json!({"acknowledgment": "ACK"}),
                    Err(e) => {
                        serde_json::json!({"error": {"__type": e.code(), "message": e.to_string()}})
                    }
                })
                .collect();
            encode(&serde_json::json!({ "results": results }))
        }
        "ReportTaskDetails" => {
            let req: TaskDetailsRequest = parse(&body)?;
            blocking(move || ecs.report_task_details(&req)).await?;
            Ok(b"{}".to_vec())
        }
        other => Err(WireError::new(
            400,
            "UnknownOperationException",
            format!("Unknown operation {TARGET_PREFIX}.{other}"),
        )),
    }
}

async fn poll(ecs: Arc<Ecs>, hub: Arc<Hub>, body: axum::body::Bytes) -> Result<Vec<u8>, WireError> {
    let PollBody { req, wait_seconds } = parse(&body)?;
    let wait = wait_seconds
        .map_or(MAX_WAIT, |s| Duration::from_secs(s).min(MAX_WAIT))
        .min(Duration::from_secs(ecs.heartbeat_seconds()));
    // A poll only reads the last durable snapshot: it never waits for the disk, so it runs
    // on the async worker (no hop to a blocking thread), except a full resync (`afterSeq`
    // 0), whose answer can hold every task of the instance.
    let inline = req.after_seq > 0;
    let id = ecs
        .agent_instance(req.cluster.as_deref(), &req.container_instance)
        .map_err(WireError::from)?;
    let notify = hub.notify_for(&id);
    let deadline = tokio::time::Instant::now() + wait;
    let look = |ecs: Arc<Ecs>, id: String, after: u64| async move {
        if inline {
            ecs.agent_poll(&id, after).map_err(WireError::from)
        } else {
            blocking(move || ecs.agent_poll(&id, after)).await
        }
    };
    loop {
        // Register interest before looking, so a change between the look and the wait wakes us.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let resp = look(ecs.clone(), id.clone(), req.after_seq).await?;
        if !resp.tasks.is_empty() || tokio::time::Instant::now() >= deadline {
            return encode(&resp);
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            let resp = look(ecs.clone(), id.clone(), req.after_seq).await?;
            return encode(&resp);
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, WireError> {
    serde_json::from_slice(body).map_err(|e| {
        WireError::new(
            400,
            "SerializationException",
            format!("Invalid request: {e}"),
        )
    })
}

fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, WireError> {
    serde_json::to_vec(v).map_err(|e| WireError::new(500, "ServerException", e.to_string()))
}
