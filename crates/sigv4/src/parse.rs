//! Reading the authentication parameters out of a request, from either the
//! `Authorization` header or the presigned-URL query parameters, and checking
//! that they are complete and well formed. Nothing here needs a secret.
//!
//! Header form:
//! ```text
//! Authorization: AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ecs/aws4_request,
//!                SignedHeaders=host;x-amz-date, Signature=<64 hex>
//! X-Amz-Date: 20150830T123600Z        (or, failing that, a Date header)
//! ```
//! Query form: `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
//! `X-Amz-SignedHeaders`, `X-Amz-Signature`, optionally `X-Amz-Expires`
//! (and `X-Amz-Security-Token`, which is simply part of the signed query).

use http::header::{AUTHORIZATION, DATE};
use http::HeaderValue;

use crate::canonical::{parse_query, QueryParam};
use crate::clock::{Timestamp, MAX_EXPIRES_SECS};
use crate::signing::{ALGORITHM, TERMINATOR};
use crate::{AuthError, Request, Scope};

pub(crate) const Q_ALGORITHM: &str = "X-Amz-Algorithm";
pub(crate) const Q_CREDENTIAL: &str = "X-Amz-Credential";
pub(crate) const Q_DATE: &str = "X-Amz-Date";
pub(crate) const Q_EXPIRES: &str = "X-Amz-Expires";
pub(crate) const Q_SIGNED_HEADERS: &str = "X-Amz-SignedHeaders";
pub(crate) const Q_SIGNATURE: &str = "X-Amz-Signature";

const HOST_NOT_SIGNED: &str =
    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";

/// Where the signature was carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `Authorization` header.
    Header,
    /// Presigned URL; `expires` is `X-Amz-Expires` when given.
    Presigned { expires: Option<u64> },
}

/// Complete, well-formed authentication parameters of one request.
#[derive(Debug, Clone)]
pub(crate) struct AuthParams {
    pub(crate) mode: Mode,
    pub(crate) scope: Scope,
    /// `SignedHeaders` exactly as sent (it goes into the canonical request as is).
    pub(crate) signed_headers_raw: String,
    /// The same names, lowercased, in the order sent.
    pub(crate) signed_headers: Vec<String>,
    pub(crate) signature: String,
    pub(crate) timestamp: Timestamp,
    /// All query parameters, decoded.
    pub(crate) query: Vec<QueryParam>,
}

/// The pieces of an `Authorization` header value, not yet validated.
struct HeaderParts<'a> {
    credential: Option<&'a str>,
    signed_headers: Option<&'a str>,
    signature: Option<&'a str>,
}

/// Extracts and validates the authentication parameters of `req`.
pub(crate) fn auth_params(req: &Request<'_>) -> Result<AuthParams, AuthError> {
    let query = parse_query(req.query.unwrap_or(""));
    let presigned = [Q_ALGORITHM, Q_CREDENTIAL, Q_SIGNATURE]
        .iter()
        .any(|name| query.iter().any(|p| p.name_is(name)));
    let mut authorization = req.headers.get_all(AUTHORIZATION).iter();
    let first_auth = authorization.next();
    if authorization.next().is_some() {
        return Err(AuthError::incomplete(
            "Only one Authorization header may be sent.",
        ));
    }
    match (first_auth, presigned) {
        (Some(_), true) => Err(AuthError::incomplete(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, \
             Signature query string parameter or the Authorization header should be specified",
        )),
        (Some(value), false) => from_header(req, value, query),
        (None, true) => from_query(query),
        (None, false) => Err(AuthError::MissingAuthenticationToken),
    }
}

/// The credential scope of `req`, if one can be read; no other checks.
pub(crate) fn scope_of(req: &Request<'_>) -> Option<Scope> {
    if let Some(value) = req.headers.get(AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (_, rest) = split_algorithm(value);
        return parse_credential(split_components(value, rest).ok()?.credential?).ok();
    }
    let query = parse_query(req.query.unwrap_or(""));
    let credential = single(&query, Q_CREDENTIAL).ok()??;
    parse_credential(&credential).ok()
}

fn split_algorithm(value: &str) -> (&str, &str) {
    let value = value.trim();
    value
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((value, ""))
}

