//! EC2's `Filter`s: `Filter.N.Name` and its `Filter.N.Value.M`s. A resource passes when
//! every filter matches it, and a filter matches when any of its values matches any of the
//! resource's values for that name; values may use the wildcards `*` (any run of
//! characters) and `?` (one character), `\` escaping either. `tag:<key>` compares the
//! value of tag `<key>`, `tag-key` the tags' keys, `tag-value` their values. Each operation
//! names the filters it knows; any other is refused as EC2 does. Pure.

use std::collections::BTreeMap;

use berth_ec2_model::shapes::Filter;

use crate::error::{Ec2Error, Result};

/// The most filters, and values per filter, one call may give.
const MAX_FILTERS: usize = 50;
const MAX_VALUES: usize = 200;

/// A call's filters, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters(Vec<(String, Vec<String>)>);

impl Filters {
    /// The filters of a request; `known` are the names the operation takes (the tag filters
    /// are always known).
    pub fn parse(given: Option<&Vec<Filter>>, known: &[&str]) -> Result<Filters> {
        let given = given.map(Vec::as_slice).unwrap_or_default();
        if given.len() > MAX_FILTERS {
            return Err(Ec2Error::invalid(format!(
                "A request may have at most {MAX_FILTERS} filters."
            )));
        }
        let mut out = Vec::with_capacity(given.len());
        for f in given {
            let name = f
                .name
                .as_deref()
                .ok_or_else(|| Ec2Error::missing("Filter.N.Name"))?;
            let tag = name == "tag-key" || name == "tag-value" || name.starts_with("tag:");
            if !tag && !known.contains(&name) {
                return Err(Ec2Error::invalid(format!("The filter '{name}' is invalid")));
            }
            let values = f.values.clone().unwrap_or_default();
            if values.is_empty() {
                return Err(Ec2Error::invalid(format!(
                    "The filter '{name}' must have at least one value"
                )));
            }
            if values.len() > MAX_VALUES {
                return Err(Ec2Error::invalid(format!(
                    "The filter '{name}' has more than {MAX_VALUES} values"
                )));
            }
            out.push((name.to_owned(), values));
        }
        Ok(Filters(out))
    }

    /// Whether a resource passes: `values(name)` answers its values for a filter name the
    /// operation knows, `tags` are its tags.
    pub fn matches(
        &self,
        values: impl Fn(&str) -> Vec<String>,
        tags: &BTreeMap<String, String>,
    ) -> bool {
        self.0.iter().all(|(name, patterns)| {
            let have: Vec<String> = if name == "tag-key" {
                tags.keys().cloned().collect()
            } else if name == "tag-value" {
                tags.values().cloned().collect()
            } else if let Some(key) = name.strip_prefix("tag:") {
                tags.get(key).cloned().into_iter().collect()
            } else {
                values(name)
            };
            patterns.iter().any(|p| have.iter().any(|v| glob(p, v)))
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One piece of a filter value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `?`
    One,
    /// `*`
    Any,
}

fn tokens(pattern: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            '?' => Token::One,
            '*' => Token::Any,
            c => Token::Char(c),
        });
    }
    out
}

/// Whether `text` matches the filter value `pattern` (linear backtracking over the last
/// `*`, so no pattern takes more than `len(pattern) × len(text)` steps).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p = tokens(pattern);
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Token::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(Token::One) => {
                pi += 1;
                ti += 1;
            }
            Some(Token::Char(c)) if *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| *t == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn filter(name: &str, values: &[&str]) -> Filter {
        Filter {
            name: Some(name.into()),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        }
    }

    #[test]
    fn wildcards_match_as_ec2_documents() {
        assert!(glob("vpc-*", "vpc-123"));
        assert!(glob("*", ""));
        assert!(glob("us-east-1?", "us-east-1b"));
        assert!(!glob("us-east-1?", "us-east-1"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
        assert!(glob("web\\*", "web*"));
        assert!(!glob("web\\*", "webserver"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
    }

    #[test]
    fn every_filter_must_match_and_any_value_may() {
        let fs = Filters::parse(
            Some(&vec![
                filter("vpc-id", &["vpc-1", "vpc-2"]),
                filter("tag:Name", &["web*"]),
            ]),
            &["vpc-id"],
        )
        .expect("filters");
        let tags: BTreeMap<String, String> = [("Name".to_owned(), "web-1".to_owned())].into();
        let vpc = |v: &'static str| {
            move |name: &str| match name {
                "vpc-id" => vec![v.to_owned()],
                _ => Vec::new(),
            }
        };
        assert!(fs.matches(vpc("vpc-2"), &tags));
        assert!(!fs.matches(vpc("vpc-3"), &tags));
        assert!(!fs.matches(vpc("vpc-1"), &BTreeMap::new()));
        let keys = Filters::parse(Some(&vec![filter("tag-key", &["Na*"])]), &[]).expect("f");
        assert!(keys.matches(|_| Vec::new(), &tags));
    }

    #[test]
    fn unknown_or_empty_filters_are_refused() {
        let e = Filters::parse(Some(&vec![filter("colour", &["red"])]), &["vpc-id"]);
        assert_eq!(e.map_err(|e| e.code()), Err("InvalidParameterValue"));
        let e = Filters::parse(Some(&vec![filter("vpc-id", &[])]), &["vpc-id"]);
        assert!(e.is_err());
        let nameless = Filter {
            name: None,
            values: Some(vec!["x".into()]),
        };
        let e = Filters::parse(Some(&vec![nameless]), &[]);
        assert_eq!(e.map_err(|e| e.code()), Err("MissingParameter"));
        assert!(Filters::parse(None, &[]).is_ok_and(|f| f.is_empty()));
    }

    fn escaped(s: &str) -> String {
        s.chars()
            .flat_map(|c| match c {
                '*' | '?' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect()
    }

    proptest! {
        #[test]
        fn an_escaped_value_matches_itself_alone(s in "[a-c*?\\\\]{0,8}", t in "[a-c*?\\\\]{0,8}") {
            prop_assert!(glob(&escaped(&s), &s));
            prop_assert_eq!(glob(&escaped(&s), &t), s == t);
        }

        #[test]
        fn a_star_matches_everything_and_stars_around_find_substrings(
            s in "[a-c]{0,10}", t in "[a-c]{0,4}"
        ) {
            prop_assert!(glob("*", &s));
            prop_assert_eq!(glob(&format!("*{t}*"), &s), s.contains(&t));
            prop_assert_eq!(glob(&format!("{t}*"), &s), s.starts_with(&t));
        }

        #[test]
        fn question_marks_count_characters(s in "[a-cé]{0,6}", n in 0usize..8) {
            prop_assert_eq!(glob(&"?".repeat(n), &s), s.chars().count() == n);
        }
    }
}
