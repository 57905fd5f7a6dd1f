//! TagResource, UntagResource, and the tag rules CreateSecret shares (berth-aws's
//! [`Ordered`] tags).

use berth_aws::tags::Ordered;
use berth_aws::RequestContext;
use berth_secretsmanager_model::shapes::*;

use super::{find, Empty};
use crate::error::{Result, SmError};
use crate::records::SecretRec;
use crate::SecretsManager;

/// Checks `tags` against AWS's rules, keeping their order.
pub(crate) fn check_tags(tags: &[Tag]) -> Result<Ordered> {
    Ordered::checked(tags.iter().map(|t| {
        (
            t.key.as_deref().unwrap_or_default(),
            t.value.as_deref().unwrap_or_default(),
        )
    }))
    .map_err(|e| SmError::param(e.to_string()))
}

fn ordered(s: &SecretRec) -> Ordered {
    Ordered {
        map: s.tags.clone(),
        order: s.tag_order.clone(),
    }
}

fn store(s: &mut SecretRec, t: Ordered) {
    s.tags = t.map;
    s.tag_order = t.order;
}

/// A secret's tags in the order they were given.
pub(crate) fn tag_list(s: &SecretRec) -> Vec<Tag> {
    ordered(s)
        .in_order()
        .into_iter()
        .map(|(k, v)| Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

impl SecretsManager {
    pub(crate) fn tag_resource(
        &self,
        ctx: &RequestContext,
        req: TagResourceRequest,
    ) -> Result<Empty> {
        let new = check_tags(req.tags.as_deref().unwrap_or_default())?;
        self.db.write(|tx| {
            let s = find(tx.state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
            let mut t = (*s).clone();
            let merged = ordered(&t)
                .merged(&new)
                .map_err(|e| SmError::param(e.to_string()))?;
            store(&mut t, merged);
            tx.put(t)
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn untag_resource(
        &self,
        ctx: &RequestContext,
        req: UntagResourceRequest,
    ) -> Result<Empty> {
        let keys = req.tag_keys.clone().unwrap_or_default();
        self.db.write(|tx| {
            let s = find(tx.state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
            let mut t = (*s).clone();
            let kept = ordered(&t).without(&keys);
            store(&mut t, kept);
            tx.put(t)
        })?;
        Ok(Empty::default())
    }
}
