//! `GET`/`HEAD /v2/<name>/blobs/<digest>`, with single `Range`s. The bytes are read on a
//! blocking thread in small chunks handed over a short channel: a slow client holds a few
//! chunks, never the blob.

use std::io::Read;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::access::permit;
use super::error::RegistryError;
use super::{set, Ask};
use crate::blobs::Digest;
use crate::Ecr;

/// The size of a read and of a chunk sent.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight per download.
const IN_FLIGHT: usize = 2;

/// The byte range `bytes=a-b` / `bytes=a-` / `bytes=-n` of a blob of `size` bytes.
fn range(value: &str, size: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (size.checked_sub(n.min(size))?, size.checked_sub(1)?)
        }
        (a, "") => (a.parse().ok()?, size.checked_sub(1)?),
        (a, b) => (
            a.parse().ok()?,
            b.parse::<u64>().ok()?.min(size.checked_sub(1)?),
        ),
    };
    (start <= end && end < size).then_some((start, end))
}

pub async fn get(
    ecr: Arc<Ecr>,
    ask: &Ask,
    digest: &str,
    head: bool,
) -> Result<Response, RegistryError> {
    permit(&ecr, ask, "ecr:GetDownloadUrlForLayer")?;
    let parsed = Digest::parse(digest)
        .ok_or_else(|| RegistryError::digest_invalid(format!("invalid digest {digest}")))?;
    let size = ecr
        .repo_blob(&ask.account, &ask.name, digest)
        .ok_or_else(|| RegistryError::blob_unknown(digest))?;
    let wanted = match ask.headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(r) => Some(range(r, size).ok_or_else(|| {
            RegistryError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "BLOB_UNKNOWN",
                format!("the range {r} is not within the blob's {size} bytes"),
            )
            .with_header("content-range", format!("bytes */{size}"))
        })?),
    };
    let (start, end) = wanted.unwrap_or((0, size.saturating_sub(1)));
    let len = if size == 0 { 0 } else { end - start + 1 };
    let status = if wanted.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let body = if head || len == 0 {
        Body::empty()
    } else {
        stream(ecr, parsed, start, len)
    };
    let mut resp = (status, body).into_response();
    set(&mut resp, "content-type", "application/octet-stream");
    set(&mut resp, "content-length", &len.to_string());
    set(&mut resp, "docker-content-digest", digest);
    set(&mut resp, "accept-ranges", "bytes");
    set(&mut resp, "etag", &format!("\"{digest}\""));
    if wanted.is_some() {
        set(
            &mut resp,
            "content-range",
            &format!("bytes {start}-{end}/{size}"),
        );
    }
    Ok(resp)
}

/// `len` bytes of a blob from `start`, as a streamed body.
fn stream(ecr: Arc<Ecr>, digest: Digest, start: u64, len: u64) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut file = match ecr.blobs.open_at(&digest, start) {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        let mut left = len;
        while left > 0 {
            let mut buf = vec![0u8; CHUNK.min(left as usize)];
            let n = match file.read(&mut buf) {
                Ok(0) => {
                    let _ = tx.blocking_send(Err(std::io::ErrorKind::UnexpectedEof.into()));
                    return;
                }
                Ok(n) => n,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            buf.truncate(n);
            left -= n as u64;
            if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                return; // the client went away
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn ranges_are_clamped_to_the_blob() {
        assert_eq!(range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(range("bytes=100-", 100), None);
        assert_eq!(range("bytes=5-1", 100), None);
        assert_eq!(range("bytes=0-1,3-4", 100), None);
        assert_eq!(range("items=0-1", 100), None);
        assert_eq!(range("bytes=0-0", 0), None);
    }
}
