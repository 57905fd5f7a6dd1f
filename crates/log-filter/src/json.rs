//! JSON patterns: `{ $.level = "error" && ($.latency > 100 || $.retry IS TRUE) }`.
//!
//! A condition is a [`Selector`] and one of:
//!
//! * `=`, `!=`, `<`, `<=`, `>`, `>=` and a value ([`crate::value`]);
//! * `IS TRUE`, `IS FALSE`, `IS NULL` — the value is that JSON literal;
//! * `NOT EXISTS` — the selector reaches nothing.
//!
//! Keywords are matched case-insensitively. A condition other than
//! `NOT EXISTS` is false when the selector reaches nothing, even with `!=`.
//! Through `[*]` a condition holds when it holds for any element.
//! A message that is not a JSON object or array matches no JSON pattern.

use serde_json::Value;

use crate::error::{PatternError, Result};
use crate::expr::{self, Expr};
use crate::fields::Fields;
use crate::lexer::{Lexer, Token};
use crate::regex_term;
use crate::selector::Selector;
use crate::value::{scalar_text, Comparison};

#[derive(Debug, Clone)]
enum Test {
    Compare(Comparison),
    IsTrue,
    IsFalse,
    IsNull,
    NotExists,
}

#[derive(Debug, Clone)]
struct Condition {
    /// Index into [`JsonPattern::selectors`].
    selector: usize,
    test: Test,
}

/// A parsed JSON pattern.
#[derive(Debug, Clone)]
pub(crate) struct JsonPattern {
    expr: Expr<Condition>,
    /// Every distinct selector, in the order first written.
    selectors: Vec<Selector>,
}

/// Parses the JSON pattern whose `{` is at byte `open` of `src`.
pub(crate) fn parse(src: &str, open: usize) -> Result<JsonPattern> {
    let mut lexer = Lexer::new(src, open + 1);
    match lexer.peek()?.token {
        Token::Close('}') => {
            return Err(PatternError::Empty {
                what: "JSON pattern",
            })
        }
        Token::End => return Err(lexer.unclosed('{', '}', open)),
        _ => {}
    }
    let mut selectors = Vec::new();
    let expr = expr::parse(&mut lexer, &mut |lexer: &mut Lexer<'_>| {
        parse_condition(lexer, &mut selectors)
    })?;
    lexer.expect_close('{', '}', open, "'&&', '||' or '}'")?;
    lexer.finish()?;
    let mut regexes = 0;
    expr.for_each(&mut |c: &Condition| {
        regexes += usize::from(matches!(&c.test, Test::Compare(cmp) if cmp.is_regex()));
    });
    regex_term::check_count(regexes)?;
    Ok(JsonPattern { expr, selectors })
}

fn parse_condition(lexer: &mut Lexer<'_>, selectors: &mut Vec<Selector>) -> Result<Condition> {
    let first = lexer.next()?;
    let Token::Selector(text) = &first.token else {
        return Err(lexer.expected("a JSON selector such as $.field", &first));
    };
    let selector = Selector::parse(text, lexer.position(first.start))?;
    let index = match selectors.iter().position(|s| s == &selector) {
        Some(index) => index,
        None => {
            selectors.push(selector);
            selectors.len() - 1
        }
    };
    let next = lexer.next()?;
    let test = match &next.token {
        Token::Cmp(op) => Test::Compare(Comparison::parse_value(lexer, *op, next.start)?),
        Token::Word(w) if w.eq_ignore_ascii_case("IS") => {
            let what = lexer.next()?;
            match &what.token {
                Token::Word(w) if w.eq_ignore_ascii_case("TRUE") => Test::IsTrue,
                Token::Word(w) if w.eq_ignore_ascii_case("FALSE") => Test::IsFalse,
                Token::Word(w) if w.eq_ignore_ascii_case("NULL") => Test::IsNull,
                _ => return Err(lexer.expected("TRUE, FALSE or NULL after IS", &what)),
            }
        }
        Token::Word(w) if w.eq_ignore_ascii_case("NOT") => {
            let what = lexer.next()?;
            match &what.token {
                Token::Word(w) if w.eq_ignore_ascii_case("EXISTS") => Test::NotExists,
                _ => return Err(lexer.expected("EXISTS after NOT", &what)),
            }
        }
        _ => {
            return Err(lexer.expected("an operator (=, !=, <, <=, >, >=, IS or NOT EXISTS)", &next))
        }
    };
    Ok(Condition {
        selector: index,
        test,
    })
}

impl JsonPattern {
    pub(crate) fn matches(&self, message: &str) -> bool {
        document(message).is_some_and(|doc| self.holds(&doc))
    }

    pub(crate) fn extract(&self, message: &str) -> Option<Fields> {
        let doc = document(message)?;
        if !self.holds(&doc) {
            return None;
        }
        let mut fields = Fields::default();
        for selector in &self.selectors {
            if let Some(value) = selector.first(&doc) {
                let text = match scalar_text(value) {
                    Some(text) => text.into_owned(),
                    None => value.to_string(),
                };
                fields.push(selector.text(), text);
            }
        }
        Some(fields)
    }

