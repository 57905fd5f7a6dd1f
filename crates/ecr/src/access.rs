//! Who may act on a repository, by its policy (berth-iam-policy evaluates it):
//! - a statement of the repository's policy that denies the request refuses it, whoever
//!   asks;
//! - the repository's own account may otherwise do anything (Berth has no identity
//!   policies yet: an account's keys act as its root);
//! - another account's principal may act only where an Allow names it, its account, or
//!   everyone.

use berth_iam_policy::{resource_grant, Grant, Kind, Policy, Principal, Request};

use crate::records::RepositoryRec;

/// Checks a repository or registry policy document.
pub fn parse_policy(text: &str) -> Result<Policy, String> {
    Policy::parse(text, Kind::Resource).map_err(|e| e.to_string())
}

/// Whether `principal` of `account` may do `action` on `repo` (ARN `arn`); the refusal's
/// message otherwise.
pub fn check(
    account: &str,
    principal: &str,
    repo: &RepositoryRec,
    action: &str,
    arn: &str,
) -> Result<(), String> {
    let policy = repo.policy.as_deref().and_then(|t| parse_policy(t).ok());
    let grant = match &policy {
        Some(p) => {
            let mut who = Principal::from_arn(principal);
            who.account = account.to_owned();
            resource_grant(p, &Request::new(who, action, arn))
        }
        None => Grant::None,
    };
    match grant {
        Grant::Denied(by) => Err(format!(
            "User: {principal} is not authorized to perform: {action} on resource: {arn} with an explicit deny in a resource-based policy ({by})"
        )),
        _ if account == repo.account => Ok(()),
        Grant::Principal(_) | Grant::Account(_) => Ok(()),
        Grant::None => Err(format!(
            "User: {principal} is not authorized to perform: {action} on resource: {arn} because no resource-based policy allows the {action} action"
        )),
    }
}
