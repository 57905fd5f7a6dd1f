//! String values with `*` wildcards, as in `$.eventType = "Update*"` or
//! `[…, status_code = 4*, …]`.
//!
//! CloudWatch documents the wildcard at the start or end of a value; a `*` in
//! the middle is a wildcard too (`a*z` matches `abcz`). In a quoted value `\*`
//! stands for a literal star.

/// A value that matches whole strings, `*` standing for any run of characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    /// The literal runs between wildcards: one run means no wildcard at all;
    /// an empty first (last) run means the value starts (ends) with `*`.
    runs: Vec<String>,
}

impl Glob {
    /// A value written without quotes: every `*` is a wildcard.
    pub(crate) fn bare(text: &str) -> Glob {
        Glob {
            runs: text.split('*').map(str::to_owned).collect(),
        }
    }

    /// A quoted value's raw text: `\x` stands for `x`, an unescaped `*` is a
    /// wildcard.
    pub(crate) fn quoted(raw: &str) -> Glob {
        let mut runs = vec![String::new()];
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            let literal = match c {
                '*' => {
                    runs.push(String::new());
                    continue;
                }
                '\\' => match chars.next() {
                    Some(escaped) => escaped,
                    None => continue,
                },
                c => c,
            };
            if let Some(run) = runs.last_mut() {
                run.push(literal);
            }
        }
        Glob { runs }
    }

    /// Whether this is `*` alone (or only stars): it matches any value.
    pub(crate) fn matches_anything(&self) -> bool {
        self.runs.len() > 1 && self.runs.iter().all(String::is_empty)
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        let (first, middle, last) = match self.runs.as_slice() {
            [only] => return text == only,
            [first, middle @ .., last] => (first, middle, last),
            [] => return text.is_empty(),
        };
        if text.len() < first.len() + last.len()
            || !text.starts_with(first.as_str())
            || !text.ends_with(last.as_str())
        {
            return false;
        }
        let Some(mut rest) = text.get(first.len()..text.len() - last.len()) else {
            return false;
        };
        for run in middle {
            match rest.find(run.as_str()) {
                Some(at) => rest = &rest[at + run.len()..],
                None => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_wildcard_the_whole_value_must_be_equal() {
        let glob = Glob::bare("404");
        assert!(glob.matches("404"));
        assert!(!glob.matches("4040"));
        assert!(!glob.matches("x404"));
        assert!(Glob::quoted("").matches(""));
        assert!(!Glob::quoted("").matches("a"));
    }

    #[test]
    fn wildcards_at_either_end_and_in_the_middle() {
        assert!(Glob::bare("4*").matches("404"));
        assert!(Glob::bare("4*").matches("4"));
        assert!(!Glob::bare("4*").matches("504"));
        assert!(Glob::bare("*Trail").matches("UpdateTrail"));
        assert!(!Glob::bare("*Trail").matches("Trails"));
        assert!(Glob::bare("*html*").matches("GET /index.html HTTP/1.1"));
        assert!(Glob::bare("a*m*z").matches("abcmxyz"));
        assert!(!Glob::bare("a*m*z").matches("abcxyz"));
    }

    #[test]
    fn prefix_and_suffix_may_not_overlap() {
        assert!(!Glob::bare("ab*ba").matches("aba"));
        assert!(Glob::bare("ab*ba").matches("abba"));
    }

    #[test]
    fn a_lone_star_matches_anything() {
        for glob in [Glob::bare("*"), Glob::bare("**"), Glob::quoted("*")] {
            assert!(glob.matches_anything());
            assert!(glob.matches(""));
            assert!(glob.matches("x"));
        }
        assert!(!Glob::bare("a*").matches_anything());
        assert!(!Glob::bare("").matches_anything());
    }

    #[test]
    fn an_escaped_star_in_quotes_is_literal() {
        let glob = Glob::quoted(r"a\*b");
        assert!(glob.matches("a*b"));
        assert!(!glob.matches("axb"));
        assert!(Glob::quoted(r#"say \"hi\"*"#).matches(r#"say "hi" there"#));
    }
}
