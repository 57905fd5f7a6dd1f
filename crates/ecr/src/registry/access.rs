//! Who a registry request is from, which registry it is for, and whether it may.
//!
//! Credentials: ECR's token password as HTTP Basic (user `AWS`) or Bearer, or the
//! `X-Berth-Token` query parameter of a GetDownloadUrlForLayer URL. The registry: the
//! account of a `<account>.dkr.ecr.<region>.<domain>` Host (AWS-shaped names, when DNS or a
//! proxy sends them here), else an `X-Berth-Registry` query parameter, else the caller's own.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::HeaderMap;
use berth_aws::RequestContext;

use super::error::RegistryError;
use crate::content;
use crate::ops::DOWNLOAD_TOKEN_PARAM;
use crate::records::RepositoryRec;
use crate::token::{self, TokenError};
use crate::Ecr;

/// The query parameter naming the registry a download URL is for.
pub const REGISTRY_PARAM: &str = "X-Berth-Registry";

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub account: String,
    pub access_key_id: String,
}

impl Caller {
    /// The caller's principal ARN (an account's keys act as its root; empty for nobody).
    pub fn principal(&self) -> String {
        if self.account.is_empty() {
            String::new()
        } else {
            format!("arn:aws:iam::{}:root", self.account)
        }
    }
}

/// The 401 a request without good credentials gets.
pub fn challenge(ecr: &Ecr, message: &str) -> RegistryError {
    RegistryError::unauthorized(ecr.registry_url(), message)
}

/// The caller of a request; None if it carries no credentials at all.
pub fn authenticate(
    ecr: &Ecr,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Option<Caller>, RegistryError> {
    let password = match headers.get("authorization").map(|v| v.to_str()) {
        Some(Ok(v)) => {
            token::password_of_header(v).ok_or_else(|| challenge(ecr, "Not Authorized"))?
        }
        Some(Err(_)) => return Err(challenge(ecr, "Not Authorized")),
        None => match query.get(DOWNLOAD_TOKEN_PARAM) {
            Some(p) => p.clone(),
            None => return Ok(None),
        },
    };
    match token::verify(&ecr.token_key, &password, ecr.now()) {
        Ok(g) => Ok(Some(Caller {
            account: g.account,
            access_key_id: g.access_key_id,
        })),
        Err(TokenError::Expired) => Err(RegistryError::denied(TokenError::Expired.to_string())),
        Err(e) => Err(challenge(ecr, &e.to_string())),
    }
}

/// The registry an AWS-shaped Host header or the `X-Berth-Registry` parameter names.
pub fn registry_of(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<String> {
    let twelve = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if let Some((account, rest)) = host.split_once('.') {
        if twelve(account) && rest.starts_with("dkr.ecr.") {
            return Some(account.to_owned());
        }
    }
    query.get(REGISTRY_PARAM).filter(|a| twelve(a)).cloned()
}

/// The repository of a request, if the caller may do `action` on it.
pub fn permit(
    ecr: &Ecr,
    ask: &super::Ask,
    action: &str,
) -> Result<Arc<RepositoryRec>, RegistryError> {
    let repo = ecr
        .db
        .read(|s| content::repository(s, &ask.account, &ask.name))
        .map_err(|e| RegistryError::from_ecr(e, &ask.name))?;
    let mut ctx = RequestContext::for_account(&ask.caller.account, ecr.region());
    ctx.access_key_id = ask.caller.access_key_id.clone();
    ecr.may(&ctx, &repo, action)
        .map_err(|e| RegistryError::from_ecr(e, &ask.name))?;
    Ok(repo)
}
