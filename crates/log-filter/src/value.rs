//! The right-hand side of a condition — `= 404`, `> 1.5`, `!= "a*"`,
//! `= %re%` — and how it compares with a field's text or a JSON value.
//!
//! * A bare word that reads as a number (`-1`, `2.5`, `1e3`) is a number.
//!   It compares numerically with JSON numbers and with delimited fields that
//!   read as numbers; anything else is *not comparable*.
//! * Any other bare word, or any quoted string, is a string value with `*`
//!   wildcards ([`Glob`]). It matches JSON strings, and JSON numbers, booleans
//!   and `null` by their JSON text (`{ $.code = 4* }` matches `404`). Objects
//!   and arrays only match `*`, which matches any value that exists.
//! * `%regex%` searches the same text as a string value (unanchored).
//!
//! `!=` is the negation of `=` for a value that exists: a value that is not
//! comparable is `!=` everything. `<`, `<=`, `>` and `>=` need a number on the
//! right and are false for values that are not comparable.

use std::borrow::Cow;

use regex::Regex;
use serde_json::Value;

use crate::error::{PatternError, Result};
use crate::glob::Glob;
use crate::lexer::{Lexer, Token};
use crate::regex_term;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub(crate) fn from_symbol(symbol: &str) -> Option<CmpOp> {
        Some(match symbol {
            "=" => CmpOp::Eq,
            "!=" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            _ => return None,
        })
    }

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    fn is_equality(self) -> bool {
        matches!(self, CmpOp::Eq | CmpOp::Ne)
    }

    fn numbers(self, left: f64, right: f64) -> bool {
        match self {
            CmpOp::Eq => left == right,
            CmpOp::Ne => left != right,
            CmpOp::Lt => left < right,
            CmpOp::Le => left <= right,
            CmpOp::Gt => left > right,
            CmpOp::Ge => left >= right,
        }
    }

    /// The result for a value whose equality with the literal is `equal`.
    fn equality(self, equal: bool) -> bool {
        equal == (self == CmpOp::Eq)
    }

    /// The result for a value that cannot be compared with the literal.
    fn incomparable(self) -> bool {
        self == CmpOp::Ne
    }
}

#[derive(Debug, Clone)]
enum Literal {
    Number(f64),
    Text(Glob),
    Regex(Regex),
}

/// An operator and the value it compares with.
#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    op: CmpOp,
    literal: Literal,
}

impl Comparison {
    /// Reads the value after `op` (already taken from `lexer`, at byte `op_at`).
    pub(crate) fn parse_value(lexer: &mut Lexer<'_>, op: CmpOp, op_at: usize) -> Result<Self> {
        let value = lexer.next()?;
        let literal = match value.token {
            Token::Word(word) => match parse_number(&word) {
                Some(number) => Literal::Number(number),
                None if op.is_equality() => Literal::Text(Glob::bare(&word)),
                None => return Err(not_a_number(lexer, op, op_at, word)),
            },
            Token::Quoted(raw) if op.is_equality() => Literal::Text(Glob::quoted(&raw)),
            Token::Quoted(raw) => return Err(not_a_number(lexer, op, op_at, raw)),
            Token::Regex(body) if op.is_equality() => {
                Literal::Regex(regex_term::compile(&body, lexer.position(value.start))?)
            }
            Token::Regex(_) => {
                return Err(PatternError::RegexOperator {
                    operator: op.symbol(),
                    position: lexer.position(op_at),
                })
            }
            _ => return Err(lexer.expected("a value", &value)),
        };
        Ok(Comparison { op, literal })
    }

    pub(crate) fn is_regex(&self) -> bool {
        matches!(self.literal, Literal::Regex(_))
    }

    /// Compares with a space-delimited field.
    pub(crate) fn test_text(&self, text: &str) -> bool {
        match &self.literal {
            Literal::Number(right) => match parse_number(text) {
                Some(left) => self.op.numbers(left, *right),
                None => self.op.incomparable(),
            },
            Literal::Text(glob) => self.op.equality(glob.matches(text)),
            Literal::Regex(regex) => self.op.equality(regex.is_match(text)),
        }
    }

    /// Compares with a value found in a JSON event.
    pub(crate) fn test_json(&self, value: &Value) -> bool {
        match (&self.literal, value) {
            (Literal::Number(right), Value::Number(left)) => match left.as_f64() {
                Some(left) => self.op.numbers(left, *right),
                None => self.op.incomparable(),
            },
            (Literal::Number(_), _) => self.op.incomparable(),
            (Literal::Text(glob), _) if glob.matches_anything() => self.op.equality(true),
            (Literal::Text(_) | Literal::Regex(_), _) => match scalar_text(value) {
                Some(text) => self.test_text(&text),
                None => self.op.incomparable(),
            },
        }
    }
}

