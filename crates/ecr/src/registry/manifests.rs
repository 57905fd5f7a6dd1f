//! `GET`/`HEAD`/`PUT`/`DELETE /v2/<name>/manifests/<reference>`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::access::permit;
use super::error::RegistryError;
use super::{blocking, set, Ask};
use crate::content::{ImageRefused, Push, MAX_MANIFEST_BYTES};
use crate::Ecr;

/// Whether a client's `Accept` takes `media_type`. A client naming no manifest type at all
/// (or `*/*`) takes whatever is stored.
fn accepts(headers: &axum::http::HeaderMap, media_type: &str) -> bool {
    let listed: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.split(';').next().unwrap_or(t).trim())
        .collect();
    let names_manifests = listed
        .iter()
        .any(|t| t.contains("manifest") || t.contains("index"));
    !names_manifests || listed.iter().any(|t| *t == media_type || *t == "*/*")
}

pub async fn get(
    ecr: Arc<Ecr>,
    ask: &Ask,
    reference: &str,
    head: bool,
) -> Result<Response, RegistryError> {
    super::pull_through::fill(&ecr, ask, reference).await?;
    permit(&ecr, ask, "ecr:BatchGetImage")?;
    let image = ecr
        .db
        .read(|s| s.resolve(&ask.account, &ask.name, reference))
        .ok_or_else(|| RegistryError::manifest_unknown(&format!("{}:{reference}", ask.name)))?;
    if !accepts(&ask.headers, &image.media_type) {
        return Err(RegistryError::new(
            StatusCode::NOT_FOUND,
            "MANIFEST_UNKNOWN",
            format!(
                "The manifest {} is a {}, which the request's Accept header does not take",
                image.digest, image.media_type
            ),
        ));
    }
    // A HEAD counts as a pull too: a client holding the manifest already (Docker's
    // containerd store) only resolves the reference.
    {
        let (e, account, name, digest) = (
            ecr.clone(),
            ask.account.clone(),
            ask.name.clone(),
            image.digest.clone(),
        );
        let principal = ask.caller.principal();
        // A pull is recorded on the side: a failure to record it fails no pull.
        tokio::task::spawn_blocking(move || {
            if let Err(err) = e.record_pulls(&principal, &account, &name, &[digest]) {
                tracing::warn!(error = %err, "recording a pull failed");
            }
        });
    }
    let len = image.manifest.len();
    let mut resp = if head {
        (StatusCode::OK, Body::empty()).into_response()
    } else {
        (StatusCode::OK, image.manifest.clone()).into_response()
    };
    set(&mut resp, "content-type", &image.media_type);
    set(&mut resp, "content-length", &len.to_string());
    set(&mut resp, "docker-content-digest", &image.digest);
    set(&mut resp, "etag", &format!("\"{}\"", image.digest));
    Ok(resp)
}

pub async fn put(
    ecr: Arc<Ecr>,
    ask: &Ask,
    reference: &str,
    body: Body,
) -> Result<Response, RegistryError> {
    permit(&ecr, ask, "ecr:PutImage")?;
    let bytes = http_body_util::Limited::new(body, MAX_MANIFEST_BYTES)
        .collect()
        .await
        .map_err(|_| {
            RegistryError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "SIZE_INVALID",
                "the manifest is larger than 4 MiB or was cut short",
            )
        })?
        .to_bytes();
    let content_type = ask
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let by_digest = reference.contains(':');
    if !by_digest && !crate::content::valid_tag(reference) {
        return Err(RegistryError::new(
            StatusCode::BAD_REQUEST,
            "TAG_INVALID",
            format!("manifest tag did not match URI: '{reference}' is not a valid tag"),
        ));
    }
    let (account, name, reference) = (ask.account.clone(), ask.name.clone(), reference.to_owned());
    let image = blocking(move || {
        let push = Push {
            account: &account,
            repo: &name,
            bytes: &bytes,
            content_type: content_type.as_deref(),
            tag: (!by_digest).then_some(reference.as_str()),
            digest: by_digest.then_some(reference.as_str()),
            refuse_unchanged: false,
            replicate: true,
        };
        ecr.push_manifest(&push)
            .map_err(|e| RegistryError::from_push(e, &name))
    })
    .await?;
    let mut resp = (StatusCode::CREATED, Body::empty()).into_response();
    set(
        &mut resp,
        "location",
        &format!("/v2/{}/manifests/{}", ask.name, image.digest),
    );
    set(&mut resp, "docker-content-digest", &image.digest);
    if let Some(subject) = &image.subject {
        set(&mut resp, "oci-subject", subject);
    }
    Ok(resp)
}

pub async fn delete(ecr: Arc<Ecr>, ask: &Ask, reference: &str) -> Result<Response, RegistryError> {
    permit(&ecr, ask, "ecr:BatchDeleteImage")?;
    let (account, name, r) = (ask.account.clone(), ask.name.clone(), reference.to_owned());
    let e = ecr.clone();
    let out = blocking(move || {
        e.delete_image(&account, &name, &r)
            .map_err(|err| RegistryError::from_ecr(err, &name))
    })
    .await?;
    match out {
        Ok(_) => Ok((StatusCode::ACCEPTED, Body::empty()).into_response()),
        Err(ImageRefused::NotFound) => Err(RegistryError::manifest_unknown(reference)),
        Err(ImageRefused::ReferencedByIndex(parent)) => Err(RegistryError::new(
            StatusCode::CONFLICT,
            "DENIED",
            format!("The manifest is referenced by the index {parent}; delete that first"),
        )),
    }
}
