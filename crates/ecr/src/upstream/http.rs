//! The OCI distribution API of an upstream registry over plain HTTP (an operator's mirror on
//! an isolated network); redirects followed, anonymous Bearer challenges answered.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode, Uri};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Incoming;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

use super::{bearer_challenge, Fetched, Upstream, UpstreamError};
use crate::content::MAX_MANIFEST_BYTES;
use crate::manifest::MEDIA_TYPES;

const MAX_REDIRECTS: usize = 5;
/// How long a request may wait for the upstream's answer head.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

pub struct HttpUpstream {
    client: Client<HttpConnector, Empty<Bytes>>,
    /// Bearer tokens by realm and scope.
    tokens: Mutex<HashMap<String, String>>,
}

impl Default for HttpUpstream {
    fn default() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(10)));
        HttpUpstream {
            client: Client::builder(TokioExecutor::new()).build(connector),
            tokens: Mutex::new(HashMap::new()),
        }
    }
}

fn unavailable(what: impl std::fmt::Display) -> UpstreamError {
    UpstreamError::Unavailable(what.to_string())
}

impl HttpUpstream {
    async fn send(
        &self,
        url: &str,
        accept: Option<&str>,
        token: Option<&str>,
    ) -> Result<Response<Incoming>, UpstreamError> {
        let mut url = url.to_owned();
        for _ in 0..=MAX_REDIRECTS {
            let uri: Uri = url
                .parse()
                .map_err(|e| unavailable(format!("bad upstream URL {url}: {e}")))?;
            if uri.scheme_str() != Some("http") {
                return Err(unavailable(format!(
                    "{url}: Berth's pull through cache reaches upstreams over plain HTTP only"
                )));
            }
            let mut req = Request::get(uri.clone());
            if let Some(a) = accept {
                req = req.header(header::ACCEPT, a);
            }
            if let Some(t) = token {
                req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            let req = req.body(Empty::new()).map_err(unavailable)?;
            let resp = tokio::time::timeout(ANSWER_WITHIN, self.client.request(req))
                .await
                .map_err(|_| unavailable(format!("{url}: no answer within {ANSWER_WITHIN:?}")))?
                .map_err(|e| unavailable(format!("{url}: {e}")))?;
            if !resp.status().is_redirection() {
                return Ok(resp);
            }
            let location = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| unavailable(format!("{url}: a redirect without Location")))?;
            url = if location.starts_with('/') {
                let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
                format!("http://{authority}{location}")
            } else {
                location.to_owned()
            };
        }
        Err(unavailable(format!("{url}: too many redirects")))
    }

    /// A GET that answers a Bearer challenge once with an anonymous token.
    async fn get(
        &self,
        url: &str,
        accept: Option<&str>,
    ) -> Result<Response<Incoming>, UpstreamError> {
        let cached = self.cached_token(url);
        let resp = self.send(url, accept, cached.as_deref()).await?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        let challenge = resp
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|h| h.to_str().ok())
            .and_then(bearer_challenge)
            .ok_or_else(|| {
                UpstreamError::Refused(format!(
                    "{url}: the upstream wants credentials (a credentialArn), which Berth does not send yet"
                ))
            })?;
        let mut token_url = challenge.realm.clone();
        let params: Vec<String> = [("service", &challenge.service), ("scope", &challenge.scope)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
            .collect();
        if !params.is_empty() {
            token_url.push(if token_url.contains('?') { '&' } else { '?' });
            token_url.push_str(&params.join("&"));
        }
        let answer = self.send(&token_url, None, None).await?;
        if !answer.status().is_success() {
            return Err(UpstreamError::Refused(format!(
                "{token_url}: the token service answered {}",
                answer.status()
            )));
        }
        let body = Limited::new(answer.into_body(), 64 * 1024)
            .collect()
            .await
            .map_err(|e| unavailable(format!("{token_url}: {e}")))?
            .to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| unavailable(format!("{token_url}: not a token answer")))?;
        let token = json["token"]
            .as_str()
            .or_else(|| json["access_token"].as_str())
            .ok_or_else(|| unavailable(format!("{token_url}: no token in the answer")))?
            .to_owned();
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token_key(url), token.clone());
        self.send(url, accept, Some(&token)).await
    }

    fn cached_token(&self, url: &str) -> Option<String> {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&token_key(url))
            .cloned()
    }
}

/// Tokens are scoped to a repository: the URL up to its `/manifests/` or `/blobs/`.
fn token_key(url: &str) -> String {
    for marker in ["/manifests/", "/blobs/"] {
        if let Some(i) = url.find(marker) {
            return url[..i].to_owned();
        }
    }
    url.to_owned()
}

fn encode(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

fn status_error(url: &str, status: StatusCode) -> UpstreamError {
    match status {
        StatusCode::NOT_FOUND => UpstreamError::NotFound(format!("{url}: not found upstream")),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            UpstreamError::Refused(format!("{url}: the upstream answered {status}"))
        }
        _ => unavailable(format!("{url}: the upstream answered {status}")),
    }
}

#[async_trait::async_trait]
impl Upstream for HttpUpstream {
    async fn manifest(
        &self,
        base: &str,
        repo: &str,
        reference: &str,
    ) -> Result<Fetched, UpstreamError> {
        let url = format!(
            "{}/v2/{repo}/manifests/{reference}",
            base.trim_end_matches('/')
        );
        let resp = self.get(&url, Some(&MEDIA_TYPES.join(", "))).await?;
        if !resp.status().is_success() {
            return Err(status_error(&url, resp.status()));
        }
        let media_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned());
        let bytes = Limited::new(resp.into_body(), MAX_MANIFEST_BYTES)
            .collect()
            .await
            .map_err(|e| unavailable(format!("{url}: {e}")))?
            .to_bytes()
            .to_vec();
        Ok(Fetched { media_type, bytes })
    }

    async fn blob(&self, base: &str, repo: &str, digest: &str) -> Result<Body, UpstreamError> {
        let url = format!("{}/v2/{repo}/blobs/{digest}", base.trim_end_matches('/'));
        let resp = self.get(&url, None).await?;
        if !resp.status().is_success() {
            return Err(status_error(&url, resp.status()));
        }
        Ok(Body::new(resp.into_body()))
    }

    async fn ping(&self, base: &str) -> Result<(), UpstreamError> {
        let url = format!("{}/v2/", base.trim_end_matches('/'));
        // A registry that wants a token answers 401 with its challenge: it is there.
        let resp = self.send(&url, None, None).await?;
        match resp.status() {
            s if s.is_success() || s == StatusCode::UNAUTHORIZED => Ok(()),
            s => Err(status_error(&url, s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_per_repository() {
        assert_eq!(
            token_key("http://r/v2/library/nginx/manifests/1.27"),
            token_key("http://r/v2/library/nginx/blobs/sha256:ab")
        );
        assert_ne!(
            token_key("http://r/v2/a/manifests/1"),
            token_key("http://r/v2/b/manifests/1")
        );
    }
}
