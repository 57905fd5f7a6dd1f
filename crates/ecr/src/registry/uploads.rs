//! Blob uploads: `POST /v2/<name>/blobs/uploads/` (a session, a monolithic upload with
//! `?digest=`, or a cross-repository `?mount=&from=`), `PATCH` chunks (in order, `416`
//! otherwise), `PUT ?digest=` to finish, `GET` for the status a reconnecting client resumes
//! from, `DELETE` to cancel. Bytes stream to the upload file on a blocking thread; a chunk is
//! durable before its `202`, and a blob visible only once its digest is verified.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::access::permit;
use super::error::RegistryError;
use super::{blocking, set, Ask};
use crate::blobs::{Digest, UploadFault};
use crate::records::UploadRec;
use crate::Ecr;

/// The largest layer ECR takes (52,000 MiB).
pub const MAX_BLOB_BYTES: u64 = 52_000 * 1024 * 1024;
/// Bytes gathered before they are handed to the writer thread.
const BATCH: usize = 1024 * 1024;
/// Batches on their way to the writer thread.
const IN_FLIGHT: usize = 4;

fn location(ask: &Ask, id: &str) -> String {
    format!("/v2/{}/blobs/uploads/{id}", ask.name)
}

fn upload_gone(e: UploadFault) -> RegistryError {
    match e {
        UploadFault::Unknown(_) => RegistryError::upload_unknown(),
        other => RegistryError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN",
            other.to_string(),
        ),
    }
}

/// A `202` for an upload of `len` bytes so far.
fn accepted(ask: &Ask, id: &str, len: u64, status: StatusCode) -> Response {
    let mut resp = (status, Body::empty()).into_response();
    set(&mut resp, "location", &location(ask, id));
    set(&mut resp, "docker-upload-uuid", id);
    set(&mut resp, "range", &format!("0-{}", len.saturating_sub(1)));
    set(&mut resp, "content-length", "0");
    resp
}

fn created(ask: &Ask, digest: &str) -> Response {
    let mut resp = (StatusCode::CREATED, Body::empty()).into_response();
    set(
        &mut resp,
        "location",
        &format!("/v2/{}/blobs/{digest}", ask.name),
    );
    set(&mut resp, "docker-content-digest", digest);
    set(&mut resp, "content-length", "0");
    resp
}

/// The start of a `Content-Range: <start>-<end>` (with or without a `bytes ` unit).
fn content_range_start(ask: &Ask) -> Result<Option<u64>, RegistryError> {
    let Some(v) = ask.headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or_default().trim();
    let text = text
        .strip_prefix("bytes")
        .map(str::trim_start)
        .unwrap_or(text);
    let text = text.strip_prefix('=').unwrap_or(text);
    let bad = || {
        RegistryError::new(
            StatusCode::BAD_REQUEST,
            "BLOB_UPLOAD_INVALID",
            format!("invalid Content-Range '{text}'"),
        )
    };
    let (a, b) = text.split_once('-').ok_or_else(bad)?;
    let b = b.split('/').next().unwrap_or(b);
    let (a, b): (u64, u64) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if b < a {
        return Err(bad());
    }
    Ok(Some(a))
}

fn upload_of(ecr: &Ecr, ask: &Ask, id: &str) -> Result<Arc<UploadRec>, RegistryError> {
    ecr.upload(&ask.account, &ask.name, id)
        .ok_or_else(RegistryError::upload_unknown)
}

