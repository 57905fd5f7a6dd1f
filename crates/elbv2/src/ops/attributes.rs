//! Attributes as ELB keeps them: a table per resource kind of every key with its default
//! and the values it takes; a resource stores only the keys set to other values.

use std::collections::BTreeMap;

use crate::error::{ElbError, Result};

/// Every attribute of a kind of resource: (key, default, what values it takes).
pub(crate) type Table = &'static [(&'static str, &'static str, Rule)];

/// What values an attribute takes.
#[derive(Clone, Copy)]
pub(crate) enum Rule {
    Bool,
    /// An integer in the range.
    Int(i64, i64),
    /// One of the values.
    OneOf(&'static [&'static str]),
    /// Any text up to the length.
    Text(usize),
}

impl Rule {
    pub(crate) fn check(self, key: &str, value: &str) -> Result<()> {
        let ok = match self {
            Rule::Bool => value == "true" || value == "false",
            Rule::Int(lo, hi) => value.parse::<i64>().is_ok_and(|n| (lo..=hi).contains(&n)),
            Rule::OneOf(values) => values.contains(&value),
            Rule::Text(max) => value.len() <= max,
        };
        if ok {
            Ok(())
        } else {
            let what = match self {
                Rule::Bool => "'true' or 'false'".to_owned(),
                Rule::Int(lo, hi) => format!("an integer from {lo} to {hi}"),
                Rule::OneOf(values) => format!("one of {}", values.join(", ")),
                Rule::Text(max) => format!("at most {max} characters"),
            };
            Err(ElbError::invalid_config(format!(
                "The value of attribute '{key}' must be {what}, not '{value}'"
            )))
        }
    }
}

/// Sets the `given` (key, value) pairs into `set`, each checked against `table`; `what`
/// names the kind in the error for an unknown key.
pub(crate) fn apply<'a>(
    table: Table,
    set: &mut BTreeMap<String, String>,
    given: impl IntoIterator<Item = (&'a str, &'a str)>,
    what: &str,
) -> Result<()> {
    for (key, value) in given {
        let (_, default, rule) = table.iter().find(|(k, _, _)| *k == key).ok_or_else(|| {
            ElbError::validation(format!("{what} attribute key '{key}' is not recognized"))
        })?;
        rule.check(key, value)?;
        if value == *default {
            set.remove(key);
        } else {
            set.insert(key.to_owned(), value.to_owned());
        }
    }
    Ok(())
}

/// Every attribute of `table` with its value: the one in `set`, else its default.
pub(crate) fn listed(table: Table, set: &BTreeMap<String, String>) -> Vec<(String, String)> {
    table
        .iter()
        .map(|(k, d, _)| {
            (
                (*k).to_owned(),
                set.get(*k).cloned().unwrap_or_else(|| (*d).to_owned()),
            )
        })
        .collect()
}

/// The value of attribute `key`: the one in `set`, else its default.
pub(crate) fn value<'a>(
    table: Table,
    set: &'a BTreeMap<String, String>,
    key: &str,
) -> Option<&'a str> {
    set.get(key)
        .map(String::as_str)
        .or_else(|| table.iter().find(|(k, _, _)| *k == key).map(|(_, d, _)| *d))
}
