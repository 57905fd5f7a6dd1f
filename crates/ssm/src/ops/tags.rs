//! AddTagsToResource, RemoveTagsFromResource, ListTagsForResource, for parameters.

use std::collections::BTreeMap;

use berth_aws::RequestContext;
use berth_ssm_model::shapes::*;

use super::Empty;
use crate::error::{Result, SsmError};
use crate::records::{param_key, ParamRec};
use crate::Ssm;

/// Checks tags against AWS's rules; answers them as a map and their keys in order.
pub(crate) fn check_tags(tags: &[Tag]) -> Result<(BTreeMap<String, String>, Vec<String>)> {
    let pairs: Vec<(&str, &str)> = tags
        .iter()
        .map(|t| {
            (
                t.key.as_deref().unwrap_or_default(),
                t.value.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    berth_aws::tags::check(pairs.iter().copied()).map_err(|e| match e {
        berth_aws::tags::TagError::TooMany => SsmError::TooManyTags(e.to_string()),
        other => SsmError::invalid(other.to_string()),
    })?;
    let order = pairs.iter().map(|(k, _)| (*k).to_owned()).collect();
    Ok((
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        order,
    ))
}

fn only_parameters(t: Option<&ResourceTypeForTagging>) -> Result<()> {
    match t.map(|t| t.as_str()) {
        Some("Parameter") => Ok(()),
        other => Err(SsmError::InvalidResourceType(format!(
            "Berth's Systems Manager tags parameters only, not {}.",
            other.unwrap_or("that")
        ))),
    }
}

impl Ssm {
    /// Changes the tags of parameter `id` in one write.
    fn retag(
        &self,
        ctx: &RequestContext,
        id: &str,
        f: impl FnOnce(&mut ParamRec) -> Result<()>,
    ) -> Result<()> {
        self.db.write(|tx| {
            let key = param_key(&ctx.account, id);
            let p = tx.state.params.get(&key).cloned().ok_or_else(|| {
                SsmError::InvalidResourceId(format!("The resource ID {id} is not valid."))
            })?;
            let mut p = (*p).clone();
            f(&mut p)?;
            tx.put(p)
        })
    }

    pub(crate) fn add_tags_to_resource(
        &self,
        ctx: &RequestContext,
        req: AddTagsToResourceRequest,
    ) -> Result<Empty> {
        only_parameters(req.resource_type.as_ref())?;
        let (new, order) = check_tags(req.tags.as_deref().unwrap_or_default())?;
        self.retag(ctx, req.resource_id.as_deref().unwrap_or_default(), |p| {
            for k in &order {
                if !p.tags.contains_key(k) {
                    p.tag_order.push(k.clone());
                }
            }
            p.tags.extend(new);
            let all: Vec<Tag> = p
                .tags
                .iter()
                .map(|(k, v)| Tag {
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect();
            check_tags(&all).map(|_| ())
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn remove_tags_from_resource(
        &self,
        ctx: &RequestContext,
        req: RemoveTagsFromResourceRequest,
    ) -> Result<Empty> {
        only_parameters(req.resource_type.as_ref())?;
        let keys = req.tag_keys.clone().unwrap_or_default();
        self.retag(ctx, req.resource_id.as_deref().unwrap_or_default(), |p| {
            for k in &keys {
                p.tags.remove(k);
            }
            p.tag_order.retain(|k| !keys.contains(k));
            Ok(())
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        req: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResult> {
        only_parameters(req.resource_type.as_ref())?;
        let id = req.resource_id.clone().unwrap_or_default();
        let p = self
            .db
            .read(|s| s.params.get(&param_key(&ctx.account, &id)).cloned())
            .ok_or_else(|| {
                SsmError::InvalidResourceId(format!("The resource ID {id} is not valid."))
            })?;
        let mut keys: Vec<&String> = p
            .tag_order
            .iter()
            .filter(|k| p.tags.contains_key(*k))
            .collect();
        keys.extend(p.tags.keys().filter(|k| !p.tag_order.contains(k)));
        Ok(ListTagsForResourceResult {
            tag_list: Some(
                keys.into_iter()
                    .map(|k| Tag {
                        key: Some(k.clone()),
                        value: p.tags.get(k).cloned(),
                    })
                    .collect(),
            ),
        })
    }
}
