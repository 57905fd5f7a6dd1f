//! JSON property selectors: `$.a.b`, `$.users[0].email`, `$.items[*].id`.
//!
//! A selector is `$` followed by at least one step: `.name` (a property of an
//! object), `[n]` (element `n` of an array, from 0) or `[*]` (any element).
//! A name runs to the next `.` or `[`; it may not hold `*` or spaces.

use serde_json::Value;

use crate::error::{PatternError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    AnyIndex,
}

/// A parsed selector and its text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selector {
    text: String,
    steps: Vec<Step>,
}

impl Selector {
    /// Parses `text` (which starts with `$`), written at character `position`.
    pub(crate) fn parse(text: &str, position: usize) -> Result<Selector> {
        let invalid = |reason| PatternError::InvalidSelector {
            selector: text.to_owned(),
            reason,
            position,
        };
        let mut rest = text.strip_prefix('$').unwrap_or(text);
        if rest.is_empty() || rest == "." {
            return Err(PatternError::EmptySelector { position });
        }
        let mut steps = Vec::new();
        while let Some(c) = rest.chars().next() {
            // The first character's own length: a step may begin with any character.
            let after = &rest[c.len_utf8()..];
            let (step, len) = match c {
                '.' => {
                    let len = after.find(['.', '[']).unwrap_or(after.len());
                    let name = &after[..len];
                    if name.is_empty() {
                        return Err(invalid("a property name is empty"));
                    }
                    if name.contains('*') {
                        return Err(invalid("'*' only stands for array elements, as [*]"));
                    }
                    (Step::Key(name.to_owned()), len)
                }
                '[' => {
                    let Some(len) = after.find(']') else {
                        return Err(invalid("'[' is never closed"));
                    };
                    let index = &after[..len];
                    let step = match index {
                        "*" => Step::AnyIndex,
                        _ if index.bytes().all(|b| b.is_ascii_digit()) => index
                            .parse()
                            .map(Step::Index)
                            .map_err(|_| invalid("an array index is a number or *"))?,
                        _ => return Err(invalid("an array index is a number or *")),
                    };
                    (step, len + 1)
                }
                _ => return Err(invalid("each step is .name, [index] or [*]")),
            };
            steps.push(step);
            rest = &after[len..];
        }
        Ok(Selector {
            text: text.to_owned(),
            steps,
        })
    }

    /// The selector as written in the pattern.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Whether `test` holds for any value the selector reaches in `root`
    /// (more than one through `[*]`).
    pub(crate) fn any<'v>(
        &self,
        root: &'v Value,
        test: &mut impl FnMut(&'v Value) -> bool,
    ) -> bool {
        walk(&self.steps, root, test)
    }

    /// The first value the selector reaches in `root`.
    pub(crate) fn first<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        let mut found = None;
        self.any(root, &mut |value| {
            found = Some(value);
            true
        });
        found
    }
}

fn walk<'v>(steps: &[Step], value: &'v Value, test: &mut impl FnMut(&'v Value) -> bool) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return test(value);
    };
    match (step, value) {
        (Step::Key(key), Value::Object(map)) => map.get(key).is_some_and(|v| walk(rest, v, test)),
        (Step::Index(i), Value::Array(items)) => items.get(*i).is_some_and(|v| walk(rest, v, test)),
        (Step::AnyIndex, Value::Array(items)) => items.iter().any(|v| walk(rest, v, test)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn selector(text: &str) -> Selector {
        Selector::parse(text, 1).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn walks_properties_and_indexes() {
        let doc = json!({"a": {"b": [{"c": 1}, {"c": 2}]}, "x-y": true, "": 0});
        assert_eq!(selector("$.a.b[1].c").first(&doc), Some(&json!(2)));
        assert_eq!(selector("$.a.b[0]").first(&doc), Some(&json!({"c": 1})));
        assert_eq!(selector("$.x-y").first(&doc), Some(&json!(true)));
        assert_eq!(selector("$.a.b[2].c").first(&doc), None);
        assert_eq!(selector("$.a.c").first(&doc), None);
        assert_eq!(selector("$.a[0]").first(&doc), None);
        assert_eq!(selector("$.a.b.c").first(&doc), None);
        assert_eq!(selector("$[0]").first(&json!([5])), Some(&json!(5)));
        assert_eq!(selector("$[0][1]").first(&json!([[5, 6]])), Some(&json!(6)));
    }

    #[test]
    fn any_index_tries_every_element() {
        let doc = json!({"items": [{"id": "a"}, {"id": "b"}, {}]});
        let s = selector("$.items[*].id");
        assert!(s.any(&doc, &mut |v| v == "b"));
        assert!(!s.any(&doc, &mut |v| v == "c"));
        assert_eq!(s.first(&doc), Some(&json!("a")));
    }

    #[test]
    fn keeps_the_text_as_written() {
        assert_eq!(selector("$.a[0]").text(), "$.a[0]");
    }

    #[test]
    fn empty_selectors() {
        for text in ["$", "$."] {
            assert_eq!(
                Selector::parse(text, 3),
                Err(PatternError::EmptySelector { position: 3 })
            );
        }
    }

    #[test]
    fn malformed_selectors() {
        for (text, reason) in [
            ("$.a.", "empty"),
            ("$..a", "empty"),
            ("$a", "each step"),
            ("$.a[x]", "index"),
            ("$.a[]", "index"),
            ("$.a[-1]", "index"),
            ("$.a[99999999999999999999999]", "index"),
            ("$.a[0", "never closed"),
            ("$.*", "'*'"),
            ("$.a*", "'*'"),
            // A step that begins with a character of several bytes.
            ("$𝒟.a", "each step"),
            ("$.a𝒟[0]x", "each step"),
        ] {
            match Selector::parse(text, 1) {
                Err(PatternError::InvalidSelector { reason: r, .. }) => {
                    assert!(r.contains(reason), "{text}: {r}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
