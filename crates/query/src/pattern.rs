//! Regular expressions for `=~` / `!~`.
//!
//! AWS documents Java regular-expression syntax. This uses the `regex`
//! crate, which shares the common syntax (classes, quantifiers, groups,
//! alternation, anchors, `\d \w \s`, inline flags) but has no look-around or
//! back-references; such patterns are rejected when the expression is parsed.
//! As with Java's `Pattern.matches`, the whole value must match:
//! `g2.*` matches `g2.2xlarge` but not `xg2`.

use regex::{Regex, RegexBuilder};

/// Bound on compiled program size: patterns come from API callers.
const SIZE_LIMIT: usize = 1 << 20;

#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    whole: Regex,
}

impl Pattern {
    pub(crate) fn new(src: &str) -> Result<Pattern, String> {
        // Check the pattern on its own first: only a pattern that is valid
        // alone can be wrapped in a group without changing its meaning.
        build(src).map_err(|e| format!("invalid pattern '{src}': {e}"))?;
        let whole = build(&format!(r"\A(?:{src})\z"))
            .map_err(|e| format!("invalid pattern '{src}': {e}"))?;
        Ok(Pattern { whole })
    }

    pub(crate) fn is_match(&self, value: &str) -> bool {
        self.whole.is_match(value)
    }
}

fn build(src: &str) -> Result<Regex, String> {
    RegexBuilder::new(src)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| one_line(&e.to_string()))
}

/// The regex crate's messages draw a caret diagram; keep the last line.
fn one_line(msg: &str) -> String {
    let line = msg
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(msg)
        .trim();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(src: &str) -> Pattern {
        Pattern::new(src).expect("valid pattern")
    }

    #[test]
    fn whole_value_must_match() {
        assert!(p("g2.*").is_match("g2.2xlarge"));
        assert!(!p("g2.*").is_match("xg2.large"));
        assert!(p("a|ab").is_match("ab"));
        assert!(p("t2\\.(micro|small)").is_match("t2.small"));
        assert!(!p("t2\\.(micro|small)").is_match("t2.smallx"));
        assert!(p("(?i)T2.*").is_match("t2.micro"));
    }

    #[test]
    fn rejects_invalid_patterns_in_one_line() {
        let err = Pattern::new("a(").expect_err("unclosed group");
        assert!(!err.contains('\n'), "{err}");
        assert!(err.contains("invalid pattern"), "{err}");
        assert!(Pattern::new("a)|(b").is_err());
        assert!(Pattern::new("(?=x)").is_err(), "look-around unsupported");
        assert!(
            Pattern::new("(?x)a#comment").is_err(),
            "comment would eat the anchor"
        );
        assert!(Pattern::new("a{1000}{1000}").is_err(), "size limit");
    }
}
