//! [`ApiRoles`]: role credentials from the control plane the agent already talks to
//! (`BerthAgentV1.GetTaskCredentials`, signed with the agent's key); [`fake::FakeRoles`]
//! for tests.

use std::time::Duration;

use berth_client::{Client, Endpoint, Error as ClientError};
use serde_json::json;

use super::{Issued, RoleKind, RoleSource, TaskPlace};

/// How long one call may take.
const CALL_DEADLINE: Duration = Duration::from_secs(10);

pub struct ApiRoles {
    client: tokio::sync::Mutex<Client>,
}

impl ApiRoles {
    pub fn new(endpoint: Endpoint) -> Self {
        ApiRoles {
            client: tokio::sync::Mutex::new(Client::new(endpoint)),
        }
    }
}

#[async_trait::async_trait]
impl RoleSource for ApiRoles {
    async fn fetch(&self, place: &TaskPlace, kind: RoleKind) -> Result<Issued, String> {
        let body = json!({
            "cluster": place.cluster,
            "containerInstance": place.instance,
            "taskArn": place.task_arn,
            "role": kind.as_str(),
        });
        let out = self
            .client
            .lock()
            .await
            .call_service_within(
                CALL_DEADLINE,
                "ecs",
                "BerthAgentV1.GetTaskCredentials",
                &body,
            )
            .await
            .map_err(|e| match e {
                ClientError::Api(a) => format!("{}: {}", a.code, a.message),
                other => other.to_string(),
            })?;
        serde_json::from_value(out).map_err(|e| format!("an unusable credentials answer: {e}"))
    }
}

pub mod fake {
    //! Role credentials from a table.

    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    use super::super::{Issued, RoleKind, RoleSource, TaskPlace};

    #[derive(Default)]
    pub struct FakeRoles {
        table: Mutex<HashMap<(String, RoleKind), Issued>>,
        fetches: AtomicUsize,
    }

    impl FakeRoles {
        pub fn allow(&self, task_arn: &str, kind: RoleKind, issued: Issued) {
            self.table
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert((task_arn.to_owned(), kind), issued);
        }

        pub fn fetches(&self) -> usize {
            self.fetches.load(Ordering::SeqCst)
        }
    }

    #[async_trait::async_trait]
    impl RoleSource for FakeRoles {
        async fn fetch(&self, place: &TaskPlace, kind: RoleKind) -> Result<Issued, String> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            self.table
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&(place.task_arn.clone(), kind))
                .cloned()
                .ok_or_else(|| format!("ClientException: The task has no {} role.", kind.as_str()))
        }
    }
}
