//! CloudWatch Logs **filter patterns**: a parser and a matcher, with no IO.
//!
//! The same small language picks log events in `FilterLogEvents`, decides
//! which events a metric filter counts (and which values it publishes), and
//! which events a subscription filter forwards. A pattern is parsed once with
//! [`FilterPattern::parse`] — a rejected pattern gives a [`PatternError`]
//! whose message suits an `InvalidParameterException` — and then tested
//! against any number of messages with [`FilterPattern::matches`], or with
//! [`FilterPattern::extract`] when a metric filter also needs the values the
//! pattern names.
//!
//! ```
//! use berth_log_filter::FilterPattern;
//!
//! let errors = FilterPattern::parse("ERROR -Exiting").unwrap();
//! assert!(errors.matches("[ERROR] disk full"));
//! assert!(!errors.matches("[ERROR] Exiting"));
//!
//! let slow = FilterPattern::parse(r#"{ $.level = "error" && $.latency > 100 }"#).unwrap();
//! let fields = slow.extract(r#"{"level": "error", "latency": 250}"#).unwrap();
//! assert_eq!(fields.get("$.latency"), Some("250"));
//!
//! let access = FilterPattern::parse("[ip, user, ..., status = 4*, bytes > 1000]").unwrap();
//! let line = r#"10.0.0.1 - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 404 2326"#;
//! assert_eq!(access.extract(line).unwrap().get("status"), Some("404"));
//!
//! assert!(FilterPattern::parse("{ $.latency => 100 }").is_err());
//! ```
//!
//! # The four kinds of pattern
//!
//! The first character that is not whitespace decides:
//!
//! | starts with | kind | example |
//! | --- | --- | --- |
//! | nothing (`""`, blanks) | everything matches | |
//! | `{` | JSON (`json.rs`) | `{ $.user.id = 1 && $.tags[0] = "a*" }` |
//! | `[` | space-delimited (`delimited.rs`) | `[ip, ..., status = 404 \|\| status = 410, bytes]` |
//! | anything else | terms (`unstructured.rs`) | `?ERROR ?WARN -Retrying "out of memory" %oom-[0-9]+%` |
//!
//! **Terms** are case-sensitive substrings; several must all appear; `-term`
//! must not; `?` starts an alternative, so `?ERROR ?WARN` is either.
//! Unquoted terms are letters, digits and `_`; anything else goes in double
//! quotes (`\"` and `\\` escape). `" "` matches everything.
//!
//! **JSON** patterns test selectors (`$.a.b`, `$.a[0]`, `$.a[*].b`) with
//! `=`, `!=`, `<`, `<=`, `>`, `>=`, `IS TRUE`, `IS FALSE`, `IS NULL` and
//! `NOT EXISTS`, joined by `&&` (tighter) and `||`, grouped by parentheses.
//! A message that is not JSON matches no JSON pattern.
//!
//! **Space-delimited** patterns name the message's fields in order (split
//! at ASCII whitespace, `"…"` and `[…]` grouping one field), `...` standing for any
//! number of fields, each name optionally with a condition on its field.
//!
//! **Values** after an operator are numbers (`100`, `-1.5e3`), strings with
//! `*` wildcards (`4*`, `"Update*"`, `*html*`; `= *` means "exists"), or
//! `%regex%`. **Regular expressions** (`%…%`) are CloudWatch's restricted
//! syntax: no parentheses, ASCII only, at most two in a JSON or space-delimited
//! pattern (`regex_term.rs`).
//!
//! # Where CloudWatch's documentation is silent
//!
//! Each source file says what it decided and has a test stating it. In short: terms
//! before the first `?` are an alternative of their own; a `*` in the middle of
//! a value is a wildcard too; `!=` and the ordering operators never hold for a
//! missing JSON value (only `NOT EXISTS` does); number values compare only
//! with numbers, string values also with JSON numbers and booleans as JSON
//! writes them; keywords such as `IS TRUE` are case-insensitive; a condition
//! in a space-delimited field may only test that field; parentheses nest at
//! most [`MAX_NESTING`] deep.
//!
//! Not supported: unquoted terms with symbols (rejected, as CloudWatch does),
//! JSON keys that need quoting (`$.['a b']`), `$.*` wildcards on objects,
//! and a selector in a metric filter's *metric value* that the pattern itself
//! does not name ([`FilterPattern::extract`] binds only the pattern's
//! selectors). The 1,024-character limit on a pattern is left to the API layer.
//!
//! # Speed
//!
//! `FilterLogEvents` may run a pattern over a million stored events per call.
//! Unstructured patterns allocate nothing per message: each literal term is
//! a [`memchr::memmem::Finder`] built once. JSON patterns parse each
//! candidate message (skipping those that do not start like JSON);
//! space-delimited patterns split each message into borrowed fields.
//! `tests/speed.rs` measures it (`--release -- --ignored --nocapture`); on a
//! shared 2-core machine, per 120-byte event: one term 20–30 ns (20–30 ms per
//! million events), a long phrase or three terms 20–35 ns, a regex 30–50 ns,
//! a space-delimited pattern 200–310 ns and a JSON pattern 400–650 ns.

