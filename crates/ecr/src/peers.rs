//! Replication into other regions: the Berth endpoints that serve them ([`Peers`], declared
//! here and wired by the binary, which calls their ECR API), and pushing an image to one
//! over its registry API (blobs streamed from the store, then the manifest).

use std::io::Read;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use base64::Engine as _;
use bytes::Bytes;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

use crate::blobs::Digest;
use crate::records::ImageRec;
use crate::registry::REGISTRY_PARAM;
use crate::Ecr;

/// A registry login on a peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerLogin {
    /// `http://host:port` of the peer's registry.
    pub registry_url: String,
    pub password: String,
}

#[async_trait::async_trait]
pub trait Peers: Send + Sync + 'static {
    /// Whether a peer serves `region`.
    fn serves(&self, region: &str) -> bool;
    /// A registry login on the peer of `region`.
    async fn login(&self, region: &str) -> Result<PeerLogin, String>;
    /// Creates repository `name` in `registry` on the peer of `region` (present already is
    /// fine).
    async fn create_repository(
        &self,
        region: &str,
        registry: &str,
        name: &str,
    ) -> Result<(), String>;
}

/// How a push to a peer ended.
pub enum Pushed {
    Done,
    /// The peer lacks manifests an index lists: they are still on their way.
    NotYet,
}

const CHUNK: usize = 1024 * 1024;

pub struct PeerClient {
    client: Client<HttpConnector, Body>,
}

impl Default for PeerClient {
    fn default() -> Self {
        PeerClient {
            client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
        }
    }
}

/// A blob file as a body, read a chunk at a time on the blocking pool.
fn file_body(file: std::fs::File) -> Body {
    let stream = futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; CHUNK];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((buf, file))
        })
        .await;
        match read {
            Ok(Ok((buf, _))) if buf.is_empty() => None,
            Ok(Ok((buf, file))) => Some((Ok(Bytes::from(buf)), Some(file))),
            Ok(Err(e)) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e)), None)),
        }
    });
    Body::from_stream(stream)
}

impl PeerClient {
    async fn send(
        &self,
        login: &PeerLogin,
        method: Method,
        url: String,
        content_type: Option<&str>,
        body: Body,
    ) -> Result<StatusCode, String> {
        let auth =
            base64::engine::general_purpose::STANDARD.encode(format!("AWS:{}", login.password));
        let mut req = Request::builder()
            .method(method)
            .uri(&url)
            .header(header::AUTHORIZATION, format!("Basic {auth}"));
        if let Some(t) = content_type {
            req = req.header(header::CONTENT_TYPE, t);
        }
        let req = req.body(body).map_err(|e| e.to_string())?;
        let resp = self
            .client
            .request(req)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        Ok(resp.status())
    }

    /// Pushes `image` (its blobs, then its manifest under each tag) into repository
    /// `image.repo` of `registry` on the peer.
    pub async fn push(
        &self,
        ecr: &Ecr,
        login: &PeerLogin,
        registry: &str,
        image: &ImageRec,
        tags: &[String],
    ) -> Result<Pushed, String> {
        let base = format!(
            "{}/v2/{}",
            login.registry_url.trim_end_matches('/'),
            image.repo
        );
        let reg = format!("{REGISTRY_PARAM}={registry}");
        for blob in &image.blobs {
            let head = self
                .send(
                    login,
                    Method::HEAD,
                    format!("{base}/blobs/{blob}?{reg}"),
                    None,
                    Body::empty(),
                )
                .await?;
            if head.is_success() {
                continue;
            }
            let digest = Digest::parse(blob).ok_or_else(|| format!("bad digest {blob}"))?;
            let file = ecr
                .blobs
                .open_at(&digest, 0)
                .map_err(|e| format!("reading blob {blob}: {e}"))?;
            let url = format!("{base}/blobs/uploads/?digest={blob}&{reg}");
            let status = self
                .send(login, Method::POST, url, None, file_body(file))
                .await?;
            if status != StatusCode::CREATED {
                return Err(format!(
                    "the peer answered {status} to the upload of blob {blob}"
                ));
            }
        }
        let references: Vec<&str> = if tags.is_empty() {
            vec![image.digest.as_str()]
        } else {
            tags.iter().map(String::as_str).collect()
        };
        for reference in references {
            let url = format!("{base}/manifests/{reference}?{reg}");
            let body = Body::from(image.manifest.clone());
            let status = self
                .send(login, Method::PUT, url, Some(&image.media_type), body)
                .await?;
            match status {
                StatusCode::CREATED => {}
                StatusCode::BAD_REQUEST if !image.children.is_empty() => return Ok(Pushed::NotYet),
                s => return Err(format!("the peer answered {s} to the manifest {reference}")),
            }
        }
        Ok(Pushed::Done)
    }
}
