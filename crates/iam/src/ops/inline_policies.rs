//! Put/Get/Delete/List UserPolicy and RolePolicy: users' and roles' inline policies, checked
//! by berth-iam-policy's grammar when they are put.

use berth_aws::RequestContext;
use berth_iam_model::shapes::*;
use berth_iam_policy::{Kind, Policy};

use super::entities::Entity;
use super::{page, Empty};
use crate::error::{IamError, Result};
use crate::Iam;

/// Characters an entity's inline policies may hold together (whitespace not counted).
fn max_chars(entity: Entity) -> usize {
    match entity {
        Entity::User => 2048,
        Entity::Role => 10_240,
        Entity::Group => 5120,
    }
}

fn counted(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

fn no_policy(entity: Entity, holder: &str, name: &str) -> IamError {
    let word = entity.word();
    IamError::NoSuchEntity(format!(
        "The {word} policy with name {name} cannot be found for {word} {holder}."
    ))
}

/// Parses an identity-based document as IAM refuses bad ones.
pub(crate) fn parse_identity_policy(doc: &str) -> Result<Policy> {
    Policy::parse(doc, Kind::Identity)
        .map_err(|e| IamError::MalformedPolicyDocument(format!("Syntax errors in policy: {e}")))
}

impl Iam {
    fn put_inline(
        &self,
        ctx: &RequestContext,
        entity: Entity,
        holder: &str,
        name: &str,
        doc: &str,
    ) -> Result<Empty> {
        super::check_name(name, "policyName", 128)?;
        parse_identity_policy(doc)?;
        self.change_holds(ctx, entity, holder, |_, h| {
            h.policies.insert(name.to_owned(), doc.to_owned());
            let total: usize = h.policies.values().map(|d| counted(d)).sum();
            let max = max_chars(entity);
            if total > max {
                return Err(IamError::LimitExceeded(format!(
                    "Maximum policy size of {max} bytes exceeded for {} {holder}",
                    entity.word()
                )));
            }
            Ok(())
        })?;
        Ok(Empty::default())
    }

    fn get_inline(
        &self,
        ctx: &RequestContext,
        entity: Entity,
        holder: &str,
        name: &str,
    ) -> Result<String> {
        let (policies, _) = self.holds_of(ctx, entity, holder)?;
        let doc = policies
            .get(name)
            .ok_or_else(|| no_policy(entity, holder, name))?;
        // IAM answers documents URL-encoded; SDKs decode them.
        Ok(form_encode(doc))
    }

    fn delete_inline(
        &self,
        ctx: &RequestContext,
        entity: Entity,
        holder: &str,
        name: &str,
    ) -> Result<Empty> {
        self.change_holds(ctx, entity, holder, |_, h| match h.policies.remove(name) {
            Some(_) => Ok(()),
            None => Err(no_policy(entity, holder, name)),
        })?;
        Ok(Empty::default())
    }

    fn list_inline(
        &self,
        ctx: &RequestContext,
        entity: Entity,
        holder: &str,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> Result<(Vec<String>, Option<String>)> {
        let (policies, _) = self.holds_of(ctx, entity, holder)?;
        page(
            policies.into_keys().map(|n| (n.clone(), n)),
            marker,
            max_items,
        )
    }

    pub(crate) fn put_user_policy(
        &self,
        ctx: &RequestContext,
        req: PutUserPolicyRequest,
    ) -> Result<Empty> {
        let (holder, name, doc) = (
            req.user_name.unwrap_or_default(),
            req.policy_name.unwrap_or_default(),
            req.policy_document.unwrap_or_default(),
        );
        self.put_inline(ctx, Entity::User, &holder, &name, &doc)
    }

    pub(crate) fn put_role_policy(
        &self,
        ctx: &RequestContext,
        req: PutRolePolicyRequest,
    ) -> Result<Empty> {
        let (holder, name, doc) = (
            req.role_name.unwrap_or_default(),
            req.policy_name.unwrap_or_default(),
            req.policy_document.unwrap_or_default(),
        );
        self.put_inline(ctx, Entity::Role, &holder, &name, &doc)
    }

    pub(crate) fn get_user_policy(
        &self,
        ctx: &RequestContext,
        req: GetUserPolicyRequest,
    ) -> Result<GetUserPolicyResponse> {
        let (holder, name) = (
            req.user_name.unwrap_or_default(),
            req.policy_name.unwrap_or_default(),
        );
        let doc = self.get_inline(ctx, Entity::User, &holder, &name)?;
        Ok(GetUserPolicyResponse {
            user_name: Some(holder),
            policy_name: Some(name),
            policy_document: Some(doc),
        })
    }

    pub(crate) fn get_role_policy(
        &self,
        ctx: &RequestContext,
        req: GetRolePolicyRequest,
    ) -> Result<GetRolePolicyResponse> {
        let (holder, name) = (
            req.role_name.unwrap_or_default(),
            req.policy_name.unwrap_or_default(),
        );
        let doc = self.get_inline(ctx, Entity::Role, &holder, &name)?;
        Ok(GetRolePolicyResponse {
            role_name: Some(holder),
            policy_name: Some(name),
            policy_document: Some(doc),
        })
    }

    pub(crate) fn delete_user_policy(
        &self,
        ctx: &RequestContext,
        req: DeleteUserPolicyRequest,
    ) -> Result<Empty> {
        self.delete_inline(
            ctx,
            Entity::User,
            &req.user_name.unwrap_or_default(),
            &req.policy_name.unwrap_or_default(),
        )
    }

    pub(crate) fn delete_role_policy(
        &self,
        ctx: &RequestContext,
        req: DeleteRolePolicyRequest,
    ) -> Result<Empty> {
        self.delete_inline(
            ctx,
            Entity::Role,
            &req.role_name.unwrap_or_default(),
            &req.policy_name.unwrap_or_default(),
        )
    }

    pub(crate) fn list_user_policies(
        &self,
        ctx: &RequestContext,
        req: ListUserPoliciesRequest,
    ) -> Result<ListUserPoliciesResponse> {
        let holder = req.user_name.unwrap_or_default();
        let (names, marker) = self.list_inline(
            ctx,
            Entity::User,
            &holder,
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok(ListUserPoliciesResponse {
            policy_names: Some(names),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn list_role_policies(
        &self,
        ctx: &RequestContext,
        req: ListRolePoliciesRequest,
    ) -> Result<ListRolePoliciesResponse> {
        let holder = req.role_name.unwrap_or_default();
        let (names, marker) = self.list_inline(
            ctx,
            Entity::Role,
            &holder,
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok(ListRolePoliciesResponse {
            policy_names: Some(names),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(crate) fn put_group_policy(
        &self,
        ctx: &RequestContext,
        req: PutGroupPolicyRequest,
    ) -> Result<Empty> {
        let (holder, name, doc) = (
            req.group_name.unwrap_or_default(),
            req.policy_name.unwrap_or_default(),
            req.policy_document.unwrap_or_default(),
        );
        self.put_inline(ctx, Entity::Group, &holder, &name, &doc)
    }

    pub(crate) fn get_group_policy(
        &self,
        ctx: &RequestContext,
        req: GetGroupPolicyRequest,
    ) -> Result<GetGroupPolicyResponse> {
        let (holder, name) = (
            req.group_name.unwrap_or_default(),
            req.policy_name.unwrap_or_default(),
        );
        let doc = self.get_inline(ctx, Entity::Group, &holder, &name)?;
        Ok(GetGroupPolicyResponse {
            group_name: Some(holder),
            policy_name: Some(name),
            policy_document: Some(doc),
        })
    }

    pub(crate) fn delete_group_policy(
        &self,
        ctx: &RequestContext,
        req: DeleteGroupPolicyRequest,
    ) -> Result<Empty> {
        self.delete_inline(
            ctx,
            Entity::Group,
            &req.group_name.unwrap_or_default(),
            &req.policy_name.unwrap_or_default(),
        )
    }

    pub(crate) fn list_group_policies(
        &self,
        ctx: &RequestContext,
        req: ListGroupPoliciesRequest,
    ) -> Result<ListGroupPoliciesResponse> {
        let holder = req.group_name.unwrap_or_default();
        let (names, marker) = self.list_inline(
            ctx,
            Entity::Group,
            &holder,
            req.marker.as_deref(),
            req.max_items,
        )?;
        Ok(ListGroupPoliciesResponse {
            policy_names: Some(names),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}

/// Percent-encoding of a policy document as IAM answers it (RFC 3986 unreserved kept).
pub(crate) fn form_encode(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len() * 3);
    for b in doc.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_percent_encoded_and_sizes_skip_whitespace() {
        assert_eq!(form_encode("{\"a\": 1}"), "%7B%22a%22%3A%201%7D");
        assert_eq!(counted("{ \"a\" :\n 1 }"), 7);
    }
}
