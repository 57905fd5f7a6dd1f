//! What the agent knows about a task and its containers, handed to the endpoint as plain data.
//!
//! These are Berth's own types, not the wire: [`crate::shapes`] turns them into the JSON that
//! Amazon ECS's task metadata endpoint v4 returns. Every type derives `Default`, so the agent
//! can fill the fields it has and leave the rest with `..Default::default()`.

use std::collections::BTreeMap;

use time::OffsetDateTime;

/// A snapshot of one task as the agent knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskView {
    /// The cluster ARN (ECS also allows the short name here).
    pub cluster: String,
    pub task_arn: String,
    pub family: String,
    /// The task definition revision, as a string (`"3"`).
    pub revision: String,
    /// `RUNNING` or `STOPPED`.
    pub desired_status: String,
    /// `PENDING`, `RUNNING`, `STOPPED`, ...
    pub known_status: String,
    /// Task-level vCPU (`0.25`), if the task definition sets `cpu`.
    pub cpu_limit: Option<f64>,
    /// Task-level memory in MiB, if the task definition sets `memory`.
    pub memory_limit: Option<i64>,
    pub pull_started_at: Option<OffsetDateTime>,
    pub pull_stopped_at: Option<OffsetDateTime>,
    /// When the task's desired status moved to `STOPPED`.
    pub execution_stopped_at: Option<OffsetDateTime>,
    pub availability_zone: Option<String>,
    /// `EC2` or `FARGATE`.
    pub launch_type: String,
    /// The service that started the task, if any.
    pub service_name: Option<String>,
    /// Shown only by the `/taskWithTags` path, as ECS does.
    pub task_tags: Vec<(String, String)>,
    pub containers: Vec<ContainerView>,
}

/// One container of a task.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContainerView {
    /// The name in the task definition.
    pub name: String,
    /// The Docker container id; empty until the container is created.
    pub docker_id: String,
    /// The name the agent gave the container in Docker.
    pub docker_name: String,
    pub image: String,
    /// The image's `sha256:` id or digest; may be empty.
    pub image_id: String,
    pub labels: BTreeMap<String, String>,
    pub desired_status: String,
    /// `PENDING`, `RUNNING` or `STOPPED`.
    pub known_status: String,
    /// CPU units.
    pub cpu: i64,
    /// Hard memory limit in MiB.
    pub memory: Option<i64>,
    pub created_at: Option<OffsetDateTime>,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
    pub exit_code: Option<i64>,
    pub health: Option<HealthView>,
    pub networks: Vec<NetworkView>,
    pub ports: Vec<PortView>,
    pub container_arn: String,
    pub log_driver: Option<String>,
    pub log_options: BTreeMap<String, String>,
}

/// The result of a container's health check.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HealthView {
    /// `HEALTHY`, `UNHEALTHY` or `UNKNOWN`.
    pub status: String,
    pub status_since: Option<OffsetDateTime>,
    /// The exit code of the last check command.
    pub exit_code: Option<i64>,
    /// The output of the last check command.
    pub output: Option<String>,
}

/// One network a container is attached to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkView {
    /// `bridge`, `host`, `awsvpc` or `none`.
    pub network_mode: String,
    pub ipv4_addresses: Vec<String>,
    /// awsvpc only: the index of the task's network interface.
    pub attachment_index: Option<u32>,
    /// awsvpc only.
    pub mac_address: Option<String>,
    /// awsvpc only: the subnet, as a CIDR block (`10.0.2.0/24`).
    pub ipv4_subnet_cidr_block: Option<String>,
    /// awsvpc only.
    pub private_dns_name: Option<String>,
    /// awsvpc only: the subnet's gateway with the prefix length (`10.0.2.1/24`).
    pub subnet_gateway_ipv4_address: Option<String>,
}

/// One published port of a container.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PortView {
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
    pub host_port: u16,
    /// The host address the port is bound on (`0.0.0.0`, `::`); empty if unknown.
    pub host_ip: String,
}
