//! The container runtime the agent drives, behind a trait: the Docker Engine ([`docker`]) or
//! an in-memory fake ([`fake`]) for tests of the agent's logic without Docker.

pub mod docker;
pub mod fake;
pub mod log_frames;

use std::collections::HashMap;

pub use bollard::models::ContainerCreateBody;
use futures_util::stream::BoxStream;

/// A runtime failure, with the Engine's message.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("no such container or image: {0}")]
    NotFound(String),
    #[error("{0}")]
    Engine(String),
}

impl RuntimeError {
    /// The Engine's own words.
    pub fn message(&self) -> &str {
        match self {
            RuntimeError::NotFound(m) | RuntimeError::Engine(m) => m,
        }
    }
}

pub type Result<T> = std::result::Result<T, RuntimeError>;

/// What the host offers.
#[derive(Clone, Debug)]
pub struct HostInfo {
    pub cpus: i64,
    pub memory_bytes: i64,
    pub server_version: String,
    pub architecture: String,
    pub os_type: String,
}

/// A container's observed state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    pub id: String,
    pub name: String,
    pub image_id: String,
    pub running: bool,
    /// Exited (or dead): not running and started at least once, or failed to start.
    pub exited: bool,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    /// The engine's error for a container that could not start.
    pub error: Option<String>,
    /// `healthy` | `unhealthy` | `starting`, when the container has a health check.
    pub health: Option<String>,
    pub health_output: Option<String>,
    pub created_at: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Published ports: (container port, protocol, host ip, host port).
    pub ports: Vec<(u16, String, String, u16)>,
    /// IPv4 address per network name.
    pub addresses: HashMap<String, String>,
    pub labels: HashMap<String, String>,
}

/// A container found by its labels.
#[derive(Clone, Debug)]
pub struct Listed {
    pub id: String,
    pub labels: HashMap<String, String>,
    pub running: bool,
}

/// A user-defined network.
#[derive(Clone, Debug)]
pub struct NetworkInfo {
    pub name: String,
    pub gateway: Option<String>,
    pub subnet: Option<String>,
}

/// Registry credentials for a pull.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PullAuth {
    pub username: String,
    pub password: String,
}

/// Which of a container's output streams a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogSource {
    Stdout,
    Stderr,
}

/// One line of a container's output, as the Engine logged it.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    /// When the Engine logged it (the last part of a line it logged in parts), in ns since
    /// the epoch.
    pub timestamp_ns: i64,
    pub source: LogSource,
    /// The line without its newline.
    pub text: String,
}

/// A container's output as it is written; ends once the container has stopped and all of
/// its output has been read.
pub type LogLines = BoxStream<'static, Result<LogLine>>;

#[async_trait::async_trait]
pub trait Runtime: Send + Sync + 'static {
    async fn info(&self) -> Result<HostInfo>;
    /// The image's id if the image is present locally.
    async fn image_id(&self, image: &str) -> Result<Option<String>>;
    async fn pull(&self, image: &str, auth: Option<PullAuth>) -> Result<()>;
    /// Creates a root filesystem image from a tar archive (like `docker import`).
    async fn import(
        &self,
        reference: &str,
        rootfs_tar: Vec<u8>,
        changes: Vec<String>,
    ) -> Result<()>;
    async fn create(&self, name: &str, body: ContainerCreateBody) -> Result<String>;
    async fn start(&self, id: &str) -> Result<()>;
    /// Sends the stop signal, then kills after `timeout_secs`.
    async fn stop(&self, id: &str, timeout_secs: i64) -> Result<()>;
    async fn remove(&self, id: &str) -> Result<()>;
    async fn inspect(&self, id: &str) -> Result<Observed>;
    /// Resolves when the container is not running (at once if it already exited).
    async fn wait_exit(&self, id: &str) -> Result<()>;
    /// Containers (running or not) carrying `label=value`.
    async fn list(&self, label: &str, value: &str) -> Result<Vec<Listed>>;
    /// Creates the bridge network if it does not exist; answers its gateway and subnet.
    async fn ensure_network(&self, name: &str) -> Result<NetworkInfo>;
    async fn network(&self, name: &str) -> Result<NetworkInfo>;
    /// One sample of the Engine's stats JSON for a container.
    async fn stats(&self, id: &str) -> Result<serde_json::Value>;
    /// Removes an image (unused images are cleaned after a wait).
    async fn remove_image(&self, image: &str) -> Result<()>;
    /// Removes a named volume (a task-scoped Docker volume after its task).
    async fn remove_volume(&self, name: &str) -> Result<()>;
    /// Images present on the host, as (id, references).
    async fn images(&self) -> Result<Vec<(String, Vec<String>)>>;
    /// Follows a container's stdout and stderr (in the order logged), starting with the
    /// whole second `since_ns` falls in: lines logged earlier in that second come again, so
    /// a caller resuming after a line skips what it already has. The stream ends when the
    /// container is not running and its output has been read.
    fn follow_logs(&self, id: &str, since_ns: i64) -> LogLines;
}
