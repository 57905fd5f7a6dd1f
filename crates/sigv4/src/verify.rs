//! The verification pipeline: parse, check the scope date and clock, look up
//! the secret, rebuild the canonical request and compare signatures.

use std::time::SystemTime;

use crate::canonical::{canonical_headers, canonical_query, canonical_request, canonical_uri};
use crate::clock;
use crate::parse::{self, AuthParams, Mode, Q_SIGNATURE};
use crate::signing::{
    sha256_hex, signature_matches, signing_key, string_to_sign, TERMINATOR, UNSIGNED_PAYLOAD,
};
use crate::{AuthError, CredentialProvider, Request, Scope, Verified};

/// Verifies the SigV4 signature of `req` (header or presigned-query form)
/// against the secret `creds` holds for its access key, at time `now`.
///
/// Checks, in order: that authentication is present and complete; that the
/// credential scope date is the request date; the clock window (±15 minutes,
/// or `X-Amz-Expires` for presigned URLs); that the access key is known; that
/// a hex `x-amz-content-sha256` matches the body; and finally the signature.
pub fn verify(
    req: &Request<'_>,
    creds: &dyn CredentialProvider,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let auth = parse::auth_params(req)?;
    let amz_date = auth.timestamp.amz();
    let request_day = auth.timestamp.date();
    if auth.scope.date != request_day {
        return Err(AuthError::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{}' != '{}', from '{}'.",
            auth.scope.date, request_day, amz_date
        )));
    }
    match auth.mode {
        Mode::Header | Mode::Presigned { expires: None } => {
            clock::check_skew(auth.timestamp, now)?;
        }
        Mode::Presigned {
            expires: Some(expires),
        } => clock::check_presigned(auth.timestamp, expires, now)?,
    }

    let secret = creds
        .lookup(&auth.scope.access_key_id)
        .ok_or(AuthError::UnrecognizedClient)?;
    let payload_hashes = payload_hash_candidates(req, &auth)?;

    let scope = &auth.scope;
    let key = signing_key(
        &secret.secret_access_key,
        &scope.date,
        &scope.region,
        &scope.service,
    );
    let scope_line = format!(
        "{}/{}/{}/{TERMINATOR}",
        scope.date, scope.region, scope.service
    );
    let skip = match auth.mode {
        Mode::Header => None,
        Mode::Presigned { .. } => Some(Q_SIGNATURE),
    };
    let uri = canonical_uri(req.path);
    let query = canonical_query(&auth.query, skip);
    let headers = canonical_headers(req.headers, &auth.signed_headers);

    let mut first_attempt = None;
    for payload_hash in &payload_hashes {
        let creq = canonical_request(
            req.method,
            &uri,
            &query,
            &headers,
            &auth.signed_headers_raw,
            payload_hash,
        );
        let sts = string_to_sign(&amz_date, &scope_line, &creq);
        if signature_matches(&key, &sts, &auth.signature) {
            return Ok(Verified {
                access_key_id: auth.scope.access_key_id,
                account_id: secret.account_id,
                region: auth.scope.region,
                service: auth.scope.service,
            });
        }
        first_attempt.get_or_insert((creq, sts));
    }
    let (creq, sts) = first_attempt.unwrap_or_default();
    Err(AuthError::SignatureDoesNotMatch {
        canonical_request: String::from_utf8_lossy(&creq).into_owned(),
        string_to_sign: sts,
    })
}

/// The payload hashes the client may have signed with.
///
/// * Header form with `x-amz-content-sha256`: that value, which must be
///   `UNSIGNED-PAYLOAD` or the hex SHA-256 of the body actually received.
/// * Header form without it: hex SHA-256 of the body.
/// * Presigned form: the body hash (botocore, aws-sigv4 for non-S3 services)
///   or `UNSIGNED-PAYLOAD` (S3-style presigners); both are tried.
fn payload_hash_candidates(req: &Request<'_>, auth: &AuthParams) -> Result<Vec<String>, AuthError> {
    let body_hash = sha256_hex(req.body);
    if let Mode::Presigned { .. } = auth.mode {
        return Ok(vec![body_hash, UNSIGNED_PAYLOAD.to_string()]);
    }
    let Some(declared) = req.headers.get("x-amz-content-sha256") else {
        return Ok(vec![body_hash]);
    };
    let declared = String::from_utf8_lossy(declared.as_bytes());
    let declared = declared.trim();
    if declared == UNSIGNED_PAYLOAD {
        return Ok(vec![declared.to_string()]);
    }
    if declared.len() == 64 && declared.bytes().all(|b| b.is_ascii_hexdigit()) {
        if declared.eq_ignore_ascii_case(&body_hash) {
            return Ok(vec![declared.to_string()]);
        }
        return Err(AuthError::ContentSha256Mismatch);
    }
    Err(AuthError::incomplete(format!(
        "x-amz-content-sha256 must be '{UNSIGNED_PAYLOAD}' or the hex SHA-256 of the body, \
         not '{declared}'."
    )))
}

/// Reads the credential scope (access key, date, region, service) without
/// verifying anything, e.g. to route a request by service before verifying it.
pub fn credential_scope(req: &Request<'_>) -> Option<Scope> {
    parse::scope_of(req)
}

/// The request's session token (temporary credentials): the `X-Amz-Security-Token` header,
/// or the presigned query's parameter of that name.
pub fn security_token(req: &Request<'_>) -> Option<String> {
    if let Some(v) = req.headers.get("x-amz-security-token") {
        return v.to_str().ok().map(str::to_owned);
    }
    crate::canonical::parse_query(req.query?)
        .into_iter()
        .find(|p| p.name_is("X-Amz-Security-Token"))
        .and_then(|p| String::from_utf8(p.value).ok())
}
