//! `GET /v2/<name>/tags/list` (with `n`/`last` pages and a `Link` to the next) and
//! `GET /v2/<name>/referrers/<digest>` (an OCI index of the manifests whose `subject` it is,
//! filtered by `artifactType`).

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::access::permit;
use super::error::RegistryError;
use super::{set, Ask};
use crate::blobs::Digest;
use crate::manifest::OCI_INDEX;
use crate::records::children_of;
use crate::state::State;
use crate::Ecr;

pub async fn tags(ecr: Arc<Ecr>, ask: &Ask) -> Result<Response, RegistryError> {
    permit(&ecr, ask, "ecr:ListImages")?;
    let n: Option<usize> = match ask.query.get("n") {
        None => None,
        Some(v) => Some(v.parse().map_err(|_| {
            RegistryError::new(
                StatusCode::BAD_REQUEST,
                "PAGINATION_NUMBER_INVALID",
                format!("invalid number of results requested: {v}"),
            )
        })?),
    };
    let last = ask.query.get("last").cloned();
    let state = ecr.db.snapshot();
    let mut tags: Vec<String> = State::under(&state.tags, &children_of(&ask.account, &ask.name))
        .map(|(_, t)| t.tag.clone())
        .filter(|t| last.as_ref().is_none_or(|l| t > l))
        .collect();
    tags.sort();
    let more = n.is_some_and(|n| tags.len() > n);
    if let Some(n) = n {
        tags.truncate(n);
    }
    let body = serde_json::json!({"name": ask.name, "tags": tags});
    let mut resp = (StatusCode::OK, body.to_string()).into_response();
    set(&mut resp, "content-type", "application/json");
    if let (true, Some(n), Some(l)) = (more, n, tags.last()) {
        set(
            &mut resp,
            "link",
            &format!("</v2/{}/tags/list?n={n}&last={l}>; rel=\"next\"", ask.name),
        );
    }
    Ok(resp)
}

pub async fn referrers(ecr: Arc<Ecr>, ask: &Ask, digest: &str) -> Result<Response, RegistryError> {
    permit(&ecr, ask, "ecr:BatchGetImage")?;
    if Digest::parse(digest).is_none() {
        return Err(RegistryError::digest_invalid(format!(
            "invalid digest '{digest}'"
        )));
    }
    let wanted = ask.query.get("artifactType").cloned();
    let state = ecr.db.snapshot();
    let manifests: Vec<serde_json::Value> =
        State::under(&state.images, &children_of(&ask.account, &ask.name))
            .filter(|(_, i)| i.subject.as_deref() == Some(digest))
            .filter(|(_, i)| {
                let kind = i.artifact_type.as_ref().or(i.config_media_type.as_ref());
                wanted.as_ref().is_none_or(|w| kind == Some(w))
            })
            .map(|(_, i)| {
                let annotations = serde_json::from_str::<serde_json::Value>(&i.manifest)
                    .ok()
                    .and_then(|m| m.get("annotations").cloned());
                let mut d = serde_json::json!({
                    "mediaType": i.media_type,
                    "digest": i.digest,
                    "size": i.manifest.len(),
                });
                if let Some(t) = i.artifact_type.as_ref().or(i.config_media_type.as_ref()) {
                    d["artifactType"] = serde_json::json!(t);
                }
                if let Some(a) = annotations {
                    d["annotations"] = a;
                }
                d
            })
            .collect();
    let body =
        serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests});
    let mut resp = (StatusCode::OK, body.to_string()).into_response();
    set(&mut resp, "content-type", OCI_INDEX);
    if wanted.is_some() {
        set(&mut resp, "oci-filters-applied", "artifactType");
    }
    Ok(resp)
}
