//! The task metadata endpoint: what a container reads from `ECS_CONTAINER_METADATA_URI_V4`.
//!
//! Amazon ECS gives every container a URI through which it learns about itself, its task and
//! their Docker stats. Berth's agent runs this endpoint on each host, one listener per Docker
//! network gateway, and injects `http://<gateway-ip>:<port>/v4/<token>` where the token is an
//! opaque random string naming one container of one task.
//!
//! The pieces:
//!
//! - [`view`]: [`TaskView`] and [`ContainerView`], what the agent knows, as plain data;
//! - [`source`]: [`MetadataSource`], the trait the agent implements: token → task and
//!   container name, and Docker id → stats;
//! - [`shapes`]: the views as ECS's v4 JSON ([`ContainerMetadata`], [`TaskMetadata`]);
//! - [`server`]: the axum [`router`] and [`bind`] / [`Server::run`] to serve it.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # async fn run(source: Arc<dyn berth_task_metadata::MetadataSource>) -> std::io::Result<()> {
//! let gateway = "172.17.0.1:0".parse().expect("an address");
//! let server = berth_task_metadata::bind(&[gateway], source).await?;
//! let uri_base = format!("http://{}/v4/", server.addrs[0]);
//! tokio::spawn(server.run()); // abort the handle (drop the future) to close the listeners
//! # let _ = uri_base;
//! # Ok(())
//! # }
//! ```

pub mod server;
pub mod shapes;
pub mod source;
pub mod view;

pub use server::{bind, router, Server};
pub use shapes::{rfc3339_nano, ContainerMetadata, TaskMetadata};
pub use source::MetadataSource;
pub use view::{ContainerView, HealthView, NetworkView, PortView, TaskView};
