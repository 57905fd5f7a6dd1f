//! Where the endpoint gets its data: a trait the agent implements.

use crate::view::TaskView;

/// The agent's side of the endpoint: who a token belongs to, and Docker stats.
///
/// `lookup` is called once per request and should be cheap (a map look-up under a lock);
/// `stats` may reach Docker, so it is async.
#[async_trait::async_trait]
pub trait MetadataSource: Send + Sync + 'static {
    /// The task a token belongs to and the name of the token's container; None if unknown.
    fn lookup(&self, token: &str) -> Option<(TaskView, String)>;

    /// Docker Engine stats JSON (the Engine API's `GET /containers/{id}/stats?stream=false`
    /// body) for one container, or None.
    async fn stats(&self, docker_id: &str) -> Option<serde_json::Value>;
}
