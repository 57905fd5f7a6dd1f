//! What STS needs of IAM's roles, declared here and wired by the binary (no service crate
//! depends on another).

/// A role as AssumeRole reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleFacts {
    /// `arn:aws:iam::<account>:role/<path><name>`.
    pub arn: String,
    /// `AROA…`.
    pub id: String,
    /// The trust policy document.
    pub trust: String,
    /// Longest session, seconds.
    pub max_session: i32,
}

pub trait Roles: Send + Sync + 'static {
    /// Role `name` of `account`.
    fn role(&self, account: &str, name: &str) -> Option<RoleFacts>;
}

/// No roles at all (STS without IAM: AssumeRole finds nothing).
pub struct NoRoles;

impl Roles for NoRoles {
    fn role(&self, _account: &str, _name: &str) -> Option<RoleFacts> {
        None
    }
}
