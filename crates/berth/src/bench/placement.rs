//! `berth bench placement`: end-to-end task placement throughput with a simulated fleet.
//!
//! Starts a `berth dev` server as a child process (so its RSS can be read alone) unless
//! `--endpoint` is given, starts `berth sim` in this process with `--instances` instances
//! over the real agent protocol, then RunTask (count 10) from `--concurrency` workers until
//! `--tasks` tasks were placed, and waits until the fleet has reported every one RUNNING.
//! Prints one JSON line.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use serde_json::json;

use crate::sim::{self, SimArgs};
use berth_client::{Client, Endpoint};

#[derive(Clone, Copy, ValueEnum)]
pub enum StrategyArg {
    Binpack,
    Spread,
    Random,
}

#[derive(Args)]
pub struct PlacementArgs {
    /// Simulated container instances.
    #[arg(long, default_value_t = 5000)]
    instances: usize,
    /// Tasks to place in total (RunTask with count 10).
    #[arg(long, default_value_t = 150_000)]
    tasks: usize,
    /// Placement strategy of every RunTask.
    #[arg(long, value_enum, default_value = "binpack")]
    strategy: StrategyArg,
    /// Concurrent RunTask callers. 8 saturate the control plane on 2 cores; more only queue
    /// (docs/BENCHMARKS.md has 8, 16 and 32).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Use this endpoint instead of starting a server (server_rss_mib is then null).
    #[arg(long)]
    endpoint: Option<String>,
}

pub async fn run(args: PlacementArgs) -> Result<()> {
    let mut child = None;
    let url = match &args.endpoint {
        Some(u) => u.clone(),
        None => {
            let (c, url) = start_server().await?;
            child = Some(c);
            url
        }
    };
    let result = measure(&args, &url, child.as_ref().and_then(|c| c.id())).await;
    if let Some(mut c) = child {
        let _ = c.kill().await;
    }
    println!("{}", result?);
    Ok(())
}

/// Starts `berth dev` (control plane only: the fleet is simulated) on a free port.
pub(super) async fn start_server() -> Result<(tokio::process::Child, String)> {
    start_dev(false).await
}

/// Starts `berth dev` on a free port, with or without its local agent.
pub(super) async fn start_dev(agent: bool) -> Result<(tokio::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = std::env::temp_dir().join(format!("berth-bench-{}-{port}", std::process::id()));
    let exe = std::env::current_exe()?;
    let child = tokio::process::Command::new(exe)
        .arg("dev")
        .args(if agent { &[][..] } else { &["--no-agent"][..] })
        .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(&dir)
        .args(["--agent-timeout", "600"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting berth dev")?;
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok((child, url));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("berth dev did not start listening on {url}")
}

pub(super) fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn measure(args: &PlacementArgs, url: &str, pid: Option<u32>) -> Result<serde_json::Value> {
    let cluster = "bench-placement";
    let sim_args = SimArgs {
        endpoint: url.to_owned(),
        cluster: cluster.into(),
        instances: args.instances,
        cpu: 1_048_576,
        memory: 4_194_304,
        attributes: vec!["ecs.availability-zone={us-east-1a,us-east-1b,us-east-1c}".into()],
        access_key: "test".into(),
        secret_key: "test".into(),
        region: "us-east-1".into(),
        register_concurrency: 64,
    };
    let started = Instant::now();
    let stats = sim::start(&sim_args).await?;
    let fleet_secs = started.elapsed().as_secs_f64();
    let endpoint = Endpoint::new(url, "test", "test", "us-east-1")?;
    let mut setup = Client::new(endpoint.clone());
    setup
        .ecs(
            "RegisterTaskDefinition",
            &json!({"family": "bench", "containerDefinitions": [{"name": "app", "image": "bench", "cpu": 8, "memory": 16}]}),
        )
        .await?;
    let strategy = match args.strategy {
        StrategyArg::Binpack => json!([{"type": "binpack", "field": "memory"}]),
        StrategyArg::Spread => {
            json!([{"type": "spread", "field": "attribute:ecs.availability-zone"}, {"type": "spread", "field": "instanceId"}])
        }
        StrategyArg::Random => json!([{"type": "random"}]),
    };
    let calls = args.tasks.div_ceil(10);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (endpoint, next, strategy) = (endpoint.clone(), next.clone(), strategy.clone());
        let total = args.tasks;
        workers.spawn(async move {
            let mut client = Client::new(endpoint);
            let mut latencies = Vec::new();
            let mut arns = Vec::new();
            let mut failures = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= calls {
                    break;
                }
                let count = (total - i * 10).min(10);
                let body = json!({"cluster": cluster, "taskDefinition": "bench", "count": count, "placementStrategy": strategy});
                let t = Instant::now();
                let r = client.ecs("RunTask", &body).await?;
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                failures += r["failures"].as_array().map_or(0, Vec::len);
                arns.extend(r["tasks"].as_array().into_iter().flatten().filter_map(|t| t["taskArn"].as_str().map(str::to_owned)));
            }
            anyhow::Ok((latencies, arns, failures))
        });
    }
    let mut latencies = Vec::new();
    let mut arns = Vec::new();
    let mut failures = 0;
    while let Some(r) = workers.join_next().await {
        let (l, a, f) = r??;
        latencies.extend(l);
        arns.extend(a);
        failures += f;
    }
    let accepted_secs = t0.elapsed().as_secs_f64();
    let placed = arns.len() as u64;
    let deadline = Instant::now() + Duration::from_secs(600);
    while stats.running_reports.load(Ordering::Relaxed) < placed && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let running_secs = t0.elapsed().as_secs_f64();
    let running = stats.running_reports.load(Ordering::Relaxed);

    let mut describe = Vec::new();
    let mut client = Client::new(endpoint.clone());
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..200 {
        if arns.is_empty() {
            break;
        }
        let sample: Vec<&String> = (0..100).map(|_| &arns[rng.usize(..arns.len())]).collect();
        let t = Instant::now();
        client
            .ecs(
                "DescribeTasks",
                &json!({"cluster": cluster, "tasks": sample}),
            )
            .await?;
        describe.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    describe.sort_by(f64::total_cmp);
    Ok(json!({
        "instances": args.instances,
        "tasks_requested": args.tasks,
        "tasks_placed": placed,
        "tasks_running": running,
        "placement_failures": failures,
        "strategy": args.strategy.to_possible_value().map(|v| v.get_name().to_owned()),
        "fleet_register_secs": fleet_secs,
        "runtask_accept_secs": accepted_secs,
        "end_to_end_secs": running_secs,
        "tasks_per_sec": running as f64 / running_secs,
        "runtask_p50_ms": percentile(&latencies, 0.50),
        "runtask_p99_ms": percentile(&latencies, 0.99),
        "describe_tasks_p99_ms": percentile(&describe, 0.99),
        "server_rss_mib": pid.and_then(rss_mib),
        "sim_errors": stats.errors.load(Ordering::Relaxed),
    }))
}
