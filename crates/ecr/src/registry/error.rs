//! The registry's errors: the distribution spec's JSON (`{"errors":[{"code","message"}]}`)
//! with its codes and statuses, and the Basic challenge ECR answers unauthenticated requests
//! with.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::content::PushError;
use crate::error::EcrError;
use crate::manifest::ManifestError;

#[derive(Debug, Clone, PartialEq)]
pub struct RegistryError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The realm of a Basic challenge to send (401 answers).
    pub challenge: Option<String>,
    /// Headers a few errors carry (416's `Range`, `Location`).
    pub headers: Vec<(&'static str, String)>,
}

impl RegistryError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        RegistryError {
            status,
            code,
            message: message.into(),
            challenge: None,
            headers: Vec::new(),
        }
    }

    pub fn unauthorized(realm: String, message: impl Into<String>) -> Self {
        let mut e = RegistryError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message);
        e.challenge = Some(realm);
        e
    }

    pub fn denied(message: impl Into<String>) -> Self {
        RegistryError::new(StatusCode::FORBIDDEN, "DENIED", message)
    }

    pub fn name_unknown(name: &str) -> Self {
        RegistryError::new(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            format!("The repository with name '{name}' does not exist in the registry"),
        )
    }

    pub fn manifest_unknown(reference: &str) -> Self {
        RegistryError::new(
            StatusCode::NOT_FOUND,
            "MANIFEST_UNKNOWN",
            format!("Requested image not found: {reference}"),
        )
    }

    pub fn blob_unknown(digest: &str) -> Self {
        RegistryError::new(
            StatusCode::NOT_FOUND,
            "BLOB_UNKNOWN",
            format!("blob unknown to registry: {digest}"),
        )
    }

    pub fn upload_unknown() -> Self {
        RegistryError::new(
            StatusCode::NOT_FOUND,
            "BLOB_UPLOAD_UNKNOWN",
            "blob upload unknown to registry",
        )
    }

    pub fn digest_invalid(message: impl Into<String>) -> Self {
        RegistryError::new(StatusCode::BAD_REQUEST, "DIGEST_INVALID", message)
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        RegistryError::new(StatusCode::METHOD_NOT_ALLOWED, "UNSUPPORTED", message)
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// An ECR error met on the registry path.
    pub fn from_ecr(e: EcrError, name: &str) -> Self {
        match e {
            EcrError::RepositoryNotFound(_) => RegistryError::name_unknown(name),
            EcrError::AccessDenied(m) => RegistryError::denied(m),
            EcrError::InvalidParameter(m) | EcrError::Validation(m) => {
                RegistryError::new(StatusCode::BAD_REQUEST, "UNSUPPORTED", m)
            }
            EcrError::Busy | EcrError::Server(_) => {
                RegistryError::new(StatusCode::INTERNAL_SERVER_ERROR, "UNKNOWN", e.to_string())
            }
            other => RegistryError::new(StatusCode::BAD_REQUEST, "UNSUPPORTED", other.to_string()),
        }
    }

    /// A refused manifest push.
    pub fn from_push(e: PushError, name: &str) -> Self {
        let bad = |code, m: String| RegistryError::new(StatusCode::BAD_REQUEST, code, m);
        match e {
            PushError::Ecr(EcrError::InvalidParameter(m)) => bad("TAG_INVALID", m),
            PushError::Ecr(e) => RegistryError::from_ecr(e, name),
            PushError::Manifest(ManifestError::Invalid(m)) => {
                bad("MANIFEST_INVALID", format!("manifest invalid: {m}"))
            }
            PushError::Manifest(ManifestError::Unsupported(m)) => {
                bad("MANIFEST_INVALID", format!("manifest invalid: unsupported media type {m}"))
            }
            PushError::TooLarge => RegistryError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "SIZE_INVALID",
                "the manifest is larger than 4 MiB",
            ),
            PushError::BlobsUnknown(d) => bad(
                "MANIFEST_BLOB_UNKNOWN",
                format!("blob unknown to registry: the manifest references {}", d.join(", ")),
            ),
            // The spec's code for any reference a pushed manifest makes to what the
            // registry lacks, blob or manifest (MANIFEST_UNKNOWN is a pull's 404).
            PushError::ManifestsUnknown(d) => bad(
                "MANIFEST_BLOB_UNKNOWN",
                format!("the index references manifests this repository does not have: {}", d.join(", ")),
            ),
            PushError::DigestMismatch { claimed, actual } => RegistryError::digest_invalid(format!(
                "the manifest's digest is {actual}, not {claimed}"
            )),
            PushError::TagImmutable { tag } => bad(
                "TAG_INVALID",
                format!("The image tag '{tag}' already exists in the '{name}' repository and cannot be overwritten because the tag is immutable."),
            ),
            PushError::Unchanged { digest, .. } => bad("MANIFEST_INVALID", format!("{digest} already exists")),
        }
    }
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"errors": [{"code": self.code, "message": self.message, "detail": null}]});
        let mut resp = (self.status, body.to_string()).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        h.insert(
            "Docker-Distribution-API-Version",
            HeaderValue::from_static("registry/2.0"),
        );
        if let Some(realm) = &self.challenge {
            let v = format!("Basic realm=\"{realm}/\",service=\"ecr.amazonaws.com\"");
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        resp
    }
}
