//! Where the agent pulls an image from, and with which credentials.
//!
//! - An AWS-shaped ECR name for the agent's own account and region
//!   (`<account>.dkr.ecr.<region>.amazonaws.com/repo:tag`, as a task definition written for
//!   AWS names it) is pulled from Berth's registry instead, as `<registry host>/repo:tag`.
//! - A name on Berth's registry host (a `repositoryUri` as Berth answers it) is pulled with
//!   the agent's own registry login.
//! - Anything else is pulled as named, without credentials.
//!
//! The login comes from GetAuthorizationToken and is kept until shortly before it expires.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::image_ref::ImageRef;
use crate::registry_auth::{AuthError, RegistryCredentials, RegistryToken};
use crate::runtime::PullAuth;

/// A login is renewed this long before it expires.
const RENEW_BEFORE_SECS: f64 = 30.0 * 60.0;
/// After the endpoint answered that it serves no ECR, it is asked again after this long.
const UNSERVED_RETRY: Duration = Duration::from_secs(300);

/// What to pull for an image a task names.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// The reference the Engine pulls and containers are created from.
    pub local: String,
    pub auth: Option<PullAuth>,
}

pub struct PullSources {
    credentials: Arc<dyn RegistryCredentials>,
    region: String,
    cache: tokio::sync::Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    token: Option<RegistryToken>,
    registry_id: Option<String>,
    unserved_since: Option<Instant>,
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl PullSources {
    pub fn new(credentials: Arc<dyn RegistryCredentials>, region: &str) -> Self {
        PullSources {
            credentials,
            region: region.to_owned(),
            cache: tokio::sync::Mutex::new(Cache::default()),
        }
    }

    /// Where to pull `image` from; an error is the reason the pull cannot happen.
    pub async fn source(&self, image: &str) -> Result<Source, String> {
        let plain = || Source {
            local: image.to_owned(),
            auth: None,
        };
        let parsed = ImageRef::parse(image);
        let Some(host) = parsed.host.as_deref() else {
            return Ok(plain());
        };
        if let Some(account) = parsed.ecr_account(&self.region) {
            let token = self
                .token()
                .await
                .map_err(|e| format!("get credentials for {image}: {e}"))?;
            let own = self
                .registry_id()
                .await
                .map_err(|e| format!("get credentials for {image}: {e}"))?;
            if account != own {
                return Err(format!(
                    "pull access denied for {image}: this agent's registry is {own}; \
                     Berth pulls another account's ECR names only through a host that \
                     names that account"
                ));
            }
            return Ok(Source {
                local: parsed.on_host(&token.proxy_host),
                auth: Some(login(&token)),
            });
        }
        match self.token().await {
            Ok(token) if token.proxy_host == host => Ok(Source {
                local: image.to_owned(),
                auth: Some(login(&token)),
            }),
            Ok(_) => Ok(plain()),
            Err(e) => {
                tracing::debug!(image, error = %e, "no registry login; pulling without one");
                Ok(plain())
            }
        }
    }

    /// Forgets the login (the registry refused it): the next pull gets a new one.
    pub async fn forget(&self) {
        self.cache.lock().await.token = None;
    }

    async fn token(&self) -> Result<RegistryToken, AuthError> {
        let mut cache = self.cache.lock().await;
        if let Some(t) = &cache.token {
            if t.expires_at - now() > RENEW_BEFORE_SECS {
                return Ok(t.clone());
            }
        }
        if let Some(since) = cache.unserved_since {
            if since.elapsed() < UNSERVED_RETRY {
                return Err(AuthError::Unserved);
            }
        }
        match self.credentials.token().await {
            Ok(t) => {
                cache.unserved_since = None;
                cache.token = Some(t.clone());
                Ok(t)
            }
            Err(AuthError::Unserved) => {
                cache.unserved_since = Some(Instant::now());
                Err(AuthError::Unserved)
            }
            Err(e) => Err(e),
        }
    }

    async fn registry_id(&self) -> Result<String, AuthError> {
        if let Some(id) = self.cache.lock().await.registry_id.clone() {
            return Ok(id);
        }
        let id = self.credentials.registry_id().await?;
        self.cache.lock().await.registry_id = Some(id.clone());
        Ok(id)
    }
}

fn login(token: &RegistryToken) -> PullAuth {
    PullAuth {
        username: token.username.clone(),
        password: token.password.clone(),
    }
}

#[cfg(test)]
pub mod fake {
    //! Credentials without an endpoint, counting the calls made.
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    pub struct FakeCredentials {
        pub answer: Result<RegistryToken, AuthError>,
        pub account: String,
        pub calls: AtomicUsize,
    }

