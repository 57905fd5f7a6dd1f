//! The Condition element: operator → key → value or values.
//!
//! How IAM combines them, and so how this does:
//! - every operator, and every key under an operator, must hold (AND);
//! - the values listed for one key are alternatives (OR);
//! - a negated operator (`StringNotEquals`, `NotIpAddress`, …) holds when the
//!   positive one does not: the request value matches none of the values;
//! - a key the request does not have fails a positive operator and passes a
//!   negated one; `...IfExists` passes when the key is absent; `Null` tests
//!   only presence (`"true"`: the key must be absent);
//! - `ForAnyValue:` holds when at least one of the request's values matches
//!   (false for an absent key); `ForAllValues:` when every one does (true for
//!   an absent key or an empty list — as in IAM, pair it with a `Null` check
//!   if absence should not pass);
//! - without a qualifier, a multi-valued request key matches when any of its
//!   values does (and a negated operator holds when none does).
//!
//! An empty list in the request counts as an absent key.

use crate::error::Problem;
use crate::json::Json;
use crate::operator::{Base, Operator, Set, Values};
use crate::request::{Context, ContextValue};

/// A parsed Condition element; the empty condition always holds.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Condition {
    tests: Vec<Test>,
}

#[derive(Debug, Clone, PartialEq)]
struct Test {
    operator: Operator,
    /// Lower-cased: condition keys are case-insensitive.
    key: String,
    values: Values,
}

impl Condition {
    /// Parses a Condition element; `variables` is whether the policy's
    /// version has policy variables.
    pub(crate) fn parse(json: &Json, variables: bool) -> Result<Condition, Problem> {
        let Json::Object(operators) = json else {
            return Err(Problem::ConditionShape);
        };
        let mut tests = Vec::new();
        for (name, keys) in operators {
            let operator = Operator::parse(name).ok_or_else(|| Problem::Operator(name.clone()))?;
            let Json::Object(keys) = keys else {
                return Err(Problem::ConditionShape);
            };
            for (key, raw) in keys {
                if !valid_key(key) {
                    return Err(Problem::ConditionKey(key.clone()));
                }
                let raw = scalars(raw).ok_or_else(|| Problem::ConditionValues {
                    operator: name.clone(),
                    key: key.clone(),
                })?;
                let values = Values::parse(name, operator.base, &raw, variables)?;
                tests.push(Test {
                    operator: operator.clone(),
                    key: key.to_lowercase(),
                    values,
                });
            }
        }
        Ok(Condition { tests })
    }

    /// Whether every test holds for the request's context.
    pub(crate) fn holds(&self, context: &Context) -> bool {
        self.tests.iter().all(|test| test.holds(context))
    }
}

impl Test {
    fn holds(&self, context: &Context) -> bool {
        let present: &[String] = match context.lookup(&self.key) {
            None => &[],
            Some(ContextValue::One(value)) => std::slice::from_ref(value),
            Some(ContextValue::Many(values)) => values,
        };
        let Operator {
            base,
            negated,
            if_exists,
            set,
        } = self.operator;
        if let (Base::Null, Values::Absent(wanted)) = (base, &self.values) {
            return wanted.contains(&present.is_empty());
        }
        if present.is_empty() {
            return if_exists
                || match set {
                    Set::Plain => negated,
                    Set::AnyValue => false,
                    Set::AllValues => true,
                };
        }
        let passes = |value: &String| self.values.match_one(base, value, context) != negated;
        match set {
            Set::Plain if negated => present.iter().all(passes),
            Set::Plain | Set::AnyValue => present.iter().any(passes),
            Set::AllValues => present.iter().all(passes),
        }
    }
}

/// `service:key` with a non-empty service prefix and name.
fn valid_key(key: &str) -> bool {
    key.split_once(':')
        .is_some_and(|(prefix, name)| !prefix.is_empty() && !name.is_empty())
}

