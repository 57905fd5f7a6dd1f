//! The operations, one module per resource, and what they share: names, ARNs, finding a
//! group by name or ARN.

mod events_filter;
mod events_get;
mod events_put;
mod groups;
mod metric_filters;
mod retention;
mod streams;
mod subscription_filters;
mod tags;

use std::sync::Arc;

use berth_aws::arn::Arn;
use berth_aws::RequestContext;

use crate::error::{LogsError, Result};
use crate::records::{group_key, GroupRec};
use crate::state::State;

/// `arn:…:log-group:NAME:*`, as DescribeLogGroups' `arn` reads.
pub(crate) fn group_arn(ctx: &RequestContext, name: &str) -> String {
    format!("{}:*", group_arn_bare(ctx, name))
}

/// `arn:…:log-group:NAME`, as `logGroupArn` and the tagging operations read.
pub(crate) fn group_arn_bare(ctx: &RequestContext, name: &str) -> String {
    Arn::new(ctx, "logs", &format!("log-group:{name}")).to_string()
}

pub(crate) fn stream_arn(ctx: &RequestContext, group: &str, stream: &str) -> String {
    Arn::new(
        ctx,
        "logs",
        &format!("log-group:{group}:log-stream:{stream}"),
    )
    .to_string()
}

/// A log group name: 1-512 of `[.\-_/#A-Za-z0-9]`.
pub(crate) fn check_group_name(name: &str, member: &str) -> Result<()> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "._-/#".contains(c);
    if name.is_empty() || name.len() > 512 || !name.chars().all(ok) {
        return Err(LogsError::invalid(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
        )));
    }
    Ok(())
}

/// A log stream name: 1-512 characters, no `:` or `*`.
pub(crate) fn check_stream_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 512 || name.contains([':', '*']) {
        return Err(LogsError::invalid(format!(
            "1 validation error detected: Value '{name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*"
        )));
    }
    Ok(())
}

/// The group a request names by `logGroupName` or `logGroupIdentifier` (a name or an ARN,
/// with or without `:*`); exactly one of them.
pub(crate) fn group_name_of(
    ctx: &RequestContext,
    name: Option<&str>,
    identifier: Option<&str>,
) -> Result<String> {
    match (name, identifier) {
        (Some(_), Some(_)) => Err(LogsError::invalid(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        )),
        (Some(n), None) => Ok(n.to_owned()),
        (None, Some(id)) if id.starts_with("arn:") => {
            let arn = Arn::parse(id)
                .ok_or_else(|| LogsError::invalid("The logGroupIdentifier is not a valid ARN."))?;
            if !arn.is_local(ctx, "logs") {
                return Err(LogsError::no_group());
            }
            let rest = arn.resource.strip_prefix("log-group:").ok_or_else(|| {
                LogsError::invalid("The logGroupIdentifier is not a log group ARN.")
            })?;
            Ok(rest.strip_suffix(":*").unwrap_or(rest).to_owned())
        }
        (None, Some(id)) => Ok(id.to_owned()),
        (None, None) => Err(LogsError::invalid(
            "Either logGroupName or logGroupIdentifier must be specified.",
        )),
    }
}

/// The caller's group named `name`.
pub(crate) fn find_group(state: &State, ctx: &RequestContext, name: &str) -> Result<Arc<GroupRec>> {
    state
        .groups
        .get(&group_key(&ctx.account, name))
        .cloned()
        .ok_or_else(LogsError::no_group)
}

/// The page size of a `limit` (the model checks its range).
pub(crate) fn limit(l: Option<i32>, default: usize) -> usize {
    l.and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

pub(crate) fn bad_token() -> LogsError {
    LogsError::invalid("The specified nextToken is invalid.")
}

/// Walks `(key, item)` pairs (sorted) from a `nextToken`.
pub(crate) fn page<T>(
    items: impl IntoIterator<Item = (String, T)>,
    token: Option<&str>,
    size: usize,
) -> Result<berth_aws::page::Page<T>> {
    berth_aws::page::paginate(items, token, size).map_err(|_| bad_token())
}

/// The answer of an operation whose output shape is empty: `{}`.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Empty {}