    impl FakeCredentials {
        pub fn serving(host: &str, expires_in: f64) -> Self {
            FakeCredentials {
                answer: Ok(RegistryToken {
                    username: "AWS".into(),
                    password: "secret".into(),
                    proxy_host: host.into(),
                    expires_at: now() + expires_in,
                }),
                account: "000000000000".into(),
                calls: AtomicUsize::new(0),
            }
        }

        pub fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    #[async_trait::async_trait]
    impl RegistryCredentials for FakeCredentials {
        async fn token(&self) -> Result<RegistryToken, AuthError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.answer.clone()
        }

        async fn registry_id(&self) -> Result<String, AuthError> {
            Ok(self.account.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakeCredentials;
    use super::*;

    const ECR: &str = "000000000000.dkr.ecr.us-east-1.amazonaws.com";

    #[tokio::test]
    async fn aws_names_are_pulled_from_berths_registry_with_a_login() {
        let creds = Arc::new(FakeCredentials::serving("127.0.0.1:5454", 12.0 * 3600.0));
        let sources = PullSources::new(creds.clone(), "us-east-1");
        let s = sources.source(&format!("{ECR}/team/web:v1")).await;
        let s = s.expect("source");
        assert_eq!(s.local, "127.0.0.1:5454/team/web:v1");
        assert_eq!(s.auth.map(|a| a.password).as_deref(), Some("secret"));
        let s = sources.source("127.0.0.1:5454/web@sha256:ab").await;
        assert_eq!(s.expect("source").local, "127.0.0.1:5454/web@sha256:ab");
        // One login serves both pulls.
        assert_eq!(creds.calls(), 1);
        // Docker Hub names need no login and no call.
        let s = sources.source("busybox:1").await.expect("source");
        assert_eq!((s.local.as_str(), s.auth), ("busybox:1", None));
        let s = sources
            .source("other.example:5000/web")
            .await
            .expect("source");
        assert_eq!(s.auth, None);
        // Another region's or account's ECR names are not Berth's.
        let s = sources.source("000000000000.dkr.ecr.eu-west-1.amazonaws.com/web");
        assert_eq!(s.await.expect("source").auth, None);
        let err = sources
            .source("111111111111.dkr.ecr.us-east-1.amazonaws.com/web")
            .await
            .expect_err("another account");
        assert!(err.contains("pull access denied"), "{err}");
    }

    #[tokio::test]
    async fn logins_are_renewed_before_they_expire_and_after_a_refusal() {
        let creds = Arc::new(FakeCredentials::serving("127.0.0.1:5454", 60.0));
        let sources = PullSources::new(creds.clone(), "us-east-1");
        for _ in 0..2 {
            sources.source(&format!("{ECR}/web")).await.expect("source");
        }
        assert_eq!(creds.calls(), 2, "a login about to expire is not reused");
        let creds = Arc::new(FakeCredentials::serving("127.0.0.1:5454", 3600.0 * 12.0));
        let sources = PullSources::new(creds.clone(), "us-east-1");
        sources.source(&format!("{ECR}/web")).await.expect("source");
        sources.forget().await;
        sources.source(&format!("{ECR}/web")).await.expect("source");
        assert_eq!(creds.calls(), 2);
    }

    #[tokio::test]
    async fn an_endpoint_without_ecr_is_not_asked_for_every_pull() {
        let mut fake = FakeCredentials::serving("x", 1.0);
        fake.answer = Err(AuthError::Unserved);
        let creds = Arc::new(fake);
        let sources = PullSources::new(creds.clone(), "us-east-1");
        for _ in 0..3 {
            let s = sources.source("reg.example/web").await.expect("source");
            assert_eq!(s.auth, None);
        }
        assert_eq!(creds.calls(), 1);
        let err = sources
            .source(&format!("{ECR}/web"))
            .await
            .expect_err("no ECR");
        assert!(err.contains("does not serve ECR"), "{err}");
    }
}
