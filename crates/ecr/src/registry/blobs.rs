//! `GET`/`HEAD /v2/<name>/blobs/<digest>`, with single `Range`s. The bytes are read on a
//! blocking thread in chunks handed over a short channel: a slow client holds a few chunks,
//! never the blob. A chunk's buffer is read into again once the connection has sent it
//! ([`Buffers`]), so a download touches the same few mapped pages throughout.

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
const CHUNK: usize = 512 * 1024;
/// Chunks in flight per download.
const IN_FLIGHT: usize = 2;
/// Buffers a download keeps for reuse: the chunks in flight, the one being read, and those
/// the connection is still writing.
const BUFFERS: usize = IN_FLIGHT + 3;

/// A download's read buffers, each back for the next read once the chunk read into it is
/// dropped. A fresh buffer for every chunk cost a page fault per 4 KiB the kernel copied into
/// it, and the allocator handing those pages back: a third of the server's time in a
/// download. A returned buffer is read into as it is (its bytes already initialized), not
/// zeroed again.
#[derive(Clone, Default)]
struct Buffers {
    free: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

/// A chunk's bytes: `len` bytes of a buffer that goes back to its [`Buffers`] when dropped.
struct Chunk {
    buf: Vec<u8>,
    len: usize,
    home: Buffers,
}

impl AsRef<[u8]> for Chunk {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        let mut free = self.home.free.lock().unwrap_or_else(|p| p.into_inner());
        if free.len() < BUFFERS {
            free.push(std::mem::take(&mut self.buf));
        }
    }
}

impl Buffers {
    /// A [`CHUNK`]-byte buffer to read into: a returned one, else a new one.
    fn take(&self) -> Vec<u8> {
        let reused = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        reused.unwrap_or_else(|| vec![0u8; CHUNK])
    }

    /// The first `len` bytes of `buf` as a chunk to send.
    fn chunk(&self, buf: Vec<u8>, len: usize) -> Bytes {
        Bytes::from_owner(Chunk {
            buf,
            len,
            home: self.clone(),
        })
    }
}

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
        let buffers = Buffers::default();
        let mut left = len;
        while left > 0 {
            let mut buf = buffers.take();
            let want = CHUNK.min(usize::try_from(left).unwrap_or(CHUNK));
            let n = match file.read(&mut buf[..want]) {
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
            left -= n as u64;
            if tx.blocking_send(Ok(buffers.chunk(buf, n))).is_err() {
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
    use super::{range, Buffers, Bytes, BUFFERS, CHUNK};

    #[test]
    fn buffers_are_reused_only_once_their_chunk_is_dropped() {
        let b = Buffers::default();
        let mut buf = b.take();
        assert_eq!(buf.len(), CHUNK);
        buf[..10].copy_from_slice(b"0123456789");
        let ptr = buf.as_ptr();
        let first = b.chunk(buf, 10);
        assert_eq!(&first[..], b"0123456789");
        // The first chunk is still held: the next buffer is another one.
        let second = b.take();
        assert_ne!(second.as_ptr(), ptr);
        let clone = first.clone();
        drop(first);
        let third = b.take();
        assert_ne!(third.as_ptr(), ptr, "a clone still holds it");
        drop(clone);
        // Its memory is read into again once every handle is dropped.
        let fourth = b.take();
        assert_eq!(fourth.as_ptr(), ptr);
        assert_eq!(&fourth[..10], b"0123456789", "as it was, not zeroed again");
        drop((second, third, fourth));
        // At most BUFFERS wait for reuse.
        let chunks: Vec<Bytes> = (0..BUFFERS + 2).map(|_| b.chunk(b.take(), 1)).collect();
        drop(chunks);
        assert_eq!(b.free.lock().map(|f| f.len()).unwrap_or(0), BUFFERS);
    }

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
