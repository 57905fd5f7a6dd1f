//! Getting images onto the host: the pull behaviour (ECS_IMAGE_PULL_BEHAVIOR), a bound on
//! concurrent pulls, and one pull at a time per image.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use crate::config::PullBehavior;
use crate::runtime::Runtime;

pub struct Images {
    runtime: Arc<dyn Runtime>,
    behavior: PullBehavior,
    pulls: Semaphore,
    pulled: Mutex<HashSet<String>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Images {
    pub fn new(runtime: Arc<dyn Runtime>, behavior: PullBehavior, max_pulls: usize) -> Self {
        Images {
            runtime,
            behavior,
            pulls: Semaphore::new(max_pulls.max(1)),
            pulled: Mutex::new(HashSet::new()),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// Makes `image` available. Answers the pull's start and end times if it pulled, or the
    /// pull error as the task's reason would state it.
    pub async fn ensure(&self, image: &str) -> Result<Option<(f64, f64)>, String> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(image.to_owned()).or_default().clone()
        };
        let _one_at_a_time = lock.lock().await;
        let present = self
            .runtime
            .image_id(image)
            .await
            .map_err(|e| e.to_string())?
            .is_some();
        let pulled_before = self
            .pulled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(image);
        let pull = match self.behavior {
            PullBehavior::PreferCached => !present,
            PullBehavior::Once => !(present && pulled_before),
            PullBehavior::Always | PullBehavior::Default => true,
        };
        if !pull {
            return Ok(None);
        }
        let _permit = self.pulls.acquire().await.map_err(|e| e.to_string())?;
        let started = now();
        tracing::info!(image, "pulling image");
        match self.runtime.pull(image, None).await {
            Ok(()) => {
                self.pulled
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(image.to_owned());
                let stopped = now();
                tracing::info!(image, seconds = stopped - started, "pulled image");
                Ok(Some((started, stopped)))
            }
            Err(e) if self.behavior == PullBehavior::Default && present => {
                tracing::warn!(image, error = %e, "pull failed; using the cached image");
                Ok(Some((started, now())))
            }
            Err(e) => Err(format!("pull image {image}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::fake::FakeRuntime;

    #[tokio::test]
    async fn behaviours_decide_when_to_pull() {
        let fake = Arc::new(FakeRuntime::new());
        fake.add_image("cached:1");
        let prefer = Images::new(fake.clone(), PullBehavior::PreferCached, 2);
        assert_eq!(prefer.ensure("cached:1").await, Ok(None));
        let err = prefer.ensure("missing:1").await.expect_err("cannot pull");
        assert!(err.contains("missing:1"), "{err}");

        let default = Images::new(fake.clone(), PullBehavior::Default, 2);
        assert!(default.ensure("cached:1").await.expect("pulled").is_some());
        assert!(default.ensure("missing:1").await.is_err());

        let once = Images::new(fake.clone(), PullBehavior::Once, 2);
        assert!(once.ensure("cached:1").await.expect("first").is_some());
        assert_eq!(
            once.ensure("cached:1").await,
            Ok(None),
            "pulled once already"
        );
    }
}
