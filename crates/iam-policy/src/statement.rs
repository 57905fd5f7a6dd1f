//! One statement: its elements, their validation, and whether it applies to
//! a request.
//!
//! A statement applies when its principal, action, resource and condition
//! all match. Actions are `service:name` patterns compared case-insensitively
//! (`ecr:Get*`, `*`); resources are ARN patterns compared case-sensitively,
//! with the segment rule of `pattern.rs`. A resource-based policy may leave
//! Resource out: the statement is about the resource the policy is attached
//! to. Policy variables are read in Resource, NotResource and condition
//! values of policies at version 2012-10-17.

use crate::condition::Condition;
use crate::error::Problem;
use crate::json::Json;
use crate::pattern::{Pattern, Syntax};
use crate::policy::{Kind, Version};
use crate::principal::{Principals, Via};
use crate::request::Request;

/// What a statement does when it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One parsed statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    sid: Option<String>,
    effect: Effect,
    principal: Option<PrincipalElement>,
    action: Patterns,
    /// Absent only in resource-based policies: the attached resource.
    resource: Option<Patterns>,
    condition: Condition,
}

#[derive(Debug, Clone, PartialEq)]
struct PrincipalElement {
    not: bool,
    principals: Principals,
}

/// An Action/NotAction or Resource/NotResource element.
#[derive(Debug, Clone, PartialEq)]
struct Patterns {
    not: bool,
    patterns: Vec<Pattern>,
}

const ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

impl Statement {
    /// The statement's Sid, if it has one.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// Allow or Deny.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// Reads the Sid alone, so that an error elsewhere can name it.
    pub(crate) fn sid_of(json: &Json) -> Option<String> {
        match json {
            Json::Object(fields) => {
                fields
                    .iter()
                    .find(|(k, _)| k == "Sid")
                    .and_then(|(_, v)| match v {
                        Json::String(sid) => Some(sid.clone()),
                        _ => None,
                    })
            }
            _ => None,
        }
    }

    pub(crate) fn parse(json: &Json, kind: Kind, version: Version) -> Result<Statement, Problem> {
        let Json::Object(fields) = json else {
            return Err(Problem::NotAnObject);
        };
        if let Some((unknown, _)) = fields.iter().find(|(k, _)| !ELEMENTS.contains(&k.as_str())) {
            return Err(Problem::UnknownElement(unknown.clone()));
        }
        let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v);

