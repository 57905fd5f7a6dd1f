//! The Principal and NotPrincipal elements, and who they name.
//!
//! A request's principal is seen as up to three identities at once, the way
//! IAM evaluates it:
//! 1. its own ARN (a user, a role, an assumed-role session, a federated user);
//! 2. for an assumed-role session `arn:aws:sts::A:assumed-role/R/S`, the role
//!    `R` of account `A` (a policy naming `arn:aws:iam::A:role/any/path/R`
//!    names its sessions too — role names are unique in an account whatever
//!    their path, and session ARNs carry no path);
//! 3. its account (`"111122223333"` and `arn:aws:iam::111122223333:root` both
//!    name it, and so every principal in that account).
//!
//! An AWS service acting as itself is one identity, its service name; a
//! federated caller, its provider.
//!
//! `Principal` matches when any identity is listed. `NotPrincipal` (a Deny
//! that spares who it lists) applies when any identity is *not* listed — so,
//! as in IAM, sparing a role session takes its session ARN, its role ARN and
//! its account, all three.
//!
//! `"*"` names everyone; `{"AWS": "*"}` names every IAM principal (not a
//! service acting as itself). Wildcards are not allowed inside a principal.
//! `CanonicalUser` (S3) is accepted and never matches.

use crate::error::Problem;
use crate::json::Json;
use crate::request::Principal;

