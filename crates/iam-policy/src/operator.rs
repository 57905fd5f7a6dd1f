//! Condition operators: their names, the values they take, and whether one
//! request value matches a policy's values.
//!
//! An operator name is `[ForAnyValue:|ForAllValues:]<base>[IfExists]`. Each
//! base operator is a positive comparison, possibly negated
//! (`StringNotEquals` is "not `StringEquals`"); the negation and the set
//! qualifiers are applied in `condition.rs`, so this file only answers "does
//! this one value match any of the policy's values".

use std::net::IpAddr;

use crate::error::Problem;
use crate::pattern::{Pattern, Syntax};
use crate::request::Context;
use crate::values::{self, Cidr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Cmp::Eq => request == policy,
            Cmp::Lt => request < policy,
            Cmp::Le => request <= policy,
            Cmp::Gt => request > policy,
            Cmp::Ge => request >= policy,
        }
    }
}

/// The positive comparison an operator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    /// `ArnEquals` and `ArnLike` both match with wildcards, per segment.
    Arn,
    Null,
}

/// Every base operator IAM has: name, comparison, negated.
const OPERATORS: &[(&str, Base, bool)] = &[
    ("StringEquals", Base::StringEquals, false),
    ("StringNotEquals", Base::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Base::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Base::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Base::StringLike, false),
    ("StringNotLike", Base::StringLike, true),
    ("NumericEquals", Base::Numeric(Cmp::Eq), false),
    ("NumericNotEquals", Base::Numeric(Cmp::Eq), true),
    ("NumericLessThan", Base::Numeric(Cmp::Lt), false),
    ("NumericLessThanEquals", Base::Numeric(Cmp::Le), false),
    ("NumericGreaterThan", Base::Numeric(Cmp::Gt), false),
    ("NumericGreaterThanEquals", Base::Numeric(Cmp::Ge), false),
    ("DateEquals", Base::Date(Cmp::Eq), false),
    ("DateNotEquals", Base::Date(Cmp::Eq), true),
    ("DateLessThan", Base::Date(Cmp::Lt), false),
    ("DateLessThanEquals", Base::Date(Cmp::Le), false),
    ("DateGreaterThan", Base::Date(Cmp::Gt), false),
    ("DateGreaterThanEquals", Base::Date(Cmp::Ge), false),
    ("Bool", Base::Bool, false),
    ("BinaryEquals", Base::Binary, false),
    ("IpAddress", Base::Ip, false),
    ("NotIpAddress", Base::Ip, true),
    ("ArnEquals", Base::Arn, false),
    ("ArnLike", Base::Arn, false),
    ("ArnNotEquals", Base::Arn, true),
    ("ArnNotLike", Base::Arn, true),
    ("Null", Base::Null, false),
];

/// How a multi-valued request key is tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Set {
    /// No qualifier.
    Plain,
    /// `ForAnyValue:` — at least one request value matches.
    AnyValue,
    /// `ForAllValues:` — every request value matches (true when there are none).
    AllValues,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operator {
    pub base: Base,
    pub negated: bool,
    pub if_exists: bool,
    pub set: Set,
}

impl Operator {
    /// Reads an operator name; `None` if IAM has no such operator. `Null`
    /// takes neither a set qualifier nor `IfExists`.
    pub(crate) fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Set::AnyValue, rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Set::AllValues, rest)
        } else {
            (Set::Plain, name)
        };
        let (if_exists, base_name) = match rest.strip_suffix("IfExists") {
            Some(base_name) => (true, base_name),
            None => (false, rest),
        };
        let &(_, base, negated) = OPERATORS.iter().find(|(known, _, _)| *known == base_name)?;
        if base == Base::Null && (if_exists || set != Set::Plain) {
            return None;
        }
        Some(Operator {
            base,
            negated,
            if_exists,
            set,
        })
    }
}

/// A condition's policy values, parsed for its operator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Values {
    /// String, ARN and Bool operators (these take policy variables).
    Patterns(Vec<Pattern>),
    Numbers(Vec<f64>),
    Dates(Vec<i128>),
    Binaries(Vec<Vec<u8>>),
    Networks(Vec<Cidr>),
    /// `Null`: `true` means "the key is absent".
    Absent(Vec<bool>),
}