        let sid = match get("Sid") {
            None => None,
            Some(Json::String(sid)) => {
                if kind == Kind::Identity && !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(Problem::SidCharacters(sid.clone()));
                }
                Some(sid.clone())
            }
            Some(_) => return Err(Problem::SidType),
        };
        let effect = match get("Effect") {
            None => return Err(Problem::MissingEffect),
            Some(Json::String(e)) if e == "Allow" => Effect::Allow,
            Some(Json::String(e)) if e == "Deny" => Effect::Deny,
            Some(other) => return Err(Problem::Effect(other.to_string())),
        };

        let principal = match (get("Principal"), get("NotPrincipal"), kind) {
            (Some(_), Some(_), _) => return Err(Problem::Both("Principal")),
            (Some(_), None, Kind::Identity) | (None, Some(_), Kind::Identity) => {
                return Err(Problem::PrincipalInIdentityPolicy)
            }
            (None, None, Kind::Identity) => None,
            (None, None, Kind::Resource) => return Err(Problem::Missing("Principal")),
            (Some(p), None, Kind::Resource) => Some(PrincipalElement {
                not: false,
                principals: Principals::parse(p, "Principal")?,
            }),
            (None, Some(p), Kind::Resource) => {
                if effect == Effect::Allow {
                    return Err(Problem::NotPrincipalWithAllow);
                }
                Some(PrincipalElement {
                    not: true,
                    principals: Principals::parse(p, "NotPrincipal")?,
                })
            }
        };

        let action =
            pair(get("Action"), get("NotAction"), "Action")?.ok_or(Problem::Missing("Action"))?;
        let action = Patterns::parse(action, "Action", action_pattern)?;

        let variables = version == Version::V2012_10_17;
        let resource = match pair(get("Resource"), get("NotResource"), "Resource")? {
            Some(resource) => Some(Patterns::parse(resource, "Resource", |text| {
                resource_pattern(text, variables)
            })?),
            None if kind == Kind::Identity => return Err(Problem::Missing("Resource")),
            None => None,
        };

        let condition = match get("Condition") {
            Some(condition) => Condition::parse(condition, variables)?,
            None => Condition::default(),
        };
        Ok(Statement {
            sid,
            effect,
            principal,
            action,
            resource,
            condition,
        })
    }

    /// Whether the statement applies to `request`, and how its principal
    /// matched (`Via::Principal` in identity-based policies). `action` is the
    /// request's action, lower-cased once by the caller.
    pub(crate) fn applies(&self, request: &Request, action: &str) -> Option<Via> {
        let via = match &self.principal {
            None => Via::Principal,
            Some(PrincipalElement {
                not: false,
                principals,
            }) => principals.matches(&request.principal)?,
            Some(PrincipalElement {
                not: true,
                principals,
            }) => principals
                .excludes(&request.principal)
                .then_some(Via::Everyone)?,
        };
        let context = &request.context;
        let action_listed = self
            .action
            .patterns
            .iter()
            .any(|p| p.matches(action, context, false));
        if action_listed == self.action.not {
            return None;
        }
        if let Some(resource) = &self.resource {
            let listed = resource
                .patterns
                .iter()
                .any(|p| p.matches_arn(&request.resource, context));
            if listed == resource.not {
                return None;
            }
        }
        self.condition.holds(context).then_some(via)
    }
}

/// The element of an X/NotX pair that is present, as (value, is NotX).
fn pair<'a>(
    x: Option<&'a Json>,
    not_x: Option<&'a Json>,
    name: &'static str,
) -> Result<Option<(&'a Json, bool)>, Problem> {
    match (x, not_x) {
        (Some(_), Some(_)) => Err(Problem::Both(name)),
        (Some(x), None) => Ok(Some((x, false))),
        (None, Some(not_x)) => Ok(Some((not_x, true))),
        (None, None) => Ok(None),
    }
}

impl Patterns {
    fn parse(
        (json, not): (&Json, bool),
        name: &'static str,
        compile: impl Fn(&str) -> Result<Pattern, Problem>,
    ) -> Result<Patterns, Problem> {
        let texts = json.string_list().ok_or(Problem::Shape(name))?;
        let patterns = texts.into_iter().map(compile).collect::<Result<_, _>>()?;
        Ok(Patterns { not, patterns })
    }
}

/// `*`, or `prefix:name` with a prefix of letters, digits and `-` and a name
/// of letters, digits, `-`, `_` and wildcards; compiled lower-case.
fn action_pattern(text: &str) -> Result<Pattern, Problem> {
    let valid = text == "*"
        || text.split_once(':').is_some_and(|(prefix, name)| {
            !prefix.is_empty()
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '?'))
        });
    if !valid {
        return Err(Problem::Action(text.to_owned()));
    }
    Pattern::compile(
        &text.to_lowercase(),
        Syntax {
            wildcards: true,
            variables: false,
        },
    )
    .map_err(Problem::Variable)
}