/// Streams `body` onto the end of upload `id` (at `start` if given); durable on return.
/// Answers the upload's length. A body cut short leaves the upload as it was.
pub(super) async fn receive(
    ecr: Arc<Ecr>,
    ask: &Ask,
    id: &str,
    start: Option<u64>,
    body: Body,
) -> Result<u64, RegistryError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(IN_FLIGHT);
    // Written batches come back to be filled again: fresh ones page-fault as they are filled.
    let (spent_tx, spent) = std::sync::mpsc::channel::<Vec<u8>>();
    let (writer_ecr, wid) = (ecr.clone(), id.to_owned());
    let writer = tokio::task::spawn_blocking(move || -> Result<u64, UploadFault> {
        let mut a = writer_ecr.blobs.append(&wid, start)?;
        while let Some(mut chunk) = rx.blocking_recv() {
            if chunk.is_empty() {
                // The end marker: everything arrived.
                return Ok(a.finish()?);
            }
            if let Err(e) = a.write(&chunk) {
                a.abandon()?;
                return Err(e.into());
            }
            chunk.clear();
            let _ = spent_tx.send(chunk);
        }
        a.abandon()?;
        Err(UploadFault::Io(std::io::ErrorKind::UnexpectedEof.into()))
    });
    let fresh = || Vec::with_capacity(BATCH);
    let mut stream = body.into_data_stream();
    let mut batch: Vec<u8> = fresh();
    let mut received: u64 = 0;
    let mut failed: Option<RegistryError> = None;
    while let Some(frame) = stream.next().await {
        let bytes: Bytes = match frame {
            Ok(b) => b,
            Err(e) => {
                failed = Some(RegistryError::new(
                    StatusCode::BAD_REQUEST,
                    "BLOB_UPLOAD_INVALID",
                    format!("the upload was cut short: {e}"),
                ));
                break;
            }
        };
        received += bytes.len() as u64;
        if received > MAX_BLOB_BYTES {
            failed = Some(RegistryError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "SIZE_INVALID",
                format!("a blob may be at most {MAX_BLOB_BYTES} bytes"),
            ));
            break;
        }
        batch.extend_from_slice(&bytes);
        if batch.len() >= BATCH {
            let next = spent.try_recv().unwrap_or_else(|_| fresh());
            let full = std::mem::replace(&mut batch, next);
            if tx.send(full).await.is_err() {
                break; // the writer stopped: its error says why
            }
        }
    }
    if failed.is_none() {
        if !batch.is_empty() {
            let _ = tx.send(batch).await;
        }
        let _ = tx.send(Vec::new()).await;
    }
    drop(tx);
    let out = writer.await.map_err(|_| {
        RegistryError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN",
            "the upload writer failed",
        )
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    match out {
        Ok(len) => Ok(len),
        Err(UploadFault::OutOfOrder { have, .. }) => Err(RegistryError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "BLOB_UPLOAD_INVALID",
            format!("the chunk does not start where the upload ends (byte {have})"),
        )
        .with_header("location", location(ask, id))
        .with_header("range", format!("0-{}", have.saturating_sub(1)))
        .with_header("docker-upload-uuid", id.to_owned())),
        Err(e) => Err(upload_gone(e)),
    }
}

/// Verifies and finishes an upload; the `201` of its blob.
async fn complete(
    ecr: Arc<Ecr>,
    ask: &Ask,
    up: Arc<UploadRec>,
    digest: &str,
) -> Result<Response, RegistryError> {
    let parsed = Digest::parse(digest)
        .ok_or_else(|| RegistryError::digest_invalid(format!("invalid digest '{digest}'")))?;
    let done = blocking(move || {
        ecr.complete_upload(&up, &parsed)
            .map_err(|e| RegistryError::from_ecr(e, &up.repo))
    })
    .await?;
    match done {
        Ok(_) => Ok(created(ask, digest)),
        Err(UploadFault::DigestMismatch { actual, .. }) => {
            Err(RegistryError::digest_invalid(format!(
                "provided digest did not match uploaded content: the content's digest is {actual}"
            )))
        }
        Err(e) => Err(upload_gone(e)),
    }
}