impl Values {
    /// Parses the values written under `operator` (named as written, for
    /// messages). `variables` is whether the policy version has them.
    pub(crate) fn parse(
        operator: &str,
        base: Base,
        raw: &[String],
        variables: bool,
    ) -> Result<Values, Problem> {
        let bad = |value: &str, expected: &'static str| Problem::ConditionValue {
            operator: operator.to_owned(),
            value: value.to_owned(),
            expected,
        };
        let patterns = |wildcards: bool| -> Result<Values, Problem> {
            raw.iter()
                .map(|value| {
                    Pattern::compile(
                        value,
                        Syntax {
                            wildcards,
                            variables,
                        },
                    )
                    .map_err(Problem::Variable)
                })
                .collect::<Result<_, _>>()
                .map(Values::Patterns)
        };
        match base {
            Base::StringEquals | Base::StringEqualsIgnoreCase => patterns(false),
            Base::StringLike | Base::Arn => patterns(true),
            Base::Bool => {
                let is_bool = |v: &str| {
                    v.eq_ignore_ascii_case("true")
                        || v.eq_ignore_ascii_case("false")
                        || (variables && v.contains("${"))
                };
                match raw.iter().find(|v| !is_bool(v)) {
                    Some(v) => Err(bad(v, "true or false")),
                    None => patterns(false),
                }
            }
            Base::Numeric(_) => raw
                .iter()
                .map(|v| values::number(v).ok_or_else(|| bad(v, "a number")))
                .collect::<Result<_, _>>()
                .map(Values::Numbers),
            Base::Date(_) => raw
                .iter()
                .map(|v| {
                    values::date(v)
                        .ok_or_else(|| bad(v, "an ISO 8601 date and time or epoch seconds"))
                })
                .collect::<Result<_, _>>()
                .map(Values::Dates),
            Base::Binary => raw
                .iter()
                .map(|v| values::base64(v).ok_or_else(|| bad(v, "base64")))
                .collect::<Result<_, _>>()
                .map(Values::Binaries),
            Base::Ip => raw
                .iter()
                .map(|v| {
                    Cidr::parse(v).ok_or_else(|| bad(v, "an IPv4 or IPv6 address or CIDR block"))
                })
                .collect::<Result<_, _>>()
                .map(Values::Networks),
            Base::Null => raw
                .iter()
                .map(|v| match v.to_ascii_lowercase().as_str() {
                    "true" => Ok(true),
                    "false" => Ok(false),
                    _ => Err(bad(v, "true or false")),
                })
                .collect::<Result<_, _>>()
                .map(Values::Absent),
        }
    }

    /// Whether one request value matches any of the policy values under
    /// `base` (the positive comparison). A request value of the wrong type
    /// (a number key holding "abc") matches nothing.
    pub(crate) fn match_one(&self, base: Base, value: &str, context: &Context) -> bool {
        match (self, base) {
            (Values::Patterns(patterns), Base::StringEquals) => patterns
                .iter()
                .any(|p| p.text(context).is_some_and(|text| text == value)),
            (Values::Patterns(patterns), Base::StringEqualsIgnoreCase) => {
                let value = value.to_lowercase();
                patterns.iter().any(|p| {
                    p.text(context)
                        .is_some_and(|text| text.to_lowercase() == value)
                })
            }
            (Values::Patterns(patterns), Base::Bool) => patterns.iter().any(|p| {
                p.text(context)
                    .is_some_and(|text| text.eq_ignore_ascii_case(value))
            }),
            (Values::Patterns(patterns), Base::StringLike) => {
                patterns.iter().any(|p| p.matches(value, context, false))
            }
            (Values::Patterns(patterns), Base::Arn) => {
                patterns.iter().any(|p| p.matches_arn(value, context))
            }
            (Values::Numbers(numbers), Base::Numeric(cmp)) => {
                values::number(value).is_some_and(|v| numbers.iter().any(|n| cmp.holds(v, *n)))
            }
            (Values::Dates(dates), Base::Date(cmp)) => {
                values::date(value).is_some_and(|v| dates.iter().any(|d| cmp.holds(v, *d)))
            }
            (Values::Binaries(binaries), Base::Binary) => {
                values::base64(value).is_some_and(|v| binaries.contains(&v))
            }
            (Values::Networks(networks), Base::Ip) => value
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|address| networks.iter().any(|n| n.contains(address))),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str) -> Operator {
        Operator::parse(name).unwrap_or_else(|| panic!("{name} is an operator"))
    }

    fn values(base: Base, raw: &[&str]) -> Values {
        let raw: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
        Values::parse("Test", base, &raw, true).unwrap_or_else(|e| panic!("{raw:?}: {e}"))
    }

    fn matches(base: Base, policy: &[&str], value: &str) -> bool {
        values(base, policy).match_one(base, value, &Context::default())
    }

    #[test]
    fn operator_names() {
        assert_eq!(
            op("StringNotLike"),
            Operator {
                base: Base::StringLike,
                negated: true,
                if_exists: false,
                set: Set::Plain
            }
        );
        let qualified = op("ForAllValues:StringEqualsIgnoreCaseIfExists");
        assert_eq!(
            (qualified.set, qualified.if_exists, qualified.negated),
            (Set::AllValues, true, false)
        );
        assert_eq!(op("ForAnyValue:NumericLessThan").set, Set::AnyValue);
        assert_eq!(op("NotIpAddressIfExists").base, Base::Ip);
        assert_eq!(op("ArnEquals").base, op("ArnLike").base);
        assert_eq!(op("Null").base, Base::Null);
        for unknown in [
            "StringEqual",
            "stringequals",
            "NullIfExists",
            "ForAnyValue:Null",
            "ForSomeValues:StringLike",
            "IfExists",
            "",
        ] {
            assert_eq!(Operator::parse(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn strings() {
        assert!(matches(Base::StringEquals, &["prod", "dev"], "dev"));
        assert!(!matches(Base::StringEquals, &["prod"], "Prod"));
        assert!(
            !matches(Base::StringEquals, &["pro*"], "prod"),
            "StringEquals has no wildcards"
        );
        assert!(matches(Base::StringEqualsIgnoreCase, &["PROD"], "prod"));
        assert!(matches(
            Base::StringLike,
            &["team/*/web", "x"],
            "team/a/b/web"
        ));
        assert!(!matches(Base::StringLike, &["Team/*"], "team/a"));
    }

    #[test]
    fn numbers_compare_the_request_with_the_policy() {
        assert!(matches(Base::Numeric(Cmp::Lt), &["10"], "9"));
        assert!(!matches(Base::Numeric(Cmp::Lt), &["10"], "10"));
        assert!(matches(Base::Numeric(Cmp::Le), &["10"], "10.0"));
        assert!(matches(Base::Numeric(Cmp::Gt), &["10"], "1e2"));
        assert!(matches(Base::Numeric(Cmp::Ge), &["-1"], "-1"));
        assert!(matches(Base::Numeric(Cmp::Eq), &["1", "2"], "2"));
        assert!(
            !matches(Base::Numeric(Cmp::Eq), &["1"], "one"),
            "a non-number matches nothing"
        );
    }

    #[test]
    fn dates() {
        let april = "2020-04-01T00:00:00Z";
        assert!(matches(
            Base::Date(Cmp::Gt),
            &[april],
            "2020-04-01T00:00:01Z"
        ));
        assert!(!matches(Base::Date(Cmp::Gt), &[april], april));
        assert!(matches(Base::Date(Cmp::Ge), &[april], april));
        assert!(
            matches(Base::Date(Cmp::Lt), &[april], "1585699199"),
            "epoch seconds compare with ISO dates"
        );
        assert!(matches(Base::Date(Cmp::Le), &["1585699200"], april));
        assert!(matches(Base::Date(Cmp::Eq), &[april], "2020-04-01"));
        assert!(!matches(Base::Date(Cmp::Eq), &[april], "soon"));
    }

    #[test]
    fn booleans_binaries_networks_arns() {
        assert!(matches(Base::Bool, &["true"], "true"));
        assert!(matches(Base::Bool, &["TRUE"], "True"));
        assert!(!matches(Base::Bool, &["true"], "false"));
        assert!(!matches(Base::Bool, &["false"], "no"));
        assert!(matches(Base::Binary, &["QmVydGg="], "QmVydGg="));
        assert!(
            matches(Base::Binary, &["QmVydGg="], "QmVydGg"),
            "bytes are compared, not text"
        );
        assert!(!matches(Base::Binary, &["QmVydGg="], "QmVydA=="));
        assert!(matches(
            Base::Ip,
            &["203.0.113.0/24", "2001:db8::/32"],
            "2001:db8::5"
        ));
        assert!(matches(Base::Ip, &["203.0.113.0/24"], "203.0.113.9"));
        assert!(!matches(Base::Ip, &["203.0.113.0/24"], "not-an-ip"));
        let role = "arn:aws:iam::111122223333:role/deploy";
        assert!(matches(Base::Arn, &["arn:aws:iam::*:role/deploy"], role));
        assert!(matches(
            Base::Arn,
            &["arn:aws:iam::111122223333:role/*"],
            role
        ));
        assert!(!matches(
            Base::Arn,
            &["arn:aws:iam::111122223333:user/*"],
            role
        ));
    }

    #[test]
    fn policy_values_are_checked_for_their_operator() {
        let parse = |base, value: &str| Values::parse("Op", base, &[value.to_owned()], true);
        assert!(parse(Base::Numeric(Cmp::Eq), "ten").is_err());
        assert!(parse(Base::Date(Cmp::Eq), "tomorrow").is_err());
        assert!(parse(Base::Ip, "10.0.0.0/40").is_err());
        assert!(parse(Base::Binary, "???").is_err());
        assert!(parse(Base::Bool, "yes").is_err());
        assert!(parse(Base::Bool, "${aws:SecureTransport}").is_ok());
        assert!(parse(Base::Null, "maybe").is_err());
        assert!(parse(Base::StringLike, "${unclosed").is_err());
        let message = parse(Base::Numeric(Cmp::Lt), "ten")
            .map(|_| ())
            .expect_err("not a number")
            .to_string();
        assert_eq!(message, "Op cannot compare with \"ten\": expected a number");
    }
}
