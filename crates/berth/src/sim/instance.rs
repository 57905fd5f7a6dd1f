//! One simulated container instance: register, then poll and report forever.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Result};
use serde_json::{json, Value};

use super::Stats;
use berth_client::{Client, Endpoint};

pub struct Spec {
    pub cluster: String,
    pub cpu: i64,
    pub memory: i64,
    pub attributes: Vec<(String, String)>,
}

pub async fn register(endpoint: Endpoint, spec: &Spec) -> Result<String> {
    let mut client = Client::new(endpoint);
    let attributes: Vec<Value> = spec
        .attributes
        .iter()
        .map(|(n, v)| berth_client::attribute(n, v))
        .collect();
    let body = json!({
        "cluster": spec.cluster,
        "totalResources": [
            {"name": "CPU", "type": "INTEGER", "integerValue": spec.cpu},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": spec.memory},
            {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22"]},
            {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []}
        ],
        "versionInfo": {"agentVersion": env!("CARGO_PKG_VERSION"), "agentHash": "sim", "dockerVersion": "sim"},
        "attributes": attributes,
    });
    let r = client.ecs("RegisterContainerInstance", &body).await?;
    r["containerInstance"]["containerInstanceArn"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("RegisterContainerInstance answered no ARN"))
}

/// Reports per `BerthAgentV1.SubmitTaskStateChanges` call, and such calls one instance has
/// in flight at once: like the agent, an instance reports what it has in batches, so a busy
/// instance's reports share calls and the control plane's group commit.
const REPORTS_PER_CALL: usize = 50;
const CALLS_IN_FLIGHT: usize = 4;

/// Polls for the instance's tasks and reports them, forever.
pub async fn run(endpoint: Endpoint, cluster: String, arn: String, stats: Arc<Stats>) {
    let mut client = Client::new(endpoint.clone());
    // Connections for reports, opened when first needed and kept.
    let mut idle: Vec<Client> = Vec::new();
    let mut after = 0u64;
    // What this agent last reported per task.
    let mut reported: HashMap<String, &'static str> = HashMap::new();
    loop {
        let poll = client
            .call(
                "BerthAgentV1.Poll",
                &json!({"cluster": cluster, "containerInstance": arn, "afterSeq": after, "waitSeconds": 20}),
            )
            .await;
        let resp = match poll {
            Ok(r) => r,
            Err(_) => {
                stats.errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let mut due: Vec<(String, &'static str, Value)> = Vec::new();
        for t in resp["tasks"].as_array().into_iter().flatten() {
            let Some(task_arn) = t["taskArn"].as_str() else {
                continue;
            };
            let want = match t["desiredStatus"].as_str() {
                Some("RUNNING") => "RUNNING",
                Some("STOPPED") => "STOPPED",
                _ => continue,
            };
            if reported.get(task_arn) == Some(&want) {
                continue;
            }
            let containers: Vec<Value> = t["task"]["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let mut v = json!({"containerName": c["name"], "status": want});
                    if want == "STOPPED" {
                        v["exitCode"] = json!(0);
                    }
                    v
                })
                .collect();
            let report = json!({"cluster": cluster, "task": task_arn, "status": want, "containers": containers});
            due.push((task_arn.to_owned(), want, report));
        }
        let mut in_flight = tokio::task::JoinSet::new();
        for chunk in due.chunks(REPORTS_PER_CALL) {
            if in_flight.len() >= CALLS_IN_FLIGHT {
                if let Some(done) = in_flight.join_next().await {
                    settle(done, &mut idle, &mut reported, &stats);
                }
            }
            let mut c = idle.pop().unwrap_or_else(|| Client::new(endpoint.clone()));
            let sent: Vec<(String, &'static str)> =
                chunk.iter().map(|(a, w, _)| (a.clone(), *w)).collect();
            let body = json!({"changes": chunk.iter().map(|(_, _, r)| r).collect::<Vec<_>>()});
            in_flight.spawn(async move {
                let answer = c.call("BerthAgentV1.SubmitTaskStateChanges", &body).await;
                let acked: Vec<bool> = match answer {
                    Ok(r) => r["results"]
                        .as_array()
                        .map(|rs| rs.iter().map(|r| r["acknowledgment"] == "ACK").collect())
                        .unwrap_or_default(),
                    Err(_) => Vec::new(),
                };
                (c, sent, acked)
            });
        }
        while let Some(done) = in_flight.join_next().await {
            settle(done, &mut idle, &mut reported, &stats);
        }
        if let Some(seq) = resp["seq"].as_u64() {
            after = after.max(seq);
        }
    }
}

type Sent = (Client, Vec<(String, &'static str)>, Vec<bool>);

/// Counts a finished call's reports and returns its connection to the idle ones.
fn settle(
    done: std::result::Result<Sent, tokio::task::JoinError>,
    idle: &mut Vec<Client>,
    reported: &mut HashMap<String, &'static str>,
    stats: &Stats,
) {
    let Ok((c, sent, acked)) = done else {
        stats.errors.fetch_add(1, Ordering::Relaxed);
        return;
    };
    idle.push(c);
    for (i, (task_arn, want)) in sent.into_iter().enumerate() {
        if !acked.get(i).copied().unwrap_or(false) {
            stats.errors.fetch_add(1, Ordering::Relaxed);
        } else if want == "RUNNING" {
            stats.running_reports.fetch_add(1, Ordering::Relaxed);
            reported.insert(task_arn, want);
        } else {
            stats.stopped_reports.fetch_add(1, Ordering::Relaxed);
            reported.remove(&task_arn);
        }
    }
}
