//! Space-delimited patterns: `[ip, user, username, timestamp, request,
//! status_code = 4*, bytes > 1000]`.
//!
//! The message is split into fields at ASCII whitespace; a field that starts with
//! `"` runs to the next `"`, one that starts with `[` to the next `]`, and the
//! field is the text between them (so an Apache access log's
//! `[10/Oct/2000:13:55:36 -0700]` and `"GET /a.gif HTTP/1.0"` are one field
//! each). A `"` or `[` that is never closed is an ordinary character. Text
//! right after a closing `"` or `]` starts the next field.
//!
//! The pattern names the fields in order, separated by commas. Without `...`
//! the message must have exactly as many fields as the pattern; `...` (at most
//! once) stands for any number of fields, so `[..., status, bytes]` names the
//! last two. A name (letters, digits, `_`, `-`) may carry a condition on its
//! own field: comparisons ([`crate::value`]) joined by `&&` and `||`, with
//! parentheses, such as `status = 404 || status = 410`.

use crate::error::{PatternError, Result};
use crate::expr::{self, Expr};
use crate::fields::Fields;
use crate::lexer::{Lexer, Token};
use crate::regex_term;
use crate::value::Comparison;

#[derive(Debug, Clone)]
struct Field {
    name: String,
    condition: Option<Expr<Comparison>>,
}

impl Field {
    fn accepts(&self, text: &str) -> bool {
        self.condition
            .as_ref()
            .is_none_or(|condition| condition.eval(&mut |cmp: &Comparison| cmp.test_text(text)))
    }
}

/// A parsed space-delimited pattern.
#[derive(Debug, Clone)]
pub(crate) struct Delimited {
    /// The fields before `...`, or all of them.
    head: Vec<Field>,
    /// The fields after `...`, when there is one.
    tail: Option<Vec<Field>>,
}

enum Slot {
    Ellipsis,
    Field(Field),
}

/// Parses the space-delimited pattern whose `[` is at byte `open` of `src`.
pub(crate) fn parse(src: &str, open: usize) -> Result<Delimited> {
    let mut lexer = Lexer::new(src, open + 1);
    if lexer.peek()?.token == Token::Close(']') {
        return Err(PatternError::Empty {
            what: "space-delimited pattern",
        });
    }
    let mut pattern = Delimited {
        head: Vec::new(),
        tail: None,
    };
    loop {
        if lexer.peek()?.token == Token::End {
            return Err(lexer.unclosed('[', ']', open));
        }
        match parse_slot(&mut lexer)? {
            Slot::Ellipsis if pattern.tail.is_some() => return Err(PatternError::RepeatedEllipsis),
            Slot::Ellipsis => pattern.tail = Some(Vec::new()),
            Slot::Field(field) => pattern.fields_mut().push(field),
        }
        let separator = lexer.next()?;
        match separator.token {
            Token::Comma => {}
            Token::Close(']') => break,
            Token::End => return Err(lexer.unclosed('[', ']', open)),
            _ => return Err(lexer.expected("',' or ']'", &separator)),
        }
    }
    lexer.finish()?;
    pattern.validate()?;
    Ok(pattern)
}

fn parse_slot(lexer: &mut Lexer<'_>) -> Result<Slot> {
    let mut probe = lexer.clone();
    let first = probe.next()?;
    if let Token::Word(word) = &first.token {
        if matches!(
            probe.peek()?.token,
            Token::Comma | Token::Close(_) | Token::End
        ) {
            let name = word.clone();
            *lexer = probe;
            if name == "..." {
                return Ok(Slot::Ellipsis);
            }
            check_name(lexer, &name, first.start)?;
            return Ok(Slot::Field(Field {
                name,
                condition: None,
            }));
        }
    }
    let mut name = None;
    let condition = expr::parse(lexer, &mut |lexer: &mut Lexer<'_>| {
        parse_condition(lexer, &mut name)
    })?;
    match name {
        Some(name) => Ok(Slot::Field(Field {
            name,
            condition: Some(condition),
        })),
        None => Err(lexer.expected("a field name", &first)),
    }
}

/// Reads `name op value`; the first condition of a field sets its `field`
/// name, the others must test the same field.
fn parse_condition(lexer: &mut Lexer<'_>, field: &mut Option<String>) -> Result<Comparison> {
    let first = lexer.next()?;
    let Token::Word(name) = first.token else {
        return Err(lexer.expected("a field name", &first));
    };
    check_name(lexer, &name, first.start)?;
    match field {
        Some(field) if *field != name => {
            return Err(PatternError::ForeignField {
                field: field.clone(),
                other: name,
                position: lexer.position(first.start),
            })
        }
        Some(_) => {}
        None => *field = Some(name),
    }
    let op = lexer.next()?;
    match op.token {
        Token::Cmp(cmp) => Comparison::parse_value(lexer, cmp, op.start),
        _ => Err(lexer.expected("an operator (=, !=, <, <=, >, >=)", &op)),
    }
}

