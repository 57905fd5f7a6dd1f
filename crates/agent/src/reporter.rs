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

async fn deliver(endpoint: Endpoint, mut rx: mpsc::UnboundedReceiver<Report>) {
    let mut client = Client::new(endpoint);
    while let Some(report) = rx.recv().await {
        let mut backoff = Duration::from_millis(200);
        loop {
            match client
                .call_within(Duration::from_secs(30), &report.target, &report.body)
                .await
            {
                Ok(_) => break,
                Err(Error::Api(e)) if e.status < 500 && e.code != "ThrottlingException" => {
                    tracing::warn!(target = %report.target, error = %e, "report rejected");
                    break;
                }
                Err(e) => {
                    tracing::debug!(target = %report.target, error = %e, "report not delivered; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}
