//! A region's services, wired: the one store, each service over it, and the ports between
//! them. The server hosts what this returns and knows none of it.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use berth_aws::clock::SystemClock;
use berth_aws::service::Service;
use berth_ecs::{Ecs, EcsService, Scope};
use berth_logs::{Logs, LogsService};

/// What a region's services need to start.
pub struct RegionConfig<'a> {
    pub data_dir: &'a Path,
    pub region: &'a str,
    /// The account ECS's resources live in (ECS is single-account for now).
    pub ecs_account: &'a str,
    pub agent_timeout_secs: f64,
    pub task_retention_secs: f64,
}

pub struct Region {
    pub ecs: Arc<Ecs>,
    /// Every service, ECS first.
    pub services: Vec<Arc<dyn Service>>,
}

pub fn open(c: &RegionConfig<'_>) -> Result<Region> {
    let store: Arc<dyn berth_store::Store> = Arc::new(
        berth_store::SqliteStore::open(c.data_dir)
            .with_context(|| format!("opening the store in {}", c.data_dir.display()))?,
    );
    let clock = Arc::new(SystemClock);
    let logs = Logs::open(store.clone(), &c.data_dir.join("logs"), clock.clone())
        .context("loading the CloudWatch Logs state")?;
    let ecs = Ecs::open(store, clock, Scope::new(c.region, c.ecs_account))
        .context("loading the ECS state")?;
    ecs.set_agent_timeout(c.agent_timeout_secs);
    let ecs = Arc::new(ecs);
    let ecs_service = EcsService::new(ecs.clone(), c.task_retention_secs);
    Ok(Region {
        ecs,
        services: vec![ecs_service, LogsService::new(Arc::new(logs))],
    })
}
