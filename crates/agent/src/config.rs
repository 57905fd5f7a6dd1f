//! The agent's settings (from `berth agent` flags, the environment or a config file).

use std::path::PathBuf;

/// When to pull an image (ECS_IMAGE_PULL_BEHAVIOR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullBehavior {
    /// Pull; if the pull fails, use the cached image if there is one (ECS's default).
    Default,
    /// Always pull; a failed pull fails the task.
    Always,
    /// Pull only if this agent has not pulled the image before (or it is missing).
    Once,
    /// Use the cached image if present; pull only if missing.
    PreferCached,
}

impl PullBehavior {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "default" => PullBehavior::Default,
            "always" => PullBehavior::Always,
            "once" => PullBehavior::Once,
            "prefer-cached" => PullBehavior::PreferCached,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// The control plane, e.g. `http://127.0.0.1:5454`.
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    /// The cluster this host joins (ECS_CLUSTER).
    pub cluster: String,
    /// Where the agent keeps its identity (the container instance ARN per cluster).
    pub data_dir: PathBuf,
    pub availability_zone: Option<String>,
    /// Custom attributes (name, value); an empty value is a bare attribute.
    pub attributes: Vec<(String, String)>,
    /// Memory kept back for the host, in MiB (ECS_RESERVED_MEMORY).
    pub reserved_memory_mib: i64,
    /// Host ports no task may bind (ECS_RESERVED_PORTS).
    pub reserved_ports: Vec<u16>,
    pub pull_behavior: PullBehavior,
    pub max_concurrent_pulls: usize,
    /// Port of the task metadata endpoint on each Docker network gateway; 0 picks one.
    pub metadata_port: u16,
    /// Port of the task credentials endpoint on 169.254.170.2 (80 as on ECS; if taken,
    /// another).
    pub credentials_port: u16,
    /// The resolver containers get unless their definition names `dnsServers`: the
    /// address Berth's DNS serves tasks on (None: Docker's default).
    pub dns_server: Option<std::net::IpAddr>,
    /// The host's address other hosts' tasks reach its published ports at (the EC2
    /// identity document's `privateIp`; Cloud Map registrations of bridge and host tasks).
    /// None: the address of the interface the default route leaves by.
    pub host_address: Option<std::net::IpAddr>,
    /// Seconds between SIGTERM and SIGKILL when a container has no stopTimeout
    /// (ECS_CONTAINER_STOP_TIMEOUT).
    pub stop_timeout_secs: i64,
    /// Seconds a stopped task's containers are kept before removal
    /// (ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION).
    pub task_cleanup_secs: u64,
    /// Seconds an image this agent pulled may go unused before it is removed (as
    /// ECS_IMAGE_MINIMUM_CLEANUP_AGE); 0 keeps images.
    pub image_cleanup_secs: u64,
    /// The Docker network awsvpc tasks get their own addresses on.
    pub task_network: String,
    /// This host serves FARGATE tasks (the managed pool).
    pub fargate: bool,
}

impl AgentConfig {
    /// Settings with ECS's defaults for everything but where to connect.
    pub fn new(endpoint: &str, data_dir: PathBuf) -> Self {
        AgentConfig {
            endpoint: endpoint.to_owned(),
            access_key: "test".into(),
            secret_key: "test".into(),
            region: "us-east-1".into(),
            cluster: "default".into(),
            data_dir,
            availability_zone: None,
            attributes: Vec::new(),
            reserved_memory_mib: 0,
            reserved_ports: vec![22, 2375, 2376, 51678, 51679],
            pull_behavior: PullBehavior::Default,
            max_concurrent_pulls: 4,
            metadata_port: 51679,
            credentials_port: 80,
            dns_server: None,
            host_address: None,
            stop_timeout_secs: 30,
            task_cleanup_secs: 3 * 3600,
            image_cleanup_secs: 3600,
            task_network: "berth-tasks".into(),
            fargate: false,
        }
    }
}