/// A string, number or boolean, or a list of them (possibly empty), as text.
fn scalars(json: &Json) -> Option<Vec<String>> {
    match json {
        Json::Array(items) => items.iter().map(Json::scalar_text).collect(),
        single => single.scalar_text().map(|text| vec![text]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn condition(text: &str) -> Condition {
        let tree = json::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        Condition::parse(&tree, true).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn context(pairs: &[(&str, ContextValue)]) -> Context {
        let mut context = Context::default();
        for (key, value) in pairs {
            context.insert(key, value.clone());
        }
        context
    }

    fn one(value: &str) -> ContextValue {
        ContextValue::One(value.to_owned())
    }

    fn many(values: &[&str]) -> ContextValue {
        ContextValue::Many(values.iter().map(|v| v.to_string()).collect())
    }

    #[test]
    fn operators_and_keys_are_anded_values_are_ored() {
        let c = condition(
            r#"{"StringEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"], "ecr:ResourceTag/team": "web"},
                "Bool": {"aws:SecureTransport": true}}"#,
        );
        let all = [
            ("aws:PrincipalAccount", one("444455556666")),
            ("ecr:ResourceTag/team", one("web")),
            ("aws:SecureTransport", one("true")),
        ];
        assert!(c.holds(&context(&all)));
        assert!(
            !c.holds(&context(&all[..2])),
            "a missing key fails a positive operator"
        );
        let mut other = all.clone();
        other[0].1 = one("999999999999");
        assert!(!c.holds(&context(&other)));
        assert!(Condition::default().holds(&Context::default()));
    }

    #[test]
    fn keys_are_case_insensitive() {
        let c = condition(r#"{"StringEquals": {"AWS:SourceVpc": "vpc-1"}}"#);
        assert!(c.holds(&context(&[("aws:sourcevpc", one("vpc-1"))])));
    }

    #[test]
    fn negated_operators_and_absent_keys() {
        let c = condition(r#"{"StringNotEquals": {"aws:PrincipalAccount": ["1", "2"]}}"#);
        assert!(c.holds(&context(&[("aws:PrincipalAccount", one("3"))])));
        assert!(!c.holds(&context(&[("aws:PrincipalAccount", one("2"))])));
        assert!(
            c.holds(&Context::default()),
            "an absent key passes a negated operator"
        );
        let ip = condition(r#"{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}"#);
        assert!(ip.holds(&context(&[("aws:SourceIp", one("192.0.2.1"))])));
        assert!(!ip.holds(&context(&[("aws:SourceIp", one("10.1.1.1"))])));
        let many_values = condition(r#"{"StringNotLike": {"aws:TagKeys": "secret*"}}"#);
        assert!(!many_values.holds(&context(&[("aws:TagKeys", many(&["a", "secret-x"]))])));
        assert!(many_values.holds(&context(&[("aws:TagKeys", many(&["a", "b"]))])));
    }

    #[test]
    fn if_exists_passes_absent_keys_only() {
        let c = condition(r#"{"StringEqualsIfExists": {"ec2:InstanceType": ["t3.micro"]}}"#);
        assert!(c.holds(&Context::default()));
        assert!(c.holds(&context(&[("ec2:InstanceType", one("t3.micro"))])));
        assert!(!c.holds(&context(&[("ec2:InstanceType", one("m5.large"))])));
        let negated =
            condition(r#"{"ArnNotLikeIfExists": {"aws:SourceArn": "arn:aws:ecs:*:1:cluster/*"}}"#);
        assert!(negated.holds(&Context::default()));
        assert!(!negated.holds(&context(&[(
            "aws:SourceArn",
            one("arn:aws:ecs:us-east-1:1:cluster/a")
        )])));
    }

    #[test]
    fn null_tests_presence() {
        let absent = condition(r#"{"Null": {"aws:TokenIssueTime": "true"}}"#);
        assert!(absent.holds(&Context::default()));
        assert!(!absent.holds(&context(&[(
            "aws:TokenIssueTime",
            one("2024-01-01T00:00:00Z")
        )])));
        assert!(
            absent.holds(&context(&[("aws:TokenIssueTime", many(&[]))])),
            "an empty list is absent"
        );
        let present = condition(r#"{"Null": {"aws:TokenIssueTime": false}}"#);
        assert!(!present.holds(&Context::default()));
        assert!(
            present.holds(&context(&[("aws:TokenIssueTime", one(""))])),
            "an empty string is a value"
        );
    }

    #[test]
    fn set_qualifiers() {
        let all = condition(r#"{"ForAllValues:StringLike": {"aws:TagKeys": ["team", "cost*"]}}"#);
        assert!(all.holds(&context(&[("aws:TagKeys", many(&["team", "costcenter"]))])));
        assert!(!all.holds(&context(&[("aws:TagKeys", many(&["team", "owner"]))])));
        assert!(
            all.holds(&Context::default()),
            "ForAllValues holds for an absent key"
        );
        assert!(all.holds(&context(&[("aws:TagKeys", many(&[]))])));

        let any = condition(r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}"#);
        assert!(any.holds(&context(&[("aws:TagKeys", many(&["team", "owner"]))])));
        assert!(!any.holds(&context(&[("aws:TagKeys", many(&["team"]))])));
        assert!(
            !any.holds(&Context::default()),
            "ForAnyValue fails for an absent key"
        );

        // Negated, per value: every tag key is outside the list / some is.
        let none_reserved =
            condition(r#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["owner", "admin"]}}"#);
        assert!(none_reserved.holds(&context(&[("aws:TagKeys", many(&["team", "cost"]))])));
        assert!(!none_reserved.holds(&context(&[("aws:TagKeys", many(&["team", "admin"]))])));
        let some_other =
            condition(r#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["owner"]}}"#);
        assert!(some_other.holds(&context(&[("aws:TagKeys", many(&["owner", "team"]))])));
        assert!(!some_other.holds(&context(&[("aws:TagKeys", many(&["owner"]))])));

        // A single value is a set of one.
        assert!(any.holds(&context(&[("aws:TagKeys", one("owner"))])));
        // Without a qualifier, any value of a list may match.
        let plain = condition(r#"{"StringEquals": {"aws:TagKeys": "owner"}}"#);
        assert!(plain.holds(&context(&[("aws:TagKeys", many(&["team", "owner"]))])));
    }

    #[test]
    fn variables_in_values() {
        let c =
            condition(r#"{"StringLike": {"s3:prefix": ["home/${aws:username}/*", "shared/*"]}}"#);
        let bob = [
            ("aws:username", one("bob")),
            ("s3:prefix", one("home/bob/notes")),
        ];
        assert!(c.holds(&context(&bob)));
        let alice = [
            ("aws:username", one("alice")),
            ("s3:prefix", one("home/bob/notes")),
        ];
        assert!(!c.holds(&context(&alice)));
        let anonymous = [("s3:prefix", one("home/bob/notes"))];
        assert!(
            !c.holds(&context(&anonymous)),
            "an unresolved variable matches nothing"
        );
        assert!(c.holds(&context(&[("s3:prefix", one("shared/x"))])));
    }

    #[test]
    fn malformed_conditions() {
        let err = |text: &str| {
            let tree = json::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            Condition::parse(&tree, true).expect_err(text)
        };
        assert_eq!(err(r#""StringEquals""#), Problem::ConditionShape);
        assert_eq!(err(r#"{"StringEquals": "x"}"#), Problem::ConditionShape);
        assert_eq!(
            err(r#"{"StringEqualz": {"aws:x": "y"}}"#),
            Problem::Operator("StringEqualz".into())
        );
        assert_eq!(
            err(r#"{"StringEquals": {"SourceIp": "y"}}"#),
            Problem::ConditionKey("SourceIp".into())
        );
        assert_eq!(
            err(r#"{"StringEquals": {":x": "y"}}"#),
            Problem::ConditionKey(":x".into())
        );
        assert!(matches!(
            err(r#"{"StringEquals": {"aws:x": {"a": 1}}}"#),
            Problem::ConditionValues { .. }
        ));
        assert!(matches!(
            err(r#"{"StringEquals": {"aws:x": [null]}}"#),
            Problem::ConditionValues { .. }
        ));
        assert!(matches!(
            err(r#"{"IpAddress": {"aws:SourceIp": "10.0.0.0/99"}}"#),
            Problem::ConditionValue { .. }
        ));
        assert!(matches!(
            err(r#"{"NumericLessThan": {"s3:max-keys": ["1", "x"]}}"#),
            Problem::ConditionValue { .. }
        ));
    }
}
