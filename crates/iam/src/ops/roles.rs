//! CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy,
//! DeleteRole. A role's trust policy is a resource-based policy (it names principals) that
//! STS reads when someone asks to assume the role.

use berth_aws::RequestContext;
use berth_iam_model::shapes::*;
use berth_iam_policy::{Kind, Policy};

use super::{check_name, check_path, checked_tags, new_id, page, tag_list, Empty};
use crate::error::{IamError, Result};
use crate::records::{user_key, RoleRec};
use crate::Iam;

/// A role's sessions last at most an hour unless it says otherwise.
const DEFAULT_MAX_SESSION: i32 = 3600;

pub(crate) fn view(r: &RoleRec) -> Role {
    let tags = tag_list(&r.tag_order, &r.tags);
    Role {
        path: Some(r.path.clone()),
        role_name: Some(r.name.clone()),
        role_id: Some(r.id.clone()),
        arn: Some(r.arn.clone()),
        create_date: Some(r.created),
        assume_role_policy_document: Some(super::inline_policies::form_encode(&r.trust)),
        description: r.description.clone(),
        max_session_duration: Some(r.max_session),
        tags: (!tags.is_empty()).then_some(tags),
        role_last_used: Some(RoleLastUsed {
            last_used_date: r.last_used,
            region: None,
        }),
        ..Default::default()
    }
}

/// Checks a trust policy as IAM does: a resource-based policy with no Resource.
fn check_trust(doc: &str) -> Result<()> {
    Policy::parse(doc, Kind::Resource)
        .map_err(|e| IamError::MalformedPolicyDocument(format!("Syntax errors in policy: {e}")))?;
    let json: serde_json::Value =
        serde_json::from_str(doc).map_err(|e| IamError::MalformedPolicyDocument(e.to_string()))?;
    let statements = match &json["Statement"] {
        serde_json::Value::Array(list) => list.clone(),
        one => vec![one.clone()],
    };
    for s in statements {
        for field in ["Resource", "NotResource"] {
            if s.get(field).is_some() {
                return Err(IamError::MalformedPolicyDocument(format!(
                    "Has prohibited field {field}"
                )));
            }
        }
    }
    Ok(())
}

impl Iam {
    /// The caller's account's role `name`.
    pub(crate) fn role(&self, ctx: &RequestContext, name: &str) -> Result<std::sync::Arc<RoleRec>> {
        self.db
            .read(|s| s.roles.get(&user_key(&ctx.account, name)).cloned())
            .ok_or_else(|| IamError::no_role(name))
    }

    /// Changes role `name` of the caller's account in one write.
    fn change_role(
        &self,
        ctx: &RequestContext,
        name: &str,
        f: impl FnOnce(&mut RoleRec) -> Result<()>,
    ) -> Result<RoleRec> {
        self.db.write(|tx| {
            let r = tx
                .state
                .roles
                .get(&user_key(&ctx.account, name))
                .cloned()
                .ok_or_else(|| IamError::no_role(name))?;
            let mut r = (*r).clone();
            f(&mut r)?;
            tx.put(r.clone())?;
            Ok(r)
        })
    }

    pub(crate) fn create_role(
        &self,
        ctx: &RequestContext,
        req: CreateRoleRequest,
    ) -> Result<CreateRoleResponse> {
        let name = req.role_name.clone().unwrap_or_default();
        check_name(&name, "roleName", 64)?;
        let path = req.path.clone().unwrap_or_else(|| "/".into());
        check_path(&path)?;
        let trust = req.assume_role_policy_document.clone().unwrap_or_default();
        check_trust(&trust)?;
        let tags = checked_tags(req.tags.as_ref())?;
        if req.permissions_boundary.is_some() {
            return Err(IamError::NotYet(
                "Berth does not apply permissions boundaries yet.".into(),
            ));
        }
        let now = self.now();
        let role = self.db.write(|tx| {
            if tx
                .state
                .roles_of(&ctx.account)
                .any(|r| r.name.eq_ignore_ascii_case(&name))
            {
                return Err(IamError::EntityAlreadyExists(format!(
                    "Role with name {name} already exists."
                )));
            }
            let role = RoleRec {
                account: ctx.account.clone(),
                name: name.clone(),
                path: path.clone(),
                id: new_id("AROA")?,
                arn: format!("arn:aws:iam::{}:role{path}{name}", ctx.account),
                created: now,
                trust: trust.clone(),
                description: req.description.clone(),
                max_session: req.max_session_duration.unwrap_or(DEFAULT_MAX_SESSION),
                tags: tags.map.clone(),
                tag_order: tags.order.clone(),
                policies: Default::default(),
                attached: Vec::new(),
                last_used: None,
            };
            tx.put(role.clone())?;
            Ok(role)
        })?;
        Ok(CreateRoleResponse {
            role: Some(view(&role)),
        })
    }