fn split_components<'a>(whole: &str, rest: &'a str) -> Result<HeaderParts<'a>, AuthError> {
    let mut parts = HeaderParts {
        credential: None,
        signed_headers: None,
        signature: None,
    };
    for component in rest.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let Some((key, value)) = component.split_once('=') else {
            return Err(AuthError::incomplete(format!(
                "'{component}' not a valid key=value pair (missing equal-sign) in \
                 Authorization header: '{}'.",
                whole.trim()
            )));
        };
        let slot = match key.trim() {
            "Credential" => &mut parts.credential,
            "SignedHeaders" => &mut parts.signed_headers,
            "Signature" => &mut parts.signature,
            _ => continue,
        };
        if slot.is_some() {
            return Err(AuthError::incomplete(format!(
                "Authorization header has more than one '{}' parameter.",
                key.trim()
            )));
        }
        *slot = Some(value.trim());
    }
    Ok(parts)
}

fn from_header(
    req: &Request<'_>,
    value: &HeaderValue,
    query: Vec<QueryParam>,
) -> Result<AuthParams, AuthError> {
    let value = value.to_str().map_err(|_| {
        AuthError::incomplete(
            "The Authorization header contains characters that are not visible ASCII.",
        )
    })?;
    let (algorithm, rest) = split_algorithm(value);
    if algorithm != ALGORITHM {
        return Err(unsupported_algorithm(algorithm));
    }
    let parts = split_components(value, rest)?;
    let date_header = req
        .headers
        .get("x-amz-date")
        .map(|v| (v, true))
        .or_else(|| req.headers.get(DATE).map(|v| (v, false)));

    let mut missing = Vec::new();
    for (present, name) in [
        (parts.credential.is_some(), "Credential"),
        (parts.signature.is_some(), "Signature"),
        (parts.signed_headers.is_some(), "SignedHeaders"),
    ] {
        if !present {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    if date_header.is_none() {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .to_string(),
        );
    }
    let (Some(credential), Some(signature), Some(signed_headers), Some((date, is_amz))) = (
        parts.credential,
        parts.signature,
        parts.signed_headers,
        date_header,
    ) else {
        return Err(AuthError::incomplete(format!(
            "{} Authorization={}",
            missing.join(" "),
            value.trim()
        )));
    };

    let scope = parse_credential(credential)?;
    let date_text = String::from_utf8_lossy(date.as_bytes());
    let parsed = if is_amz {
        Timestamp::parse_amz(date_text.trim())
    } else {
        Timestamp::parse_http_date(date_text.trim())
    };
    let timestamp = parsed.ok_or_else(|| bad_date(&date_text))?;
    Ok(AuthParams {
        mode: Mode::Header,
        scope,
        signed_headers_raw: signed_headers.to_string(),
        signed_headers: parse_signed_headers(signed_headers)?,
        signature: signature.to_string(),
        timestamp,
        query,
    })
}

fn from_query(query: Vec<QueryParam>) -> Result<AuthParams, AuthError> {
    let algorithm = single(&query, Q_ALGORITHM)?;
    let credential = single(&query, Q_CREDENTIAL)?;
    let signature = single(&query, Q_SIGNATURE)?;
    let signed_headers = single(&query, Q_SIGNED_HEADERS)?;
    let date = single(&query, Q_DATE)?;
    let expires = single(&query, Q_EXPIRES)?;

    let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(date)) =
        (&algorithm, &credential, &signature, &signed_headers, &date)
    else {
        let missing: Vec<String> = [
            (algorithm.is_none(), Q_ALGORITHM),
            (credential.is_none(), Q_CREDENTIAL),
            (signature.is_none(), Q_SIGNATURE),
            (signed_headers.is_none(), Q_SIGNED_HEADERS),
            (date.is_none(), Q_DATE),
        ]
        .iter()
        .filter(|(absent, _)| *absent)
        .map(|(_, name)| format!("AWS query-string parameters must include '{name}'."))
        .collect();
        return Err(AuthError::incomplete(format!(
            "{} Re-examine the query-string parameters.",
            missing.join(" ")
        )));
    };
    if algorithm != ALGORITHM {
        return Err(unsupported_algorithm(algorithm));
    }
    let scope = parse_credential(credential)?;
    let timestamp = Timestamp::parse_amz(date).ok_or_else(|| bad_date(date))?;
    let expires = expires.as_deref().map(parse_expires).transpose()?;
    Ok(AuthParams {
        mode: Mode::Presigned { expires },
        scope,
        signed_headers_raw: signed_headers.clone(),
        signed_headers: parse_signed_headers(signed_headers)?,
        signature: signature.clone(),
        timestamp,
        query,
    })
}

/// The value of a query parameter that may appear at most once.
fn single(query: &[QueryParam], name: &str) -> Result<Option<String>, AuthError> {
    let mut found = query.iter().filter(|p| p.name_is(name));
    let Some(first) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(AuthError::incomplete(format!(
            "The query-string parameter '{name}' may appear only once."
        )));
    }
    String::from_utf8(first.value.clone())
        .map(Some)
        .map_err(|_| AuthError::incomplete(format!("'{name}' is not valid UTF-8.")))
}

