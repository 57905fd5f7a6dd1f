//! Unstructured patterns: terms searched for anywhere in the message.
//!
//! * `ERROR` — the message contains `ERROR` (case-sensitive substring). An
//!   unquoted term holds only letters, digits and `_`; anything else must be
//!   quoted.
//! * `ERROR Exception` — every term appears.
//! * `"Exception in thread"` — a quoted phrase; `\"` and `\\` escape (a
//!   backslash escapes any character). `" "` (only spaces) or `""` matches
//!   everything, as CloudWatch documents for `" "`.
//! * `-Exiting` — the term does not appear.
//! * `%AUTH[A-Z]+%` — a regular expression appears ([`crate::regex_term`]).
//! * `?ERROR ?WARN` — alternatives: any of them. Each `?` starts an
//!   alternative that runs to the next `?`, so `?ERROR Disk ?WARN` means
//!   (`ERROR` and `Disk`) or `WARN`, which is how the AWS CDK writes term
//!   groups. Terms before the first `?` form an alternative of their own:
//!   `ERROR ?WARN` means `ERROR` or `WARN`. A `-` term belongs to its
//!   alternative: `?ERROR -Disk ?WARN` is (`ERROR` and no `Disk`) or `WARN`.
//!
//! Matching allocates nothing: literal terms are precomputed
//! [`memchr::memmem::Finder`]s.

use memchr::memmem::Finder;
use regex::Regex;

use crate::error::{position, PatternError, Result};
use crate::lexer::{read_quoted, read_regex, unescape};
use crate::regex_term;

/// A parsed unstructured pattern.
#[derive(Debug, Clone)]
pub(crate) struct Terms {
    alternatives: Vec<Alternative>,
}

#[derive(Debug, Clone, Default)]
struct Alternative {
    include: Vec<Needle>,
    exclude: Vec<Needle>,
}

// Nearly every needle is a `Finder`: boxing it would only add a pointer hop
// to each search.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Needle {
    Everything,
    Text(Finder<'static>),
    Regex(Regex),
}

impl Needle {
    fn found_in(&self, message: &str) -> bool {
        match self {
            Needle::Everything => true,
            Needle::Text(finder) => finder.find(message.as_bytes()).is_some(),
            Needle::Regex(regex) => regex.is_match(message),
        }
    }
}

impl Alternative {
    fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    fn matches(&self, message: &str) -> bool {
        self.include.iter().all(|n| n.found_in(message))
            && !self.exclude.iter().any(|n| n.found_in(message))
    }
}

impl Terms {
    pub(crate) fn matches(&self, message: &str) -> bool {
        self.alternatives.iter().any(|a| a.matches(message))
    }
}

fn is_term_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn char_at(src: &str, at: usize) -> Option<char> {
    src.get(at..).and_then(|rest| rest.chars().next())
}

/// Parses `src`, which holds at least one term.
pub(crate) fn parse(src: &str) -> Result<Terms> {
    let mut alternatives = vec![Alternative::default()];
    let mut at = 0;
    loop {
        while char_at(src, at).is_some_and(char::is_whitespace) {
            at += 1;
        }
        if at == src.len() {
            break;
        }
        if char_at(src, at) == Some('?') {
            at = after_prefix(src, at, '?')?;
            alternatives.push(Alternative::default());
        }
        let exclude = char_at(src, at) == Some('-');
        if exclude {
            at = after_prefix(src, at, '-')?;
        }
        let (needle, end) = read_term(src, at)?;
        if let Some(c) = char_at(src, end).filter(|c| !c.is_whitespace()) {
            return Err(PatternError::Unexpected {
                found: format!("'{c}' after a term (separate terms with spaces)"),
                position: position(src, end),
            });
        }
        if let Some(alternative) = alternatives.last_mut() {
            match exclude {
                true => alternative.exclude.push(needle),
                false => alternative.include.push(needle),
            }
        }
        at = end;
    }
    if alternatives.len() > 1 && alternatives[0].is_empty() {
        alternatives.remove(0);
    }
    Ok(Terms { alternatives })
}

/// The offset after the prefix `prefix` at `at`, which a term must follow.
fn after_prefix(src: &str, at: usize, prefix: char) -> Result<usize> {
    let next = at + prefix.len_utf8();
    match char_at(src, next) {
        Some(c) if !c.is_whitespace() => Ok(next),
        _ => Err(PatternError::DanglingPrefix {
            prefix,
            position: position(src, at),
        }),
    }
}

