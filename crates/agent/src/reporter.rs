//! Delivers state reports to the control plane in order. While the control plane is
//! unreachable, reports wait in memory and are retried (with backoff) until delivered; a
//! report the control plane rejects (4xx) is logged and dropped.

use std::time::Duration;

use berth_client::{Client, Endpoint, Error};
use serde_json::Value;
use tokio::sync::mpsc;

/// One call: the target (`ECS.SubmitTaskStateChange`, `BerthAgentV1.ReportTaskDetails`, …)
/// and its body.
#[derive(Debug)]
pub struct Report {
    pub target: String,
    pub body: Value,
}

#[derive(Clone)]
pub struct Reporter {
    tx: mpsc::UnboundedSender<Report>,
}

impl Reporter {
    /// Starts the delivery task.
    pub fn start(endpoint: Endpoint) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(deliver(endpoint, rx));
        Reporter { tx }
    }

    /// A reporter whose reports land in the returned receiver (tests).
    pub fn capture() -> (Self, mpsc::UnboundedReceiver<Report>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Reporter { tx }, rx)
    }

    pub fn ecs(&self, op: &str, body: Value) {
        self.send(format!("{}.{op}", berth_client::ECS_PREFIX), body);
    }

    pub fn send(&self, target: String, body: Value) {
        let _ = self.tx.send(Report { target, body });
    }
}

/// Task reports sent in one `BerthAgentV1.SubmitTaskStateChanges` call, at most.
const BATCH: usize = 50;

const TASK_REPORT: &str = "SubmitTaskStateChange";

fn is_task_report(r: &Report) -> bool {
    r.target
        .strip_prefix(berth_client::ECS_PREFIX)
        .and_then(|t| t.strip_prefix('.'))
        == Some(TASK_REPORT)
}

/// Delivers reports in order. Task reports already queued behind one another go together in
/// one `BerthAgentV1.SubmitTaskStateChanges` call (applied in order, in one durable write on
/// the control plane), so a host starting or stopping many tasks at once is not held up by
/// one round trip per task.
async fn deliver(endpoint: Endpoint, mut rx: mpsc::UnboundedReceiver<Report>) {
    let mut client = Client::new(endpoint);
    let mut held: Option<Report> = None;
    loop {
        let report = match held.take() {
            Some(r) => r,
            None => match rx.recv().await {
                Some(r) => r,
                None => return,
            },
        };
        if !is_task_report(&report) {
            send(&mut client, &report.target, &report.body).await;
            continue;
        }
        let mut batch = vec![report.body];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(r) if is_task_report(&r) => batch.push(r.body),
                Ok(r) => {
                    held = Some(r);
                    break;
                }
                Err(_) => break,
            }
        }
        if batch.len() == 1 {
            let target = format!("{}.{TASK_REPORT}", berth_client::ECS_PREFIX);
            send(&mut client, &target, &batch[0]).await;
            continue;
        }
        let body = serde_json::json!({ "changes": batch });
        if let Some(answer) = send(&mut client, "BerthAgentV1.SubmitTaskStateChanges", &body).await
        {
            for r in answer["results"].as_array().into_iter().flatten() {
                if let Some(e) = r.get("error") {
                    tracing::warn!(error = %e, "task report rejected");
                }
            }
        }
    }
}

/// Sends one call until it is delivered or rejected; the answer if it was delivered.
async fn send(client: &mut Client, target: &str, body: &Value) -> Option<Value> {
    let mut backoff = Duration::from_millis(200);
    loop {
        match client
            .call_within(Duration::from_secs(30), target, body)
            .await
        {
            Ok(v) => return Some(v),
            Err(Error::Api(e)) if e.status < 500 && e.code != "ThrottlingException" => {
                tracing::warn!(target = %target, error = %e, "report rejected");
                return None;
            }
            Err(e) => {
                tracing::debug!(target = %target, error = %e, "report not delivered; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}
