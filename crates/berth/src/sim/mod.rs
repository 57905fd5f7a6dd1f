//! `berth sim`: a simulated fleet of container instances speaking the real agent protocol
//! (docs/AGENT_PROTOCOL.md) from one process. Each instance registers, polls for its tasks,
//! reports them RUNNING at once and STOPPED when told, and keeps heartbeating by polling.

mod attrs;
mod instance;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;

use berth_client::{Client, Endpoint};

#[derive(Args, Clone)]
pub struct SimArgs {
    /// Base URL of the Berth endpoint, e.g. http://127.0.0.1:5454.
    #[arg(long)]
    pub endpoint: String,
    /// Cluster the instances join (created if missing).
    #[arg(long, default_value = "default")]
    pub cluster: String,
    /// How many container instances to simulate.
    #[arg(long, default_value_t = 10)]
    pub instances: usize,
    /// CPU units each instance offers (1024 per vCPU).
    #[arg(long, default_value_t = 4096)]
    pub cpu: i64,
    /// Memory each instance offers, in MiB.
    #[arg(long, default_value_t = 16384)]
    pub memory: i64,
    /// An attribute for every instance, KEY=VALUE; a value `{a,b,c}` is dealt round-robin
    /// across instances and `{i}` is replaced by the instance's index. Repeatable.
    #[arg(long = "attribute")]
    pub attributes: Vec<String>,
    /// Access key the fleet signs with.
    #[arg(long, env = "AWS_ACCESS_KEY_ID", default_value = "test")]
    pub access_key: String,
    /// Secret key the fleet signs with.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", default_value = "test")]
    pub secret_key: String,
    /// Region the requests are signed for.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Registrations in flight at once.
    #[arg(long, default_value_t = 64)]
    pub register_concurrency: usize,
}

/// Counters the fleet keeps, for benchmarks and the status line.
#[derive(Default)]
pub struct Stats {
    pub registered: AtomicU64,
    pub running_reports: AtomicU64,
    pub stopped_reports: AtomicU64,
    pub errors: AtomicU64,
}

/// Starts the fleet; returns once every instance is registered and polling.
pub async fn start(args: &SimArgs) -> Result<Arc<Stats>> {
    let endpoint = Endpoint::new(
        &args.endpoint,
        &args.access_key,
        &args.secret_key,
        &args.region,
    )?;
    let mut setup = Client::new(endpoint.clone());
    if let Err(e) = setup
        .ecs(
            "CreateCluster",
            &serde_json::json!({"clusterName": args.cluster}),
        )
        .await
    {
        return Err(e).context("creating the cluster");
    }
    let templates = attrs::parse(&args.attributes)?;
    let stats = Arc::new(Stats::default());
    let sem = Arc::new(tokio::sync::Semaphore::new(
        args.register_concurrency.max(1),
    ));
    let mut registrations = tokio::task::JoinSet::new();
    for index in 0..args.instances {
        let permit = sem.clone().acquire_owned().await?;
        let spec = instance::Spec {
            cluster: args.cluster.clone(),
            cpu: args.cpu,
            memory: args.memory,
            attributes: attrs::for_instance(&templates, index),
        };
        let endpoint = endpoint.clone();
        let stats = stats.clone();
        registrations.spawn(async move {
            let registered = instance::register(endpoint.clone(), &spec).await;
            drop(permit);
            let arn = registered?;
            stats.registered.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(instance::run(endpoint, spec.cluster, arn, stats));
            anyhow::Ok(())
        });
    }
    while let Some(r) = registrations.join_next().await {
        r.context("registration task")??;
    }
    Ok(stats)
}

/// `berth sim`: start the fleet and report progress until interrupted.
pub async fn run(args: SimArgs) -> Result<()> {
    let stats = start(&args).await?;
    println!(
        "berth sim: {} instances registered in cluster {} at {}",
        stats.registered.load(Ordering::Relaxed),
        args.cluster,
        args.endpoint
    );
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                println!(
                    "running reports: {}, stopped reports: {}, errors: {}",
                    stats.running_reports.load(Ordering::Relaxed),
                    stats.stopped_reports.load(Ordering::Relaxed),
                    stats.errors.load(Ordering::Relaxed)
                );
            }
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
