//! Upstream registries a pull through cache fills from: the [`Upstream`] trait (the IO) and
//! [`http::HttpUpstream`], the OCI distribution API over HTTP with anonymous bearer-token
//! challenges as public registries answer them. Tests use a fake.

pub mod http;

use axum::body::Body;

/// A manifest fetched from upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub media_type: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// The upstream has no such repository, manifest or blob.
    #[error("{0}")]
    NotFound(String),
    /// The upstream refused (credentials it needs, or an error it answered).
    #[error("{0}")]
    Refused(String),
    /// The upstream could not be reached or answered nonsense.
    #[error("{0}")]
    Unavailable(String),
}

#[async_trait::async_trait]
pub trait Upstream: Send + Sync + 'static {
    /// The manifest `reference` (tag or digest) of `repo` at the registry `base`
    /// (`scheme://host[:port]`), in any of the media types Berth stores.
    async fn manifest(
        &self,
        base: &str,
        repo: &str,
        reference: &str,
    ) -> Result<Fetched, UpstreamError>;
    /// The blob `digest` of `repo`, as a streamed body.
    async fn blob(&self, base: &str, repo: &str, digest: &str) -> Result<Body, UpstreamError>;
    /// Whether the registry `base` answers the distribution API (`GET /v2/`).
    async fn ping(&self, base: &str) -> Result<(), UpstreamError>;
}

/// A `WWW-Authenticate: Bearer …` challenge: where to get a token and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub service: Option<String>,
    pub scope: Option<String>,
}

/// Reads a Bearer challenge (`Bearer realm="…",service="…",scope="…"`); None for any other
/// scheme or without a realm.
pub fn bearer_challenge(header: &str) -> Option<Challenge> {
    let rest = header.trim();
    let (scheme, params) = rest.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut scope = None;
    let mut chars = params.trim();
    while !chars.is_empty() {
        let (key, after) = chars.split_once('=')?;
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let (value, left) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            match after.find(',') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            }
        };
        match key.as_str() {
            "realm" => realm = Some(value.to_owned()),
            "service" => service = Some(value.to_owned()),
            "scope" => scope = Some(value.to_owned()),
            _ => {}
        }
        chars = left.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge {
        realm: realm?,
        service,
        scope,
    })
}

#[cfg(test)]
pub mod fake {
    //! An upstream in memory: manifests and blobs by repository.
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    pub struct FakeUpstream {
        pub manifests: Mutex<HashMap<(String, String), Fetched>>,
        pub blobs: Mutex<HashMap<String, Vec<u8>>>,
        pub calls: Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl Upstream for FakeUpstream {
        async fn manifest(
            &self,
            base: &str,
            repo: &str,
            reference: &str,
        ) -> Result<Fetched, UpstreamError> {
            self.calls
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(format!("{base}/{repo}:{reference}"));
            self.manifests
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&(repo.to_owned(), reference.to_owned()))
                .cloned()
                .ok_or_else(|| UpstreamError::NotFound(format!("{repo}:{reference}")))
        }

        async fn blob(
            &self,
            _base: &str,
            _repo: &str,
            digest: &str,
        ) -> Result<Body, UpstreamError> {
            self.blobs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(digest)
                .cloned()
                .map(Body::from)
                .ok_or_else(|| UpstreamError::NotFound(digest.to_owned()))
        }

        async fn ping(&self, _base: &str) -> Result<(), UpstreamError> {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_are_read() {
        let c = bearer_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:library/nginx:pull""#,
        );
        assert_eq!(
            c,
            Some(Challenge {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into()),
                scope: Some("repository:library/nginx:pull".into()),
            })
        );
        let c = bearer_challenge(r#"bearer realm=http://a/t, service=s"#).expect("unquoted");
        assert_eq!(
            (c.realm.as_str(), c.service.as_deref()),
            ("http://a/t", Some("s"))
        );
        assert_eq!(bearer_challenge(r#"Basic realm="x""#), None);
        assert_eq!(bearer_challenge(r#"Bearer service="x""#), None);
        assert_eq!(bearer_challenge(r#"Bearer realm="unterminated"#), None);
    }
}