/// Reads the term starting at `at`: a quoted phrase, a `%regex%` or a bare word.
fn read_term(src: &str, at: usize) -> Result<(Needle, usize)> {
    match char_at(src, at) {
        Some('"') => {
            let (raw, end) = read_quoted(src, at)?;
            let phrase = unescape(raw);
            let needle = if phrase.trim().is_empty() {
                Needle::Everything
            } else {
                Needle::Text(Finder::new(phrase.as_bytes()).into_owned())
            };
            Ok((needle, end))
        }
        Some('%') => {
            let (body, end) = read_regex(src, at)?;
            let regex = regex_term::compile(body, position(src, at))?;
            Ok((Needle::Regex(regex), end))
        }
        _ => {
            let rest = src.get(at..).unwrap_or("");
            let chunk = &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())];
            let word = &chunk[..chunk.find(|c| !is_term_char(c)).unwrap_or(chunk.len())];
            if word.is_empty() || word.len() < chunk.len() {
                return Err(PatternError::UnquotedTerm {
                    term: chunk.to_owned(),
                    position: position(src, at),
                });
            }
            Ok((
                Needle::Text(Finder::new(word).into_owned()),
                at + word.len(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support;

    fn terms(src: &str) -> Terms {
        parse(src).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    fn check(src: &str, yes: &[&str], no: &[&str]) {
        let terms = terms(src);
        test_support::check(src, |m| terms.matches(m), yes, no);
    }

    #[test]
    fn a_term_is_a_case_sensitive_substring() {
        check(
            "ERROR",
            &["[ERROR 400] BAD REQUEST", "ERRORS", "xERRORx"],
            &["error", "Error", "ERRO R", ""],
        );
    }

    #[test]
    fn several_terms_must_all_appear_in_any_order() {
        check(
            "ERROR Exception",
            &["ERROR: Exception", "Exception then ERROR"],
            &["ERROR only", "Exception only"],
        );
    }

    #[test]
    fn quoted_phrases_match_exactly() {
        check(
            r#""Exception in thread""#,
            &["java.lang.Exception in thread main"],
            &["Exception  in thread", "exception in thread"],
        );
        check(r#""ERROR:""#, &["ERROR: x"], &["ERROR x"]);
        check(r#""http://x.y/z?a=1""#, &["GET http://x.y/z?a=1"], &["x.y"]);
    }

    #[test]
    fn quoted_phrases_take_escapes() {
        check(r#""say \"hi\"""#, &[r#"they say "hi" now"#], &["say hi"]);
        check(r#""C:\\temp""#, &[r"open C:\temp"], &["C:temp"]);
        check(r#""\*""#, &["a*b"], &["ab"]);
    }

    #[test]
    fn a_blank_quoted_term_matches_everything() {
        check(r#"" ""#, &["", "nospace", "a b"], &[]);
        check(r#""""#, &["", "x"], &[]);
        check(r#"" " ERROR"#, &["ERROR"], &["WARN"]);
    }

    #[test]
    fn question_marks_make_alternatives() {
        check(
            "?ERROR ?WARN",
            &["ERROR x", "WARN y", "ERROR WARN"],
            &["INFO", "error"],
        );
        check(
            "?\"out of memory\" ?OOM",
            &["out of memory", "OOM"],
            &["memory"],
        );
    }

    #[test]
    fn an_alternative_runs_to_the_next_question_mark() {
        check(
            "?ERROR Disk ?WARN",
            &["ERROR Disk", "WARN", "WARN Disk"],
            &["ERROR", "Disk"],
        );
        check("ERROR ?WARN", &["ERROR", "WARN"], &["INFO"]);
        check(
            "?ERROR -Disk ?WARN",
            &["ERROR", "WARN Disk"],
            &["ERROR Disk", "INFO"],
        );
    }

    #[test]
    fn minus_excludes_a_term() {
        check(
            "ERROR -Exiting",
            &["ERROR: disk full"],
            &["ERROR: Exiting", "INFO"],
        );
        check("-ERROR", &["INFO ok", ""], &["ERROR"]);
        check(
            r#"ERROR -"Retrying in" -%time[o]ut%"#,
            &["ERROR failed"],
            &["ERROR Retrying in 5s", "ERROR timeout"],
        );
    }

    #[test]
    fn regex_terms() {
        check(
            "%AUTHORIZED%",
            &["[SUCCESS 200] AUTHORIZED", "UNAUTHORIZED"],
            &["authorized"],
        );
        check(
            "%colou?r% %[0-9]{3}%",
            &["color 404", "colour 500"],
            &["color", "404"],
        );
        check("%^ERROR%", &["ERROR first"], &["not ERROR first"]);
    }

    #[test]
    fn unicode_letters_are_term_characters() {
        check("café_au_lait", &["un café_au_lait"], &["cafe_au_lait"]);
    }

    fn error(src: &str) -> PatternError {
        test_support::error(src, parse(src))
    }

    #[test]
    fn unquoted_terms_with_symbols_are_rejected() {
        for (src, term, position) in [
            ("ERROR:", "ERROR:", 1),
            ("ok foo.bar", "foo.bar", 4),
            ("a-b", "a-b", 1),
            ("--x", "-x", 2),
            ("?-?x", "?x", 3),
            ("ERR*", "ERR*", 1),
            ("}", "}", 1),
        ] {
            assert_eq!(
                error(src),
                PatternError::UnquotedTerm {
                    term: term.into(),
                    position
                },
                "{src}"
            );
        }
    }

    #[test]
    fn prefixes_need_a_term() {
        for (src, prefix, position) in [
            ("?", '?', 1),
            ("ERROR ?", '?', 7),
            ("? ERROR", '?', 1),
            ("-", '-', 1),
            ("ERROR - x", '-', 7),
            ("?-", '-', 2),
        ] {
            assert_eq!(
                error(src),
                PatternError::DanglingPrefix { prefix, position },
                "{src}"
            );
        }
    }

    #[test]
    fn terms_are_separated_by_spaces() {
        assert!(matches!(
            error(r#""a"b"#),
            PatternError::Unexpected { position: 4, .. }
        ));
        assert!(matches!(
            error("%a%%b%"),
            PatternError::Unexpected { position: 4, .. }
        ));
    }

    #[test]
    fn unterminated_quotes_and_regexes() {
        assert_eq!(
            error(r#"ERROR "in thread"#),
            PatternError::UnterminatedQuote { position: 7 }
        );
        assert_eq!(
            error(r#""a\""#),
            PatternError::UnterminatedQuote { position: 1 }
        );
        assert_eq!(
            error("%ERROR"),
            PatternError::UnterminatedRegex { position: 1 }
        );
        assert!(matches!(error("%(a)%"), PatternError::InvalidRegex { .. }));
    }
}