fn check_name(lexer: &Lexer<'_>, name: &str, at: usize) -> Result<()> {
    if name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        Ok(())
    } else {
        Err(PatternError::InvalidFieldName {
            name: name.to_owned(),
            position: lexer.position(at),
        })
    }
}

impl Delimited {
    fn fields_mut(&mut self) -> &mut Vec<Field> {
        match &mut self.tail {
            Some(tail) => tail,
            None => &mut self.head,
        }
    }

    fn fields(&self) -> impl Iterator<Item = &Field> {
        self.head.iter().chain(self.tail.iter().flatten())
    }

    fn validate(&self) -> Result<()> {
        let mut regexes = 0;
        for (i, field) in self.fields().enumerate() {
            if self.fields().take(i).any(|f| f.name == field.name) {
                return Err(PatternError::DuplicateField {
                    name: field.name.clone(),
                });
            }
            if let Some(condition) = &field.condition {
                condition.for_each(&mut |cmp: &Comparison| regexes += usize::from(cmp.is_regex()));
            }
        }
        regex_term::check_count(regexes)
    }

    pub(crate) fn matches(&self, message: &str) -> bool {
        self.pair(&split(message))
            .is_some_and(|pairs| pairs.into_iter().all(|(field, text)| field.accepts(text)))
    }

    pub(crate) fn extract(&self, message: &str) -> Option<Fields> {
        let values = split(message);
        let pairs = self.pair(&values)?;
        let mut fields = Fields::default();
        for (field, text) in pairs {
            if !field.accepts(text) {
                return None;
            }
            fields.push(&field.name, text.to_owned());
        }
        Some(fields)
    }

    /// Each pattern field with the message field it names, or none when the
    /// message has too few or (without `...`) too many fields.
    fn pair<'p, 'm>(&'p self, values: &[&'m str]) -> Option<Vec<(&'p Field, &'m str)>> {
        let tail: &[Field] = self.tail.as_deref().unwrap_or(&[]);
        let wanted = self.head.len() + tail.len();
        if values.len() < wanted || (self.tail.is_none() && values.len() > wanted) {
            return None;
        }
        let tail_values = &values[values.len() - tail.len()..];
        Some(
            self.head
                .iter()
                .zip(values.iter().copied())
                .chain(tail.iter().zip(tail_values.iter().copied()))
                .collect(),
        )
    }
}

