//! A whole policy document: Version, Id and its statements.

use std::collections::HashSet;
use std::fmt;

use crate::error::{Location, PolicyError, Problem};
use crate::json::{self, Json};
use crate::statement::Statement;

/// Where a policy is attached, which decides its grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Attached to a user, group or role: no Principal (the identity is the
    /// principal), and every statement names its resources.
    Identity,
    /// Attached to a resource (an ECR repository policy, a role's trust
    /// policy, a secret's policy): every statement names its principals;
    /// Resource may be left out (the attached resource).
    Resource,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Identity => "identity-based policy",
            Kind::Resource => "resource-based policy",
        })
    }
}

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)] // the versions' own names read best
pub enum Version {
    /// `2012-10-17`, the current language: policy variables are read.
    V2012_10_17,
    /// `2008-10-17`, and the version of a policy that names none: `${...}`
    /// is literal text.
    V2008_10_17,
}

/// A parsed, validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    kind: Kind,
    version: Version,
    id: Option<String>,
    statements: Vec<Statement>,
}

impl Policy {
    /// Parses and validates `text` as a policy of `kind`.
    pub fn parse(text: &str, kind: Kind) -> Result<Policy, PolicyError> {
        let Json::Object(fields) = json::parse(text)? else {
            return Err(PolicyError::NotAnObject);
        };
        let (mut version, mut id, mut statement) = (Version::V2008_10_17, None, None);
        for (name, value) in &fields {
            match (name.as_str(), value) {
                ("Version", Json::String(v)) if v == "2012-10-17" => version = Version::V2012_10_17,
                ("Version", Json::String(v)) if v == "2008-10-17" => version = Version::V2008_10_17,
                ("Version", other) => return Err(PolicyError::Version(other.to_string())),
                ("Id", Json::String(v)) => id = Some(v.clone()),
                ("Id", _) => return Err(PolicyError::Id),
                ("Statement", value) => statement = Some(value),
                (other, _) => return Err(PolicyError::UnknownElement(other.to_owned())),
            }
        }
        let items: &[Json] = match statement {
            None => return Err(PolicyError::MissingStatement),
            Some(one @ Json::Object(_)) => std::slice::from_ref(one),
            Some(Json::Array(items)) if !items.is_empty() => items,
            Some(_) => return Err(PolicyError::StatementShape),
        };

        let mut statements = Vec::with_capacity(items.len());
        let mut sids = HashSet::new();
        for (index, item) in items.iter().enumerate() {
            let at = || Location {
                index,
                sid: Statement::sid_of(item),
            };
            let parsed = Statement::parse(item, kind, version)
                .map_err(|problem| PolicyError::Statement { at: at(), problem })?;
            if let Some(sid) = parsed.sid().filter(|sid| !sid.is_empty()) {
                if !sids.insert(sid.to_owned()) {
                    return Err(PolicyError::Statement {
                        at: at(),
                        problem: Problem::DuplicateSid(sid.to_owned()),
                    });
                }
            }
            statements.push(parsed);
        }
        Ok(Policy {
            kind,
            version,
            id,
            statements,
        })
    }

    /// Identity-based or resource-based.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The language version (2008-10-17 when the document names none).
    pub fn version(&self) -> Version {
        self.version
    }

    /// The Id element, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str, kind: Kind) -> PolicyError {
        Policy::parse(text, kind).expect_err(text)
    }

    const ALLOW: &str = r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#;

    #[test]
    fn versions_ids_and_statement_shapes() {
        let one = Policy::parse(
            &format!(r#"{{"Version": "2012-10-17", "Id": "p1", "Statement": {ALLOW}}}"#),
            Kind::Identity,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (one.version(), one.id(), one.statements().len()),
            (Version::V2012_10_17, Some("p1"), 1)
        );
        assert_eq!(one.kind(), Kind::Identity);
        let list = Policy::parse(
            &format!(r#"{{"Statement": [{ALLOW}, {ALLOW}]}}"#),
            Kind::Identity,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (list.version(), list.statements().len()),
            (Version::V2008_10_17, 2)
        );
        let old = Policy::parse(
            &format!(r#"{{"Version": "2008-10-17", "Statement": [{ALLOW}]}}"#),
            Kind::Identity,
        );
        assert!(old.is_ok());
    }

    #[test]
    fn document_errors() {
        use Kind::Identity as I;
        assert!(matches!(err("", I), PolicyError::Json(_)));
        assert!(matches!(err("{\"Statement\": [", I), PolicyError::Json(_)));
        assert!(matches!(
            err(
                &format!(r#"{{"Statement": {ALLOW}, "Statement": {ALLOW}}}"#),
                I
            ),
            PolicyError::Json(_)
        ));
        assert_eq!(err("[]", I), PolicyError::NotAnObject);
        assert_eq!(err("\"policy\"", I), PolicyError::NotAnObject);
        assert_eq!(
            err(&format!(r#"{{"Statement": {ALLOW}, "Statment": []}}"#), I),
            PolicyError::UnknownElement("Statment".into())
        );
        assert_eq!(
            err(
                &format!(r#"{{"Version": "2012-10-18", "Statement": {ALLOW}}}"#),
                I
            ),
            PolicyError::Version("\"2012-10-18\"".into())
        );
        assert_eq!(
            err(&format!(r#"{{"Version": 2012, "Statement": {ALLOW}}}"#), I),
            PolicyError::Version("2012".into())
        );
        assert_eq!(
            err(&format!(r#"{{"Id": 7, "Statement": {ALLOW}}}"#), I),
            PolicyError::Id
        );
        assert_eq!(
            err(r#"{"Version": "2012-10-17"}"#, I),
            PolicyError::MissingStatement
        );
        assert_eq!(err(r#"{"Statement": []}"#, I), PolicyError::StatementShape);
        assert_eq!(
            err(r#"{"Statement": "Allow"}"#, I),
            PolicyError::StatementShape
        );
    }

    #[test]
    fn statement_errors_say_where() {
        let text = r#"{"Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "DenyPush", "Effect": "Deny", "Action": "ecr:PutImage"}]}"#;
        let e = err(text, Kind::Identity);
        assert_eq!(
            e,
            PolicyError::Statement {
                at: Location {
                    index: 1,
                    sid: Some("DenyPush".into())
                },
                problem: Problem::Missing("Resource")
            }
        );
        assert_eq!(e.to_string(), "Statement[1] (Sid \"DenyPush\"): a statement must have a Resource or a NotResource element");

        let no_sid = err(
            r#"{"Statement": {"Effect": "Permit", "Action": "*", "Resource": "*"}}"#,
            Kind::Identity,
        );
        assert_eq!(
            no_sid.to_string(),
            "Statement[0]: the Effect element must be \"Allow\" or \"Deny\", not \"Permit\""
        );
    }

    #[test]
    fn sids_are_unique() {
        let text = r#"{"Statement": [
            {"Sid": "Pull", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"},
            {"Sid": "", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"},
            {"Sid": "", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"},
            {"Sid": "Pull", "Effect": "Deny", "Principal": "*", "Action": "ecr:PutImage"}]}"#;
        let e = err(text, Kind::Resource);
        assert!(
            matches!(
                e,
                PolicyError::Statement {
                    at: Location { index: 3, .. },
                    problem: Problem::DuplicateSid(_)
                }
            ),
            "{e:?}"
        );
    }
}
