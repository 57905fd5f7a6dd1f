//! Paths: `/v2/<name>/<endpoint>`, where the name may hold slashes and the endpoint is
//! found from the end.

use std::collections::HashMap;

use axum::http::StatusCode;

use super::error::RegistryError;
use crate::content::valid_repository_name;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Manifest(String),
    Blob(String),
    /// `POST /v2/<name>/blobs/uploads/`
    Uploads,
    Upload(String),
    Tags,
    Referrers(String),
}

/// The repository name and endpoint of a path; None for the base `/v2/`.
pub fn parse(path: &str) -> Result<Option<(String, Endpoint)>, RegistryError> {
    let rest = path.strip_prefix("/v2").unwrap_or(path);
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Ok(None);
    }
    let unknown = || {
        RegistryError::new(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            format!("no registry endpoint at {path}"),
        )
    };
    let (name, endpoint) = if let Some(name) = rest.strip_suffix("/tags/list") {
        (name, Endpoint::Tags)
    } else if let Some(name) = rest
        .strip_suffix("/blobs/uploads")
        .or_else(|| rest.strip_suffix("/blobs/uploads/"))
    {
        (name, Endpoint::Uploads)
    } else if let Some((name, id)) = rest.rsplit_once("/blobs/uploads/") {
        (name, Endpoint::Upload(id.to_owned()))
    } else if let Some((name, r)) = rest.rsplit_once("/manifests/") {
        (name, Endpoint::Manifest(r.to_owned()))
    } else if let Some((name, d)) = rest.rsplit_once("/blobs/") {
        (name, Endpoint::Blob(d.to_owned()))
    } else if let Some((name, d)) = rest.rsplit_once("/referrers/") {
        (name, Endpoint::Referrers(d.to_owned()))
    } else {
        return Err(unknown());
    };
    if !valid_repository_name(name) {
        return Err(RegistryError::new(
            StatusCode::BAD_REQUEST,
            "NAME_INVALID",
            format!("invalid repository name '{name}'"),
        ));
    }
    Ok(Some((name.to_owned(), endpoint)))
}

/// A query string's parameters (the last of a name wins).
pub fn query(q: Option<&str>) -> HashMap<String, String> {
    q.map(|q| {
        form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_found_from_the_end() {
        let p = |s: &str| parse(s).expect("parses");
        assert_eq!(p("/v2/"), None);
        assert_eq!(p("/v2"), None);
        assert_eq!(
            p("/v2/team/web/manifests/latest"),
            Some(("team/web".into(), Endpoint::Manifest("latest".into())))
        );
        assert_eq!(
            p("/v2/a/b/blobs/uploads/"),
            Some(("a/b".into(), Endpoint::Uploads))
        );
        assert_eq!(
            p("/v2/ab/blobs/uploads/123"),
            Some(("ab".into(), Endpoint::Upload("123".into())))
        );
        assert_eq!(
            p("/v2/ab/blobs/sha256:00"),
            Some(("ab".into(), Endpoint::Blob("sha256:00".into())))
        );
        assert_eq!(p("/v2/ab/tags/list"), Some(("ab".into(), Endpoint::Tags)));
        assert_eq!(
            p("/v2/ab/referrers/sha256:00"),
            Some(("ab".into(), Endpoint::Referrers("sha256:00".into())))
        );
        assert_eq!(
            parse("/v2/UPPER/tags/list").map_err(|e| e.code),
            Err("NAME_INVALID")
        );
        assert_eq!(
            parse("/v2/_catalog").map_err(|e| e.code),
            Err("NAME_UNKNOWN")
        );
    }

    #[test]
    fn query_parameters_are_decoded() {
        let q = query(Some("digest=sha256%3Aab&n=10&from=team%2Fweb"));
        assert_eq!(q.get("digest").map(String::as_str), Some("sha256:ab"));
        assert_eq!(q.get("from").map(String::as_str), Some("team/web"));
    }
}