/// `*`, or an ARN with all six fields (`arn:partition:service:region:account:resource`).
fn resource_pattern(text: &str, variables: bool) -> Result<Pattern, Problem> {
    let valid = text == "*" || (text.starts_with("arn:") && text.splitn(6, ':').count() == 6);
    if !valid {
        return Err(Problem::Resource(text.to_owned()));
    }
    Pattern::compile(
        text,
        Syntax {
            wildcards: true,
            variables,
        },
    )
    .map_err(Problem::Variable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::request::Principal;

    fn statement(text: &str, kind: Kind) -> Result<Statement, Problem> {
        statement_at(text, kind, Version::V2012_10_17)
    }

    fn statement_at(text: &str, kind: Kind, version: Version) -> Result<Statement, Problem> {
        let tree = json::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        Statement::parse(&tree, kind, version)
    }

    fn identity(text: &str) -> Statement {
        statement(text, Kind::Identity).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn request(action: &str, resource: &str) -> Request {
        Request::new(
            Principal::from_arn("arn:aws:iam::111122223333:user/bob"),
            action,
            resource,
        )
    }

    fn applies(s: &Statement, r: &Request) -> bool {
        s.applies(r, &r.action.to_lowercase()).is_some()
    }

    const REPO: &str = "arn:aws:ecr:us-east-1:111122223333:repository/web";

    #[test]
    fn actions_are_case_insensitive_patterns() {
        let s = identity(
            r#"{"Effect": "Allow", "Action": ["ECR:batchget*", "ecr:GetDownloadUrlForLayer"], "Resource": "*"}"#,
        );
        assert!(applies(&s, &request("ecr:BatchGetImage", REPO)));
        assert!(applies(&s, &request("ecr:getdownloadurlforlayer", REPO)));
        assert!(!applies(&s, &request("ecr:PutImage", REPO)));
        assert!(!applies(&s, &request("ecs:BatchGetImage", REPO)));
        let all = identity(r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#);
        assert!(applies(&all, &request("anything:AtAll", "arn:aws:s3:::b")));
    }

    #[test]
    fn not_action_and_not_resource_invert_the_list() {
        let s = identity(
            r#"{"Effect": "Deny", "NotAction": "ecr:Get*", "NotResource": "arn:aws:ecr:*:*:repository/public/*"}"#,
        );
        assert!(applies(&s, &request("ecr:PutImage", REPO)));
        assert!(!applies(&s, &request("ecr:GetAuthorizationToken", REPO)));
        assert!(!applies(
            &s,
            &request(
                "ecr:PutImage",
                "arn:aws:ecr:us-east-1:111122223333:repository/public/x"
            )
        ));
    }

    #[test]
    fn resources_are_case_sensitive_and_take_variables() {
        let s = identity(
            r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}"#,
        );
        assert!(applies(
            &s,
            &request("s3:GetObject", "arn:aws:s3:::home/bob/a.txt")
        ));
        assert!(!applies(
            &s,
            &request("s3:GetObject", "arn:aws:s3:::home/alice/a.txt")
        ));
        assert!(!applies(
            &s,
            &request("s3:GetObject", "arn:aws:s3:::HOME/bob/a.txt")
        ));
        let text = r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}"#;
        let legacy = statement_at(text, Kind::Identity, Version::V2008_10_17)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !applies(
                &legacy,
                &request("s3:GetObject", "arn:aws:s3:::home/bob/a.txt")
            ),
            "2008-10-17 has no variables"
        );
        assert!(applies(
            &legacy,
            &request("s3:GetObject", "arn:aws:s3:::home/${aws:username}/a.txt")
        ));
    }

    #[test]
    fn resource_policies_may_leave_resource_out() {
        let s = statement(
            r#"{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}"#,
            Kind::Resource,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.applies(&request("ecr:BatchGetImage", REPO), "ecr:batchgetimage"),
            Some(Via::Everyone)
        );
    }

    #[test]
    fn each_validation_error() {
        let err = |text: &str, kind| statement(text, kind).expect_err(text);
        use Kind::{Identity as I, Resource as R};
        assert_eq!(err(r#"["Allow"]"#, I), Problem::NotAnObject);
        assert_eq!(
            err(
                r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Resources": "*"}"#,
                I
            ),
            Problem::UnknownElement("Resources".into())
        );
        assert_eq!(
            err(
                r#"{"Sid": 1, "Effect": "Allow", "Action": "*", "Resource": "*"}"#,
                I
            ),
            Problem::SidType
        );
        assert_eq!(
            err(
                r#"{"Sid": "allow pull", "Effect": "Allow", "Action": "*", "Resource": "*"}"#,
                I
            ),
            Problem::SidCharacters("allow pull".into())
        );
        assert!(
            statement(
                r#"{"Sid": "allow pull", "Effect": "Allow", "Principal": "*", "Action": "*"}"#,
                R
            )
            .is_ok(),
            "resource policies allow any Sid"
        );
        assert_eq!(
            err(r#"{"Action": "*", "Resource": "*"}"#, I),
            Problem::MissingEffect
        );
        assert_eq!(
            err(r#"{"Effect": "allow", "Action": "*", "Resource": "*"}"#, I),
            Problem::Effect("\"allow\"".into())
        );
        assert_eq!(
            err(r#"{"Effect": true, "Action": "*", "Resource": "*"}"#, I),
            Problem::Effect("true".into())
        );
        assert_eq!(
            err(r#"{"Effect": "Allow", "Resource": "*"}"#, I),
            Problem::Missing("Action")
        );
        assert_eq!(
            err(
                r#"{"Effect": "Allow", "Action": "*", "NotAction": "*", "Resource": "*"}"#,
                I
            ),
            Problem::Both("Action")
        );
        assert_eq!(
            err(r#"{"Effect": "Allow", "Action": "*"}"#, I),
            Problem::Missing("Resource")
        );
        assert_eq!(
            err(
                r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"}"#,
                I
            ),
            Problem::Both("Resource")
        );
        assert_eq!(
            err(
                r#"{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}"#,
                I
            ),
            Problem::PrincipalInIdentityPolicy
        );
        assert_eq!(
            err(
                r#"{"Effect": "Deny", "NotPrincipal": "*", "Action": "*", "Resource": "*"}"#,
                I
            ),
            Problem::PrincipalInIdentityPolicy
        );
        assert_eq!(
            err(r#"{"Effect": "Allow", "Action": "*"}"#, R),
            Problem::Missing("Principal")
        );
        assert_eq!(
            err(
                r#"{"Effect": "Deny", "Principal": "*", "NotPrincipal": "*", "Action": "*"}"#,
                R
            ),
            Problem::Both("Principal")
        );
        assert_eq!(
            err(
                r#"{"Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"}, "Action": "*"}"#,
                R
            ),
            Problem::NotPrincipalWithAllow
        );
        assert_eq!(
            err(r#"{"Effect": "Allow", "Action": [], "Resource": "*"}"#, I),
            Problem::Shape("Action")
        );
        assert_eq!(
            err(
                r#"{"Effect": "Allow", "Action": ["ecr:*", 3], "Resource": "*"}"#,
                I
            ),
            Problem::Shape("Action")
        );
        assert_eq!(
            err(
                r#"{"Effect": "Allow", "Action": "*", "Resource": {"arn": "x"}}"#,
                I
            ),
            Problem::Shape("Resource")
        );
        for bad in [
            "BatchGetImage",
            "ecr:",
            ":Get",
            "ecr:Get Image",
            "ec*:Get",
            "ecr:a:b",
        ] {
            let text = format!(r#"{{"Effect": "Allow", "Action": "{bad}", "Resource": "*"}}"#);
            assert_eq!(err(&text, I), Problem::Action(bad.into()), "{bad}");
        }
        for bad in ["repository/web", "arn:aws:ecr:us-east-1:1", "**", ""] {
            let text = format!(r#"{{"Effect": "Allow", "Action": "*", "Resource": "{bad}"}}"#);
            assert_eq!(err(&text, I), Problem::Resource(bad.into()), "{bad}");
        }
        assert_eq!(
            err(
                r#"{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username"}"#,
                I
            ),
            Problem::Variable("arn:aws:s3:::b/${aws:username".into())
        );
        assert_eq!(
            err(
                r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": []}"#,
                I
            ),
            Problem::ConditionShape
        );
    }
}
