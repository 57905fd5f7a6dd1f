//! TagUser, UntagUser, ListUserTags, TagRole, UntagRole, ListRoleTags.

use berth_aws::tags::Ordered;
use berth_aws::RequestContext;
use berth_iam_model::shapes::*;

use super::entities::Entity;
use super::{checked_tags, page, tag_list, Empty};
use crate::error::{IamError, Result};
use crate::Iam;

/// Merges `new` into stored tags (a key given again takes the new value, keeping its place).
pub(crate) fn merge_into(
    tags: &mut std::collections::BTreeMap<String, String>,
    order: &mut Vec<String>,
    new: &Ordered,
) -> Result<()> {
    let had = Ordered {
        map: std::mem::take(tags),
        order: std::mem::take(order),
    };
    let merged = had
        .merged(new)
        .map_err(|e| IamError::LimitExceeded(e.to_string()))?;
    *tags = merged.map;
    *order = merged.order;
    Ok(())
}

/// Removes `keys` from stored tags.
pub(crate) fn remove_from(
    tags: &mut std::collections::BTreeMap<String, String>,
    order: &mut Vec<String>,
    keys: &[String],
) {
    let left = Ordered {
        map: std::mem::take(tags),
        order: std::mem::take(order),
    }
    .without(keys);
    *tags = left.map;
    *order = left.order;
}

/// A page of tags, numbered in order.
pub(crate) fn tag_page(
    list: Vec<Tag>,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<(Vec<Tag>, Option<String>)> {
    let items = list
        .into_iter()
        .enumerate()
        .map(|(i, t)| (format!("{i:05}"), t));
    page(items, marker, max_items)
}

impl Iam {
    fn tag(
        &self,
        ctx: &RequestContext,
        entity: Entity,
        name: &str,
        tags: Option<&Vec<Tag>>,
    ) -> Result<Empty> {
        let new = checked_tags(tags)?;
        self.change_holds(ctx, entity, name, |_, h| {
            merge_into(h.tags, h.tag_order, &new)
        })?;
        Ok(Empty::default())
    }

    fn untag(
        &self,
        ctx: &RequestContext,
        entity: Entity,
        name: &str,
        keys: &[String],
    ) -> Result<Empty> {
        self.change_holds(ctx, entity, name, |_, h| {
            remove_from(h.tags, h.tag_order, keys);
            Ok(())
        })?;
        Ok(Empty::default())
    }

    fn tags_of(
        &self,
        ctx: &RequestContext,
        entity: Entity,
        name: &str,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> Result<(Vec<Tag>, Option<String>)> {
        let key = crate::records::user_key(&ctx.account, name);
        let list = self
            .db
            .read(|s| match entity {
                Entity::User => s.users.get(&key).map(|u| tag_list(&u.tag_order, &u.tags)),
                Entity::Role => s.roles.get(&key).map(|r| tag_list(&r.tag_order, &r.tags)),
                Entity::Group => s.groups.get(&key).map(|_| Vec::new()),
            })
            .ok_or_else(|| entity.missing(name))?;
        tag_page(list, marker, max_items)
    }

    pub(crate) fn tag_user(&self, ctx: &RequestContext, req: TagUserRequest) -> Result<Empty> {
        self.tag(
            ctx,
            Entity::User,
            req.user_name.as_deref().unwrap_or_default(),
            req.tags.as_ref(),
        )
    }

    pub(crate) fn tag_role(&self, ctx: &RequestContext, req: TagRoleRequest) -> Result<Empty> {
        self.tag(
            ctx,
            Entity::Role,
            req.role_name.as_deref().unwrap_or_default(),
            req.tags.as_ref(),
        )
    }

    pub(crate) fn untag_user(&self, ctx: &RequestContext, req: UntagUserRequest) -> Result<Empty> {
        let keys = req.tag_keys.unwrap_or_default();
        self.untag(
            ctx,
            Entity::User,
            req.user_name.as_deref().unwrap_or_default(),
            &keys,
        )
    }

    pub(crate) fn untag_role(&self, ctx: &RequestContext, req: UntagRoleRequest) -> Result<Empty> {
        let keys = req.tag_keys.unwrap_or_default();
        self.untag(
            ctx,
            Entity::Role,
            req.role_name.as_deref().unwrap_or_default(),
            &keys,
        )
    }

    pub(crate) fn list_user_tags(
        &self,
        ctx: &RequestContext,
        req: ListUserTagsRequest,
    ) -> Result<ListUserTagsResponse> {
        let (tags, marker) = self.tags_of(
            ctx,
            Entity::User,
            req.user_name.as_deref().unwrap_or_default(),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok(ListUserTagsResponse {
            tags: Some(tags),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn list_role_tags(
        &self,
        ctx: &RequestContext,
        req: ListRoleTagsRequest,
    ) -> Result<ListRoleTagsResponse> {
        let (tags, marker) = self.tags_of(
            ctx,
            Entity::Role,
            req.role_name.as_deref().unwrap_or_default(),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok(ListRoleTagsResponse {
            tags: Some(tags),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}
