//! What every task runner of one agent shares.

use std::sync::Arc;

use crate::awslogs::Shipping;
use crate::config::AgentConfig;
use crate::container_config::Network;
use crate::images::Images;
use crate::registry::Registry;
use crate::reporter::Reporter;
use crate::runtime::Runtime;

pub struct Shared {
    pub runtime: Arc<dyn Runtime>,
    pub reporter: Reporter,
    pub registry: Arc<Registry>,
    pub cfg: Arc<AgentConfig>,
    /// Labels the containers this agent owns (stable across restarts: from the data dir).
    pub owner: String,
    pub images: Images,
    /// Metadata endpoint base URL reachable from the default bridge (and host) network.
    pub bridge_metadata: Option<String>,
    /// … and from the awsvpc task network.
    pub task_metadata: Option<String>,
    /// Where awslogs containers' output goes.
    pub logs: Shipping,
    /// Where containers' `secrets` are read from.
    pub secrets: Arc<dyn crate::secrets::SecretValues>,
    /// The Berth endpoint, signed with the agent's key (tasks' execution roles sign with
    /// their own credentials on it).
    pub endpoint: berth_client::Endpoint,
    /// Tasks' role credentials.
    pub roles: Arc<crate::task_roles::TaskRoles>,
    /// The credentials endpoint's port on 169.254.170.2, if it is served.
    pub credentials_port: Option<u16>,
}

impl Shared {
    pub fn metadata_base(&self, network: &Network) -> Option<String> {
        match network {
            Network::Bridge | Network::Host => self.bridge_metadata.clone(),
            Network::Namespace(_) => self.task_metadata.clone(),
            Network::None => None,
        }
    }
}
