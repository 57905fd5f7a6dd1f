//! `berth agent` (the container agent on this host) and the local agent inside `berth dev`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use berth_agent::runtime::docker::DockerRuntime;
use berth_agent::{Agent, AgentConfig, PullBehavior};
use clap::Args;

#[derive(Args, Clone)]
pub struct AgentArgs {
    /// The control plane's URL, e.g. http://10.0.0.5:5454.
    #[arg(long, env = "BERTH_ENDPOINT", default_value = "http://127.0.0.1:5454")]
    pub endpoint: String,
    /// The cluster this host joins.
    #[arg(long, env = "ECS_CLUSTER", default_value = "default")]
    pub cluster: String,
    /// Where the agent keeps its identity and state.
    #[arg(long, env = "BERTH_AGENT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Access key the agent signs with.
    #[arg(long, env = "AWS_ACCESS_KEY_ID", default_value = "test")]
    pub access_key: String,
    /// Secret key the agent signs with.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", default_value = "test")]
    pub secret_key: String,
    /// Region the requests are signed for.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
    /// The host's availability zone (attribute ecs.availability-zone).
    #[arg(long, env = "ECS_AVAILABILITY_ZONE")]
    pub availability_zone: Option<String>,
    /// A custom attribute KEY=VALUE (or KEY); repeatable.
    #[arg(long = "attribute")]
    pub attributes: Vec<String>,
    /// Memory (MiB) kept back for the host.
    #[arg(long, env = "ECS_RESERVED_MEMORY", default_value_t = 0)]
    pub reserved_memory: i64,
    /// default | always | once | prefer-cached (as ECS_IMAGE_PULL_BEHAVIOR).
    #[arg(long, env = "ECS_IMAGE_PULL_BEHAVIOR", default_value = "default")]
    pub pull_behavior: String,
    /// Image pulls in flight at once.
    #[arg(long, default_value_t = 4)]
    pub max_concurrent_pulls: usize,
    /// Port of the task metadata endpoint (on each Docker network gateway); 0 picks one.
    #[arg(long, env = "BERTH_METADATA_PORT", default_value_t = 51679)]
    pub metadata_port: u16,
    /// Port of the task credentials endpoint on 169.254.170.2 (80, as ECS serves it, so
    /// SDKs find it with AWS_CONTAINER_CREDENTIALS_RELATIVE_URI; if another agent on the
    /// host has it, another port, given to containers as AWS_CONTAINER_CREDENTIALS_FULL_URI).
    #[arg(long, env = "BERTH_CREDENTIALS_PORT", default_value_t = 80)]
    pub credentials_port: u16,
    /// Between SIGTERM and SIGKILL for containers without a stopTimeout (`30`, `30s`, `2m`).
    #[arg(long, env = "ECS_CONTAINER_STOP_TIMEOUT", default_value = "30", value_parser = crate::agent_config::duration_secs)]
    pub stop_timeout: u64,
    /// Seconds a stopped task's containers are kept before removal.
    #[arg(
        long,
        env = "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION",
        default_value_t = 10800
    )]
    pub task_cleanup: u64,
    /// How long an image the agent pulled may go unused before it is removed (`1h`); 0
    /// keeps them.
    #[arg(long, env = "ECS_IMAGE_MINIMUM_CLEANUP_AGE", default_value = "1h", value_parser = crate::agent_config::duration_secs)]
    pub image_cleanup: u64,
    /// Custom attributes as a JSON object (as ECS_INSTANCE_ATTRIBUTES).
    #[arg(long, env = "ECS_INSTANCE_ATTRIBUTES")]
    pub instance_attributes: Option<String>,
    /// A config file of KEY=VALUE lines as ECS's /etc/ecs/ecs.config (ECS_CLUSTER=…, …);
    /// flags and the environment take precedence over it.
    #[arg(long, env = "BERTH_AGENT_CONFIG")]
    pub config: Option<PathBuf>,
    /// The Docker network awsvpc tasks get their addresses on.
    #[arg(long, default_value = "berth-tasks")]
    pub task_network: String,
    /// Also serve FARGATE tasks: this host joins the managed pool.
    #[arg(long, env = "BERTH_AGENT_FARGATE")]
    pub fargate: bool,
    /// Where the host may query the DNS this agent serves its tasks (Cloud Map's DNS
    /// namespaces, streamed from the endpoint; UDP and TCP); comma-separated. Tasks resolve
    /// on 169.254.169.253:53 whatever this says.
    #[arg(long = "dns-listen", env = "BERTH_DNS_LISTEN", value_delimiter = ',')]
    pub dns_listen: Vec<std::net::SocketAddr>,
    /// The address other hosts reach this host's published ports at (Cloud Map
    /// registrations of bridge and host tasks carry it); default: the address of the
    /// interface the default route leaves by.
    #[arg(long, env = "BERTH_HOST_ADDRESS")]
    pub host_address: Option<std::net::IpAddr>,
    /// Serve no DNS: tasks resolve with Docker's default.
    #[arg(long, env = "BERTH_AGENT_NO_DNS")]
    pub no_dns: bool,
}

