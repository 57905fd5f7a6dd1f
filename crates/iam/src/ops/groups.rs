//! CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup, RemoveUserFromGroup,
//! ListGroupsForUser. A user's groups' policies are the user's too.

use berth_aws::RequestContext;
use berth_iam_model::shapes::*;

use super::{check_name, check_path, new_id, page, Empty};
use crate::error::{IamError, Result};
use crate::records::{user_key, GroupRec};
use crate::Iam;

fn view(g: &GroupRec) -> Group {
    Group {
        path: Some(g.path.clone()),
        group_name: Some(g.name.clone()),
        group_id: Some(g.id.clone()),
        arn: Some(g.arn.clone()),
        create_date: Some(g.created),
    }
}

impl Iam {
    pub(crate) fn create_group(
        &self,
        ctx: &RequestContext,
        req: CreateGroupRequest,
    ) -> Result<CreateGroupResponse> {
        let name = req.group_name.clone().unwrap_or_default();
        check_name(&name, "groupName", 128)?;
        let path = req.path.clone().unwrap_or_else(|| "/".into());
        check_path(&path)?;
        let now = self.now();
        let group = self.db.write(|tx| {
            if tx
                .state
                .groups_of(&ctx.account)
                .any(|g| g.name.eq_ignore_ascii_case(&name))
            {
                return Err(IamError::EntityAlreadyExists(format!(
                    "Group with name {name} already exists."
                )));
            }
            let group = GroupRec {
                account: ctx.account.clone(),
                name: name.clone(),
                path: path.clone(),
                id: new_id("AGPA")?,
                arn: format!("arn:aws:iam::{}:group{path}{name}", ctx.account),
                created: now,
                policies: Default::default(),
                attached: Vec::new(),
                tags: Default::default(),
                tag_order: Vec::new(),
            };
            tx.put(group.clone())?;
            Ok(group)
        })?;
        Ok(CreateGroupResponse {
            group: Some(view(&group)),
        })
    }

    pub(crate) fn get_group(
        &self,
        ctx: &RequestContext,
        req: GetGroupRequest,
    ) -> Result<GetGroupResponse> {
        let name = req.group_name.clone().unwrap_or_default();
        let state = self.db.snapshot();
        let group = state
            .groups
            .get(&user_key(&ctx.account, &name))
            .ok_or_else(|| IamError::no_group(&name))?;
        let members = state
            .users_of(&ctx.account)
            .filter(|u| u.groups.contains(&name))
            .map(|u| (user_key(&u.account, &u.name), u.clone()));
        let (users, marker) = page(members, req.marker.as_deref(), req.max_items)?;
        Ok(GetGroupResponse {
            group: Some(view(group)),
            users: Some(users.iter().map(|u| super::users::view(u)).collect()),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn list_groups(
        &self,
        ctx: &RequestContext,
        req: ListGroupsRequest,
    ) -> Result<ListGroupsResponse> {
        let prefix = req.path_prefix.clone().unwrap_or_else(|| "/".into());
        let state = self.db.snapshot();
        let items = state
            .groups_of(&ctx.account)
            .filter(|g| g.path.starts_with(&prefix))
            .map(|g| (user_key(&g.account, &g.name), g.clone()));
        let (groups, marker) = page(items, req.marker.as_deref(), req.max_items)?;
        Ok(ListGroupsResponse {
            groups: Some(groups.iter().map(|g| view(g)).collect()),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn delete_group(
        &self,
        ctx: &RequestContext,
        req: DeleteGroupRequest,
    ) -> Result<Empty> {
        let name = req.group_name.clone().unwrap_or_default();
        self.db.write(|tx| {
            let key = user_key(&ctx.account, &name);
            let g = tx
                .state
                .groups
                .get(&key)
                .ok_or_else(|| IamError::no_group(&name))?;
            if tx
                .state
                .users_of(&ctx.account)
                .any(|u| u.groups.contains(&name))
            {
                return Err(IamError::DeleteConflict(
                    "Cannot delete entity, must remove users from group first.".into(),
                ));
            }
            if !g.policies.is_empty() {
                return Err(IamError::DeleteConflict(
                    "Cannot delete entity, must delete policies first.".into(),
                ));
            }
            if !g.attached.is_empty() {
                return Err(IamError::DeleteConflict(
                    "Cannot delete entity, must detach all policies first.".into(),
                ));
            }
            tx.delete::<GroupRec>(&key);
            Ok(())
        })?;
        Ok(Empty::default())
    }

    /// Adds (`join`) or removes user `user` to or from group `group`, in one write.
    fn membership(
        &self,
        ctx: &RequestContext,
        group: &str,
        user: &str,
        join: bool,
    ) -> Result<Empty> {
        self.db.write(|tx| {
            if !tx.state.groups.contains_key(&user_key(&ctx.account, group)) {
                return Err(IamError::no_group(group));
            }
            let u = tx
                .state
                .users
                .get(&user_key(&ctx.account, user))
                .ok_or_else(|| IamError::no_user(user))?;
            let mut u = (**u).clone();
            let had = u.groups.iter().any(|g| g == group);
            match (join, had) {
                (true, false) => u.groups.push(group.to_owned()),
                (false, true) => u.groups.retain(|g| g != group),
                (true, true) => return Ok(()),
                (false, false) => {
                    return Err(IamError::NoSuchEntity(format!(
                        "User {user} is not in group {group}."
                    )))
                }
            }
            tx.put(u)
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn add_user_to_group(
        &self,
        ctx: &RequestContext,
        req: AddUserToGroupRequest,
    ) -> Result<Empty> {
        let (group, user) = (
            req.group_name.unwrap_or_default(),
            req.user_name.unwrap_or_default(),
        );
        self.membership(ctx, &group, &user, true)
    }

    pub(crate) fn remove_user_from_group(
        &self,
        ctx: &RequestContext,
        req: RemoveUserFromGroupRequest,
    ) -> Result<Empty> {
        let (group, user) = (
            req.group_name.unwrap_or_default(),
            req.user_name.unwrap_or_default(),
        );
        self.membership(ctx, &group, &user, false)
    }

    pub(crate) fn list_groups_for_user(
        &self,
        ctx: &RequestContext,
        req: ListGroupsForUserRequest,
    ) -> Result<ListGroupsForUserResponse> {
        let user = req.user_name.clone().unwrap_or_default();
        let state = self.db.snapshot();
        let u = state
            .users
            .get(&user_key(&ctx.account, &user))
            .ok_or_else(|| IamError::no_user(&user))?;
        let items = u
            .groups
            .iter()
            .filter_map(|g| state.groups.get(&user_key(&ctx.account, g)))
            .map(|g| (g.name.clone(), g.clone()));
        let (groups, marker) = page(items, req.marker.as_deref(), req.max_items)?;
        Ok(ListGroupsForUserResponse {
            groups: Some(groups.iter().map(|g| view(g)).collect()),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}
