//! PutUserPolicy, GetUserPolicy, DeleteUserPolicy, ListUserPolicies: a user's inline
//! policies, checked by berth-iam-policy's grammar when they are put.

use berth_aws::RequestContext;
use berth_iam_model::shapes::*;
use berth_iam_policy::{Kind, Policy};

use super::{page, Empty};
use crate::error::{IamError, Result};
use crate::records::user_key;
use crate::Iam;

/// Characters a user's inline policies may hold together (whitespace not counted).
const MAX_USER_POLICY_CHARS: usize = 2048;

fn counted(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

fn no_policy(user: &str, name: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "The user policy with name {name} cannot be found for user {user}."
    ))
}

impl Iam {
    /// Changes user `name` of the caller's account in one write.
    fn change_user(
        &self,
        ctx: &RequestContext,
        name: &str,
        f: impl FnOnce(&mut crate::records::UserRec) -> Result<()>,
    ) -> Result<()> {
        self.db.write(|tx| {
            let u = tx
                .state
                .users
                .get(&user_key(&ctx.account, name))
                .cloned()
                .ok_or_else(|| IamError::no_user(name))?;
            let mut u = (*u).clone();
            f(&mut u)?;
            tx.put(u)
        })
    }

    pub(crate) fn put_user_policy(
        &self,
        ctx: &RequestContext,
        req: PutUserPolicyRequest,
    ) -> Result<Empty> {
        let user = req.user_name.clone().unwrap_or_default();
        let name = req.policy_name.clone().unwrap_or_default();
        let doc = req.policy_document.clone().unwrap_or_default();
        Policy::parse(&doc, Kind::Identity).map_err(|e| {
            IamError::MalformedPolicyDocument(format!("Syntax errors in policy: {e}"))
        })?;
        self.change_user(ctx, &user, |u| {
            u.policies.insert(name.clone(), doc.clone());
            let total: usize = u.policies.values().map(|d| counted(d)).sum();
            if total > MAX_USER_POLICY_CHARS {
                return Err(IamError::LimitExceeded(format!(
                    "Maximum policy size of {MAX_USER_POLICY_CHARS} bytes exceeded for user {user}"
                )));
            }
            Ok(())
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn get_user_policy(
        &self,
        ctx: &RequestContext,
        req: GetUserPolicyRequest,
    ) -> Result<GetUserPolicyResponse> {
        let user = req.user_name.clone().unwrap_or_default();
        let name = req.policy_name.clone().unwrap_or_default();
        let u = self
            .db
            .read(|s| s.users.get(&user_key(&ctx.account, &user)).cloned())
            .ok_or_else(|| IamError::no_user(&user))?;
        let doc = u
            .policies
            .get(&name)
            .ok_or_else(|| no_policy(&user, &name))?;
        Ok(GetUserPolicyResponse {
            user_name: Some(user),
            policy_name: Some(name),
            // IAM answers documents URL-encoded; SDKs decode them.
            policy_document: Some(form_encode(doc)),
        })
    }

    pub(crate) fn delete_user_policy(
        &self,
        ctx: &RequestContext,
        req: DeleteUserPolicyRequest,
    ) -> Result<Empty> {
        let user = req.user_name.clone().unwrap_or_default();
        let name = req.policy_name.clone().unwrap_or_default();
        self.change_user(ctx, &user, |u| match u.policies.remove(&name) {
            Some(_) => Ok(()),
            None => Err(no_policy(&user, &name)),
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn list_user_policies(
        &self,
        ctx: &RequestContext,
        req: ListUserPoliciesRequest,
    ) -> Result<ListUserPoliciesResponse> {
        let user = req.user_name.clone().unwrap_or_default();
        let u = self
            .db
            .read(|s| s.users.get(&user_key(&ctx.account, &user)).cloned())
            .ok_or_else(|| IamError::no_user(&user))?;
        let names = u.policies.keys().map(|n| (n.clone(), n.clone()));
        let (names, marker) = page(names, req.marker.as_deref(), req.max_items)?;
        Ok(ListUserPoliciesResponse {
            policy_names: Some(names),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}

/// Percent-encoding of a policy document as IAM answers it (RFC 3986 unreserved kept).
fn form_encode(doc: &str) -> String {
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