pub async fn start(ecr: Arc<Ecr>, ask: &Ask, body: Body) -> Result<Response, RegistryError> {
    permit(&ecr, ask, "ecr:InitiateLayerUpload")?;
    let mounting = ecr.account_setting(&ask.account, crate::ops::BLOB_MOUNTING) == "ENABLED";
    let mount = ask
        .query
        .get("mount")
        .zip(ask.query.get("from"))
        .filter(|_| mounting);
    if let Some((mount, from)) = mount {
        let from_ask = Ask {
            caller: ask.caller.clone(),
            account: ask.account.clone(),
            name: from.clone(),
            query: Default::default(),
            headers: Default::default(),
        };
        let size = permit(&ecr, &from_ask, "ecr:BatchGetImage")
            .ok()
            .and_then(|_| ecr.repo_blob(&ask.account, from, mount));
        if let Some(size) = size {
            let (e, account, name, digest) = (
                ecr.clone(),
                ask.account.clone(),
                ask.name.clone(),
                mount.clone(),
            );
            let linked = blocking(move || {
                e.link_blob(&account, &name, &digest, size)
                    .map_err(|err| RegistryError::from_ecr(err, &name))
            })
            .await?;
            if linked {
                return Ok(created(ask, mount));
            }
        }
        // Not mountable: an ordinary upload session instead, as the spec has it.
    }
    let (e, account, name) = (ecr.clone(), ask.account.clone(), ask.name.clone());
    let id = blocking(move || {
        e.begin_upload(&account, &name)
            .map_err(|err| RegistryError::from_ecr(err, &name))
    })
    .await?;
    if let Some(digest) = ask.query.get("digest").cloned() {
        receive(ecr.clone(), ask, &id, Some(0), body).await?;
        let up = upload_of(&ecr, ask, &id)?;
        return complete(ecr, ask, up, &digest).await;
    }
    Ok(accepted(ask, &id, 0, StatusCode::ACCEPTED))
}

pub async fn patch(
    ecr: Arc<Ecr>,
    ask: &Ask,
    id: &str,
    body: Body,
) -> Result<Response, RegistryError> {
    permit(&ecr, ask, "ecr:UploadLayerPart")?;
    upload_of(&ecr, ask, id)?;
    let start = content_range_start(ask)?;
    let len = receive(ecr, ask, id, start, body).await?;
    Ok(accepted(ask, id, len, StatusCode::ACCEPTED))
}

pub async fn finish(
    ecr: Arc<Ecr>,
    ask: &Ask,
    id: &str,
    body: Body,
) -> Result<Response, RegistryError> {
    permit(&ecr, ask, "ecr:CompleteLayerUpload")?;
    let up = upload_of(&ecr, ask, id)?;
    let digest = ask.query.get("digest").cloned().ok_or_else(|| {
        RegistryError::digest_invalid("the digest query parameter is required to finish an upload")
    })?;
    let start = content_range_start(ask)?;
    receive(ecr.clone(), ask, id, start, body).await?;
    complete(ecr, ask, up, &digest).await
}

pub async fn status(ecr: Arc<Ecr>, ask: &Ask, id: &str) -> Result<Response, RegistryError> {
    permit(&ecr, ask, "ecr:UploadLayerPart")?;
    upload_of(&ecr, ask, id)?;
    let len = ecr.blobs.upload_len(id).map_err(upload_gone)?;
    Ok(accepted(ask, id, len, StatusCode::NO_CONTENT))
}

pub async fn cancel(ecr: Arc<Ecr>, ask: &Ask, id: &str) -> Result<Response, RegistryError> {
    permit(&ecr, ask, "ecr:UploadLayerPart")?;
    upload_of(&ecr, ask, id)?;
    let (e, id2, name) = (ecr.clone(), id.to_owned(), ask.name.clone());
    blocking(move || {
        e.cancel_upload(&id2)
            .map_err(|err| RegistryError::from_ecr(err, &name))
    })
    .await?;
    let mut resp = (StatusCode::NO_CONTENT, Body::empty()).into_response();
    set(&mut resp, "content-length", "0");
    Ok(resp)
}
