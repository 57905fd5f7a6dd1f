//! CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey.

use berth_aws::RequestContext;
use berth_iam_model::shapes::*;

use super::{new_id, new_secret, page, target_user, Empty};
use crate::error::{IamError, Result};
use crate::records::{user_key, KeyRec};
use crate::Iam;

/// Access keys a user may have.
const MAX_KEYS: usize = 2;

fn status_of(s: &str) -> statusType {
    match s {
        "Inactive" => statusType::Inactive,
        _ => statusType::Active,
    }
}

impl Iam {
    pub(crate) fn create_access_key(
        &self,
        ctx: &RequestContext,
        req: CreateAccessKeyRequest,
    ) -> Result<CreateAccessKeyResponse> {
        let user = target_user(ctx, req.user_name.as_deref())?;
        let secret = new_secret()?;
        let now = self.now();
        let rec = self.db.write(|tx| {
            if !tx.state.users.contains_key(&user_key(&ctx.account, &user)) {
                return Err(IamError::no_user(&user));
            }
            if tx.state.keys_of(&ctx.account, &user).count() >= MAX_KEYS {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS}"
                )));
            }
            let id = new_id("AKIA")?;
            let rec = KeyRec {
                sealed_secret: self.ring.seal(secret.as_bytes(), &id)?,
                id,
                account: ctx.account.clone(),
                user: user.clone(),
                status: "Active".into(),
                created: now,
            };
            tx.put(rec.clone())?;
            Ok(rec)
        })?;
        Ok(CreateAccessKeyResponse {
            access_key: Some(AccessKey {
                user_name: Some(rec.user),
                access_key_id: Some(rec.id),
                status: Some(statusType::Active),
                secret_access_key: Some(secret),
                create_date: Some(rec.created),
            }),
        })
    }

    pub(crate) fn list_access_keys(
        &self,
        ctx: &RequestContext,
        req: ListAccessKeysRequest,
    ) -> Result<ListAccessKeysResponse> {
        let user = target_user(ctx, req.user_name.as_deref())?;
        let state = self.db.snapshot();
        if !state.users.contains_key(&user_key(&ctx.account, &user)) {
            return Err(IamError::no_user(&user));
        }
        let mut keys: Vec<_> = state.keys_of(&ctx.account, &user).cloned().collect();
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        let (keys, marker) = page(
            keys.into_iter().map(|k| (k.id.clone(), k)),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok(ListAccessKeysResponse {
            access_key_metadata: Some(
                keys.iter()
                    .map(|k| AccessKeyMetadata {
                        user_name: Some(k.user.clone()),
                        access_key_id: Some(k.id.clone()),
                        status: Some(status_of(&k.status)),
                        create_date: Some(k.created),
                    })
                    .collect(),
            ),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    /// The caller's account's key `id`, belonging to `user`.
    fn own_key(&self, ctx: &RequestContext, user: &str, id: &str) -> Result<KeyRec> {
        self.db
            .read(|s| s.keys.get(id).cloned())
            .filter(|k| k.account == ctx.account && k.user == user)
            .map(|k| (*k).clone())
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
            })
    }

    pub(crate) fn update_access_key(
        &self,
        ctx: &RequestContext,
        req: UpdateAccessKeyRequest,
    ) -> Result<Empty> {
        let user = target_user(ctx, req.user_name.as_deref())?;
        let id = req.access_key_id.clone().unwrap_or_default();
        let status = req
            .status
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default();
        self.own_key(ctx, &user, &id)?;
        self.db.write(|tx| {
            let Some(k) = tx.state.keys.get(&id).cloned() else {
                return Err(IamError::NoSuchEntity(format!(
                    "The Access Key with id {id} cannot be found."
                )));
            };
            let mut k = (*k).clone();
            k.status = status.clone();
            tx.put(k)
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn delete_access_key(
        &self,
        ctx: &RequestContext,
        req: DeleteAccessKeyRequest,
    ) -> Result<Empty> {
        let user = target_user(ctx, req.user_name.as_deref())?;
        let id = req.access_key_id.clone().unwrap_or_default();
        self.own_key(ctx, &user, &id)?;
        self.db.write(|tx| {
            tx.delete::<KeyRec>(&id);
            Ok(())
        })?;
        Ok(Empty::default())
    }
}
