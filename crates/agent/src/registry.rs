//! What the task metadata endpoint serves: each running task's latest snapshot, and which
//! task and container each metadata token belongs to.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use berth_task_metadata::{MetadataSource, TaskView};

use crate::runtime::Runtime;

pub struct Registry {
    runtime: Arc<dyn Runtime>,
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    tokens: HashMap<String, (String, String)>,
    tasks: HashMap<String, TaskView>,
}

impl Registry {
    pub fn new(runtime: Arc<dyn Runtime>) -> Self {
        Registry {
            runtime,
            inner: RwLock::new(Inner::default()),
        }
    }

    /// Replaces the task's snapshot; `tokens` maps each container's token to its name.
    pub fn publish(&self, view: TaskView, tokens: &[(String, String)]) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        for (token, container) in tokens {
            inner
                .tokens
                .insert(token.clone(), (view.task_arn.clone(), container.clone()));
        }
        inner.tasks.insert(view.task_arn.clone(), view);
    }

    pub fn forget(&self, task_arn: &str) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        inner.tasks.remove(task_arn);
        inner.tokens.retain(|_, (t, _)| t != task_arn);
    }

    pub fn task(&self, task_arn: &str) -> Option<TaskView> {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        inner.tasks.get(task_arn).cloned()
    }
}

#[async_trait::async_trait]
impl MetadataSource for Registry {
    fn lookup(&self, token: &str) -> Option<(TaskView, String)> {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        let (task, container) = inner.tokens.get(token)?;
        Some((inner.tasks.get(task)?.clone(), container.clone()))
    }

    async fn stats(&self, docker_id: &str) -> Option<serde_json::Value> {
        self.runtime.stats(docker_id).await.ok()
    }
}
