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
    ) -> Result<(), String> {
        self.iam.authorize(ctx, identity, action, resource)
    }
}
