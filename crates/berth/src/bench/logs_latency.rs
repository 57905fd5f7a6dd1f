//! `berth bench logs --phases container`: how soon a line a container prints is returned by
//! GetLogEvents, through the whole awslogs path (Docker's json-file, the agent's shipper,
//! PutLogEvents, the event store). Beside it, measured on the same lines at the same time,
//! the peer floor: how soon `docker logs --follow` shows them (the Engine's own path, no
//! network and no durability). Needs `berth dev` with its local agent, and the image
//! `berth-demo/web:latest` (scripts/demo-image).

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::json;

use super::api::{quantile_ms, round};
use berth_client::Client;

/// Lines to wait for after the first one.
const SAMPLES: usize = 100;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn task_definition(group: &str) -> serde_json::Value {
    json!({
        "family": "bench-log-latency",
        "containerDefinitions": [{
            "name": "ticker", "image": "berth-demo/web:latest", "memory": 32,
            "command": ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done"],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": group, "awslogs-create-group": "true",
                "awslogs-stream-prefix": "bench", "awslogs-region": "us-east-1"}}
        }]
    })
}

/// The Docker container of `task_arn`, once it exists.
async fn container_of(task_arn: &str) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = tokio::process::Command::new("docker")
            .args([
                "ps",
                "-q",
                "--filter",
                &format!("label=com.amazonaws.ecs.task-arn={task_arn}"),
            ])
            .output()
            .await
            .context("docker ps")?;
        let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !id.is_empty() {
            return Ok(id);
        }
        if Instant::now() > deadline {
            bail!("the task's container did not appear");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Latencies (µs) of `docker logs --follow --timestamps`: read time minus the line's stamp.
async fn docker_follow(id: String) -> Result<Vec<u32>> {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new("docker")
        .args(["logs", "--follow", "--timestamps", "--since", "0s", &id])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("docker logs --follow")?;
    let stdout = child.stdout.take().context("docker logs stdout")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut lat = Vec::new();
    let fmt = time::format_description::well_known::Rfc3339;
    while lat.len() < SAMPLES {
        let Some(line) = lines.next_line().await? else {
            break;
        };
        let Some((stamp, _)) = line.split_once(' ') else {
            continue;
        };
        let Ok(t) = time::OffsetDateTime::parse(stamp, &fmt) else {
            continue;
        };
        let printed_us = (t.unix_timestamp_nanos() / 1000) as i64;
        let now_us = now_ms() * 1000;
        lat.push(u32::try_from((now_us - printed_us).max(0)).unwrap_or(u32::MAX));
    }
    Ok(lat)
}

/// Latencies (µs) of GetLogEvents polled every 20 ms: first seen minus the event's stamp.
async fn cloudwatch_follow(client: &mut Client, group: &str, stream: &str) -> Result<Vec<u32>> {
    let mut token: Option<String> = None;
    let mut lat = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while lat.len() < SAMPLES && Instant::now() < deadline {
        let mut body =
            json!({"logGroupName": group, "logStreamName": stream, "startFromHead": true});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        match client.logs("GetLogEvents", &body).await {
            Ok(page) => {
                let seen = now_ms();
                // The first page holds what was printed before we started looking.
                if token.is_some() {
                    for e in page["events"].as_array().into_iter().flatten() {
                        let ts = e["timestamp"].as_i64().unwrap_or(seen);
                        lat.push(u32::try_from((seen - ts).max(0) * 1000).unwrap_or(u32::MAX));
                    }
                }
                token = page["nextForwardToken"].as_str().map(str::to_owned);
            }
            Err(e) if e.code() == Some("ResourceNotFoundException") => {}
            Err(e) => return Err(e.into()),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(lat)
}

pub async fn run(client: &mut Client, target: &str) -> Result<()> {
    let group = format!("/bench/latency-{}", now_ms());
    client
        .ecs("RegisterTaskDefinition", &task_definition(&group))
        .await
        .context("RegisterTaskDefinition")?;
    let ran = client
        .ecs("RunTask", &json!({"taskDefinition": "bench-log-latency"}))
        .await
        .context("RunTask")?;
    let arn = ran["tasks"][0]["taskArn"]
        .as_str()
        .context("RunTask placed no task")?
        .to_owned();
    let task_id = arn.rsplit('/').next().unwrap_or_default().to_owned();
    let stream = format!("bench/ticker/{task_id}");
    let container = container_of(&arn).await?;
    let peer = tokio::spawn(docker_follow(container));
    let mut berth = cloudwatch_follow(client, &group, &stream).await?;
    let mut docker = peer.await.context("docker follower")??;
    let _ = client.ecs("StopTask", &json!({"task": arn})).await;
    berth.sort_unstable();
    docker.sort_unstable();
    for (name, lat) in [(target, &berth), ("docker logs --follow", &docker)] {
        println!(
            "{}",
            json!({
                "target": name, "phase": "container", "lines": lat.len(),
                "p50_ms": round(quantile_ms(lat, 0.5), 1), "p90_ms": round(quantile_ms(lat, 0.9), 1),
                "max_ms": round(quantile_ms(lat, 1.0), 1),
            })
        );
    }
    Ok(())
}
