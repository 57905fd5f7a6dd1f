//! `berth agent`: the container agent. It registers its host with a Berth control plane,
//! learns which tasks to run over the agent protocol (docs/AGENT_PROTOCOL.md), runs them on
//! the Docker Engine, and reports their state back.
//!
//! - [`agent`]: start-up, registration, the poll loop, one runner per task;
//! - [`runner`]: one task's life on the runtime (pull, network, start order, watch, stop);
//! - [`plan`]: the pure decisions (dependsOn order, when the task must stop, stop order);
//! - [`container_config`]: an ECS container definition as a Docker create body (pure);
//! - [`awslogs`]: the awslogs log driver: containers keep Docker's json-file log and the
//!   agent follows their output and ships it to the CloudWatch Logs service on Berth's
//!   endpoint (PutLogEvents), resuming after a restart from a cursor in the data dir;
//! - [`runtime`]: the Docker Engine behind a trait (containers, images, networks, following
//!   a container's output), and an in-memory fake.

pub mod agent;
pub mod awslogs;
mod awsvpc;
pub mod config;
pub mod container_config;
pub mod image_ref;
pub mod images;
pub mod loopback;
pub mod pause;
pub mod plan;
pub mod pull_source;
pub mod registry;
pub mod registry_auth;
pub mod reporter;
pub mod runner;
#[cfg(test)]
mod runner_tests;
pub mod runtime;
pub mod secrets;
mod shared;
pub mod state_file;
pub mod task_roles;
#[cfg(test)]
mod test_endpoint;
mod view;

pub use agent::{Agent, AgentError};
pub use config::{AgentConfig, PullBehavior};
