//! Who may call: IAM's keys and policies and STS's temporary credentials, put together for
//! the server's authentication, and IAM's roles as STS reads them.

use std::sync::Arc;

use berth_aws::identity::{Identities, Identity};
use berth_aws::RequestContext;
use berth_iam::{Iam, IamIdentities};
use berth_sts::{RoleFacts, Roles, Sts};

/// IAM's roles, for AssumeRole.
pub struct IamRoles(pub Arc<Iam>);

impl Roles for IamRoles {
    fn role(&self, account: &str, name: &str) -> Option<RoleFacts> {
        self.0.find_role(account, name).map(|r| RoleFacts {
            arn: r.arn.clone(),
            id: r.id.clone(),
            trust: r.trust.clone(),
            max_session: r.max_session,
        })
    }
}

/// Keys with a session token are STS's; the others IAM's. IAM's policies decide both.
pub struct RegionIdentities {
    pub iam: IamIdentities,
    pub sts: Arc<Sts>,
}

impl Identities for RegionIdentities {
    fn lookup(&self, access_key_id: &str, session_token: Option<&str>) -> Option<Identity> {
        match session_token {
            Some(token) if access_key_id.starts_with(berth_sts::tokens::TEMPORARY_KEY_PREFIX) => {
                self.sts.open_session(access_key_id, token)
            }
            _ => self.iam.lookup(access_key_id, None),
        }
    }

    fn authorize(
        &self,
        ctx: &RequestContext,
        identity: &Identity,
        action: &str,
        resource: &str,
        resource_policy: Option<&str>,
    ) -> Result<(), String> {
        self.iam
            .authorize(ctx, identity, action, resource, resource_policy)
    }
}

/// STS, as ECS asks it for task roles' credentials.
pub struct StsRoleCredentials(pub Arc<Sts>);

impl berth_ecs::RoleCredentials for StsRoleCredentials {
    fn issue(
        &self,
        role_arn: &str,
        principal: &str,
        session_name: &str,
    ) -> Result<berth_ecs::IssuedCredentials, String> {
        let minted = self
            .0
            .assume_role_for_service(role_arn, principal, session_name, None)
            .map_err(|e| e.to_string())?;
        Ok(berth_ecs::IssuedCredentials {
            role_arn: role_arn.to_owned(),
            access_key_id: minted.access_key_id,
            secret_access_key: minted.secret_access_key,
            session_token: minted.session_token,
            expiration: minted.expires,
        })
    }
}