fn parse_expires(text: &str) -> Result<u64, AuthError> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('-') {
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AuthError::incomplete("X-Amz-Expires must be non-negative"));
        }
    }
    let secs: u64 = text
        .parse()
        .map_err(|_| AuthError::incomplete("X-Amz-Expires should be a number"))?;
    if secs > MAX_EXPIRES_SECS {
        return Err(AuthError::incomplete(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES_SECS}"
        )));
    }
    Ok(secs)
}

/// `AKID/YYYYMMDD/region/service/aws4_request` into its parts.
pub(crate) fn parse_credential(credential: &str) -> Result<Scope, AuthError> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
        return Err(bad_credential(credential));
    };
    if [access_key_id, date, region, service]
        .iter()
        .any(|p| p.is_empty())
    {
        return Err(bad_credential(credential));
    }
    if *terminator != TERMINATOR {
        return Err(AuthError::incomplete(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'."
        )));
    }
    Ok(Scope {
        access_key_id: (*access_key_id).to_string(),
        date: (*date).to_string(),
        region: (*region).to_string(),
        service: (*service).to_string(),
    })
}

/// `host;x-amz-date;...` into lowercase names; `host` must be one of them.
fn parse_signed_headers(raw: &str) -> Result<Vec<String>, AuthError> {
    let names: Vec<String> = raw.split(';').map(str::to_ascii_lowercase).collect();
    if names.iter().any(|n| n.is_empty()) {
        return Err(AuthError::incomplete(format!(
            "SignedHeaders contains an empty header name: '{raw}'."
        )));
    }
    if !names.iter().any(|n| n == "host") {
        return Err(AuthError::incomplete(HOST_NOT_SIGNED));
    }
    Ok(names)
}

fn unsupported_algorithm(algorithm: &str) -> AuthError {
    AuthError::incomplete(format!(
        "Unsupported AWS 'algorithm': '{algorithm}'. Only '{ALGORITHM}' is supported."
    ))
}

fn bad_credential(credential: &str) -> AuthError {
    AuthError::incomplete(format!(
        "Credential must have exactly 5 slash-delimited elements, e.g. \
         keyid/date/region/service/term, got '{credential}'"
    ))
}

fn bad_date(date: &str) -> AuthError {
    AuthError::incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{date}'. See \
         http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_parsing() {
        let s = parse_credential("AKID/20150830/us-east-1/ecs/aws4_request").expect("valid");
        assert_eq!(
            (
                s.access_key_id.as_str(),
                s.date.as_str(),
                s.region.as_str(),
                s.service.as_str()
            ),
            ("AKID", "20150830", "us-east-1", "ecs")
        );
        for bad in [
            "",
            "AKID",
            "AKID/20150830/us-east-1/ecs",
            "A/K/ID/20150830/us-east-1/ecs/aws4_request",
            "/20150830/us-east-1/ecs/aws4_request",
            "AKID//us-east-1/ecs/aws4_request",
        ] {
            let err = parse_credential(bad).expect_err(bad);
            assert_eq!(err.code(), "IncompleteSignatureException", "{bad:?}");
        }
        let err = parse_credential("AKID/20150830/us-east-1/ecs/aws5_request").expect_err("term");
        assert!(err.to_string().contains("valid terminator"));
    }

    #[test]
    fn expires_parsing() {
        assert_eq!(parse_expires("3600").ok(), Some(3600));
        assert_eq!(parse_expires("0").ok(), Some(0));
        assert_eq!(parse_expires("604800").ok(), Some(604_800));
        assert!(parse_expires("604801").is_err());
        assert!(parse_expires("-1")
            .expect_err("neg")
            .to_string()
            .contains("non-negative"));
        assert!(parse_expires("soon").is_err());
        assert!(parse_expires("99999999999999999999999").is_err());
    }

    #[test]
    fn signed_headers_must_include_host() {
        assert_eq!(
            parse_signed_headers("Host;X-Amz-Date").ok(),
            Some(vec!["host".to_string(), "x-amz-date".to_string()])
        );
        assert_eq!(
            parse_signed_headers("x-amz-date")
                .expect_err("no host")
                .to_string(),
            HOST_NOT_SIGNED
        );
        assert!(parse_signed_headers("host;;x-amz-date").is_err());
        assert!(parse_signed_headers("").is_err());
    }
}