/// How a Principal element matched: what a resource policy grants to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Via {
    /// Only the principal's account was listed: the account's own
    /// identity-based policies decide who in it may act.
    Account,
    /// `"*"` or `{"AWS": "*"}`.
    Everyone,
    /// The principal itself (its ARN, its role, its service); in an
    /// identity-based policy, the identity it is attached to.
    Principal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principals {
    Everyone,
    Listed(Vec<Listed>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Listed {
    AwsEveryone,
    Account(String),
    Arn(String),
    Service(String),
    Federated(String),
    CanonicalUser(String),
}

#[derive(Debug, Clone, Copy)]
enum Identity<'a> {
    Arn(&'a str),
    Role {
        partition: &'a str,
        account: &'a str,
        name: &'a str,
    },
    Account(&'a str),
    Service(&'a str),
    Federated(&'a str),
}

impl Principals {
    /// Parses a Principal or NotPrincipal element (`element` names it in messages).
    pub(crate) fn parse(json: &Json, element: &'static str) -> Result<Principals, Problem> {
        let fields = match json {
            Json::String(s) if s == "*" => return Ok(Principals::Everyone),
            Json::Object(fields) if !fields.is_empty() => fields,
            _ => return Err(Problem::PrincipalShape(element)),
        };
        let mut listed = Vec::new();
        for (kind, values) in fields {
            let values = values.string_list().ok_or(Problem::Shape(element))?;
            for value in values {
                let bad = |expected| Problem::Principal {
                    kind: kind.clone(),
                    value: value.to_owned(),
                    expected,
                };
                listed.push(match kind.as_str() {
                    "AWS" => aws(value).ok_or_else(|| {
                        bad("expected \"*\", a 12-digit account id, or the ARN of an account root, user, role, assumed-role session or federated user, without wildcards")
                    })?,
                    "Service" => Listed::Service(name(value).ok_or_else(|| bad("expected a service name like \"ecs-tasks.amazonaws.com\""))?),
                    "Federated" => Listed::Federated(name(value).ok_or_else(|| bad("expected an identity provider name or ARN"))?),
                    "CanonicalUser" => Listed::CanonicalUser(name(value).ok_or_else(|| bad("expected a canonical user id"))?),
                    other => return Err(Problem::PrincipalType(other.to_owned())),
                });
            }
        }
        Ok(Principals::Listed(listed))
    }

    /// How `Principal` matches the caller, the strongest way it does.
    pub(crate) fn matches(&self, caller: &Principal) -> Option<Via> {
        match self {
            Principals::Everyone => Some(Via::Everyone),
            Principals::Listed(listed) => identities(caller)
                .into_iter()
                .flat_map(|identity| listed.iter().filter_map(move |entry| entry.names(identity)))
                .max(),
        }
    }

    /// Whether `NotPrincipal` applies: some identity of the caller is unlisted.
    pub(crate) fn excludes(&self, caller: &Principal) -> bool {
        match self {
            Principals::Everyone => false,
            Principals::Listed(listed) => identities(caller)
                .into_iter()
                .any(|identity| listed.iter().all(|entry| entry.names(identity).is_none())),
        }
    }
}

impl Listed {
    fn names(&self, identity: Identity<'_>) -> Option<Via> {
        let iam = matches!(
            identity,
            Identity::Arn(_) | Identity::Role { .. } | Identity::Account(_)
        );
        let named = match (self, identity) {
            (Listed::AwsEveryone, _) => return iam.then_some(Via::Everyone),
            (Listed::Account(listed), Identity::Account(account)) => {
                return (listed == account).then_some(Via::Account)
            }
            (Listed::Arn(listed), Identity::Arn(arn)) => listed == arn,
            (
                Listed::Arn(listed),
                Identity::Role {
                    partition,
                    account,
                    name,
                },
            ) => role_of(listed).is_some_and(|role| role == (partition, account, name)),
            (Listed::Service(listed), Identity::Service(service)) => {
                listed.eq_ignore_ascii_case(service)
            }
            (Listed::Federated(listed), Identity::Federated(provider)) => listed == provider,
            _ => false,
        };
        named.then_some(Via::Principal)
    }
}

fn identities(caller: &Principal) -> Vec<Identity<'_>> {
    if let Some(service) = &caller.service {
        return vec![Identity::Service(service)];
    }
    if let Some(provider) = &caller.federated {
        return vec![Identity::Federated(provider)];
    }
    let mut identities = Vec::with_capacity(3);
    if !caller.arn.is_empty() {
        identities.push(Identity::Arn(&caller.arn));
    }
    if let Some((partition, account, resource)) = split_arn(&caller.arn, "sts") {
        if let Some(name) = resource
            .strip_prefix("assumed-role/")
            .and_then(|rest| rest.split('/').next())
        {
            identities.push(Identity::Role {
                partition,
                account,
                name,
            });
        }
    }
    if !caller.account.is_empty() {
        identities.push(Identity::Account(&caller.account));
    }
    identities
}

/// (partition, account, name) of `arn:P:iam::A:role/path/name`.
fn role_of(arn: &str) -> Option<(&str, &str, &str)> {
    let (partition, account, resource) = split_arn(arn, "iam")?;
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    Some((partition, account, name))
}

/// (partition, account, resource) of an ARN of `service` with no region.
fn split_arn<'a>(arn: &'a str, service: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let mut fields = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(found), Some(""), Some(account), Some(resource)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return None;
    };
    (found == service && !partition.is_empty() && !resource.is_empty())
        .then_some((partition, account, resource))
}

fn aws(value: &str) -> Option<Listed> {
    if value == "*" {
        return Some(Listed::AwsEveryone);
    }
    if is_account_id(value) {
        return Some(Listed::Account(value.to_owned()));
    }
    if value.contains(['*', '?']) {
        return None;
    }
    let (account, resource) = split_arn(value, "iam")
        .or_else(|| split_arn(value, "sts"))
        .map(|(_, account, resource)| (account, resource))?;
    if !is_account_id(account) {
        return None;
    }
    Some(if resource == "root" {
        Listed::Account(account.to_owned())
    } else {
        Listed::Arn(value.to_owned())
    })
}

fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

/// A service or provider name: not empty, no wildcards.
fn name(value: &str) -> Option<String> {
    (!value.trim().is_empty() && !value.contains(['*', '?'])).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn principals(text: &str) -> Principals {
        let tree = json::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        Principals::parse(&tree, "Principal").unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn problem(text: &str) -> Problem {
        let tree = json::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        Principals::parse(&tree, "Principal").expect_err(text)
    }

    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/deploy/ci-42";

    #[test]
    fn accounts_name_everyone_in_them() {
        let by_id = principals(r#"{"AWS": "111122223333"}"#);
        let by_root = principals(r#"{"AWS": ["arn:aws:iam::111122223333:root"]}"#);
        assert_eq!(by_id, by_root);
        for arn in [
            "arn:aws:iam::111122223333:user/bob",
            SESSION,
            "arn:aws:iam::111122223333:root",
        ] {
            assert_eq!(
                by_id.matches(&Principal::from_arn(arn)),
                Some(Via::Account),
                "{arn}"
            );
        }
        assert_eq!(
            by_id.matches(&Principal::from_arn("arn:aws:iam::444455556666:user/bob")),
            None
        );
    }

    #[test]
    fn a_role_names_its_sessions_whatever_its_path() {
        let role = principals(r#"{"AWS": "arn:aws:iam::111122223333:role/ci/deploy"}"#);
        assert_eq!(
            role.matches(&Principal::from_arn(SESSION)),
            Some(Via::Principal)
        );
        assert_eq!(
            role.matches(&Principal::from_arn(
                "arn:aws:sts::111122223333:assumed-role/deployer/x"
            )),
            None
        );
        assert_eq!(
            role.matches(&Principal::from_arn(
                "arn:aws:sts::444455556666:assumed-role/deploy/x"
            )),
            None
        );
        let session = principals(&format!(r#"{{"AWS": "{SESSION}"}}"#));
        assert_eq!(
            session.matches(&Principal::from_arn(SESSION)),
            Some(Via::Principal)
        );
        assert_eq!(
            session.matches(&Principal::from_arn(
                "arn:aws:sts::111122223333:assumed-role/deploy/other"
            )),
            None
        );
    }

    #[test]
    fn users_match_exactly() {
        let bob = principals(r#"{"AWS": ["arn:aws:iam::111122223333:user/bob", "444455556666"]}"#);
        assert_eq!(
            bob.matches(&Principal::from_arn("arn:aws:iam::111122223333:user/bob")),
            Some(Via::Principal)
        );
        assert_eq!(
            bob.matches(&Principal::from_arn("arn:aws:iam::111122223333:user/Bob")),
            None
        );
        assert_eq!(
            bob.matches(&Principal::from_arn("arn:aws:iam::444455556666:user/eve")),
            Some(Via::Account)
        );
    }

    #[test]
    fn everyone_services_and_providers() {
        let anyone = Principal::service("ecs-tasks.amazonaws.com");
        assert_eq!(principals(r#""*""#).matches(&anyone), Some(Via::Everyone));
        assert_eq!(
            principals(r#"{"AWS": "*"}"#).matches(&anyone),
            None,
            "AWS:* names IAM principals"
        );
        assert_eq!(
            principals(r#"{"AWS": "*"}"#).matches(&Principal::from_arn(SESSION)),
            Some(Via::Everyone)
        );
        let tasks = principals(r#"{"Service": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"]}"#);
        assert_eq!(tasks.matches(&anyone), Some(Via::Principal));
        assert_eq!(
            tasks.matches(&Principal::service("lambda.amazonaws.com")),
            None
        );
        assert_eq!(tasks.matches(&Principal::from_arn(SESSION)), None);
        let cognito = principals(r#"{"Federated": "cognito-identity.amazonaws.com"}"#);
        assert_eq!(
            cognito.matches(&Principal::federated("cognito-identity.amazonaws.com")),
            Some(Via::Principal)
        );
        assert_eq!(
            principals(r#"{"CanonicalUser": "79a59df9"}"#).matches(&Principal::from_arn(SESSION)),
            None
        );
    }

    #[test]
    fn not_principal_spares_only_what_it_fully_lists() {
        let session = Principal::from_arn(SESSION);
        let only_session = principals(&format!(r#"{{"AWS": ["{SESSION}"]}}"#));
        assert!(
            only_session.excludes(&session),
            "the role and the account are still unlisted"
        );
        let all_three = principals(&format!(
            r#"{{"AWS": ["{SESSION}", "arn:aws:iam::111122223333:role/deploy", "111122223333"]}}"#
        ));
        assert!(!all_three.excludes(&session));
        assert!(all_three.excludes(&Principal::from_arn("arn:aws:iam::111122223333:user/bob")));
        assert!(!principals(r#""*""#).excludes(&session));
        assert!(principals(r#"{"Service": "ec2.amazonaws.com"}"#)
            .excludes(&Principal::service("ecs.amazonaws.com")));
    }

    #[test]
    fn invalid_principals() {
        assert_eq!(
            problem(r#""someone""#),
            Problem::PrincipalShape("Principal")
        );
        assert_eq!(problem(r#"{}"#), Problem::PrincipalShape("Principal"));
        assert_eq!(problem(r#"["*"]"#), Problem::PrincipalShape("Principal"));
        assert_eq!(
            problem(r#"{"User": "bob"}"#),
            Problem::PrincipalType("User".into())
        );
        assert_eq!(problem(r#"{"AWS": []}"#), Problem::Shape("Principal"));
        assert_eq!(
            problem(r#"{"AWS": 111122223333}"#),
            Problem::Shape("Principal")
        );
        for bad in [
            "11112222333",
            "arn:aws:iam::111122223333:user/*",
            "arn:aws:iam::*:root",
            "arn:aws:s3:::bucket",
            "arn:aws:iam:us-east-1:111122223333:user/bob",
            "arn:aws:iam::111122223333:",
            "bob",
        ] {
            let found = problem(&format!(r#"{{"AWS": "{bad}"}}"#));
            assert!(
                matches!(&found, Problem::Principal { kind, .. } if kind == "AWS"),
                "{bad}: {found:?}"
            );
        }
        assert!(matches!(
            problem(r#"{"Service": "*.amazonaws.com"}"#),
            Problem::Principal { .. }
        ));
        assert!(matches!(
            problem(r#"{"Federated": ""}"#),
            Problem::Principal { .. }
        ));
    }
}
