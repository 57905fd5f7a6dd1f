//! Getting images onto the host: the pull behaviour (ECS_IMAGE_PULL_BEHAVIOR), a bound on
//! concurrent pulls, and one pull at a time per image.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::config::PullBehavior;
use crate::pull_source::PullSources;
use crate::runtime::PullAuth;
use crate::runtime::{Runtime, RuntimeError};

pub struct Images {
    runtime: Arc<dyn Runtime>,
    sources: PullSources,
    behavior: PullBehavior,
    pulls: Semaphore,
    /// Images this agent pulled, and when a task last used each.
    pulled: Mutex<HashMap<String, Instant>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// An image made available.
#[derive(Clone, Debug, PartialEq)]
pub struct Ensured {
    /// The reference containers are created from (where the image was pulled from).
    pub local: String,
    /// When the pull started and ended, if the image was pulled.
    pub pulled: Option<(f64, f64)>,
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Whether the Engine's pull error says the registry refused the login.
fn refused_login(e: &RuntimeError) -> bool {
    let m = e.message().to_ascii_lowercase();
    [
        "unauthorized",
        "no basic auth credentials",
        "authentication required",
    ]
    .iter()
    .any(|s| m.contains(s))
}

impl Images {
    pub fn new(
        runtime: Arc<dyn Runtime>,
        sources: PullSources,
        behavior: PullBehavior,
        max_pulls: usize,
    ) -> Self {
        Images {
            runtime,
            sources,
            behavior,
            pulls: Semaphore::new(max_pulls.max(1)),
            pulled: Mutex::new(HashMap::new()),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// Makes `image` available. Answers the reference to create containers from and the
    /// pull's start and end times if it pulled, or the pull error as the task's reason
    /// states it after `CannotPullContainerError: `.
    pub async fn ensure(&self, image: &str) -> Result<Ensured, String> {
        self.ensure_with(image, None).await
    }

    /// As [`Images::ensure`], pulling with `login` if given (a container definition's
    /// `repositoryCredentials`) instead of the login the agent would use.
    pub async fn ensure_with(
        &self,
        image: &str,
        login: Option<PullAuth>,
    ) -> Result<Ensured, String> {
        self.ensure_via(image, login, None).await
    }

    /// As [`Images::ensure_with`], finding registry logins through `sources` (a task's
    /// execution role's) instead of the agent's own.
    pub async fn ensure_via(
        &self,
        image: &str,
        login: Option<PullAuth>,
        sources: Option<&PullSources>,
    ) -> Result<Ensured, String> {
        let sources = sources.unwrap_or(&self.sources);
        let mut source = sources.source(image).await?;
        let given = login.is_some();
        if let Some(l) = login {
            source.auth = Some(l);
        }
        let local = source.local.clone();
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(local.clone()).or_default().clone()
        };
        let _one_at_a_time = lock.lock().await;
        let present = self
            .runtime
            .image_id(&local)
            .await
            .map_err(|e| e.to_string())?
            .is_some();
        let pulled_before = {
            let mut pulled = self.pulled.lock().unwrap_or_else(|p| p.into_inner());
            match pulled.get_mut(&local) {
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
            return Ok(Ensured {
                local,
                pulled: None,
            });
        }
        let _permit = self.pulls.acquire().await.map_err(|e| e.to_string())?;
        let started = now();
        tracing::info!(image, from = %local, "pulling image");
        let mut result = self.runtime.pull(&local, source.auth.clone()).await;
        if let Err(e) = &result {
            if source.auth.is_some() && !given && refused_login(e) {
                // A login the registry no longer takes (its key rotated): one more try with
                // a new one.
                sources.forget().await;
                let again = sources.source(image).await?;
                result = self.runtime.pull(&again.local, again.auth).await;
            }
        }
        match result {
            Ok(()) => {
                self.pulled
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(local.clone(), Instant::now());
                let stopped = now();
                tracing::info!(image, seconds = stopped - started, "pulled image");
                Ok(Ensured {
                    local,
                    pulled: Some((started, stopped)),
                })
            }
            Err(e) if self.behavior == PullBehavior::Default && present => {
                tracing::warn!(image, error = %e, "pull failed; using the cached image");
                Ok(Ensured {
                    local,
                    pulled: Some((started, now())),
                })
            }
            Err(e) => {
                tracing::warn!(image, error = %e, "pull failed");
                // In the task's words: the name it gave, not where Berth pulled it from.
                let message = e.message().replace(&local, image);
                Err(format!("Error response from daemon: {message}"))
            }
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
    use crate::pull_source::fake::FakeCredentials;
    use crate::runtime::fake::FakeRuntime;
    use crate::runtime::Runtime;

    fn images(fake: &Arc<FakeRuntime>, behavior: PullBehavior) -> Images {
        let creds = Arc::new(FakeCredentials::serving("127.0.0.1:5454", 43200.0));
        let sources = PullSources::new(creds, "us-east-1");
        Images::new(fake.clone(), sources, behavior, 2)
    }

    fn pulled(e: Result<Ensured, String>) -> Option<(f64, f64)> {
        e.expect("ensured").pulled
    }

    #[tokio::test]
    async fn behaviours_decide_when_to_pull() {
        let fake = Arc::new(FakeRuntime::new());
        fake.add_image("cached:1");
        let prefer = images(&fake, PullBehavior::PreferCached);
        assert_eq!(pulled(prefer.ensure("cached:1").await), None);
        let err = prefer.ensure("missing:1").await.expect_err("cannot pull");
        assert!(err.contains("missing:1"), "{err}");

        let default = images(&fake, PullBehavior::Default);
        assert!(pulled(default.ensure("cached:1").await).is_some());
        assert!(default.ensure("missing:1").await.is_err());

        let once = images(&fake, PullBehavior::Once);
        assert!(pulled(once.ensure("cached:1").await).is_some());
        assert_eq!(
            pulled(once.ensure("cached:1").await),
            None,
            "pulled once already"
        );
    }

    #[tokio::test]
    async fn ecr_names_are_pulled_from_berth_with_the_agents_login() {
        let fake = Arc::new(FakeRuntime::new());
        fake.add_image("127.0.0.1:5454/web:v1");
        let images = images(&fake, PullBehavior::Default);
        let aws_name = "000000000000.dkr.ecr.us-east-1.amazonaws.com/web:v1";
        let ensured = images.ensure(aws_name).await.expect("pulled");
        assert_eq!(ensured.local, "127.0.0.1:5454/web:v1");
        assert!(ensured.pulled.is_some());
        let pulls = fake.pulls();
        assert_eq!(pulls.len(), 1);
        assert_eq!(pulls[0].0, "127.0.0.1:5454/web:v1");
        let auth = pulls[0].1.clone().expect("a login");
        assert_eq!(
            (auth.username.as_str(), auth.password.as_str()),
            ("AWS", "secret")
        );
        let err = images.ensure("000000000000.dkr.ecr.us-east-1.amazonaws.com/gone:1");
        let err = err.await.expect_err("not in the registry");
        assert!(err.starts_with("Error response from daemon: "), "{err}");
    }

    #[tokio::test]
    async fn sweeping_removes_only_stale_images_this_agent_pulled() {
        let fake = Arc::new(FakeRuntime::new());
        fake.add_image("pulled:1");
        fake.add_image("built-here:1");
        let images = images(&fake, PullBehavior::Always);
        assert!(pulled(images.ensure("pulled:1").await).is_some());
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