mod delimited;
mod error;
mod expr;
mod fields;
mod glob;
mod json;
mod lexer;
mod regex_term;
mod selector;
#[cfg(test)]
mod test_support;
mod unstructured;
mod value;

pub use error::PatternError;
pub use fields::Fields;

/// How deep parentheses may nest in a JSON or space-delimited pattern.
pub const MAX_NESTING: usize = expr::MAX_DEPTH;

/// A parsed filter pattern: immutable, cheap to share between threads.
#[derive(Debug, Clone)]
pub struct FilterPattern {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Everything,
    Terms(unstructured::Terms),
    Json(json::JsonPattern),
    Delimited(delimited::Delimited),
}

impl FilterPattern {
    /// Parses a filter pattern. An empty or whitespace-only pattern matches
    /// every event.
    pub fn parse(text: &str) -> Result<FilterPattern, PatternError> {
        let start = text.len() - text.trim_start().len();
        let kind = match text[start..].chars().next() {
            None => Kind::Everything,
            Some('{') => Kind::Json(json::parse(text, start)?),
            Some('[') => Kind::Delimited(delimited::parse(text, start)?),
            Some(_) => Kind::Terms(unstructured::parse(text)?),
        };
        Ok(FilterPattern { kind })
    }

    /// Whether the event message `message` matches.
    pub fn matches(&self, message: &str) -> bool {
        match &self.kind {
            Kind::Everything => true,
            Kind::Terms(terms) => terms.matches(message),
            Kind::Json(json) => json.matches(message),
            Kind::Delimited(delimited) => delimited.matches(message),
        }
    }

    /// For metric filters: the values the pattern binds when `message`
    /// matches, or `None` when it does not.
    ///
    /// JSON patterns bind each selector they name (`$.latency`) that the
    /// event has; space-delimited patterns bind each named field (`status`);
    /// unstructured patterns bind nothing (an empty [`Fields`]).
    pub fn extract(&self, message: &str) -> Option<Fields> {
        match &self.kind {
            Kind::Everything => Some(Fields::default()),
            Kind::Terms(terms) => terms.matches(message).then(Fields::default),
            Kind::Json(json) => json.extract(message),
            Kind::Delimited(delimited) => delimited.extract(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> FilterPattern {
        FilterPattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn is_send_sync_clone_debug() {
        fn assert_traits<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
        assert_traits::<FilterPattern>();
        assert_traits::<Fields>();
        assert_traits::<PatternError>();
    }

    #[test]
    fn empty_and_blank_patterns_match_everything() {
        for text in ["", " ", "\t\n  "] {
            let pattern = parse(text);
            assert!(pattern.matches(""));
            assert!(pattern.matches("anything at all"));
            assert_eq!(pattern.extract("x"), Some(Fields::default()));
        }
    }

    #[test]
    fn the_first_character_picks_the_kind() {
        assert!(parse("  { $.a = 1 }").matches(r#"{"a":1}"#));
        assert!(!parse("  { $.a = 1 }").matches("$.a = 1"));
        assert!(parse(" [a, b]").matches("x y"));
        assert!(parse(" a").matches("xay"));
    }

    #[test]
    fn unstructured_extract_binds_nothing() {
        let pattern = parse("ERROR");
        assert_eq!(pattern.extract("ERROR x"), Some(Fields::default()));
        assert_eq!(pattern.extract("INFO"), None);
    }

    #[test]
    fn errors_point_into_the_whole_text() {
        assert_eq!(
            FilterPattern::parse("  { $ = 1 }").map(|_| ()),
            Err(PatternError::EmptySelector { position: 5 })
        );
        assert_eq!(
            FilterPattern::parse("  [a").map(|_| ()),
            Err(PatternError::Unclosed {
                open: '[',
                close: ']',
                position: 3
            })
        );
    }

    #[test]
    fn error_messages_read_well() {
        let message = |text: &str| match FilterPattern::parse(text) {
            Err(e) => e.to_string(),
            Ok(p) => panic!("{text} parsed as {p:?}"),
        };
        assert_eq!(
            message("{ $.a == 1 }"),
            "Invalid filter pattern: unknown operator '==' at position 7 \
             (use =, !=, <, <=, >, >=, && or ||)"
        );
        assert_eq!(
            message("ERROR:"),
            "Invalid filter pattern: the term 'ERROR:' at position 1 has characters other \
             than letters, digits and '_': enclose it in double quotes"
        );
        assert_eq!(
            message("{ $.a = 1"),
            "Invalid filter pattern: '{' at position 1 is never closed by '}'"
        );
    }
}
