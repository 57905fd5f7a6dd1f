//! The operations, one module per resource, and what they share: ids, ARNs, finding a
//! namespace or service by id or ARN, recording an operation.

mod discover;
pub(crate) mod filters;
pub(crate) mod instance_attrs;
mod instances;
mod namespaces;
mod operations;
mod services;
mod tags;

use std::sync::Arc;

use berth_aws::arn::Arn;
use berth_aws::RequestContext;

use crate::error::{CloudMapError, Result};
use crate::records::{key, NamespaceRec, OperationRec, ServiceRec};
use crate::state::{State, Tx};

/// The empty answer of an operation without output members.
#[derive(serde::Serialize)]
pub(crate) struct Empty {}

/// `<prefix>` and 16 random lowercase letters and digits (`ns-…`, `srv-…`).
pub(crate) fn new_id(prefix: &str) -> String {
    let hex = berth_aws::ids::hex_id();
    format!("{prefix}{}", &hex[..16])
}

/// An operation id as Cloud Map's look: 32 characters, `-`, 8 more.
pub(crate) fn new_operation_id() -> String {
    let a = berth_aws::ids::hex_id();
    let b = berth_aws::ids::hex_id();
    format!("{a}-{}", &b[..8])
}

/// A hosted zone id: `Z` and 20 upper-case letters and digits.
pub(crate) fn new_hosted_zone_id() -> String {
    let hex = berth_aws::ids::hex_id().to_ascii_uppercase();
    format!("Z{}", &hex[..20])
}

pub(crate) fn arn_of(ctx: &RequestContext, kind: &str, id: &str) -> String {
    Arn::new(ctx, "servicediscovery", &format!("{kind}/{id}")).to_string()
}

/// The id an `Id`/`ServiceId` member names: a bare id, or an ARN of the caller's (other
/// accounts' resources are not shared in Berth: they are not found).
fn id_from<'a>(ctx: &RequestContext, text: &'a str, kind: &str) -> Option<&'a str> {
    match text.strip_prefix("arn:") {
        None => Some(text),
        Some(_) => {
            let arn = Arn::parse(text)?;
            if arn.account != ctx.account || arn.region != ctx.region {
                return None;
            }
            let id = arn.resource.strip_prefix(kind)?.strip_prefix('/')?;
            // The slice of `text` the id is.
            text.get(text.len() - id.len()..)
        }
    }
}

pub(crate) fn namespace_not_found(id: &str) -> CloudMapError {
    CloudMapError::NamespaceNotFound(format!("Namespace not found: {id}"))
}

pub(crate) fn service_not_found(id: &str) -> CloudMapError {
    CloudMapError::ServiceNotFound(format!("Service not found: {id}"))
}

pub(crate) fn find_namespace(
    state: &State,
    ctx: &RequestContext,
    text: &str,
) -> Result<Arc<NamespaceRec>> {
    id_from(ctx, text, "namespace")
        .and_then(|id| state.namespaces.get(&key(&ctx.account, id)))
        .cloned()
        .ok_or_else(|| namespace_not_found(text))
}

pub(crate) fn find_service(
    state: &State,
    ctx: &RequestContext,
    text: &str,
) -> Result<Arc<ServiceRec>> {
    id_from(ctx, text, "service")
        .and_then(|id| state.services.get(&key(&ctx.account, id)))
        .cloned()
        .ok_or_else(|| service_not_found(text))
}

/// Records a finished operation on `targets` and answers its id.
pub(crate) fn record_operation(
    tx: &mut Tx<'_>,
    ctx: &RequestContext,
    kind: &str,
    targets: &[(&str, &str)],
    token: Option<&str>,
    now: f64,
) -> Result<String> {
    let id = new_operation_id();
    tx.put(OperationRec {
        account: ctx.account.clone(),
        id: id.clone(),
        kind: kind.into(),
        status: "SUCCESS".into(),
        error_code: None,
        error_message: None,
        created: now,
        updated: now,
        targets: targets
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        request_token: token.map(str::to_owned),
    })?;
    Ok(id)
}

/// A retried call: the operation an earlier call with the same request token made, if it was
/// of `kind` on the same target.
pub(crate) fn retried(
    state: &State,
    ctx: &RequestContext,
    token: Option<&str>,
    kind: &str,
    target: (&str, &str),
) -> Option<String> {
    let token = token?;
    state
        .operations_of(&ctx.account)
        .find(|o| {
            o.request_token.as_deref() == Some(token)
                && o.kind == kind
                && o.target(target.0) == Some(target.1)
        })
        .map(|o| o.id.clone())
}

/// A DNS label as Cloud Map takes them: 1 to 63 letters, digits, `-` and `_`, not starting
/// or ending with `-`.
pub(crate) fn dns_label(l: &str) -> bool {
    (1..=63).contains(&l.len())
        && l.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !l.starts_with('-')
        && !l.ends_with('-')
}

/// A listing's page size: `MaxResults` of 1 to 100, 100 if absent.
pub(crate) fn page_size(max_results: Option<i32>) -> Result<usize> {
    berth_aws::page::page_size(max_results, 100, 100)
        .map_err(|e| CloudMapError::invalid(e.to_string()))
}

/// The page of key-ordered `items` after `token`.
pub(crate) fn page<T>(
    items: impl IntoIterator<Item = (String, T)>,
    token: Option<&str>,
    size: usize,
) -> Result<berth_aws::page::Page<T>> {
    berth_aws::page::paginate(items, token, size)
        .map_err(|_| CloudMapError::invalid("The NextToken is not valid."))
}

/// Checks a record TTL (0 to 2^31-1 seconds).
pub(crate) fn check_ttl(ttl: Option<i64>, what: &str) -> Result<i64> {
    match ttl {
        Some(t) if (0..=i64::from(i32::MAX)).contains(&t) => Ok(t),
        Some(t) => Err(CloudMapError::invalid(format!(
            "{what} TTL {t} is out of range (0 to 2147483647)."
        ))),
        None => Err(CloudMapError::invalid(format!("{what} TTL is required."))),
    }
}