/// Splits a message into space-delimited fields (ASCII whitespace separates).
pub(crate) fn split(message: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut rest = skip_blanks(message);
    while let Some(&first) = rest.as_bytes().first() {
        let grouped = match first {
            b'"' => group(rest, b'"'),
            b'[' => group(rest, b']'),
            _ => None,
        };
        let (field, after) = grouped.unwrap_or_else(|| {
            let end = rest
                .bytes()
                .position(|b| b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            rest.split_at(end)
        });
        fields.push(field);
        rest = skip_blanks(after);
    }
    fields
}

fn skip_blanks(text: &str) -> &str {
    text.trim_start_matches(|c: char| c.is_ascii_whitespace())
}

/// The text between the opening byte of `rest` and `close`, and what
/// follows `close` (both ASCII, so the slices fall on character boundaries).
fn group(rest: &str, close: u8) -> Option<(&str, &str)> {
    let inner = rest.get(1..)?;
    let end = inner.bytes().position(|b| b == close)?;
    Some((&inner[..end], &inner[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support;

    const APACHE: &str =
        r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534"#;

    fn pattern(src: &str) -> Delimited {
        parse(src, 0).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    fn check(src: &str, yes: &[&str], no: &[&str]) {
        let pattern = pattern(src);
        test_support::check(src, |m| pattern.matches(m), yes, no);
    }

    #[test]
    fn splits_at_whitespace_grouping_quotes_and_brackets() {
        assert_eq!(
            split(APACHE),
            [
                "127.0.0.1",
                "-",
                "frank",
                "10/Oct/2000:13:25:15 -0700",
                "GET /apache_pb.gif HTTP/1.0",
                "404",
                "1534"
            ]
        );
        assert_eq!(split("  a \t b\n"), ["a", "b"]);
        assert_eq!(split("a\u{a0}b é"), ["a\u{a0}b", "é"]);
        assert_eq!(split(r#""" [] x"#), ["", "", "x"]);
        assert_eq!(split(r#""a b"c [d e]f"#), ["a b", "c", "d e", "f"]);
        assert_eq!(
            split(r#"say "unclosed here"#),
            ["say", "\"unclosed", "here"]
        );
        assert_eq!(split("[a [b] c]"), ["a [b", "c]"]);
        assert!(split("   ").is_empty());
    }

    #[test]
    fn names_every_field() {
        let pattern = pattern("[ip, user, username, timestamp, request, status_code, bytes]");
        let fields = pattern
            .extract(APACHE)
            .unwrap_or_else(|| panic!("no match"));
        assert_eq!(fields.get("ip"), Some("127.0.0.1"));
        assert_eq!(fields.get("timestamp"), Some("10/Oct/2000:13:25:15 -0700"));
        assert_eq!(fields.get("request"), Some("GET /apache_pb.gif HTTP/1.0"));
        assert_eq!(fields.get("bytes"), Some("1534"));
        assert_eq!(fields.len(), 7);
    }

    #[test]
    fn field_count_must_match_without_ellipsis() {
        check("[a, b]", &["x y", " x  y "], &["x", "x y z", ""]);
    }

    #[test]
    fn ellipsis_stands_for_any_number_of_fields() {
        check(
            "[..., status = 404, bytes]",
            &[APACHE, "404 1", "a b 404 1"],
            &["404", "1 404"],
        );
        check("[ip, ...]", &[APACHE, "x"], &[""]);
        check("[a = x, ..., b = y]", &["x y", "x 1 2 y"], &["x", "y x"]);
        check("[...]", &["", "a b c"], &[]);
    }

    #[test]
    fn conditions_on_fields() {
        let ok = r#"127.0.0.1 - frank [t] "GET /index.html HTTP/1.0" 200 2000"#;
        check(
            "[ip, user, username, timestamp, request, status_code = 4*, bytes > 1000]",
            &[APACHE],
            &[ok, r#"1 - f [t] "r" 404 999"#],
        );
        check(
            "[ip, user, username, timestamp, request = *html*, status_code, bytes]",
            &[ok],
            &[APACHE],
        );
        check("[w1 = ERROR, w2]", &["ERROR x"], &["WARN x"]);
        check(
            r#"[w1 = "two words", w2]"#,
            &[r#""two words" x"#],
            &["two words x"],
        );
        check("[..., status != 404]", &["200", "-"], &["404"]);
        check("[..., code = %^5[0-9]{2}$%]", &["503"], &["5030", "404"]);
    }

    #[test]
    fn and_or_within_a_field() {
        let src = "[..., status_code = 404 || status_code = 410, bytes]";
        check(src, &["404 1", "410 1"], &["500 1"]);
        check("[n >= 200 && n < 300]", &["200", "299"], &["300", "x"]);
        check("[(n = 1 || n = 2) && n != 2]", &["1"], &["2", "3"]);
    }

    #[test]
    fn extract_binds_fields_when_the_message_matches() {
        let pattern = pattern("[..., status = 4*, bytes]");
        let fields = pattern
            .extract(APACHE)
            .unwrap_or_else(|| panic!("no match"));
        assert_eq!(fields.get("status"), Some("404"));
        assert_eq!(fields.get("bytes"), Some("1534"));
        assert_eq!(fields.get("ip"), None);
        assert!(pattern.extract("x 200 5").is_none());
    }

    fn error(src: &str) -> PatternError {
        test_support::error(src, parse(src, 0))
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            error("[ ]"),
            PatternError::Empty {
                what: "space-delimited pattern"
            }
        );
        assert_eq!(
            error("[a, b"),
            PatternError::Unclosed {
                open: '[',
                close: ']',
                position: 1
            }
        );
        assert_eq!(error("["), error("[a,"));
        assert!(matches!(
            error("[a, , b]"),
            PatternError::Expected { position: 5, .. }
        ));
        assert!(matches!(
            error("[a,]"),
            PatternError::Expected { position: 4, .. }
        ));
        assert!(matches!(
            error("[a b]"),
            PatternError::Expected { position: 4, .. }
        ));
        assert!(matches!(
            error("[a] b"),
            PatternError::Unexpected { position: 5, .. }
        ));
        assert!(matches!(
            error("[a }"),
            PatternError::Expected { position: 4, .. }
        ));
        assert_eq!(error("[..., a, ...]"), PatternError::RepeatedEllipsis);
        assert_eq!(
            error("[a, b, a = 1]"),
            PatternError::DuplicateField { name: "a".into() }
        );
    }

    #[test]
    fn condition_errors() {
        assert_eq!(
            error("[a = 1 || b = 2]"),
            PatternError::ForeignField {
                field: "a".into(),
                other: "b".into(),
                position: 11
            }
        );
        assert!(matches!(
            error("[a = 1 || a]"),
            PatternError::Expected { .. }
        ));
        assert!(matches!(
            error("[(a)]"),
            PatternError::Expected { position: 4, .. }
        ));
        assert!(matches!(
            error("[a => 1]"),
            PatternError::UnknownOperator { position: 4, .. }
        ));
        assert!(matches!(error("[a > x]"), PatternError::NotANumber { .. }));
        assert!(matches!(error("[a = ]"), PatternError::Expected { .. }));
        assert!(matches!(
            error("[a IS TRUE]"),
            PatternError::Expected { .. }
        ));
        assert!(matches!(
            error(r#"["a", b]"#),
            PatternError::Expected { position: 2, .. }
        ));
        assert!(matches!(
            error("[a.b]"),
            PatternError::InvalidFieldName { position: 2, .. }
        ));
        assert!(matches!(
            error("[x*, b]"),
            PatternError::InvalidFieldName { .. }
        ));
        assert!(matches!(error("[$.a = 1]"), PatternError::Expected { .. }));
        assert_eq!(
            error("[a = %1%, b = %2%, c = %3%]"),
            PatternError::TooManyRegexes { limit: 2 }
        );
    }
}