    fn holds(&self, doc: &Value) -> bool {
        self.expr.eval(&mut |c: &Condition| {
            let Some(selector) = self.selectors.get(c.selector) else {
                return false;
            };
            match &c.test {
                Test::Compare(cmp) => selector.any(doc, &mut |v| cmp.test_json(v)),
                Test::IsTrue => selector.any(doc, &mut |v| v == &Value::Bool(true)),
                Test::IsFalse => selector.any(doc, &mut |v| v == &Value::Bool(false)),
                Test::IsNull => selector.any(doc, &mut Value::is_null),
                Test::NotExists => !selector.any(doc, &mut |_| true),
            }
        })
    }
}

/// The message as JSON, when it is a JSON object or array.
fn document(message: &str) -> Option<Value> {
    match message.trim_start().as_bytes().first() {
        Some(b'{' | b'[') => serde_json::from_str(message).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support;

    fn pattern(src: &str) -> JsonPattern {
        parse(src, 0).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    fn check(src: &str, yes: &[&str], no: &[&str]) {
        let pattern = pattern(src);
        test_support::check(src, |m| pattern.matches(m), yes, no);
    }

    #[test]
    fn string_equality() {
        check(
            r#"{ $.level = "error" }"#,
            &[r#"{"level":"error"}"#, r#" {"level": "error", "x": 1}"#],
            &[
                r#"{"level":"errors"}"#,
                r#"{"level":"ERROR"}"#,
                r#"{"lvl":"error"}"#,
            ],
        );
        check(
            "{ $.eventType = UpdateTrail }",
            &[r#"{"eventType":"UpdateTrail"}"#],
            &[r#"{"eventType":"CreateTrail"}"#],
        );
    }

    #[test]
    fn string_wildcards_and_inequality() {
        check(
            r#"{ $.eventType = "Update*" }"#,
            &[r#"{"eventType":"UpdateTrail"}"#],
            &[r#"{"eventType":"CreateTrail"}"#],
        );
        check(
            "{ $.sourceIPAddress != 123.123.* }",
            &[r#"{"sourceIPAddress":"10.0.0.1"}"#],
            &[r#"{"sourceIPAddress":"123.123.0.1"}"#, r#"{"other":1}"#],
        );
    }

    #[test]
    fn numbers() {
        let events = [
            r#"{"latency": 50}"#,
            r#"{"latency": 100}"#,
            r#"{"latency": 150.5}"#,
        ];
        let cases: [(&str, [bool; 3]); 6] = [
            ("{ $.latency > 100 }", [false, false, true]),
            ("{ $.latency >= 100 }", [false, true, true]),
            ("{ $.latency < 100 }", [true, false, false]),
            ("{ $.latency <= 100 }", [true, true, false]),
            ("{ $.latency = 100 }", [false, true, false]),
            ("{ $.latency != 1e2 }", [true, false, true]),
        ];
        for (src, expected) in cases {
            let pattern = pattern(src);
            for (event, expected) in events.iter().zip(expected) {
                assert_eq!(pattern.matches(event), expected, "{src} on {event}");
            }
        }
        check(
            "{ $.n > -1 }",
            &[r#"{"n": 0}"#],
            &[r#"{"n": "5"}"#, r#"{"n": null}"#],
        );
    }

    #[test]
    fn nested_properties_and_arrays() {
        check(
            r#"{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }"#,
            &[r#"{"user":{"id":1},"users":[{"email":"John.Doe@example.com"}]}"#],
            &[r#"{"user":{"id":2},"users":[{"email":"John.Doe@example.com"}]}"#],
        );
        check(
            "{ $.a.b[0].c = * }",
            &[
                r#"{"a":{"b":[{"c":null}]}}"#,
                r#"{"a":{"b":[{"c":{"d":1}}]}}"#,
            ],
            &[r#"{"a":{"b":[{"d":1}]}}"#, r#"{"a":{"b":[]}}"#],
        );
        check(
            "{ $.items[*].status = 5* }",
            &[r#"{"items":[{"status":200},{"status":503}]}"#],
            &[r#"{"items":[{"status":200}]}"#],
        );
        check("{ $[1] = b }", &[r#"["a","b"]"#], &[r#"["b"]"#]);
    }

    #[test]
    fn keywords() {
        check(
            "{ $.ok IS TRUE }",
            &[r#"{"ok":true}"#],
            &[r#"{"ok":false}"#, r#"{"ok":"true"}"#, "{}"],
        );
        check(
            "{ $.ok is false }",
            &[r#"{"ok":false}"#],
            &[r#"{"ok":true}"#],
        );
        check("{ $.v IS NULL }", &[r#"{"v":null}"#], &[r#"{"v":0}"#, "{}"]);
        check(
            "{ $.v NOT EXISTS }",
            &["{}", r#"{"w":null}"#],
            &[r#"{"v":null}"#],
        );
    }

    #[test]
    fn and_or_parentheses() {
        check(
            r#"{ ($.user.id = 2 && $.users[0].email = "x@y") || $.actions[2] = "GET" }"#,
            &[
                r#"{"user":{"id":2},"users":[{"email":"x@y"}]}"#,
                r#"{"actions":["a","b","GET"]}"#,
            ],
            &[r#"{"user":{"id":2},"users":[{"email":"z@y"}]}"#],
        );
        check(
            "{ $.a = 1 || $.b = 1 && $.c = 1 }",
            &[r#"{"a":1}"#, r#"{"b":1,"c":1}"#],
            &[r#"{"b":1}"#],
        );
    }

    #[test]
    fn regex_values() {
        check(
            "{ $.msg = %^user [0-9]+$% }",
            &[r#"{"msg":"user 42"}"#],
            &[r#"{"msg":"user x"}"#],
        );
        check(
            "{ $.msg != %fail% }",
            &[r#"{"msg":"ok"}"#],
            &[r#"{"msg":"failed"}"#],
        );
    }

    #[test]
    fn missing_values_fail_every_comparison() {
        check(
            r#"{ $.level != "error" }"#,
            &[r#"{"level":"info"}"#, r#"{"level":null}"#],
            &["{}", r#"{"other":"error"}"#],
        );
    }

    #[test]
    fn quoted_values_may_hold_pattern_syntax() {
        check(
            r#"{ $.a = "} && (x" || $.b = "\"" }"#,
            &[r#"{"a":"} && (x"}"#, r#"{"b":"\""}"#],
            &[r#"{"a":"x"}"#],
        );
    }

    #[test]
    fn messages_that_are_not_json_never_match() {
        check(
            "{ $.a NOT EXISTS }",
            &["{}", "[]"],
            &[
                "",
                "plain text",
                "{not json",
                "\"a string\"",
                "42",
                "{} trailing",
            ],
        );
    }

    #[test]
    fn extract_binds_every_selector_found() {
        let pattern = pattern(
            r#"{ $.latency > 100 && ($.user.name = "a*" || $.tags NOT EXISTS || $.x = 1) }"#,
        );
        let fields = pattern
            .extract(r#"{"latency": 250.5, "user": {"name": "alice"}, "tags": ["t"]}"#)
            .unwrap_or_else(|| panic!("should match"));
        assert_eq!(fields.get("$.latency"), Some("250.5"));
        assert_eq!(fields.get("$.user.name"), Some("alice"));
        assert_eq!(fields.get("$.tags"), Some(r#"["t"]"#));
        assert_eq!(fields.get("$.x"), None);
        assert!(pattern.extract(r#"{"latency": 50}"#).is_none());
        assert!(pattern.extract("latency 250").is_none());
    }

    fn error(src: &str) -> PatternError {
        test_support::error(src, parse(src, 0))
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            error("{ }"),
            PatternError::Empty {
                what: "JSON pattern"
            }
        );
        assert_eq!(
            error("{ $.a = 1"),
            PatternError::Unclosed {
                open: '{',
                close: '}',
                position: 1
            }
        );
        assert_eq!(error("{"), error("{  "));
        assert_eq!(
            error("{ ($.a = 1 }"),
            PatternError::Unclosed {
                open: '(',
                close: ')',
                position: 3
            }
        );
        assert!(matches!(
            error("{ $.a = 1) }"),
            PatternError::Expected { position: 10, .. }
        ));
        assert!(matches!(
            error("{ $.a = 1 } x"),
            PatternError::Unexpected { position: 13, .. }
        ));
        assert!(matches!(
            error("{ $.a = 1 ]"),
            PatternError::Expected { position: 11, .. }
        ));
    }

    #[test]
    fn condition_errors() {
        assert_eq!(
            error("{ $ = 1 }"),
            PatternError::EmptySelector { position: 3 }
        );
        assert_eq!(
            error("{ $. = 1 }"),
            PatternError::EmptySelector { position: 3 }
        );
        assert!(matches!(
            error("{ $.a == 1 }"),
            PatternError::UnknownOperator { ref operator, position: 7 } if operator == "=="
        ));
        assert!(matches!(
            error("{ a = 1 }"),
            PatternError::Expected { position: 3, .. }
        ));
        assert!(matches!(
            error("{ $.a }"),
            PatternError::Expected { position: 7, .. }
        ));
        assert!(matches!(
            error("{ $.a IS }"),
            PatternError::Expected { position: 10, .. }
        ));
        assert!(matches!(
            error("{ $.a IS MAYBE }"),
            PatternError::Expected { .. }
        ));
        assert!(matches!(
            error("{ $.a NOT THERE }"),
            PatternError::Expected { .. }
        ));
        assert!(matches!(
            error("{ $.a > abc }"),
            PatternError::NotANumber { .. }
        ));
        assert!(matches!(
            error("{ $.a = 1 && }"),
            PatternError::Expected { .. }
        ));
        assert!(matches!(
            error("{ $.a.[0] = 1 }"),
            PatternError::InvalidSelector { .. }
        ));
    }

    #[test]
    fn at_most_two_regexes() {
        assert!(parse("{ $.a = %a% && $.b = %b% }", 0).is_ok());
        assert_eq!(
            error("{ $.a = %a% && $.b = %b% && $.c = %c% }"),
            PatternError::TooManyRegexes { limit: 2 }
        );
    }
}