impl AgentArgs {
    fn config(&self) -> Result<AgentConfig> {
        let data_dir = self.data_dir.clone().unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."))
                .join(".berth")
                .join("agent")
        });
        let mut cfg = AgentConfig::new(&self.endpoint, data_dir);
        cfg.access_key = self.access_key.clone();
        cfg.secret_key = self.secret_key.clone();
        cfg.region = self.region.clone();
        cfg.cluster = self.cluster.clone();
        cfg.availability_zone = self.availability_zone.clone();
        cfg.attributes = self
            .attributes
            .iter()
            .map(|a| match a.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (a.clone(), String::new()),
            })
            .collect();
        if cfg.attributes.iter().any(|(k, _)| k.is_empty()) {
            bail!("an --attribute has an empty name");
        }
        cfg.reserved_memory_mib = self.reserved_memory;
        cfg.pull_behavior = PullBehavior::parse(&self.pull_behavior).with_context(|| {
            format!(
                "--pull-behavior {}: expected default, always, once or prefer-cached",
                self.pull_behavior
            )
        })?;
        cfg.max_concurrent_pulls = self.max_concurrent_pulls;
        cfg.metadata_port = self.metadata_port;
        cfg.credentials_port = self.credentials_port;
        cfg.stop_timeout_secs = i64::try_from(self.stop_timeout).unwrap_or(i64::MAX);
        if let Some(json) = &self.instance_attributes {
            for (k, v) in crate::agent_config::instance_attributes(json)? {
                cfg.attributes.retain(|(n, _)| *n != k);
                cfg.attributes.push((k, v));
            }
        }
        cfg.task_cleanup_secs = self.task_cleanup;
        cfg.task_network = self.task_network.clone();
        cfg.fargate = self.fargate;
        cfg.host_address = self.host_address;
        cfg.image_cleanup_secs = self.image_cleanup;
        Ok(cfg)
    }
}

pub async fn run(args: AgentArgs) -> Result<()> {
    let mut cfg = args.config()?;
    // The namespaces are served here, from what the endpoint streams: a query never waits
    // on the control plane.
    let _dns = if args.no_dns {
        None
    } else {
        let endpoint = berth_client::Endpoint::new(
            &args.endpoint,
            &args.access_key,
            &args.secret_key,
            &args.region,
        )
        .context("--endpoint")?;
        let zones = crate::dns::zones_from_endpoint(endpoint);
        let dns = crate::dns::start(zones, &args.dns_listen, true, true)?;
        cfg.dns_server = dns.task_resolver;
        Some(dns)
    };
    let runtime = DockerRuntime::connect()
        .await
        .context("connecting to the Docker Engine")?;
    let agent = Agent::start(cfg, Arc::new(runtime))
        .await
        .context("starting the agent")?;
    tokio::select! {
        r = agent.run() => r.context("agent")?,
        _ = crate::cli::shutdown_signal() => {}
    }
    Ok(())
}

/// The local host as `berth dev` runs it: joins every cluster (now and as they are created),
/// uses cached images first (local development builds its own).
pub async fn start_dev_agent(
    ecs: Arc<berth_ecs::Ecs>,
    endpoint: &str,
    region: &str,
    data_dir: PathBuf,
    dns_server: Option<std::net::IpAddr>,
) -> Result<Arc<Agent>> {
    let mut cfg = AgentConfig::new(endpoint, data_dir);
    cfg.dns_server = dns_server;
    cfg.region = region.to_owned();
    cfg.availability_zone = Some(format!("{region}a"));
    cfg.pull_behavior = PullBehavior::PreferCached;
    cfg.task_cleanup_secs = 3600;
    let runtime = DockerRuntime::connect()
        .await
        .context("connecting to the Docker Engine")?;
    let agent = Agent::start(cfg, Arc::new(runtime))
        .await
        .context("starting the local agent")?;
    agent
        .join("default")
        .await
        .context("joining the default cluster")?;
    // FARGATE tasks of every cluster run here too: dev's host is the managed pool.
    agent
        .join(berth_agent::agent::FARGATE_POOL)
        .await
        .context("joining the FARGATE pool")?;
    let (tx, mut rx) =
        tokio::sync::mpsc::unbounded_channel::<(String, std::sync::mpsc::Sender<()>)>();
    {
        let agent = agent.clone();
        tokio::spawn(async move {
            while let Some((cluster, done)) = rx.recv().await {
                if let Err(e) = agent.join(&cluster).await {
                    tracing::warn!(%cluster, error = %e, "the local host could not join the cluster");
                }
                let _ = done.send(());
            }
        });
    }
    ecs.set_cluster_hook(Arc::new(move |cluster: &str| {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        if tx.send((cluster.to_owned(), done_tx)).is_ok() {
            // CreateCluster answers once the local host is in the cluster, so a task run
            // right after it finds a container instance.
            let _ = done_rx.recv_timeout(Duration::from_secs(10));
        }
    }));
    // Clusters that existed before (or were created while the hook was not installed).
    let names = ecs
        .handle(berth_ecs_model::Operation::ListClusters, b"{}")
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .map(|v| {
            v["clusterArns"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    a.as_str()
                        .and_then(|a| a.rsplit('/').next())
                        .map(str::to_owned)
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    for name in names {
        if let Err(e) = agent.join(&name).await {
            tracing::warn!(cluster = %name, error = %e, "the local host could not join the cluster");
        }
    }
    Ok(agent)
}