    pub(crate) fn get_role(
        &self,
        ctx: &RequestContext,
        req: GetRoleRequest,
    ) -> Result<GetRoleResponse> {
        let r = self.role(ctx, req.role_name.as_deref().unwrap_or_default())?;
        Ok(GetRoleResponse {
            role: Some(view(&r)),
        })
    }

    pub(crate) fn list_roles(
        &self,
        ctx: &RequestContext,
        req: ListRolesRequest,
    ) -> Result<ListRolesResponse> {
        let prefix = req.path_prefix.clone().unwrap_or_else(|| "/".into());
        let state = self.db.snapshot();
        let items = state
            .roles_of(&ctx.account)
            .filter(|r| r.path.starts_with(&prefix))
            .map(|r| (user_key(&r.account, &r.name), r.clone()));
        let (roles, marker) = page(items, req.marker.as_deref(), req.max_items)?;
        Ok(ListRolesResponse {
            // ListRoles leaves out tags and last use, as IAM's does.
            roles: Some(
                roles
                    .iter()
                    .map(|r| Role {
                        tags: None,
                        role_last_used: None,
                        ..view(r)
                    })
                    .collect(),
            ),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn update_role(
        &self,
        ctx: &RequestContext,
        req: UpdateRoleRequest,
    ) -> Result<Empty> {
        let name = req.role_name.clone().unwrap_or_default();
        self.change_role(ctx, &name, |r| {
            if let Some(d) = &req.description {
                r.description = Some(d.clone());
            }
            if let Some(m) = req.max_session_duration {
                r.max_session = m;
            }
            Ok(())
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn update_role_description(
        &self,
        ctx: &RequestContext,
        req: UpdateRoleDescriptionRequest,
    ) -> Result<UpdateRoleDescriptionResponse> {
        let name = req.role_name.clone().unwrap_or_default();
        let r = self.change_role(ctx, &name, |r| {
            r.description = req.description.clone();
            Ok(())
        })?;
        Ok(UpdateRoleDescriptionResponse {
            role: Some(view(&r)),
        })
    }

    pub(crate) fn update_assume_role_policy(
        &self,
        ctx: &RequestContext,
        req: UpdateAssumeRolePolicyRequest,
    ) -> Result<Empty> {
        let name = req.role_name.clone().unwrap_or_default();
        let trust = req.policy_document.clone().unwrap_or_default();
        check_trust(&trust)?;
        self.change_role(ctx, &name, |r| {
            r.trust = trust;
            Ok(())
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn delete_role(
        &self,
        ctx: &RequestContext,
        req: DeleteRoleRequest,
    ) -> Result<Empty> {
        let name = req.role_name.clone().unwrap_or_default();
        self.db.write(|tx| {
            let key = user_key(&ctx.account, &name);
            let r = tx
                .state
                .roles
                .get(&key)
                .ok_or_else(|| IamError::no_role(&name))?;
            if !r.policies.is_empty() {
                return Err(IamError::DeleteConflict(
                    "Cannot delete entity, must delete policies first.".into(),
                ));
            }
            if !r.attached.is_empty() {
                return Err(IamError::DeleteConflict(
                    "Cannot delete entity, must detach all policies first.".into(),
                ));
            }
            tx.delete::<RoleRec>(&key);
            Ok(())
        })?;
        Ok(Empty::default())
    }
}

#[cfg(test)]
mod tests {
    use super::check_trust;

    #[test]
    fn trust_policies_name_principals_and_no_resources() {
        let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert!(check_trust(ok).is_ok());
        let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#;
        assert!(check_trust(no_principal).is_err());
        let resource = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}"#;
        let e = check_trust(resource).expect_err("resource");
        assert_eq!(e.to_string(), "Has prohibited field Resource");
    }
}
