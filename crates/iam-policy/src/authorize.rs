//! Identity-based and resource-based policies together, the way IAM
//! combines them for one request.
//!
//! - An explicit deny in either kind denies.
//! - **Same account** (the principal's account owns the resource): either
//!   kind may allow. An identity-based allow is enough; so is a resource
//!   policy that names the principal itself (its ARN, its role for a
//!   session) or everyone. A resource policy that names only the account
//!   delegates to the account's identity-based policies, and grants nothing
//!   alone.
//! - **Cross account**: both must allow — the caller's identity-based
//!   policies, and the resource policy naming the principal, its account, or
//!   everyone.
//! - **An AWS service acting as itself** has no identity-based policies: the
//!   resource policy alone decides, and must name the service (or everyone).
//!
//! Not modelled: permissions boundaries, session policies, SCPs/RCPs, and
//! the account root user's implicit full access (give it an allow-all
//! identity policy if a caller wants it).

use crate::evaluate::{applying, evaluate, Decision, StatementRef};
use crate::policy::{Kind, Policy};
use crate::principal::Via;
use crate::request::Request;
use crate::statement::Effect;

/// What a resource-based policy says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// A statement denies the request.
    Denied(StatementRef),
    /// An Allow names the principal itself, or everyone: enough on its own
    /// within the resource's account, and for a service principal.
    Principal(StatementRef),
    /// An Allow names only the principal's account: the account's own
    /// identity-based policies must allow too.
    Account(StatementRef),
    /// No statement applies.
    None,
}

/// What `policy` (a resource-based policy; an identity-based one is read as
/// naming its own principal) grants to `request`. Its statements are
/// reported as policy 0.
pub fn resource_grant(policy: &Policy, request: &Request) -> Grant {
    let policies = [policy];
    let mut best: Option<(Via, StatementRef)> = None;
    for (index, applies) in applying(&policies, request) {
        let by = applies.by(&policies, index);
        if applies.effect == Effect::Deny {
            return Grant::Denied(by);
        }
        let via = match applies.via {
            Via::Everyone => Via::Principal,
            via => via,
        };
        if best.as_ref().is_none_or(|(found, _)| via > *found) {
            best = Some((via, by));
        }
    }
    match best {
        Some((Via::Account, by)) => Grant::Account(by),
        Some((_, by)) => Grant::Principal(by),
        None => Grant::None,
    }
}

