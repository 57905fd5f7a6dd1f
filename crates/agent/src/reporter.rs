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
/// Berth's batched form of it (docs/AGENT_PROTOCOL.md).
const BATCH_TARGET: &str = "BerthAgentV1.SubmitTaskStateChanges";

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
    let mut batching = true;
    loop {
        let report = match held.take() {
            Some(r) => r,
            None => match rx.recv().await {
                Some(r) => r,
                None => return,
            },
        };
        if !is_task_report(&report) {
            let _ = send(&mut client, &report.target, &report.body).await;
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
        if batch.len() > 1 && batching {
            let body = serde_json::json!({ "changes": batch });
            match send(&mut client, BATCH_TARGET, &body).await {
                Ok(answer) => {
                    for r in answer["results"].as_array().into_iter().flatten() {
                        if let Some(e) = r.get("error") {
                            tracing::warn!(error = %e, "task report rejected");
                        }
                    }
                    continue;
                }
                // A control plane older than the batched call: report one by one from now on.
                Err(code) if code == "UnknownOperationException" => batching = false,
                // The batch as a whole was refused (one malformed report refuses it all):
                // send each on its own below, so the others still arrive.
                Err(_) => {}
            }
        }
        let target = format!("{}.{TASK_REPORT}", berth_client::ECS_PREFIX);
        for body in &batch {
            // A rejection was logged by `send`; a report is not sent twice.
            let _ = send(&mut client, &target, body).await;
        }
    }
}

/// Sends one call until it is delivered or rejected: the answer, or the rejection's code.
async fn send(client: &mut Client, target: &str, body: &Value) -> Result<Value, String> {
    let mut backoff = Duration::from_millis(200);
    loop {
        match client
            .call_within(Duration::from_secs(30), target, body)
            .await
        {
            Ok(v) => return Ok(v),
            Err(Error::Api(e)) if e.status < 500 && e.code != "ThrottlingException" => {
                tracing::warn!(target = %target, error = %e, "report rejected");
                return Err(e.code);
            }
            Err(e) => {
                tracing::debug!(target = %target, error = %e, "report not delivered; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A control plane that knows only the one-by-one report.
    async fn old_control_plane() -> (Endpoint, crate::test_endpoint::Calls) {
        crate::test_endpoint::serve(|target, _| {
            if target == BATCH_TARGET {
                Err("UnknownOperationException")
            } else {
                Ok(serde_json::json!({}))
            }
        })
        .await
    }

    /// Each call's target and task.
    fn targets_and_tasks(calls: &crate::test_endpoint::Calls) -> Vec<(String, String)> {
        calls
            .lock()
            .expect("calls")
            .iter()
            .map(|(t, body)| (t.clone(), body["task"].as_str().unwrap_or_default().into()))
            .collect()
    }

    #[tokio::test]
    async fn reports_a_control_plane_without_the_batched_call_refuses_arrive_one_by_one() {
        let (endpoint, calls) = old_control_plane().await;
        let (reporter, rx) = Reporter::capture();
        let report = |task: &str| {
            reporter.ecs(
                TASK_REPORT,
                serde_json::json!({"cluster": "c", "task": task, "status": "RUNNING"}),
            )
        };
        // Queued together, so the first try is one batched call.
        for task in ["t1", "t2", "t3"] {
            report(task);
        }
        let delivery = tokio::spawn(deliver(endpoint, rx));
        let single = format!("{}.{TASK_REPORT}", berth_client::ECS_PREFIX);
        let wait_for = |n: usize| {
            let calls = calls.clone();
            async move {
                for _ in 0..200 {
                    if calls.lock().expect("calls").len() >= n {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        };
        wait_for(4).await;
        let expected: Vec<(String, String)> = [
            (BATCH_TARGET, ""),
            (single.as_str(), "t1"),
            (single.as_str(), "t2"),
            (single.as_str(), "t3"),
        ]
        .iter()
        .map(|(t, k)| (t.to_string(), k.to_string()))
        .collect();
        assert_eq!(targets_and_tasks(&calls), expected);
        // Later reports queued together are no longer tried as a batch.
        for task in ["t4", "t5"] {
            report(task);
        }
        wait_for(6).await;
        let later: Vec<_> = targets_and_tasks(&calls)[4..].to_vec();
        assert_eq!(
            later,
            [(single.clone(), "t4".to_owned()), (single, "t5".to_owned())]
        );
        drop(reporter);
        delivery.abort();
    }
}