fn not_a_number(lexer: &Lexer<'_>, op: CmpOp, op_at: usize, value: String) -> PatternError {
    PatternError::NotANumber {
        operator: op.symbol(),
        value,
        position: lexer.position(op_at),
    }
}

/// The text a string value is compared with: strings as they are, other
/// scalars as JSON writes them; none for objects and arrays.
pub(crate) fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(true) => Some(Cow::Borrowed("true")),
        Value::Bool(false) => Some(Cow::Borrowed("false")),
        Value::Null => Some(Cow::Borrowed("null")),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// `text` as a number when it is written as one: an optional sign, digits
/// with an optional fraction (`1`, `1.5`, `.5`, `5.`) and an optional
/// exponent (`1e3`, `2.5E-2`). `inf`, `NaN` and hex are not numbers.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let digits_from = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let integer_end = digits_from(i);
    let mut digits = integer_end - i;
    i = integer_end;
    if bytes.get(i) == Some(&b'.') {
        let fraction_end = digits_from(i + 1);
        digits += fraction_end - (i + 1);
        i = fraction_end;
    }
    if digits == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exponent_end = digits_from(i);
        if exponent_end == i {
            return None;
        }
        i = exponent_end;
    }
    if i != bytes.len() {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn comparison(src: &str) -> Result<Comparison> {
        let mut lexer = Lexer::new(src, 0);
        let op = match lexer.next()?.token {
            Token::Cmp(op) => op,
            other => panic!("no operator: {other:?}"),
        };
        Comparison::parse_value(&mut lexer, op, 0)
    }

    fn cmp(src: &str) -> Comparison {
        comparison(src).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    #[test]
    fn numbers_are_written_plainly() {
        for (text, number) in [
            ("1", 1.0),
            ("-1", -1.0),
            ("+2.5", 2.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("2.5E-2", 0.025),
        ] {
            assert_eq!(parse_number(text), Some(number), "{text}");
        }
        for text in [
            "", "-", ".", "e3", "1e", "1e+", "inf", "NaN", "0x10", "1.2.3", "4*", "1 ",
        ] {
            assert_eq!(parse_number(text), None, "{text}");
        }
    }

    #[test]
    fn numeric_comparisons_of_text() {
        assert!(cmp("> 1000").test_text("1001"));
        assert!(!cmp("> 1000").test_text("1000"));
        assert!(cmp(">= 1000").test_text("1000"));
        assert!(cmp("< 0").test_text("-0.5"));
        assert!(cmp("<= 1e3").test_text("1000"));
        assert!(cmp("= 200").test_text("200.0"));
        assert!(cmp("!= 200").test_text("201"));
    }

    #[test]
    fn text_that_is_not_a_number_is_incomparable() {
        assert!(!cmp("> 1").test_text("-"));
        assert!(!cmp("= 1").test_text("one"));
        assert!(cmp("!= 1").test_text("one"));
    }

    #[test]
    fn string_values_with_wildcards() {
        assert!(cmp("= 4*").test_text("404"));
        assert!(!cmp("= 4*").test_text("500"));
        assert!(cmp("!= 4*").test_text("500"));
        assert!(cmp(r#"= "GET *""#).test_text("GET /index.html"));
        assert!(cmp("= %^4[0-9]{2}$%").test_text("404"));
        assert!(!cmp("!= %^4[0-9]{2}$%").test_text("404"));
    }

    #[test]
    fn json_values() {
        assert!(cmp("> 100").test_json(&json!(150)));
        assert!(!cmp("> 100").test_json(&json!("150")));
        assert!(cmp("!= 100").test_json(&json!("100")));
        assert!(cmp("= error").test_json(&json!("error")));
        assert!(cmp("= 4*").test_json(&json!(404)));
        assert!(cmp("= true").test_json(&json!(true)));
        assert!(cmp("= null").test_json(&json!(null)));
        assert!(!cmp(r#"= "a""#).test_json(&json!(["a"])));
        assert!(cmp(r#"!= "a""#).test_json(&json!({"a": 1})));
        assert!(cmp("= *").test_json(&json!({"a": 1})));
        assert!(cmp("= *").test_json(&json!(null)));
        assert!(!cmp("!= *").test_json(&json!([])));
    }

    #[test]
    fn ordering_needs_a_number() {
        assert_eq!(
            comparison("> abc").map(|_| ()),
            Err(PatternError::NotANumber {
                operator: ">",
                value: "abc".into(),
                position: 1
            })
        );
        assert!(matches!(
            comparison(r#"<= "1""#),
            Err(PatternError::NotANumber { .. })
        ));
        assert!(matches!(
            comparison("< %1%"),
            Err(PatternError::RegexOperator { operator: "<", .. })
        ));
    }

    #[test]
    fn a_value_must_follow_the_operator() {
        for src in ["=", "= )", "= &&", "= $.a"] {
            assert!(
                matches!(comparison(src), Err(PatternError::Expected { .. })),
                "{src}"
            );
        }
    }
}