/// Decides `request` against the caller's identity-based policies and the
/// resource's policy, if it has one, for a resource owned by
/// `resource_account`. Identity-based statements are numbered by their
/// index in `identity`; the resource policy's as policy 0 of kind
/// [`Kind::Resource`]. An implicit deny says which kind lacked an allow.
pub fn authorize(
    identity: &[&Policy],
    resource: Option<&Policy>,
    resource_account: &str,
    request: &Request,
) -> Decision {
    let caller = &request.principal;
    let service = caller.service.is_some();
    let own = if service {
        Decision::ImplicitDeny { missing: None }
    } else {
        evaluate(identity, request)
    };
    if let Decision::ExplicitDeny(_) = own {
        return own;
    }
    let grant = resource.map_or(Grant::None, |policy| resource_grant(policy, request));
    let missing = |kind| Decision::ImplicitDeny {
        missing: Some(kind),
    };
    match grant {
        Grant::Denied(by) => Decision::ExplicitDeny(by),
        Grant::Principal(by) if service => Decision::Allow(by),
        _ if service => missing(Kind::Resource),
        grant if caller.account == resource_account => match (own, grant) {
            (Decision::Allow(by), _) | (_, Grant::Principal(by)) => Decision::Allow(by),
            _ => missing(Kind::Identity),
        },
        grant => match (own, grant) {
            (Decision::Allow(_), Grant::Principal(by) | Grant::Account(by)) => Decision::Allow(by),
            (Decision::Allow(_), _) => missing(Kind::Resource),
            _ => missing(Kind::Identity),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Principal;

    const OWNER: &str = "111122223333";
    const OTHER: &str = "444455556666";
    const REPO: &str = "arn:aws:ecr:us-east-1:111122223333:repository/web";

    fn parse(text: &str, kind: Kind) -> Policy {
        Policy::parse(text, kind).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn pull_by(arn: &str) -> Request {
        Request::new(Principal::from_arn(arn), "ecr:BatchGetImage", REPO)
    }

    fn repository_policy(principal: &str) -> Policy {
        parse(
            &format!(
                r#"{{"Statement": {{"Sid": "Pull", "Effect": "Allow", "Principal": {principal}, "Action": "ecr:BatchGetImage"}}}}"#
            ),
            Kind::Resource,
        )
    }

    fn allow_ecr() -> Policy {
        parse(
            r#"{"Statement": {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}}"#,
            Kind::Identity,
        )
    }

    #[test]
    fn grants_say_how_the_principal_was_named() {
        let bob = pull_by("arn:aws:iam::444455556666:user/bob");
        let by_account = repository_policy(&format!(r#"{{"AWS": "{OTHER}"}}"#));
        assert!(matches!(
            resource_grant(&by_account, &bob),
            Grant::Account(_)
        ));
        let by_arn =
            repository_policy(r#"{"AWS": ["444455556666", "arn:aws:iam::444455556666:user/bob"]}"#);
        assert!(
            matches!(resource_grant(&by_arn, &bob), Grant::Principal(_)),
            "the strongest match is reported"
        );
        assert!(matches!(
            resource_grant(&repository_policy(r#""*""#), &bob),
            Grant::Principal(_)
        ));
        assert_eq!(
            resource_grant(&repository_policy(r#"{"AWS": "999999999999"}"#), &bob),
            Grant::None
        );
        let deny = parse(
            r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"},
                              {"Sid": "NoOne", "Effect": "Deny", "Principal": "*", "Action": "ecr:BatchGetImage"}]}"#,
            Kind::Resource,
        );
        let Grant::Denied(by) = resource_grant(&deny, &bob) else {
            panic!("a deny")
        };
        assert_eq!(
            (by.kind, by.statement, by.sid.as_deref()),
            (Kind::Resource, 1, Some("NoOne"))
        );
    }

    #[test]
    fn same_account_either_kind_allows() {
        let alice = pull_by("arn:aws:iam::111122223333:user/alice");
        let identity = allow_ecr();
        assert!(authorize(&[&identity], None, OWNER, &alice).is_allowed());
        let names_alice = repository_policy(r#"{"AWS": "arn:aws:iam::111122223333:user/alice"}"#);
        let granted = authorize(&[], Some(&names_alice), OWNER, &alice);
        assert_eq!(granted.statement().map(|s| s.kind), Some(Kind::Resource));
        let names_account = repository_policy(&format!(r#"{{"AWS": "{OWNER}"}}"#));
        assert_eq!(
            authorize(&[], Some(&names_account), OWNER, &alice),
            Decision::ImplicitDeny {
                missing: Some(Kind::Identity)
            },
            "naming the account delegates to its identity policies"
        );
        assert_eq!(
            authorize(&[], None, OWNER, &alice).to_string(),
            "implicitly denied: no identity-based policy allows the action"
        );
    }

    #[test]
    fn cross_account_both_must_allow() {
        let bob = pull_by("arn:aws:iam::444455556666:user/bob");
        let identity = allow_ecr();
        let names_account = repository_policy(&format!(r#"{{"AWS": "{OTHER}"}}"#));
        assert!(authorize(&[&identity], Some(&names_account), OWNER, &bob).is_allowed());
        assert_eq!(
            authorize(&[&identity], None, OWNER, &bob),
            Decision::ImplicitDeny {
                missing: Some(Kind::Resource)
            }
        );
        assert_eq!(
            authorize(&[], Some(&names_account), OWNER, &bob),
            Decision::ImplicitDeny {
                missing: Some(Kind::Identity)
            }
        );
        let strangers = repository_policy(r#"{"AWS": "999999999999"}"#);
        assert_eq!(
            authorize(&[&identity], Some(&strangers), OWNER, &bob),
            Decision::ImplicitDeny {
                missing: Some(Kind::Resource)
            }
        );
    }

    #[test]
    fn explicit_denies_win_in_either_kind() {
        let alice = pull_by("arn:aws:iam::111122223333:user/alice");
        let everyone = repository_policy(r#""*""#);
        let deny_identity = parse(
            r#"{"Statement": {"Effect": "Deny", "Action": "ecr:*", "Resource": "*"}}"#,
            Kind::Identity,
        );
        let decided = authorize(&[&deny_identity], Some(&everyone), OWNER, &alice);
        assert_eq!(decided.statement().map(|s| s.kind), Some(Kind::Identity));
        assert!(!decided.is_allowed());
        let deny_resource = parse(
            r#"{"Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:user/bob"}, "Action": "ecr:*"}}"#,
            Kind::Resource,
        );
        let decided = authorize(&[&allow_ecr()], Some(&deny_resource), OWNER, &alice);
        assert!(matches!(
            decided,
            Decision::ExplicitDeny(StatementRef {
                kind: Kind::Resource,
                ..
            })
        ));
    }

    #[test]
    fn services_need_the_resource_policy_only() {
        let service = Request::new(
            Principal::service("codebuild.amazonaws.com"),
            "ecr:BatchGetImage",
            REPO,
        );
        let names_it = repository_policy(r#"{"Service": "codebuild.amazonaws.com"}"#);
        assert!(authorize(&[], Some(&names_it), OWNER, &service).is_allowed());
        assert_eq!(
            authorize(&[&allow_ecr()], None, OWNER, &service),
            Decision::ImplicitDeny {
                missing: Some(Kind::Resource)
            }
        );
    }
}
