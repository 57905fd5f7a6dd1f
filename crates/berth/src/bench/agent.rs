//! `berth bench agent`: starts a control plane and one `berth agent` on this host's Docker
//! Engine, then measures
//! - RunTask → RUNNING (as DescribeTasks shows it) for a cached image, beside a plain
//!   `docker run -d` of the same image and command in the same run;
//! - the agent's resident memory and CPU while idle.
//!
//! Prints one JSON line.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use berth_client::{Client, Endpoint};
use clap::Args;
use serde_json::json;

use super::placement::{percentile, rss_mib, start_server};

#[derive(Args)]
pub struct AgentBenchArgs {
    /// Tasks (and `docker run -d` containers) to time.
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// A locally present image (e.g. built by scripts/demo-image).
    #[arg(long, default_value = "berth-demo/web:latest")]
    image: String,
    /// Seconds the agent sits idle while its memory and CPU are sampled.
    #[arg(long, default_value_t = 10)]
    idle_secs: u64,
}

const CLUSTER: &str = "bench-agent";

pub async fn run(args: AgentBenchArgs) -> Result<()> {
    let (mut server, url) = start_server().await?;
    let dir = std::env::temp_dir().join(format!("berth-bench-agent-{}", std::process::id()));
    let result = measure(&args, &url, &dir).await;
    let _ = server.kill().await;
    remove_containers(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    println!("{}", result?);
    Ok(())
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces): utime is 14th, stime 15th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

async fn wait_running(client: &mut Client, arn: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = client
            .ecs(
                "DescribeTasks",
                &json!({"cluster": CLUSTER, "tasks": [arn]}),
            )
            .await?;
        match out["tasks"][0]["lastStatus"].as_str() {
            Some("RUNNING") => return Ok(()),
            Some("STOPPED") => bail!("task {arn} stopped: {}", out["tasks"][0]["stoppedReason"]),
            _ => {}
        }
        if Instant::now() > deadline {
            bail!("task {arn} not RUNNING within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn docker(args: &[&str]) -> Result<String> {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .context("running docker")?;
    if !out.status.success() {
        bail!("docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn remove_containers(agent_dir: &std::path::Path) {
    let Ok(state) = std::fs::read(agent_dir.join("agent-state.json")) else {
        return;
    };
    let Ok(state) = serde_json::from_slice::<serde_json::Value>(&state) else {
        return;
    };
    if let Some(owner) = state["owner"].as_str() {
        if let Ok(ids) = docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=berth.owner={owner}"),
        ]) {
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                let mut args = vec!["rm", "-f"];
                args.extend(ids);
                let _ = docker(&args);
            }
        }
    }
}

async fn measure(
    args: &AgentBenchArgs,
    url: &str,
    dir: &std::path::Path,
) -> Result<serde_json::Value> {
    docker(&["image", "inspect", &args.image]).with_context(|| {
        format!(
            "image {} is not on this host (build it with scripts/demo-image)",
            args.image
        )
    })?;
    let endpoint = Endpoint::new(url, "test", "test", "us-east-1")?;
    let mut client = Client::new(endpoint);
    client
        .ecs("CreateCluster", &json!({"clusterName": CLUSTER}))
        .await?;
    let exe = std::env::current_exe()?;
    let mut agent = tokio::process::Command::new(exe)
        .args(["agent", "--endpoint", url, "--cluster", CLUSTER])
        .args(["--metadata-port", "0", "--pull-behavior", "prefer-cached"])
        .args(["--task-cleanup", "5"])
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting berth agent")?;
    let agent_pid = agent.id().context("agent pid")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = client
            .ecs("ListContainerInstances", &json!({"cluster": CLUSTER}))
            .await?;
        if out["containerInstanceArns"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            break;
        }
        if Instant::now() > deadline {
            bail!("the agent did not register within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Idle: registered, polling, no tasks.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ticks_before = cpu_ticks(agent_pid).unwrap_or(0);
    let idle_started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.idle_secs)).await;
    let idle_cpu_secs = (cpu_ticks(agent_pid).unwrap_or(0) - ticks_before) as f64 / 100.0;
    let idle_cpu_pct = 100.0 * idle_cpu_secs / idle_started.elapsed().as_secs_f64();
    let idle_rss = rss_mib(agent_pid);

    let command = [
        "sh",
        "-c",
        "trap 'exit 0' TERM; while true; do sleep 1; done",
    ];
    client
        .ecs(
            "RegisterTaskDefinition",
            &json!({"family": "bench-agent", "containerDefinitions": [{
                "name": "main", "image": args.image, "memory": 16, "essential": true,
                "command": command, "stopTimeout": 2}]}),
        )
        .await?;
    let mut berth = Vec::new();
    let mut plain = Vec::new();
    for i in 0..args.runs {
        // Alternate which goes first so neither always meets a busier engine.
        for which in if i % 2 == 0 { [0, 1] } else { [1, 0] } {
            if which == 0 {
                let t0 = Instant::now();
                let out = client
                    .ecs(
                        "RunTask",
                        &json!({"cluster": CLUSTER, "taskDefinition": "bench-agent"}),
                    )
                    .await?;
                let arn = out["tasks"][0]["taskArn"]
                    .as_str()
                    .context("RunTask placed no task")?
                    .to_owned();
                wait_running(&mut client, &arn).await?;
                berth.push(t0.elapsed().as_secs_f64() * 1000.0);
                client
                    .ecs("StopTask", &json!({"cluster": CLUSTER, "task": arn}))
                    .await?;
            } else {
                let t0 = Instant::now();
                let mut run = vec![
                    "run",
                    "-d",
                    "--label",
                    "berth.bench=peer",
                    args.image.as_str(),
                ];
                run.extend(command);
                let id = docker(&run)?;
                plain.push(t0.elapsed().as_secs_f64() * 1000.0);
                docker(&["rm", "-f", &id])?;
            }
        }
    }
    let busy_rss = rss_mib(agent_pid);
    let _ = agent.kill().await;
    berth.sort_by(f64::total_cmp);
    plain.sort_by(f64::total_cmp);
    let p50 = percentile(&berth, 0.5);
    let docker_p50 = percentile(&plain, 0.5);
    Ok(json!({
        "bench": "agent",
        "image": args.image,
        "runs": args.runs,
        "runtask_to_running_p50_ms": p50,
        "runtask_to_running_p99_ms": percentile(&berth, 0.99),
        "docker_run_d_p50_ms": docker_p50,
        "docker_run_d_p99_ms": percentile(&plain, 0.99),
        "overhead_p50_ms": p50 - docker_p50,
        "agent_idle_rss_mib": idle_rss,
        "agent_idle_cpu_percent": idle_cpu_pct,
        "agent_rss_after_runs_mib": busy_rss,
    }))
}
