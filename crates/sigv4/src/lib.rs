//! Server-side verification of AWS Signature Version 4.
//!
//! Every request an AWS SDK or the AWS CLI sends is signed with SigV4: the
//! client reduces the request to a *canonical request* (method, normalized
//! path, sorted query, the headers it chose to sign, and a hash of the body),
//! hashes that into a *string to sign* together with the time and a
//! *credential scope* (`date/region/service/aws4_request`), and signs it with
//! HMAC-SHA256 under a key derived from the secret access key for that one day,
//! region and service. Berth speaks the real AWS APIs, so it must accept exactly
//! those signatures and reject everything else the way AWS does.
//!
//! This crate is that check, and nothing else. [`verify`] takes a transport-
//! neutral view of one HTTP request ([`Request`]: method, raw path, raw query,
//! headers, body), a [`CredentialProvider`] that maps access key ids to
//! [`Secret`]s, and the current time. It:
//!
//! 1. finds the signature in the `Authorization` header or, for presigned URLs,
//!    in the `X-Amz-*` query parameters, and insists that every part is there
//!    and well formed (`host` must be signed);
//! 2. checks that the credential scope date is the request's date, and that the
//!    request is fresh: within 15 minutes of the server clock for header
//!    signatures, before `X-Amz-Date + X-Amz-Expires` for presigned URLs;
//! 3. looks up the secret for the access key;
//! 4. rebuilds the canonical request from what was received, derives the
//!    signing key, and compares signatures in constant time.
//!
//! On success it returns [`Verified`]: who signed (access key and the account
//! it belongs to) and for which region and service. On failure it returns an
//! [`AuthError`] whose [`code`](AuthError::code), [`status`](AuthError::status)
//! and message are what an AWS JSON-protocol service would answer
//! (`MissingAuthenticationTokenException`, `IncompleteSignatureException`,
//! `UnrecognizedClientException`, `InvalidSignatureException`), so SDK retry and
//! clock-skew logic behaves as it does against AWS.
//!
//! The rules for the canonical request are those for services other than S3:
//! the path is normalized and encoded once more than it arrived on the wire
//! (`%20` is signed as `%2520`), query parameters are
//! decoded and re-encoded with the SigV4 unreserved set, header values are
//! trimmed with inner runs of spaces collapsed. The body hash is the value of
//! `x-amz-content-sha256` when sent (`UNSIGNED-PAYLOAD` accepted, a hex hash
//! must match the body), otherwise computed from the body; presigned requests
//! may have signed either the body hash or `UNSIGNED-PAYLOAD`, and both are tried.
//!
//! [`credential_scope`] reads the scope without verifying, for routing a request
//! to a service before the expensive part. Nothing in this crate panics on
//! request data: every malformed input is an [`AuthError`].
//!
//! The transport must hand over a `host` header: HTTP/1.1 always has one; an
//! HTTP/2 front end has to copy `:authority` into `host` first.
//!
//! Only `AWS4-HMAC-SHA256` is supported: not SigV4a, not chunked
//! (`STREAMING-*`) payload signing, not SigV2. Session tokens
//! (`X-Amz-Security-Token`) are covered by the signature like any other signed
//! header or query parameter but are not validated against an STS.

mod canonical;
mod clock;
mod error;
mod parse;
mod signing;
mod verify;

use std::collections::HashMap;
use std::fmt;

pub use clock::{MAX_EXPIRES_SECS, MAX_SKEW_SECS};
pub use error::{AuthError, SIGNATURE_MISMATCH_MESSAGE};
pub use signing::{ALGORITHM, UNSIGNED_PAYLOAD};
pub use verify::{credential_scope, security_token, verify};

/// What the server knows about one access key.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// The secret access key the client signs with.
    pub secret_access_key: String,
    /// The account the key belongs to.
    pub account_id: String,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("secret_access_key", &"** redacted **")
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// Maps access key ids to their secrets.
pub trait CredentialProvider: Send + Sync {
    /// The secret for `access_key_id`, or `None` if the key is unknown.
    fn lookup(&self, access_key_id: &str) -> Option<Secret>;
}

/// A fixed table of keys, handy for tests and single-user setups.
impl CredentialProvider for HashMap<String, Secret> {
    fn lookup(&self, access_key_id: &str) -> Option<Secret> {
        self.get(access_key_id).cloned()
    }
}

/// One received HTTP request, as the verifier needs it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// HTTP method, e.g. `"POST"`.
    pub method: &'a str,
    /// Raw path as received, still percent-encoded, e.g. `"/"`.
    pub path: &'a str,
    /// Raw query string as received, without the `?`.
    pub query: Option<&'a str>,
    /// All request headers.
    pub headers: &'a http::HeaderMap,
    /// The complete request body.
    pub body: &'a [u8],
}

/// Who signed a request that verified, and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key id that signed.
    pub access_key_id: String,
    /// The account that key belongs to.
    pub account_id: String,
    /// Region from the credential scope.
    pub region: String,
    /// Service from the credential scope (`"ecs"` for ECS clients).
    pub service: String,
}

/// The credential scope a request claims, unverified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Access key id.
    pub access_key_id: String,
    /// Scope date, `YYYYMMDD`.
    pub date: String,
    /// Region, e.g. `"us-east-1"`.
    pub region: String,
    /// Service signing name, e.g. `"ecs"`.
    pub service: String,
}
