//! CreateUser, GetUser, ListUsers, DeleteUser.

use berth_aws::RequestContext;
use berth_iam_model::shapes::*;

use super::{
    check_path, check_user_name, checked_tags, new_id, page, tag_list, target_user, Empty,
};
use crate::error::{IamError, Result};
use crate::records::{user_key, UserRec};
use crate::Iam;

pub(crate) fn view(u: &UserRec) -> User {
    let tags = tag_list(&u.tag_order, &u.tags);
    User {
        path: Some(u.path.clone()),
        user_name: Some(u.name.clone()),
        user_id: Some(u.id.clone()),
        arn: Some(u.arn.clone()),
        create_date: Some(u.created),
        tags: (!tags.is_empty()).then_some(tags),
        ..Default::default()
    }
}

impl Iam {
    pub(crate) fn create_user(
        &self,
        ctx: &RequestContext,
        req: CreateUserRequest,
    ) -> Result<CreateUserResponse> {
        let name = req.user_name.clone().unwrap_or_default();
        check_user_name(&name)?;
        let path = req.path.clone().unwrap_or_else(|| "/".into());
        check_path(&path)?;
        let tags = checked_tags(req.tags.as_ref())?;
        if req.permissions_boundary.is_some() {
            return Err(IamError::NotYet(
                "Berth does not apply permissions boundaries yet.".into(),
            ));
        }
        let now = self.now();
        let user = self.db.write(|tx| {
            let key = user_key(&ctx.account, &name);
            // IAM user names are unique case-insensitively within an account.
            if tx
                .state
                .users_of(&ctx.account)
                .any(|u| u.name.eq_ignore_ascii_case(&name))
            {
                return Err(IamError::EntityAlreadyExists(format!(
                    "User with name {name} already exists."
                )));
            }
            let user = UserRec {
                account: ctx.account.clone(),
                name: name.clone(),
                path: path.clone(),
                id: new_id("AIDA")?,
                arn: format!("arn:aws:iam::{}:user{path}{name}", ctx.account),
                created: now,
                tags: tags.map.clone(),
                tag_order: tags.order.clone(),
                policies: Default::default(),
                attached: Vec::new(),
                groups: Vec::new(),
            };
            debug_assert_eq!(key, user_key(&user.account, &user.name));
            tx.put(user.clone())?;
            Ok(user)
        })?;
        Ok(CreateUserResponse {
            user: Some(view(&user)),
        })
    }

    pub(crate) fn get_user(
        &self,
        ctx: &RequestContext,
        req: GetUserRequest,
    ) -> Result<GetUserResponse> {
        let name = target_user(ctx, req.user_name.as_deref())?;
        let u = self
            .db
            .read(|s| s.users.get(&user_key(&ctx.account, &name)).cloned())
            .ok_or_else(|| IamError::no_user(&name))?;
        Ok(GetUserResponse {
            user: Some(view(&u)),
        })
    }

    pub(crate) fn list_users(
        &self,
        ctx: &RequestContext,
        req: ListUsersRequest,
    ) -> Result<ListUsersResponse> {
        let prefix = req.path_prefix.clone().unwrap_or_else(|| "/".into());
        let state = self.db.snapshot();
        let items = state
            .users_of(&ctx.account)
            .filter(|u| u.path.starts_with(&prefix))
            .map(|u| (user_key(&u.account, &u.name), u.clone()));
        let (users, marker) = page(items, req.marker.as_deref(), req.max_items)?;
        Ok(ListUsersResponse {
            users: Some(users.iter().map(|u| view(u)).collect()),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn delete_user(
        &self,
        ctx: &RequestContext,
        req: DeleteUserRequest,
    ) -> Result<Empty> {
        let name = req.user_name.clone().unwrap_or_default();
        self.db.write(|tx| {
            let key = user_key(&ctx.account, &name);
            if !tx.state.users.contains_key(&key) {
                return Err(IamError::no_user(&name));
            }
            if tx.state.keys_of(&ctx.account, &name).next().is_some() {
                return Err(IamError::DeleteConflict(
                    "Cannot delete entity, must delete access keys first.".into(),
                ));
            }
            if tx
                .state
                .users
                .get(&key)
                .is_some_and(|u| !u.policies.is_empty())
            {
                return Err(IamError::DeleteConflict(
                    "Cannot delete entity, must delete policies first.".into(),
                ));
            }
            if tx
                .state
                .users
                .get(&key)
                .is_some_and(|u| !u.attached.is_empty())
            {
                return Err(IamError::DeleteConflict(
                    "Cannot delete entity, must detach all policies first.".into(),
                ));
            }
            if tx
                .state
                .users
                .get(&key)
                .is_some_and(|u| !u.groups.is_empty())
            {
                return Err(IamError::DeleteConflict(
                    "Cannot delete entity, must remove the user from its groups first.".into(),
                ));
            }
            tx.delete::<UserRec>(&key);
            Ok(())
        })?;
        Ok(Empty::default())
    }
}
