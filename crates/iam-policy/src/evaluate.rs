//! Deciding a request against a set of policies, and saying which statement
//! decided.
//!
//! The rule is IAM's: a request is denied unless some statement allows it
//! (an implicit deny), and any statement that denies it wins over every
//! allow (an explicit deny). The order of policies and statements does not
//! change the outcome; it only picks which of several deciding statements is
//! reported (the first in order).

use std::fmt;

use crate::policy::{Kind, Policy};
use crate::principal::Via;
use crate::request::Request;
use crate::statement::Effect;

/// The statement that decided, for messages like ECR's AccessDenied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// The kind of policy it is in.
    pub kind: Kind,
    /// The policy's index in the list given to [`evaluate`].
    pub policy: usize,
    /// The statement's index in its policy.
    pub statement: usize,
    /// Its Sid, if it has one.
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Statement[{}]", self.statement)?;
        if let Some(sid) = self.sid.as_deref().filter(|sid| !sid.is_empty()) {
            write!(f, " (Sid {sid:?})")?;
        }
        write!(f, " of {} {}", self.kind, self.policy)
    }
}

/// The outcome of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A statement allows it, and none denies it.
    Allow(StatementRef),
    /// A statement denies it.
    ExplicitDeny(StatementRef),
    /// Nothing allows it. `missing` says which kind of policy lacked an
    /// allow when [`authorize`](crate::authorize) combined both kinds;
    /// `None` from [`evaluate`].
    ImplicitDeny { missing: Option<Kind> },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The statement that decided, if one did.
    pub fn statement(&self) -> Option<&StatementRef> {
        match self {
            Decision::Allow(by) | Decision::ExplicitDeny(by) => Some(by),
            Decision::ImplicitDeny { .. } => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Allow(by) => write!(f, "allowed by {by}"),
            Decision::ExplicitDeny(by) => write!(f, "explicitly denied by {by}"),
            Decision::ImplicitDeny {
                missing: Some(kind),
            } => write!(f, "implicitly denied: no {kind} allows the action"),
            Decision::ImplicitDeny { missing: None } => {
                f.write_str("implicitly denied: no policy allows the action")
            }
        }
    }
}

/// Decides `request` against every statement of `policies`, whatever their
/// kind (each resource-based statement must name the request's principal).
/// For a decision that also follows IAM's same-account and cross-account
/// rules between identity-based and resource-based policies, use
/// [`authorize`](crate::authorize).
pub fn evaluate(policies: &[&Policy], request: &Request) -> Decision {
    let mut allowed = None;
    for (index, decided) in applying(policies, request) {
        match decided.effect {
            Effect::Deny => return Decision::ExplicitDeny(decided.by(policies, index)),
            Effect::Allow => {
                allowed.get_or_insert_with(|| decided.by(policies, index));
            }
        }
    }
    match allowed {
        Some(by) => Decision::Allow(by),
        None => Decision::ImplicitDeny { missing: None },
    }
}

/// A statement that applies to the request.
pub(crate) struct Applying {
    pub effect: Effect,
    pub via: Via,
    statement: usize,
}

impl Applying {
    pub(crate) fn by(&self, policies: &[&Policy], policy: usize) -> StatementRef {
        let kind = policies.get(policy).map_or(Kind::Identity, |p| p.kind());
        let sid = policies
            .get(policy)
            .and_then(|p| p.statements().get(self.statement))
            .and_then(|s| s.sid())
            .map(str::to_owned);
        StatementRef {
            kind,
            policy,
            statement: self.statement,
            sid,
        }
    }
}

/// Every (policy index, statement) that applies, in document order.
pub(crate) fn applying<'a>(
    policies: &'a [&'a Policy],
    request: &'a Request,
) -> impl Iterator<Item = (usize, Applying)> + 'a {
    let action = request.action.to_lowercase();
    policies
        .iter()
        .enumerate()
        .flat_map(move |(index, policy)| {
            let action = action.clone();
            policy
                .statements()
                .iter()
                .enumerate()
                .filter_map(move |(statement, s)| {
                    let via = s.applies(request, &action)?;
                    Some((
                        index,
                        Applying {
                            effect: s.effect(),
                            via,
                            statement,
                        },
                    ))
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Principal;

    fn policy(text: &str) -> Policy {
        Policy::parse(text, Kind::Identity).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn request(action: &str) -> Request {
        Request::new(
            Principal::from_arn("arn:aws:iam::111122223333:user/bob"),
            action,
            "arn:aws:ecr:us-east-1:111122223333:repository/web",
        )
    }

    #[test]
    fn deny_wins_and_says_where() {
        let read = policy(
            r#"{"Statement": {"Sid": "Read", "Effect": "Allow", "Action": "ecr:*", "Resource": "*"}}"#,
        );
        let guard = policy(
            r#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                              {"Sid": "NoPush", "Effect": "Deny", "Action": "ecr:PutImage", "Resource": "*"}]}"#,
        );
        let pull = evaluate(&[&read, &guard], &request("ecr:BatchGetImage"));
        assert_eq!(
            pull,
            Decision::Allow(StatementRef {
                kind: Kind::Identity,
                policy: 0,
                statement: 0,
                sid: Some("Read".into())
            })
        );
        let push = evaluate(&[&read, &guard], &request("ecr:PutImage"));
        assert_eq!(
            push.statement().map(|s| (s.policy, s.statement)),
            Some((1, 1))
        );
        assert!(!push.is_allowed());
        assert_eq!(
            push.to_string(),
            "explicitly denied by Statement[1] (Sid \"NoPush\") of identity-based policy 1"
        );
        assert_eq!(
            pull.to_string(),
            "allowed by Statement[0] (Sid \"Read\") of identity-based policy 0"
        );
    }

    #[test]
    fn nothing_allows_is_an_implicit_deny() {
        let s3 = policy(r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#);
        assert_eq!(
            evaluate(&[&s3], &request("ecr:PutImage")),
            Decision::ImplicitDeny { missing: None }
        );
        assert_eq!(
            evaluate(&[], &request("ecr:PutImage")),
            Decision::ImplicitDeny { missing: None }
        );
        assert_eq!(
            Decision::ImplicitDeny { missing: None }.to_string(),
            "implicitly denied: no policy allows the action"
        );
    }
}
