//! TagResource, UntagResource, ListTagsForResource, for namespaces and services (by ARN).

use berth_aws::arn::Arn;
use berth_aws::tags::{check_keys, Ordered, TagError};
use berth_aws::RequestContext;
use berth_servicediscovery_model::shapes::*;

use super::Empty;
use crate::error::{CloudMapError, Result};
use crate::records::{key, NamespaceRec, ServiceRec};
use crate::CloudMap;

fn tag_error(e: TagError) -> CloudMapError {
    match e {
        TagError::TooMany => CloudMapError::TooManyTags(e.to_string()),
        other => CloudMapError::invalid(other.to_string()),
    }
}

/// Checks tags against AWS's rules, keeping their order.
pub(crate) fn check_tags(tags: &[Tag]) -> Result<Ordered> {
    Ordered::checked(tags.iter().map(|t| {
        (
            t.key.as_deref().unwrap_or_default(),
            t.value.as_deref().unwrap_or_default(),
        )
    }))
    .map_err(tag_error)
}

/// What a tagging ARN names.
enum Target {
    Namespace(String),
    Service(String),
}

fn target(ctx: &RequestContext, text: &str) -> Result<Target> {
    let not_found = || CloudMapError::ResourceNotFound(format!("Resource {text} not found."));
    let arn = Arn::parse(text)
        .ok_or_else(|| CloudMapError::invalid(format!("ResourceARN '{text}' is not an ARN.")))?;
    if arn.service != "servicediscovery" || arn.account != ctx.account || arn.region != ctx.region {
        return Err(not_found());
    }
    match arn.resource.split_once('/') {
        Some(("namespace", id)) => Ok(Target::Namespace(key(&ctx.account, id))),
        Some(("service", id)) => Ok(Target::Service(key(&ctx.account, id))),
        _ => Err(not_found()),
    }
}

fn tag_list(t: &Ordered) -> Vec<Tag> {
    t.in_order()
        .into_iter()
        .map(|(k, v)| Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

impl CloudMap {
    /// Changes the tags of the resource `arn` names, in one write.
    fn retag(
        &self,
        ctx: &RequestContext,
        arn: &str,
        f: impl Fn(Ordered) -> Result<Ordered>,
    ) -> Result<()> {
        let t = target(ctx, arn)?;
        let not_found = || CloudMapError::ResourceNotFound(format!("Resource {arn} not found."));
        self.db.write(|tx| match &t {
            Target::Namespace(k) => {
                let n = tx.state.namespaces.get(k).cloned().ok_or_else(not_found)?;
                let mut n: NamespaceRec = (*n).clone();
                let tags = f(Ordered {
                    map: n.tags.clone(),
                    order: n.tag_order.clone(),
                })?;
                (n.tags, n.tag_order) = (tags.map, tags.order);
                tx.put(n)
            }
            Target::Service(k) => {
                let s = tx.state.services.get(k).cloned().ok_or_else(not_found)?;
                let mut s: ServiceRec = (*s).clone();
                let tags = f(Ordered {
                    map: s.tags.clone(),
                    order: s.tag_order.clone(),
                })?;
                (s.tags, s.tag_order) = (tags.map, tags.order);
                tx.put(s)
            }
        })
    }

    pub(crate) fn tag_resource(
        &self,
        ctx: &RequestContext,
        req: TagResourceRequest,
    ) -> Result<Empty> {
        let new = check_tags(req.tags.as_deref().unwrap_or_default())?;
        let arn = req.resource_arn.unwrap_or_default();
        self.retag(ctx, &arn, |old| old.merged(&new).map_err(tag_error))?;
        Ok(Empty {})
    }

    pub(crate) fn untag_resource(
        &self,
        ctx: &RequestContext,
        req: UntagResourceRequest,
    ) -> Result<Empty> {
        let keys = req.tag_keys.unwrap_or_default();
        check_keys(keys.iter().map(String::as_str)).map_err(tag_error)?;
        let arn = req.resource_arn.unwrap_or_default();
        self.retag(ctx, &arn, |old| Ok(old.without(&keys)))?;
        Ok(Empty {})
    }

    pub(crate) fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        req: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse> {
        let arn = req.resource_arn.unwrap_or_default();
        let not_found = || CloudMapError::ResourceNotFound(format!("Resource {arn} not found."));
        let state = self.db.snapshot();
        let tags = match target(ctx, &arn)? {
            Target::Namespace(k) => {
                let n = state.namespaces.get(&k).ok_or_else(not_found)?;
                Ordered {
                    map: n.tags.clone(),
                    order: n.tag_order.clone(),
                }
            }
            Target::Service(k) => {
                let s = state.services.get(&k).ok_or_else(not_found)?;
                Ordered {
                    map: s.tags.clone(),
                    order: s.tag_order.clone(),
                }
            }
        };
        Ok(ListTagsForResourceResponse {
            tags: Some(tag_list(&tags)),
        })
    }
}
