//! TagResource, UntagResource, and the tag rules CreateSecret shares.

use std::collections::BTreeMap;

use berth_aws::RequestContext;
use berth_secretsmanager_model::shapes::*;

use super::{find, Empty};
use crate::error::{Result, SmError};
use crate::records::SecretRec;
use crate::SecretsManager;

/// Checks `tags` against AWS's rules; answers them as a map and their keys in order.
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
    berth_aws::tags::check(pairs.iter().copied()).map_err(|e| SmError::param(e.to_string()))?;
    let order = pairs.iter().map(|(k, _)| (*k).to_owned()).collect();
    let map = pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Ok((map, order))
}

/// A secret's tags in the order they were given.
pub(crate) fn tag_list(s: &SecretRec) -> Vec<Tag> {
    let mut keys: Vec<&String> = s
        .tag_order
        .iter()
        .filter(|k| s.tags.contains_key(*k))
        .collect();
    keys.extend(s.tags.keys().filter(|k| !s.tag_order.contains(k)));
    keys.into_iter()
        .map(|k| Tag {
            key: Some(k.clone()),
            value: s.tags.get(k).cloned(),
        })
        .collect()
}

impl SecretsManager {
    pub(crate) fn tag_resource(
        &self,
        ctx: &RequestContext,
        req: TagResourceRequest,
    ) -> Result<Empty> {
        let (new, order) = check_tags(req.tags.as_deref().unwrap_or_default())?;
        self.db.write(|tx| {
            let s = find(tx.state, ctx, req.secret_id.as_deref().unwrap_or_default())?;
            let mut t = (*s).clone();
            for k in &order {
                if !t.tags.contains_key(k) {
                    t.tag_order.push(k.clone());
                }
            }
            t.tags.extend(new.clone());
            let pairs: Vec<(&str, &str)> = t
                .tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            berth_aws::tags::check(pairs).map_err(|e| SmError::param(e.to_string()))?;
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
            for k in &keys {
                t.tags.remove(k);
            }
            t.tag_order.retain(|k| !keys.contains(k));
            tx.put(t)
        })?;
        Ok(Empty::default())
    }
}
