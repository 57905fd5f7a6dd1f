//! The OCI distribution client of `berth bench registry`: one keep-alive HTTP/1.1
//! connection, the requests of a blob upload and download, nothing buffered that the
//! measurement does not need.

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, LOCATION};
use hyper::{Method, Request, Response, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::api::{authority_of, connect};
use berth_ecr::blobs::{Algorithm, Digest, Hasher};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The buffer a download reads into, again and again.
const DOWNLOAD_BUFFER: usize = 1024 * 1024;

/// Where the registry is and how to authenticate, shared by every connection.
#[derive(Clone)]
pub struct Target {
    /// `host:port` to connect to; also the `Host` header.
    authority: String,
    host: HeaderValue,
    authorization: Option<HeaderValue>,
}

impl Target {
    pub fn new(url: &str, user: Option<&str>, password: Option<&str>) -> Result<Self> {
        let authority = authority_of(url)?;
        let authorization = match (user, password) {
            (None, None) => None,
            (user, password) => {
                let pair = format!("{}:{}", user.unwrap_or("AWS"), password.unwrap_or(""));
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                Some(HeaderValue::from_str(&format!("Basic {encoded}"))?)
            }
        };
        Ok(Target {
            host: HeaderValue::from_str(&authority)?,
            authority,
            authorization,
        })
    }

    /// A plain connection for blob downloads ([`Download`]).
    pub async fn download_conn(&self) -> Result<Download> {
        let stream = TcpStream::connect(&self.authority)
            .await
            .with_context(|| format!("connecting to {}", self.authority))?;
        stream.set_nodelay(true)?;
        Ok(Download {
            stream,
            target: self.clone(),
            buf: vec![0u8; DOWNLOAD_BUFFER],
        })
    }

    pub async fn connect(&self) -> Result<Conn> {
        let sender = connect(&self.authority).await?;
        Ok(Conn {
            target: self.clone(),
            sender,
        })
    }
}

pub struct Conn {
    target: Target,
    sender: SendRequest<Full<Bytes>>,
}

/// The path and query of a `Location` (distribution answers absolute URLs, Berth paths).
fn path_of(location: &str) -> &str {
    match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => location,
    }
}

/// `location` with `digest=<digest>` added to its query.
fn with_digest(location: &str, digest: &Digest) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!(
        "{location}{sep}digest={}%3A{}",
        digest.algorithm_name(),
        digest.hex
    )
}

impl Conn {
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&'static str, String)],
        body: Bytes,
    ) -> Result<Response<Incoming>> {
        let mut req = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(HOST, self.target.host.clone())
            .header(CONTENT_LENGTH, body.len());
        if let Some(auth) = &self.target.authorization {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let req = req.body(Full::new(body))?;
        self.sender.ready().await.context("connection not ready")?;
        self.sender
            .send_request(req)
            .await
            .with_context(|| format!("{method} {path}"))
    }

    /// Sends a request and checks its status; answers the response's `Location`.
    async fn expect(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&'static str, String)],
        body: Bytes,
        want: StatusCode,
    ) -> Result<Option<String>> {
        let resp = self.send(method.clone(), path, headers, body).await?;
        let status = resp.status();
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| path_of(l).to_owned());
        let text = resp.into_body().collect().await?.to_bytes();
        if status != want {
            let text: String = String::from_utf8_lossy(&text).chars().take(300).collect();
            bail!("{method} {path}: HTTP {status} (wanted {want}): {text}");
        }
        Ok(location)
    }

    /// Opens an upload session; answers where to send its bytes.
    async fn start_upload(&mut self, repo: &str) -> Result<String> {
        let path = format!("/v2/{repo}/blobs/uploads/");
        self.expect(Method::POST, &path, &[], Bytes::new(), StatusCode::ACCEPTED)
            .await?
            .context("the upload session has no Location")
    }

    /// A session, then the whole blob in the `PUT` that finishes it.
    pub async fn upload_monolithic(&mut self, repo: &str, blob: &Bytes, d: &Digest) -> Result<()> {
        let at = self.start_upload(repo).await?;
        let octets = [(CONTENT_TYPE.as_str(), "application/octet-stream".to_owned())];
        self.expect(
            Method::PUT,
            &with_digest(&at, d),
            &octets,
            blob.clone(),
            StatusCode::CREATED,
        )
        .await?;
        Ok(())
    }

    /// A session, a `PATCH` per `chunk` bytes with its `Content-Range`, an empty `PUT`.
    pub async fn upload_chunked(
        &mut self,
        repo: &str,
        blob: &Bytes,
        d: &Digest,
        chunk: usize,
    ) -> Result<()> {
        let mut at = self.start_upload(repo).await?;
        let mut start = 0;
        while start < blob.len() {
            let end = (start + chunk.max(1)).min(blob.len());
            let headers = [
                (CONTENT_TYPE.as_str(), "application/octet-stream".to_owned()),
                ("content-range", format!("{start}-{}", end - 1)),
            ];
            at = self
                .expect(
                    Method::PATCH,
                    &at,
                    &headers,
                    blob.slice(start..end),
                    StatusCode::ACCEPTED,
                )
                .await?
                .context("a chunk's answer has no Location")?;
            start = end;
        }
        self.expect(
            Method::PUT,
            &with_digest(&at, d),
            &[],
            Bytes::new(),
            StatusCode::CREATED,
        )
        .await?;
        Ok(())
    }

    pub async fn put_manifest(&mut self, repo: &str, tag: &str, manifest: Bytes) -> Result<()> {
        let path = format!("/v2/{repo}/manifests/{tag}");
        let headers = [(CONTENT_TYPE.as_str(), OCI_MANIFEST.to_owned())];
        self.expect(Method::PUT, &path, &headers, manifest, StatusCode::CREATED)
            .await?;
        Ok(())
    }

    pub async fn get_manifest(&mut self, repo: &str, tag: &str) -> Result<Bytes> {
        let path = format!("/v2/{repo}/manifests/{tag}");
        let resp = self
            .send(
                Method::GET,
                &path,
                &[("accept", OCI_MANIFEST.to_owned())],
                Bytes::new(),
            )
            .await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        if status != StatusCode::OK {
            bail!("GET {path}: HTTP {status}");
        }
        Ok(body)
    }
}

