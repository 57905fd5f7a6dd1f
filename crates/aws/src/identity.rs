//! Access keys a service makes (IAM users' keys), which the server's authentication consults
//! after the keys it is configured with. The IAM service implements [`Identities`]; the
//! binary hands it to the server, which knows no service.

/// What the server needs of a key to check a signature and name the caller.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    pub secret_access_key: String,
    /// The 12-digit account the key acts in.
    pub account: String,
    /// The principal ARN calls signed with the key act as (`arn:aws:iam::<account>:user/…`).
    pub principal: String,
    /// The principal's unique id (the user's `AIDA…`).
    pub principal_id: String,
    /// An inactive key is known but refused.
    pub active: bool,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("Identity")
            .field("account", &self.account)
            .field("principal", &self.principal)
            .field("active", &self.active)
            .finish()
    }
}

pub trait Identities: Send + Sync + 'static {
    /// The key `access_key_id`, if a service made it.
    fn lookup(&self, access_key_id: &str) -> Option<Identity>;

    /// Whether a caller signing with one of these keys may do `action` (`ecs:RunTask`) on
    /// `resource`; Err says why not, for the AccessDenied message.
    fn authorize(
        &self,
        ctx: &crate::RequestContext,
        action: &str,
        resource: &str,
    ) -> Result<(), String> {
        let _ = (ctx, action, resource);
        Ok(())
    }
}
