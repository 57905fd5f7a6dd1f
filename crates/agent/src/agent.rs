//! The agent: starts up (pause image, task network, metadata endpoint), registers the host
//! in a cluster, then polls for its tasks and runs each with a [`runner`](crate::runner).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use berth_client::{Client, Endpoint, Error as ClientError};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::awslogs::{CloudWatchLogs, Shipping};
use crate::config::AgentConfig;
use crate::container_config as cc;
use crate::images::Images;
use crate::pull_source::PullSources;
use crate::registry::Registry;
use crate::registry_auth::EcrCredentials;
use crate::reporter::Reporter;
use crate::runner::{self, Assignment, Desired};
use crate::runtime::{HostInfo, Runtime};
use crate::shared::Shared;
use crate::state_file::{AgentState, Membership, StateFile};

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("container runtime: {0}")]
    Runtime(#[from] crate::runtime::RuntimeError),
    #[error("agent state: {0}")]
    State(#[from] std::io::Error),
    #[error("control plane: {0}")]
    Client(#[from] ClientError),
}

/// The internal cluster of the hosts that run FARGATE tasks (see docs/AGENT_PROTOCOL.md).
pub const FARGATE_POOL: &str = "~fargate";

/// Capabilities this agent supports (placement matches task definitions' requirements).
const CAPABILITIES: &[&str] = &[
    "ecs.capability.task-eni",
    "ecs.capability.container-health-check",
    "ecs.capability.container-ordering",
    "ecs.capability.docker-plugin.local",
    "ecs.capability.env-files.s3",
    "com.amazonaws.ecs.capability.task-iam-role",
    "com.amazonaws.ecs.capability.logging-driver.json-file",
    "com.amazonaws.ecs.capability.logging-driver.awslogs",
    "com.amazonaws.ecs.capability.logging-driver.syslog",
    "com.amazonaws.ecs.capability.logging-driver.journald",
    "com.amazonaws.ecs.capability.logging-driver.none",
    "com.amazonaws.ecs.capability.docker-remote-api.1.17",
    "com.amazonaws.ecs.capability.docker-remote-api.1.18",
    "com.amazonaws.ecs.capability.docker-remote-api.1.19",
    "com.amazonaws.ecs.capability.docker-remote-api.1.21",
    "com.amazonaws.ecs.capability.docker-remote-api.1.24",
    "com.amazonaws.ecs.capability.docker-remote-api.1.25",
    "com.amazonaws.ecs.capability.docker-remote-api.1.29",
    "com.amazonaws.ecs.capability.docker-remote-api.1.32",
];

pub struct Agent {
    shared: Arc<Shared>,
    endpoint: Endpoint,
    host: HostInfo,
    state_file: StateFile,
    state: Mutex<AgentState>,
    metadata_port: u16,
    joined: Mutex<HashMap<String, JoinHandle<()>>>,
    joining: tokio::sync::Mutex<()>,
    metadata: Option<JoinHandle<()>>,
    credentials: Option<JoinHandle<()>>,
}

impl Drop for Agent {
    fn drop(&mut self) {
        for (_, h) in self
            .joined
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
        {
            h.abort();
        }
        if let Some(h) = &self.metadata {
            h.abort();
        }
        if let Some(h) = &self.credentials {
            h.abort();
        }
    }
}

impl Agent {
    /// Prepares the host: identity, pause image, task network, metadata endpoint.
    pub async fn start(
        cfg: AgentConfig,
        runtime: Arc<dyn Runtime>,
    ) -> Result<Arc<Agent>, AgentError> {
        let endpoint = Endpoint::new(&cfg.endpoint, &cfg.access_key, &cfg.secret_key, &cfg.region)?;
        let state_file = StateFile::new(&cfg.data_dir);
        let state = state_file.load()?;
        state_file.save(&state)?;
        let host = runtime.info().await?;
        crate::pause::ensure_image(runtime.as_ref(), &host.architecture).await?;
        let bridge = runtime.network("bridge").await.ok();
        let task_net = runtime.ensure_network(&cfg.task_network).await?;
        let registry = Arc::new(Registry::new(runtime.clone()));
        let gateways: Vec<IpAddr> = [bridge.and_then(|b| b.gateway), task_net.gateway.clone()]
            .into_iter()
            .flatten()
            .filter_map(|g| g.parse().ok())
            .collect();
        let (server, bound) = bind_metadata(&gateways, cfg.metadata_port, registry.clone()).await;
        let base_for = |gw: Option<&String>| -> Option<String> {
            let ip: IpAddr = gw?.parse().ok()?;
            bound
                .iter()
                .find(|a| a.ip() == ip)
                .map(|a| format!("http://{a}"))
        };
        let bridge_gw = runtime.network("bridge").await.ok().and_then(|b| b.gateway);
        let bridge_metadata = base_for(bridge_gw.as_ref());
        let task_metadata = base_for(task_net.gateway.as_ref());
        let metadata_port = bound.first().map(|a| a.port()).unwrap_or(0);
        let logs = Shipping::new(
            Arc::new(CloudWatchLogs::new(endpoint.clone())),
            &cfg.data_dir,
        );
        let roles = Arc::new(crate::task_roles::TaskRoles::new(
            Arc::new(crate::task_roles::ApiRoles::new(endpoint.clone())),
            &state.owner,
        ));
        let credentials =
            crate::task_roles::endpoint::serve(roles.clone(), &endpoint.host, cfg.credentials_port)
                .await;
        let shared = Arc::new(Shared {
            images: Images::new(
                runtime.clone(),
                PullSources::new(Arc::new(EcrCredentials::new(endpoint.clone())), &cfg.region),
                cfg.pull_behavior,
                cfg.max_concurrent_pulls,
            ),
            runtime,
            reporter: Reporter::start(endpoint.clone()),
            registry,
            owner: state.owner.clone(),
            cfg: Arc::new(cfg),
            bridge_metadata,
            task_metadata,
            logs,
            secrets: Arc::new(crate::secrets::ApiSecrets::new(endpoint.clone())),
            roles,
            credentials_port: credentials.as_ref().map(|(port, _)| *port),
            endpoint: endpoint.clone(),
        });
        if shared.cfg.image_cleanup_secs > 0 {
            let shared = shared.clone();
            let min_age = Duration::from_secs(shared.cfg.image_cleanup_secs);
            let every = min_age.clamp(Duration::from_secs(60), Duration::from_secs(1800));
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    shared.images.sweep(min_age).await;
                }
            });
        }
        Ok(Arc::new(Agent {
            shared,
            endpoint,
            host,
            state_file,
            state: Mutex::new(state),
            metadata_port,
            joined: Mutex::new(HashMap::new()),
            joining: tokio::sync::Mutex::new(()),
            metadata: server,
            credentials: credentials.map(|(_, h)| h),
        }))
    }

    /// The metadata endpoint's port (0 if it could not be bound).
    pub fn metadata_port(&self) -> u16 {
        self.metadata_port
    }

    /// The container instance ARN this host has in `cluster`, once joined.
    pub fn instance_arn(&self, cluster: &str) -> Option<String> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.clusters.get(cluster).map(|m| m.instance_arn.clone())
    }

    /// Registers the host in `cluster` (as the same instance as before, if it was) and
    /// starts serving its tasks. Joining a cluster twice does nothing.
    pub async fn join(self: &Arc<Self>, cluster: &str) -> Result<String, AgentError> {
        let _one_at_a_time = self.joining.lock().await;
        if let Some(arn) = self.instance_arn(cluster) {
            if self
                .joined
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains_key(cluster)
            {
                return Ok(arn);
            }
        }
        let (arn, seen) = self.register(cluster).await?;
        let agent = self.clone();
        let cluster_name = cluster.to_owned();
        let instance = arn.clone();
        let handle = tokio::spawn(async move { agent.serve(cluster_name, instance, seen).await });
        self.joined
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(cluster.to_owned(), handle);
        Ok(arn)
    }

    /// Joins the configured cluster (retrying until the control plane answers) and serves
    /// until the process ends.
    pub async fn run(self: Arc<Self>) -> Result<(), AgentError> {
        let mut clusters = vec![self.shared.cfg.cluster.clone()];
        if self.shared.cfg.fargate {
            clusters.push(FARGATE_POOL.to_owned());
        }
        for cluster in clusters {
            self.join_retrying(&cluster).await?;
        }
        std::future::pending::<()>().await;
        Ok(())
    }

    async fn join_retrying(self: &Arc<Self>, cluster: &str) -> Result<(), AgentError> {
        let cluster = cluster.to_owned();
        let mut backoff = Duration::from_millis(500);
        loop {
            match self.join(&cluster).await {
                Ok(arn) => {
                    tracing::info!(%cluster, instance = %arn, "registered");
                    break;
                }
                Err(AgentError::Client(e)) if e.code().is_none() => {
                    tracing::warn!(error = %e, "control plane unreachable; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn registration(&self, cluster: &str, previous: Option<&str>) -> Value {
        let cfg = &self.shared.cfg;
        let mut ports: Vec<String> = cfg.reserved_ports.iter().map(u16::to_string).collect();
        if self.metadata_port != 0 && !cfg.reserved_ports.contains(&self.metadata_port) {
            ports.push(self.metadata_port.to_string());
        }
        let memory = (self.host.memory_bytes >> 20) - cfg.reserved_memory_mib;
        let arch = match self.host.architecture.as_str() {
            "aarch64" => "arm64",
            other => other,
        };
        let mut attributes: Vec<(String, String)> = vec![
            ("ecs.os-type".into(), "linux".into()),
            ("ecs.os-family".into(), "LINUX".into()),
            ("ecs.cpu-architecture".into(), arch.into()),
        ];
        if let Some(az) = &cfg.availability_zone {
            attributes.push(("ecs.availability-zone".into(), az.clone()));
        }
        attributes.extend(CAPABILITIES.iter().map(|c| (c.to_string(), String::new())));
        for (k, v) in &cfg.attributes {
            attributes.retain(|(n, _)| n != k);
            attributes.push((k.clone(), v.clone()));
        }
        let attributes: Vec<Value> = attributes
            .iter()
            .map(|(n, v)| berth_client::attribute(n, v))
            .collect();
        let mut body = json!({
            "cluster": cluster,
            "totalResources": [
                {"name": "CPU", "type": "INTEGER", "integerValue": self.host.cpus * 1024},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": memory.max(0)},
                {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ports},
                {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []}
            ],
            "versionInfo": {
                "agentVersion": env!("CARGO_PKG_VERSION"),
                "agentHash": "berth",
                "dockerVersion": format!("DockerVersion: {}", self.host.server_version)
            },
            "attributes": attributes,
        });
        if let Some(arn) = previous {
            body["containerInstanceArn"] = json!(arn);
        }
        // As on EC2, the identity document says where the instance is reached.
        if let Some(ip) = cfg.host_address.or_else(default_route_address) {
            body["instanceIdentityDocument"] =
                json!(json!({"privateIp": ip.to_string()}).to_string());
        }
        body
    }

    async fn register(&self, cluster: &str) -> Result<(String, u64), AgentError> {
        let previous = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clusters
            .get(cluster)
            .cloned();
        let mut client = Client::new(self.endpoint.clone());
        let body = self.registration(cluster, previous.as_ref().map(|m| m.instance_arn.as_str()));
        let mut first = client.ecs("RegisterContainerInstance", &body).await;
        if cluster == "default"
            && matches!(&first, Err(e) if e.code() == Some("ClusterNotFoundException"))
        {
            // As ECS's agent does: the default cluster is created on first use.
            client
                .ecs("CreateCluster", &json!({"clusterName": "default"}))
                .await?;
            first = client.ecs("RegisterContainerInstance", &body).await;
        }
        let answer = match first {
            Ok(a) => a,
            // The old instance is gone (deregistered): register as a new one.
            Err(e) if previous.is_some() && e.code().is_some() => {
                tracing::warn!(error = %e, "re-registration refused; registering as a new instance");
                client
                    .ecs(
                        "RegisterContainerInstance",
                        &self.registration(cluster, None),
                    )
                    .await?
            }
            Err(e) => return Err(e.into()),
        };
        let arn = answer["containerInstance"]["containerInstanceArn"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let seen = previous
            .filter(|p| p.instance_arn == arn)
            .map(|p| p.seen_seq)
            .unwrap_or(0);
        self.remember(cluster, &arn, seen)?;
        Ok((arn, seen))
    }

    fn remember(&self, cluster: &str, arn: &str, seen_seq: u64) -> std::io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let m = Membership {
            instance_arn: arn.to_owned(),
            seen_seq,
        };
        if state.clusters.get(cluster) == Some(&m) {
            return Ok(());
        }
        state.clusters.insert(cluster.to_owned(), m);
        self.state_file.save(&state)
    }

    /// Reconciles, then polls for the instance's tasks forever.
    async fn serve(self: Arc<Self>, cluster: String, arn: String, seen: u64) {
        let mut client = Client::new(self.endpoint.clone());
        let mut tasks: HashMap<String, (watch::Sender<Desired>, JoinHandle<()>)> = HashMap::new();
        let mut reconciled = false;
        let mut after = 0u64;
        let mut backoff = Duration::from_millis(200);
        loop {
            if !reconciled {
                let known = self.local_tasks().await;
                let body = json!({"cluster": cluster, "containerInstance": arn,
                                  "knownTaskArns": known, "seenSeq": seen});
                match client
                    .call_within(Duration::from_secs(30), "BerthAgentV1.Reconcile", &body)
                    .await
                {
                    Ok(r) => {
                        reconciled = true;
                        for t in r["stoppedTaskArns"].as_array().into_iter().flatten() {
                            tracing::info!(task = %t, "control plane stopped a task this agent no longer has");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "reconcile failed; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                }
            }
            let body = json!({"cluster": cluster, "containerInstance": arn, "afterSeq": after, "waitSeconds": 20});
            let answer = match client
                .call_within(Duration::from_secs(40), "BerthAgentV1.Poll", &body)
                .await
            {
                Ok(a) => {
                    backoff = Duration::from_millis(200);
                    a
                }
                Err(e) => {
                    tracing::warn!(error = %e, "poll failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            for entry in answer["tasks"].as_array().into_iter().flatten() {
                self.dispatch(&cluster, &arn, entry, &mut tasks);
            }
            if after == 0 {
                // The first answer lists every task the control plane has for this instance:
                // containers of any other task this agent ran as this instance are orphans.
                let delivered: std::collections::HashSet<&str> = answer["tasks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t["taskArn"].as_str())
                    .collect();
                self.remove_orphans(&arn, &delivered, &tasks).await;
            }
            if let Some(seq) = answer["seq"].as_u64() {
                if seq > after {
                    after = seq;
                    if let Err(e) = self.remember(&cluster, &arn, seq) {
                        tracing::warn!(error = %e, "could not save the agent state");
                    }
                }
            }
            tasks.retain(|_, (_, h)| !h.is_finished());
        }
    }

    /// Stops and removes containers this agent made as `instance` for tasks the control plane
    /// no longer has for it.
    async fn remove_orphans(
        &self,
        instance: &str,
        delivered: &std::collections::HashSet<&str>,
        running: &HashMap<String, (watch::Sender<Desired>, JoinHandle<()>)>,
    ) {
        let Ok(found) = self
            .shared
            .runtime
            .list(cc::LABEL_OWNER, &self.shared.owner)
            .await
        else {
            return;
        };
        // Containers of an identity this agent no longer has (its old instance was
        // deregistered) are orphans too.
        let current: Vec<String> = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clusters
            .values()
            .map(|m| m.instance_arn.clone())
            .collect();
        for c in found {
            let Some(ran_as) = c.labels.get(cc::LABEL_INSTANCE) else {
                continue;
            };
            if ran_as != instance && current.contains(ran_as) {
                continue;
            }
            let Some(task) = c.labels.get(cc::LABEL_TASK) else {
                continue;
            };
            if delivered.contains(task.as_str()) || running.contains_key(task) {
                continue;
            }
            tracing::info!(%task, container = %c.id, "removing a container of a task the control plane no longer has");
            if c.running {
                let _ = self
                    .shared
                    .runtime
                    .stop(&c.id, self.shared.cfg.stop_timeout_secs)
                    .await;
            }
            let _ = self.shared.runtime.remove(&c.id).await;
            self.shared.logs.cursor(&c.id).forget();
        }
    }

    /// Task ARNs this agent has containers for.
    async fn local_tasks(&self) -> Vec<String> {
        let mut arns: Vec<String> = self
            .shared
            .runtime
            .list(cc::LABEL_OWNER, &self.shared.owner)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| c.labels.get(cc::LABEL_TASK).cloned())
            .collect();
        arns.sort();
        arns.dedup();
        arns
    }

    fn dispatch(
        &self,
        cluster: &str,
        instance: &str,
        entry: &Value,
        tasks: &mut HashMap<String, (watch::Sender<Desired>, JoinHandle<()>)>,
    ) {
        let Some(task_arn) = entry["taskArn"].as_str() else {
            return;
        };
        let desired = match entry["desiredStatus"].as_str() {
            Some("RUNNING") => Desired::Running,
            Some("STOPPED") => Desired::Stopped,
            _ => return,
        };
        if let Some((tx, handle)) = tasks.get(task_arn) {
            if !handle.is_finished() {
                tx.send_if_modified(|d| {
                    let changed = *d != desired;
                    *d = desired;
                    changed
                });
            }
            return;
        }
        let task = serde_json::from_value(entry["task"].clone());
        let definition = serde_json::from_value(entry["taskDefinition"].clone());
        let (Ok(task), Ok(definition)) = (task, definition) else {
            tracing::warn!(task = %task_arn, "undecodable assignment");
            return;
        };
        let task: berth_ecs_model::shapes::Task = task;
        // Reports name the task's own cluster: a FARGATE task's is not the pool's.
        let cluster = task
            .cluster_arn
            .clone()
            .unwrap_or_else(|| cluster.to_owned());
        let assignment = Assignment {
            cluster,
            instance: instance.to_owned(),
            task,
            definition,
        };
        if desired == Desired::Stopped && assignment.task.last_status.as_deref() == Some("STOPPED")
        {
            // Already stopped: only containers left behind need cleaning, which a runner
            // started for it would do after adopting them.
            if self.shared.registry.task(task_arn).is_none() {
                let shared = self.shared.clone();
                let arn = task_arn.to_owned();
                tokio::spawn(async move { remove_leftovers(shared, arn).await });
            }
            return;
        }
        let (tx, rx) = watch::channel(desired);
        let handle = tokio::spawn(runner::run(self.shared.clone(), assignment, rx));
        tasks.insert(task_arn.to_owned(), (tx, handle));
    }
}

/// Removes containers of a task the control plane has as STOPPED (after the cleanup wait
/// they would be gone anyway; this covers an agent that was down when it stopped).
async fn remove_leftovers(shared: Arc<Shared>, task_arn: String) {
    let Ok(found) = shared.runtime.list(cc::LABEL_TASK, &task_arn).await else {
        return;
    };
    for c in found {
        if c.labels.get(cc::LABEL_OWNER) == Some(&shared.owner) && c.running {
            let _ = shared
                .runtime
                .stop(&c.id, shared.cfg.stop_timeout_secs)
                .await;
        }
    }
}

async fn bind_metadata(
    gateways: &[IpAddr],
    port: u16,
    registry: Arc<Registry>,
) -> (Option<JoinHandle<()>>, Vec<SocketAddr>) {
    if gateways.is_empty() {
        return (None, Vec::new());
    }
    let addrs: Vec<SocketAddr> = gateways
        .iter()
        .map(|ip| SocketAddr::new(*ip, port))
        .collect();
    let server = match berth_task_metadata::bind(&addrs, registry.clone()).await {
        Ok(s) => Ok(s),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && port != 0 => {
            tracing::warn!(port, "metadata port in use; picking a free one");
            bind_any(gateways, registry).await
        }
        Err(e) => Err(e),
    };
    match server {
        Ok(s) => {
            let bound = s.addrs.clone();
            tracing::info!(?bound, "task metadata endpoint listening");
            (Some(tokio::spawn(s.run())), bound)
        }
        Err(e) => {
            tracing::warn!(error = %e, "task metadata endpoint unavailable");
            (None, Vec::new())
        }
    }
}

/// Binds the first gateway on a free port, then the others on that same port.
async fn bind_any(
    gateways: &[IpAddr],
    registry: Arc<Registry>,
) -> std::io::Result<berth_task_metadata::Server> {
    let mut last = None;
    for _ in 0..10 {
        let first =
            berth_task_metadata::bind(&[SocketAddr::new(gateways[0], 0)], registry.clone()).await?;
        let port = first.addrs[0].port();
        drop(first);
        let addrs: Vec<SocketAddr> = gateways
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .collect();
        match berth_task_metadata::bind(&addrs, registry.clone()).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port")))
}

/// The address of the interface the default route leaves by (a UDP socket "connected" to
/// a documentation address: no packet is sent).
fn default_route_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}
