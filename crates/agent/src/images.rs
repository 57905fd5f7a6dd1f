//! Getting images onto the host: the pull behaviour (ECS_IMAGE_PULL_BEHAVIOR), a bound on
//! concurrent pulls, and one pull at a time per image.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::config::PullBehavior;
use crate::runtime::Runtime;

pub struct Images {
    runtime: Arc<dyn Runtime>,
    behavior: PullBehavior,
    pulls: Semaphore,
    /// Images this agent pulled, and when a task last used each.
    pulled: Mutex<HashMap<String, Instant>>,
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
            pulled: Mutex::new(HashMap::new()),
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
        let pulled_before = {
            let mut pulled = self.pulled.lock().unwrap_or_else(|p| p.into_inner());
            match pulled.get_mut(image) {
                Some(used) => {
                    *used = Instant::now();
                    true
                }
                None => false,
            }
        };
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
                    .insert(image.to_owned(), Instant::now());
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

impl Images {
    /// Removes images this agent pulled that no task has used for `min_age`. An image a
    /// container still uses is refused by the Engine and kept. Answers the removed images.
    pub async fn sweep(&self, min_age: Duration) -> Vec<String> {
        let stale: Vec<String> = self
            .pulled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, used)| used.elapsed() >= min_age)
            .map(|(i, _)| i.clone())
            .collect();
        let mut removed = Vec::new();
        for image in stale {
            match self.runtime.remove_image(&image).await {
                Ok(()) => {
                    tracing::info!(%image, "removed unused image");
                    self.pulled
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&image);
                    removed.push(image);
                }
                Err(e) => tracing::debug!(%image, error = %e, "image kept"),
            }
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::fake::FakeRuntime;
    use crate::runtime::Runtime;

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

    #[tokio::test]
    async fn sweeping_removes_only_stale_images_this_agent_pulled() {
        let fake = Arc::new(FakeRuntime::new());
        fake.add_image("pulled:1");
        fake.add_image("built-here:1");
        let images = Images::new(fake.clone(), PullBehavior::Always, 2);
        assert!(images.ensure("pulled:1").await.expect("pulled").is_some());
        assert!(
            images.sweep(Duration::from_secs(3600)).await.is_empty(),
            "recently used"
        );
        assert_eq!(
            images.sweep(Duration::ZERO).await,
            vec!["pulled:1".to_owned()]
        );
        assert_eq!(fake.image_id("pulled:1").await.expect("ok"), None);
        assert!(
            fake.image_id("built-here:1").await.expect("ok").is_some(),
            "not ours"
        );
    }
}
