//! Task roles: the credentials of a task's role, had from the control plane
//! (`BerthAgentV1.GetTaskCredentials`, [`RoleSource`]) and kept per task until half their
//! life is gone; the task role's served to the task's containers by the credentials
//! endpoint (`endpoint.rs`, at `169.254.170.2` as ECS serves it), the execution role's used
//! by the agent itself for the task's secrets and pulls.
//!
//! A task's credentials id (the last part of `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`) is
//! derived from the agent's owner id and the task ARN: unguessable by other tasks, and the
//! same after the agent restarts, so running containers keep their URI.

mod api;
pub mod endpoint;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use api::{fake, ApiRoles};

/// Which of a task's roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoleKind {
    Task,
    Execution,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Task => "task",
            RoleKind::Execution => "execution",
        }
    }
}

/// Temporary credentials of a role, as the control plane answers them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    pub role_arn: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch seconds.
    pub expiration: u64,
}

/// Where a task runs, as the control plane knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskPlace {
    pub task_arn: String,
    pub cluster: String,
    pub instance: String,
}

#[async_trait::async_trait]
pub trait RoleSource: Send + Sync + 'static {
    /// Fresh credentials of `kind` of the task at `place`, or why not.
    async fn fetch(&self, place: &TaskPlace, kind: RoleKind) -> Result<Issued, String>;
}

/// Whether credentials fetched at `fetched` are still the ones to hand out at `now`: until
/// half their life has passed, so a caller refreshing ahead of expiry (SDKs do, minutes
/// before) always gets ones with most of their life left.
pub fn fresh(issued: &Issued, fetched: u64, now: u64) -> bool {
    let life = issued.expiration.saturating_sub(fetched);
    now < issued.expiration && now.saturating_sub(fetched) < life / 2
}

struct Held {
    issued: Issued,
    fetched: u64,
}

/// Every task's role credentials on this agent.
pub struct TaskRoles {
    source: Arc<dyn RoleSource>,
    owner: String,
    /// credentials id → the task it belongs to.
    ids: Mutex<HashMap<String, TaskPlace>>,
    held: tokio::sync::Mutex<HashMap<(String, RoleKind), Held>>,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl TaskRoles {
    pub fn new(source: Arc<dyn RoleSource>, owner: &str) -> Self {
        TaskRoles {
            source,
            owner: owner.to_owned(),
            ids: Mutex::new(HashMap::new()),
            held: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The task's credentials id (the same for the same task, across restarts).
    pub fn id_of(&self, task_arn: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.owner.as_bytes());
        h.update(b"\0task-credentials\0");
        h.update(task_arn.as_bytes());
        h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Makes the task's credentials id known to the endpoint; answers it.
    pub fn register(&self, place: TaskPlace) -> String {
        let id = self.id_of(&place.task_arn);
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), place);
        id
    }

    /// Forgets a task that has stopped: its id answers nothing from now on.
    pub async fn forget(&self, task_arn: &str) {
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, p| p.task_arn != task_arn);
        self.held.lock().await.retain(|(t, _), _| t != task_arn);
    }

    /// The task role credentials of the task whose credentials id is `id`; None for an id
    /// no running task has.
    pub async fn by_id(&self, id: &str) -> Option<Result<Issued, String>> {
        let place = self
            .ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()?;
        Some(self.credentials(&place, RoleKind::Task).await)
    }

    /// Credentials of `kind` for the task at `place`: the ones held while fresh, else new.
    pub async fn credentials(&self, place: &TaskPlace, kind: RoleKind) -> Result<Issued, String> {
        let key = (place.task_arn.clone(), kind);
        let now = now_secs();
        if let Some(h) = self.held.lock().await.get(&key) {
            if fresh(&h.issued, h.fetched, now) {
                return Ok(h.issued.clone());
            }
        }
        // Not held across the fetch: one task's slow fetch never holds up another's.
        let issued = self.source.fetch(place, kind).await?;
        self.held.lock().await.insert(
            key,
            Held {
                issued: issued.clone(),
                fetched: now,
            },
        );
        Ok(issued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn issued(expiration: u64) -> Issued {
        Issued {
            role_arn: "arn:aws:iam::123456789012:role/app".into(),
            access_key_id: "ASIA1".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expiration,
        }
    }

    proptest! {
        #[test]
        fn credentials_handed_out_keep_at_least_half_their_life(
            fetched in 0u64..1_000_000, life in 1u64..100_000, age in 0u64..200_000
        ) {
            let i = issued(fetched + life);
            let now = fetched + age;
            if fresh(&i, fetched, now) {
                prop_assert!(i.expiration - now > life / 2 || life < 2);
                prop_assert!(now < i.expiration);
            } else {
                prop_assert!(age >= life / 2);
            }
        }
    }

    #[tokio::test]
    async fn ids_are_per_task_stable_and_forgotten_with_the_task() {
        let source = Arc::new(fake::FakeRoles::default());
        source.allow("arn:t1", RoleKind::Task, issued(now_secs() + 3600));
        let roles = TaskRoles::new(source.clone(), "owner-1");
        let place = TaskPlace {
            task_arn: "arn:t1".into(),
            cluster: "c".into(),
            instance: "i".into(),
        };
        let id = roles.register(place.clone());
        assert_eq!(
            id,
            TaskRoles::new(source.clone(), "owner-1").id_of("arn:t1")
        );
        assert_ne!(id, roles.id_of("arn:t2"));
        assert_ne!(
            id,
            TaskRoles::new(source.clone(), "owner-2").id_of("arn:t1")
        );
        assert_eq!(id.len(), 32);
        let got = roles.by_id(&id).await.expect("known").expect("issued");
        assert_eq!(got.access_key_id, "ASIA1");
        // Held: a second ask does not go to the control plane.
        roles.by_id(&id).await.expect("known").expect("issued");
        assert_eq!(source.fetches(), 1);
        assert!(roles.by_id("nope").await.is_none());
        roles.forget("arn:t1").await;
        assert!(roles.by_id(&id).await.is_none());
    }

    #[tokio::test]
    async fn stale_credentials_are_fetched_again() {
        let source = Arc::new(fake::FakeRoles::default());
        // Already past half its life (an hour's credentials with ten minutes left).
        source.allow("arn:t1", RoleKind::Task, issued(now_secs() + 600));
        let roles = TaskRoles::new(source.clone(), "o");
        let place = TaskPlace {
            task_arn: "arn:t1".into(),
            cluster: "c".into(),
            instance: "i".into(),
        };
        roles.credentials(&place, RoleKind::Task).await.expect("1");
        {
            let mut held = roles.held.lock().await;
            if let Some(h) = held.get_mut(&("arn:t1".to_owned(), RoleKind::Task)) {
                h.fetched = now_secs() - 3000;
            }
        }
        roles.credentials(&place, RoleKind::Task).await.expect("2");
        assert_eq!(source.fetches(), 2);
        let err = roles
            .credentials(&place, RoleKind::Execution)
            .await
            .expect_err("no execution role");
        assert!(err.contains("execution"), "{err}");
    }
}
