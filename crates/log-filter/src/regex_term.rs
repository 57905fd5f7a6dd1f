//! `%regex%` terms and values.
//!
//! CloudWatch Logs accepts a restricted regex alphabet: ASCII letters and
//! digits, the symbols `_ # = @ / ; , - :` and space, and the operators
//! `^ $ ? [ ] { } | \ * + .`. Parentheses (sub-patterns) and multi-byte
//! characters are not supported, and neither is any other symbol. A regex
//! searches anywhere in the text it is matched against (`%AUTHORIZED%` finds
//! `UNAUTHORIZED`); anchor it with `^` and `$` to match a whole value.

use regex::Regex;

use crate::error::{PatternError, Result};

/// At most this many `%regex%` values in one JSON or space-delimited pattern.
const MAX_PER_PATTERN: usize = 2;

/// Checks how many regexes a JSON or space-delimited pattern holds.
pub(crate) fn check_count(regexes: usize) -> Result<()> {
    match regexes > MAX_PER_PATTERN {
        true => Err(PatternError::TooManyRegexes {
            limit: MAX_PER_PATTERN,
        }),
        false => Ok(()),
    }
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_#=@/;,-: ".contains(c) || "^$?[]{}|\\*+.".contains(c)
}

/// Checks `body` (the text between the `%` signs, which start at character
/// `position`) against the supported alphabet and compiles it.
pub(crate) fn compile(body: &str, position: usize) -> Result<Regex> {
    let invalid = |reason: String| PatternError::InvalidRegex {
        regex: body.to_owned(),
        reason,
        position,
    };
    if body.is_empty() {
        return Err(invalid("the regular expression is empty".into()));
    }
    if let Some(c) = body.chars().find(|c| !allowed(*c)) {
        return Err(invalid(match c {
            '(' | ')' => "parentheses (sub-patterns) are not supported".into(),
            c if !c.is_ascii() => "multi-byte characters are not supported".into(),
            c => format!("'{c}' is not supported"),
        }));
    }
    Regex::new(body).map_err(|e| {
        let detail = e.to_string();
        let last = detail
            .lines()
            .last()
            .unwrap_or("not a valid regular expression");
        invalid(last.trim().trim_start_matches("error: ").to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_the_documented_operators() {
        for body in [
            "AUTHORIZED",
            r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
            "[Ee]rror|[Ff]ail",
            "colou?r",
            "^ERROR [0-9]+$",
            "user=@example.com; a,b - c:d #x /y",
        ] {
            assert!(compile(body, 1).is_ok(), "{body}");
        }
    }

    #[test]
    fn searches_anywhere() {
        let regex = compile("AUTHORIZED", 1).unwrap_or_else(|e| panic!("{e}"));
        assert!(regex.is_match("[ERROR 401] UNAUTHORIZED REQUEST"));
        assert!(!regex.is_match("[ERROR 401] unauthorized"));
    }

    fn reason(body: &str) -> String {
        match compile(body, 4) {
            Err(PatternError::InvalidRegex {
                reason, position, ..
            }) => {
                assert_eq!(position, 4);
                reason
            }
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn rejects_what_cloudwatch_does_not_support() {
        assert!(reason("").contains("empty"));
        assert!(reason("(a|b)").contains("parentheses"));
        assert!(reason("something!").contains("'!'"));
        assert!(reason("café").contains("multi-byte"));
    }

    #[test]
    fn rejects_what_does_not_compile() {
        assert!(!reason("[a-").is_empty());
        assert!(!reason("a{2,1}").is_empty());
        assert!(!reason("*a").is_empty());
    }
}
