//! Access keys services make (IAM users' keys, STS's temporary credentials), which the
//! server's authentication consults after the keys it is configured with. IAM and STS
//! implement [`Identities`]; the binary hands them to the server, which knows no service.

use std::sync::Arc;

/// What the server needs of a key to check a signature and name the caller.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    pub secret_access_key: String,
    /// The 12-digit account the key acts in.
    pub account: String,
    /// The principal ARN calls signed with the key act as (`arn:aws:iam::<account>:user/…`,
    /// `arn:aws:sts::<account>:assumed-role/…`).
    pub principal: String,
    /// The principal's unique id (the user's `AIDA…`, a session's `AROA…:name`).
    pub principal_id: String,
    /// An inactive key is known but refused.
    pub active: bool,
    /// Temporary credentials: the session they belong to.
    pub session: Option<Arc<Session>>,
}

/// A session of temporary credentials, as its token carries it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Session {
    /// The role an assumed-role session acts as (`arn:aws:iam::…:role/…`); None for a
    /// GetSessionToken session, which acts as the user (or root) that asked for it.
    pub role_arn: Option<String>,
    /// When the session was issued and when it expires, epoch seconds.
    pub issued: u64,
    pub expires: u64,
    /// Session policies (documents) and managed policy ARNs given when it was made: the
    /// session may do only what these allow too.
    pub policies: Vec<String>,
    pub policy_arns: Vec<String>,
    /// Session tags (`aws:PrincipalTag/<key>`), in the order given.
    pub tags: Vec<(String, String)>,
    /// GetSessionToken's limits: no IAM calls, and of STS only AssumeRole and
    /// GetCallerIdentity.
    pub restricted: bool,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("Identity")
            .field("account", &self.account)
            .field("principal", &self.principal)
            .field("active", &self.active)
            .field("session", &self.session)
            .finish()
    }
}

pub trait Identities: Send + Sync + 'static {
    /// The key `access_key_id`, if a service made it; `session_token` is the request's
    /// `X-Amz-Security-Token`, which temporary credentials carry.
    fn lookup(&self, access_key_id: &str, session_token: Option<&str>) -> Option<Identity>;

    /// Whether `identity` (as [`Identities::lookup`] found it for the request in `ctx`) may
    /// do `action` (`ecs:RunTask`) on `resource`, which has `resource_policy` attached if
    /// given (a secret's policy); Err says why not, for the AccessDenied message.
    fn authorize(
        &self,
        ctx: &crate::RequestContext,
        identity: &Identity,
        action: &str,
        resource: &str,
        resource_policy: Option<&str>,
    ) -> Result<(), String> {
        let _ = (ctx, identity, action, resource, resource_policy);
        Ok(())
    }
}
