//! The routing table: one line per implemented operation, from the input document to a
//! handler.

use berth_aws::model::Validate;
use berth_aws::protocol::json::{self, BodyError};
use berth_aws::RequestContext;
use berth_iam_model::Operation;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{IamError, Result};
use crate::Iam;

fn call<Req, Resp>(body: &[u8], f: impl FnOnce(Req) -> Result<Resp>) -> Result<Vec<u8>>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let req = json::parse(body).map_err(|e| match e {
        BodyError::Serialization(m) => IamError::Malformed(m),
        BodyError::Invalid(m) => IamError::Validation(m),
    })?;
    let resp = f(req)?;
    serde_json::to_vec(&resp)
        .map_err(|e| IamError::ServiceFailure(format!("encoding response: {e}")))
}

impl Iam {
    /// Answers one IAM operation for the caller in `ctx`; `body` is the input's document.
    pub fn handle(&self, ctx: &RequestContext, op: Operation, body: &[u8]) -> Result<Vec<u8>> {
        use Operation as O;
        let c = ctx;
        match op {
            O::CreateUser => call(body, |r| self.create_user(c, r)),
            O::GetUser => call(body, |r| self.get_user(c, r)),
            O::ListUsers => call(body, |r| self.list_users(c, r)),
            O::DeleteUser => call(body, |r| self.delete_user(c, r)),
            O::CreateAccessKey => call(body, |r| self.create_access_key(c, r)),
            O::ListAccessKeys => call(body, |r| self.list_access_keys(c, r)),
            O::UpdateAccessKey => call(body, |r| self.update_access_key(c, r)),
            O::DeleteAccessKey => call(body, |r| self.delete_access_key(c, r)),
            O::PutUserPolicy => call(body, |r| self.put_user_policy(c, r)),
            O::GetUserPolicy => call(body, |r| self.get_user_policy(c, r)),
            O::DeleteUserPolicy => call(body, |r| self.delete_user_policy(c, r)),
            O::ListUserPolicies => call(body, |r| self.list_user_policies(c, r)),
            O::TagUser => call(body, |r| self.tag_user(c, r)),
            O::UntagUser => call(body, |r| self.untag_user(c, r)),
            O::ListUserTags => call(body, |r| self.list_user_tags(c, r)),
            O::CreateRole => call(body, |r| self.create_role(c, r)),
            O::GetRole => call(body, |r| self.get_role(c, r)),
            O::ListRoles => call(body, |r| self.list_roles(c, r)),
            O::UpdateRole => call(body, |r| self.update_role(c, r)),
            O::UpdateRoleDescription => call(body, |r| self.update_role_description(c, r)),
            O::UpdateAssumeRolePolicy => call(body, |r| self.update_assume_role_policy(c, r)),
            O::DeleteRole => call(body, |r| self.delete_role(c, r)),
            O::TagRole => call(body, |r| self.tag_role(c, r)),
            O::UntagRole => call(body, |r| self.untag_role(c, r)),
            O::ListRoleTags => call(body, |r| self.list_role_tags(c, r)),
            O::PutRolePolicy => call(body, |r| self.put_role_policy(c, r)),
            O::GetRolePolicy => call(body, |r| self.get_role_policy(c, r)),
            O::DeleteRolePolicy => call(body, |r| self.delete_role_policy(c, r)),
            O::ListRolePolicies => call(body, |r| self.list_role_policies(c, r)),
            O::CreatePolicy => call(body, |r| self.create_policy(c, r)),
            O::GetPolicy => call(body, |r| self.get_policy(c, r)),
            O::ListPolicies => call(body, |r| self.list_policies(c, r)),
            O::DeletePolicy => call(body, |r| self.delete_policy(c, r)),
            O::CreatePolicyVersion => call(body, |r| self.create_policy_version(c, r)),
            O::GetPolicyVersion => call(body, |r| self.get_policy_version(c, r)),
            O::ListPolicyVersions => call(body, |r| self.list_policy_versions(c, r)),
            O::DeletePolicyVersion => call(body, |r| self.delete_policy_version(c, r)),
            O::SetDefaultPolicyVersion => call(body, |r| self.set_default_policy_version(c, r)),
            O::AttachUserPolicy => call(body, |r| self.attach_user_policy(c, r)),
            O::DetachUserPolicy => call(body, |r| self.detach_user_policy(c, r)),
            O::AttachRolePolicy => call(body, |r| self.attach_role_policy(c, r)),
            O::DetachRolePolicy => call(body, |r| self.detach_role_policy(c, r)),
            O::ListAttachedUserPolicies => call(body, |r| self.list_attached_user_policies(c, r)),
            O::ListAttachedRolePolicies => call(body, |r| self.list_attached_role_policies(c, r)),
            O::CreateGroup => call(body, |r| self.create_group(c, r)),
            O::GetGroup => call(body, |r| self.get_group(c, r)),
            O::ListGroups => call(body, |r| self.list_groups(c, r)),
            O::DeleteGroup => call(body, |r| self.delete_group(c, r)),
            O::AddUserToGroup => call(body, |r| self.add_user_to_group(c, r)),
            O::RemoveUserFromGroup => call(body, |r| self.remove_user_from_group(c, r)),
            O::ListGroupsForUser => call(body, |r| self.list_groups_for_user(c, r)),
            O::PutGroupPolicy => call(body, |r| self.put_group_policy(c, r)),
            O::GetGroupPolicy => call(body, |r| self.get_group_policy(c, r)),
            O::DeleteGroupPolicy => call(body, |r| self.delete_group_policy(c, r)),
            O::ListGroupPolicies => call(body, |r| self.list_group_policies(c, r)),
            O::AttachGroupPolicy => call(body, |r| self.attach_group_policy(c, r)),
            O::DetachGroupPolicy => call(body, |r| self.detach_group_policy(c, r)),
            O::ListAttachedGroupPolicies => call(body, |r| self.list_attached_group_policies(c, r)),
            O::ListEntitiesForPolicy => call(body, |r| self.list_entities_for_policy(c, r)),
            O::UploadServerCertificate => call(body, |r| self.upload_server_certificate(c, r)),
            O::GetServerCertificate => call(body, |r| self.get_server_certificate(c, r)),
            O::ListServerCertificates => call(body, |r| self.list_server_certificates(c, r)),
            O::UpdateServerCertificate => call(body, |r| self.update_server_certificate(c, r)),
            O::DeleteServerCertificate => call(body, |r| self.delete_server_certificate(c, r)),
            O::TagServerCertificate => call(body, |r| self.tag_server_certificate(c, r)),
            O::UntagServerCertificate => call(body, |r| self.untag_server_certificate(c, r)),
            O::ListServerCertificateTags => call(body, |r| self.list_server_certificate_tags(c, r)),
            other => Err(IamError::NotYet(format!(
                "The action {} is not supported by Berth yet.",
                other.name()
            ))),
        }
    }

    /// Whether Berth answers `op`.
    pub fn implements(&self, op: Operation) -> bool {
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        !matches!(self.handle(&ctx, op, b"\0"), Err(IamError::NotYet(_)))
    }
}
