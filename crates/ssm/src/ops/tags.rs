//! AddTagsToResource, RemoveTagsFromResource, ListTagsForResource, for parameters.

use berth_aws::tags::{Ordered, TagError};
use berth_aws::RequestContext;
use berth_ssm_model::shapes::*;

use super::Empty;
use crate::error::{Result, SsmError};
use crate::records::{param_key, ParamRec};
use crate::Ssm;

fn tag_error(e: TagError) -> SsmError {
    match e {
        TagError::TooMany => SsmError::TooManyTags(e.to_string()),
        other => SsmError::invalid(other.to_string()),
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

fn ordered(p: &ParamRec) -> Ordered {
    Ordered {
        map: p.tags.clone(),
        order: p.tag_order.clone(),
    }
}

fn store(p: &mut ParamRec, t: Ordered) {
    p.tags = t.map;
    p.tag_order = t.order;
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
        let new = check_tags(req.tags.as_deref().unwrap_or_default())?;
        self.retag(ctx, req.resource_id.as_deref().unwrap_or_default(), |p| {
            let merged = ordered(p).merged(&new).map_err(tag_error)?;
            store(p, merged);
            Ok(())
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
            let kept = ordered(p).without(&keys);
            store(p, kept);
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
        Ok(ListTagsForResourceResult {
            tag_list: Some(
                ordered(&p)
                    .in_order()
                    .into_iter()
                    .map(|(k, v)| Tag {
                        key: Some(k.clone()),
                        value: Some(v.clone()),
                    })
                    .collect(),
            ),
        })
    }
}
