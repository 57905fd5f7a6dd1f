//! Who is calling, and where.

/// What every operation knows about its caller, set by the server after authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestContext {
    pub partition: String,
    pub region: String,
    /// The 12-digit account the caller acts in (its access key's).
    pub account: String,
    /// The caller's principal ARN (`arn:aws:iam::<account>:root` for an account's keys).
    pub principal: String,
    /// The principal's unique id (an IAM user's `AIDA…`; the account id for its root).
    pub principal_id: String,
    pub access_key_id: String,
    pub request_id: String,
    /// The address the request came from (`aws:SourceIp`), when the server knows it.
    pub source_ip: Option<String>,
}

impl RequestContext {
    /// The context of the account's root principal; for internal callers and tests.
    pub fn for_account(account: &str, region: &str) -> Self {
        RequestContext {
            partition: "aws".into(),
            region: region.into(),
            account: account.into(),
            principal: format!("arn:aws:iam::{account}:root"),
            principal_id: account.into(),
            access_key_id: String::new(),
            request_id: crate::ids::request_id(),
            source_ip: None,
        }
    }
}
