//! Attach/Detach UserPolicy and RolePolicy, ListAttachedUserPolicies,
//! ListAttachedRolePolicies, ListEntitiesForPolicy: managed policies on users and roles.

use berth_aws::RequestContext;
use berth_iam_model::shapes::*;

use super::entities::Entity;
use super::managed_policies::{find, no_policy};
use super::page;
use super::Empty;
use crate::error::{IamError, Result};
use crate::Iam;

/// Managed policies one user or role may have attached.
const MAX_ATTACHED: usize = 10;

impl Iam {
    fn attach(&self, ctx: &RequestContext, entity: Entity, name: &str, arn: &str) -> Result<Empty> {
        self.change_holds(ctx, entity, name, |state, h| {
            if find(state, &ctx.account, arn).is_none() {
                return Err(no_policy(arn));
            }
            if !h.attached.iter().any(|a| a == arn) {
                if h.attached.len() >= MAX_ATTACHED {
                    let per = if entity == Entity::User {
                        "User"
                    } else {
                        "Role"
                    };
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for PoliciesPer{per}: {MAX_ATTACHED}"
                    )));
                }
                h.attached.push(arn.to_owned());
            }
            Ok(())
        })?;
        Ok(Empty::default())
    }

    fn detach(&self, ctx: &RequestContext, entity: Entity, name: &str, arn: &str) -> Result<Empty> {
        self.change_holds(ctx, entity, name, |_, h| {
            let before = h.attached.len();
            h.attached.retain(|a| a != arn);
            if h.attached.len() == before {
                return Err(IamError::NoSuchEntity(format!(
                    "Policy {arn} was not found."
                )));
            }
            Ok(())
        })?;
        Ok(Empty::default())
    }

    fn attached(
        &self,
        ctx: &RequestContext,
        entity: Entity,
        name: &str,
        prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> Result<(Vec<AttachedPolicy>, Option<String>)> {
        let (_, attached) = self.holds_of(ctx, entity, name)?;
        let state = self.db.snapshot();
        let prefix = prefix.unwrap_or("/");
        let items: Vec<_> = attached
            .iter()
            .filter_map(|arn| find(&state, &ctx.account, arn))
            .filter(|m| m.path.starts_with(prefix))
            .map(|m| AttachedPolicy {
                policy_name: Some(m.name),
                policy_arn: Some(m.arn),
            })
            .enumerate()
            .map(|(i, p)| (format!("{i:05}"), p))
            .collect();
        page(items, marker, max_items)
    }

    pub(crate) fn attach_user_policy(
        &self,
        ctx: &RequestContext,
        req: AttachUserPolicyRequest,
    ) -> Result<Empty> {
        self.attach(
            ctx,
            Entity::User,
            req.user_name.as_deref().unwrap_or_default(),
            req.policy_arn.as_deref().unwrap_or_default(),
        )
    }

    pub(crate) fn attach_role_policy(
        &self,
        ctx: &RequestContext,
        req: AttachRolePolicyRequest,
    ) -> Result<Empty> {
        self.attach(
            ctx,
            Entity::Role,
            req.role_name.as_deref().unwrap_or_default(),
            req.policy_arn.as_deref().unwrap_or_default(),
        )
    }

    pub(crate) fn detach_user_policy(
        &self,
        ctx: &RequestContext,
        req: DetachUserPolicyRequest,
    ) -> Result<Empty> {
        self.detach(
            ctx,
            Entity::User,
            req.user_name.as_deref().unwrap_or_default(),
            req.policy_arn.as_deref().unwrap_or_default(),
        )
    }

    pub(crate) fn detach_role_policy(
        &self,
        ctx: &RequestContext,
        req: DetachRolePolicyRequest,
    ) -> Result<Empty> {
        self.detach(
            ctx,
            Entity::Role,
            req.role_name.as_deref().unwrap_or_default(),
            req.policy_arn.as_deref().unwrap_or_default(),
        )
    }

    pub(crate) fn list_attached_user_policies(
        &self,
        ctx: &RequestContext,
        req: ListAttachedUserPoliciesRequest,
    ) -> Result<ListAttachedUserPoliciesResponse> {
        let (list, marker) = self.attached(
            ctx,
            Entity::User,
            req.user_name.as_deref().unwrap_or_default(),
            req.path_prefix.as_deref(),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok(ListAttachedUserPoliciesResponse {
            attached_policies: Some(list),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn list_attached_role_policies(
        &self,
        ctx: &RequestContext,
        req: ListAttachedRolePoliciesRequest,
    ) -> Result<ListAttachedRolePoliciesResponse> {
        let (list, marker) = self.attached(
            ctx,
            Entity::Role,
            req.role_name.as_deref().unwrap_or_default(),
            req.path_prefix.as_deref(),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok(ListAttachedRolePoliciesResponse {
            attached_policies: Some(list),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn attach_group_policy(
        &self,
        ctx: &RequestContext,
        req: AttachGroupPolicyRequest,
    ) -> Result<Empty> {
        self.attach(
            ctx,
            Entity::Group,
            req.group_name.as_deref().unwrap_or_default(),
            req.policy_arn.as_deref().unwrap_or_default(),
        )
    }

    pub(crate) fn detach_group_policy(
        &self,
        ctx: &RequestContext,
        req: DetachGroupPolicyRequest,
    ) -> Result<Empty> {
        self.detach(
            ctx,
            Entity::Group,
            req.group_name.as_deref().unwrap_or_default(),
            req.policy_arn.as_deref().unwrap_or_default(),
        )
    }

    pub(crate) fn list_attached_group_policies(
        &self,
        ctx: &RequestContext,
        req: ListAttachedGroupPoliciesRequest,
    ) -> Result<ListAttachedGroupPoliciesResponse> {
        let (list, marker) = self.attached(
            ctx,
            Entity::Group,
            req.group_name.as_deref().unwrap_or_default(),
            req.path_prefix.as_deref(),
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok(ListAttachedGroupPoliciesResponse {
            attached_policies: Some(list),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn list_entities_for_policy(
        &self,
        ctx: &RequestContext,
        req: ListEntitiesForPolicyRequest,
    ) -> Result<ListEntitiesForPolicyResponse> {
        let arn = req.policy_arn.clone().unwrap_or_default();
        let state = self.db.snapshot();
        find(&state, &ctx.account, &arn).ok_or_else(|| no_policy(&arn))?;
        let filter = req.entity_filter.as_ref().map(|f| f.as_str().to_owned());
        let want = |kind: &str| filter.as_deref().is_none_or(|f| f == kind);
        let prefix = req.path_prefix.clone().unwrap_or_else(|| "/".into());
        let users = state
            .users_of(&ctx.account)
            .filter(|u| want("User") && u.path.starts_with(&prefix) && u.attached.contains(&arn))
            .map(|u| PolicyUser {
                user_name: Some(u.name.clone()),
                user_id: Some(u.id.clone()),
            })
            .collect();
        let roles = state
            .roles_of(&ctx.account)
            .filter(|r| want("Role") && r.path.starts_with(&prefix) && r.attached.contains(&arn))
            .map(|r| PolicyRole {
                role_name: Some(r.name.clone()),
                role_id: Some(r.id.clone()),
            })
            .collect();
        let groups = state
            .groups_of(&ctx.account)
            .filter(|g| want("Group") && g.path.starts_with(&prefix) && g.attached.contains(&arn))
            .map(|g| PolicyGroup {
                group_name: Some(g.name.clone()),
                group_id: Some(g.id.clone()),
            })
            .collect();
        Ok(ListEntitiesForPolicyResponse {
            policy_groups: Some(groups),
            policy_users: Some(users),
            policy_roles: Some(roles),
            is_truncated: Some(false),
            marker: None,
        })
    }
}