/// Blob downloads over a keep-alive HTTP/1.1 connection of its own, the body read into one
/// reused buffer. Through hyper's client the load generator spent about as much CPU per
/// byte as the servers (a fresh buffer for every frame), so a download measured the client;
/// here its cost is the kernel's copy.
pub struct Download {
    stream: TcpStream,
    target: Target,
    buf: Vec<u8>,
}

/// The status and `Content-Length` of a response head.
fn parse_head(head: &str) -> Result<(u16, Option<u64>)> {
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .context("a response without a status line")?;
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok());
    Ok((status, length))
}

impl Download {
    /// Downloads a blob, hashing it if `verify`; answers its length.
    pub async fn get(&mut self, repo: &str, d: &Digest, verify: bool) -> Result<u64> {
        let path = format!("/v2/{repo}/blobs/{d}");
        let mut req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n", self.target.authority);
        if let Some(auth) = self
            .target
            .authorization
            .as_ref()
            .and_then(|a| a.to_str().ok())
        {
            req.push_str(&format!("Authorization: {auth}\r\n"));
        }
        req.push_str("\r\n");
        self.stream.write_all(req.as_bytes()).await?;
        let mut filled = 0;
        let body_at = loop {
            let n = self.stream.read(&mut self.buf[filled..]).await?;
            if n == 0 {
                bail!("GET {path}: the connection closed before the response");
            }
            filled += n;
            if let Some(i) = self.buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if filled == self.buf.len() {
                bail!("GET {path}: the response head is too large");
            }
        };
        let (status, length) = parse_head(&String::from_utf8_lossy(&self.buf[..body_at]))?;
        if status != 200 {
            bail!("GET {path}: HTTP {status}");
        }
        let length = length.with_context(|| format!("GET {path}: no Content-Length"))?;
        let mut hasher = verify.then(|| Hasher::new(Algorithm::Sha256));
        let mut got = (filled - body_at) as u64;
        if let Some(h) = &mut hasher {
            h.update(&self.buf[body_at..filled]);
        }
        while got < length {
            let want = (length - got).min(self.buf.len() as u64) as usize;
            let n = self.stream.read(&mut self.buf[..want]).await?;
            if n == 0 {
                bail!("GET {path}: the connection closed after {got} of {length} bytes");
            }
            if let Some(h) = &mut hasher {
                h.update(&self.buf[..n]);
            }
            got += n as u64;
        }
        if got != length {
            bail!("GET {path}: {got} bytes after a {length}-byte Content-Length");
        }
        if let Some(h) = hasher {
            let digest = h.finish();
            if &digest != d {
                bail!("GET {path} returned bytes whose digest is {digest}");
            }
        }
        Ok(length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_become_paths_with_the_digest_in_their_query() {
        assert_eq!(
            path_of("http://127.0.0.1:5000/v2/a/blobs/uploads/x?_state=s"),
            "/v2/a/blobs/uploads/x?_state=s"
        );
        assert_eq!(path_of("/v2/a/blobs/uploads/x"), "/v2/a/blobs/uploads/x");
        let d = Digest::sha256_of(b"");
        assert_eq!(
            with_digest("/u?_state=s", &d),
            format!("/u?_state=s&digest=sha256%3A{}", d.hex)
        );
        assert_eq!(
            with_digest("/u", &d),
            format!("/u?digest=sha256%3A{}", d.hex)
        );
    }

    #[test]
    fn response_heads_give_their_status_and_length() {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: x\r\nContent-Length: 42\r\n\r\n";
        assert_eq!(parse_head(head).ok(), Some((200, Some(42))));
        assert_eq!(
            parse_head("HTTP/1.1 404 Not Found\r\n\r\n").ok(),
            Some((404, None))
        );
        assert!(parse_head("").is_err());
    }

    #[test]
    fn credentials_become_a_basic_header() {
        let t = Target::new("http://127.0.0.1:5000", Some("AWS"), Some("pw")).expect("target");
        assert_eq!(
            t.authorization.as_ref().and_then(|h| h.to_str().ok()),
            Some("Basic QVdTOnB3")
        );
        assert!(Target::new("http://127.0.0.1:5000", None, None)
            .expect("target")
            .authorization
            .is_none());
        assert!(Target::new("https://127.0.0.1", None, None).is_err());
    }
}
