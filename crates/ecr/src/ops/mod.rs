//! The operations, one module per resource, and what they share: the registry a request
//! names, repository views, ARNs, pages.

mod account;
mod auth;
mod backfill;
mod images;
mod layers;
mod lifecycle;
mod policies;
mod pull_exclusions;
mod pull_through;
mod referrers;
mod registry_scanning;
mod replication;
mod repositories;
mod scans;
mod tags;
mod templates;

use berth_aws::arn::Arn;
use berth_aws::RequestContext;
use berth_ecr_model::shapes::{ImageScanningConfiguration, Repository};

use crate::error::{EcrError, Result};
use crate::records::RepositoryRec;
use crate::Ecr;

pub(crate) use account::BLOB_MOUNTING;
pub(crate) use layers::DOWNLOAD_TOKEN_PARAM;
pub use lifecycle::Sweep;
pub(crate) use pull_through::upstream_base;
pub(crate) use registry_scanning::scans_on_push;

/// The registry (account) a request names with `registryId`: the caller's by default.
/// Another account's registry is reached only where its policies let the caller in
/// ([`Ecr::may`]).
pub(crate) fn registry_of(ctx: &RequestContext, registry_id: Option<&str>) -> Result<String> {
    match registry_id {
        None => Ok(ctx.account.clone()),
        Some(id) if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => Ok(id.to_owned()),
        Some(id) => Err(EcrError::invalid(format!(
            "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{{12}}'' (got '{id}')"
        ))),
    }
}

pub(crate) fn repository_arn(ctx: &RequestContext, account: &str, name: &str) -> String {
    let mut arn = Arn::new(ctx, "ecr", &format!("repository/{name}"));
    arn.account = account.to_owned();
    arn.to_string()
}

pub(crate) fn required<'a>(v: &'a Option<String>, member: &str) -> Result<&'a str> {
    v.as_deref().ok_or_else(|| missing(member))
}

pub(crate) fn missing(member: &str) -> EcrError {
    EcrError::invalid(format!(
        "Invalid parameter at '{member}' failed to satisfy constraint: 'must not be null'"
    ))
}

impl Ecr {
    pub(crate) fn repository_view(&self, ctx: &RequestContext, r: &RepositoryRec) -> Repository {
        Repository {
            repository_arn: Some(repository_arn(ctx, &r.account, &r.name)),
            registry_id: Some(r.account.clone()),
            repository_name: Some(r.name.clone()),
            repository_uri: Some(format!("{}/{}", self.registry_host(), r.name)),
            created_at: Some(r.created_at),
            image_tag_mutability: Some(berth_ecr_model::shapes::ImageTagMutability::parse(
                &r.tag_mutability,
            )),
            image_tag_mutability_exclusion_filters: (!r.mutability_exclusions.is_empty())
                .then(|| r.mutability_exclusions.clone()),
            image_scanning_configuration: Some(ImageScanningConfiguration {
                scan_on_push: Some(r.scan_on_push),
            }),
            encryption_configuration: Some(r.encryption.clone()),
        }
    }
}

/// The page size of a `maxResults` (the model checks its range).
pub(crate) fn limit(l: Option<i32>, default: usize) -> usize {
    l.and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// Walks `(key, item)` pairs (sorted) from a `nextToken`.
pub(crate) fn page<T>(
    items: impl IntoIterator<Item = (String, T)>,
    token: Option<&str>,
    size: usize,
) -> Result<berth_aws::page::Page<T>> {
    berth_aws::page::paginate(items, token, size)
        .map_err(|_| EcrError::invalid("Invalid parameter at 'nextToken' failed to satisfy constraint: 'the token is not one this service issued'"))
}

/// The answer of an operation whose output shape is empty: `{}`.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Empty {}
