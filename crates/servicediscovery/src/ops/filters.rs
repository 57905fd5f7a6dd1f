//! The filters of ListNamespaces, ListServices and ListOperations: pure rules.

use crate::error::{CloudMapError, Result};

/// A filter as given.
pub(crate) struct Filter<'a> {
    name: Option<&'a str>,
    condition: Option<&'a str>,
    values: &'a [String],
}

impl<'a> Filter<'a> {
    pub(crate) fn new(
        name: Option<&'a str>,
        condition: Option<&'a str>,
        values: Option<&'a [String]>,
    ) -> Self {
        Filter {
            name,
            condition,
            values: values.unwrap_or_default(),
        }
    }
}

/// The filter shapes of the three listings, read alike.
pub(crate) trait AsFilter {
    fn filter(&self) -> Filter<'_>;
}

macro_rules! as_filter {
    ($($shape:ty),*) => {$(
        impl AsFilter for $shape {
            fn filter(&self) -> Filter<'_> {
                Filter::new(
                    self.name.as_ref().map(|n| n.as_str()),
                    self.condition.as_ref().map(|c| c.as_str()),
                    self.values.as_deref(),
                )
            }
        }
    )*};
}

use berth_servicediscovery_model::shapes::{NamespaceFilter, OperationFilter, ServiceFilter};
as_filter!(NamespaceFilter, ServiceFilter, OperationFilter);

/// Checks a listing's filters (see [`check_filters`]).
pub(crate) fn check<T: AsFilter>(
    filters: Option<&[T]>,
    allowed: &[(&str, &[&str])],
) -> Result<Vec<Checked>> {
    check_filters(
        filters.unwrap_or_default().iter().map(AsFilter::filter),
        allowed,
    )
}

/// A checked filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checked {
    pub name: String,
    pub condition: String,
    pub values: Vec<String>,
}

/// Checks each filter's name and condition against `allowed` (name → conditions, the first
/// the default) and its values' count.
pub(crate) fn check_filters<'a>(
    filters: impl IntoIterator<Item = Filter<'a>>,
    allowed: &[(&str, &[&str])],
) -> Result<Vec<Checked>> {
    let mut out = Vec::new();
    for f in filters {
        let name = f.name.unwrap_or_default();
        let Some((_, conditions)) = allowed.iter().find(|(n, _)| *n == name) else {
            return Err(CloudMapError::invalid(format!(
                "Filter name '{name}' is not valid here."
            )));
        };
        let condition = f
            .condition
            .or_else(|| conditions.first().copied())
            .unwrap_or("EQ");
        if !conditions.contains(&condition) {
            return Err(CloudMapError::invalid(format!(
                "Filter {name} supports the conditions {}, not {condition}.",
                conditions.join(", ")
            )));
        }
        let want = match condition {
            "EQ" | "BEGINS_WITH" => 1..=1,
            "BETWEEN" => 2..=2,
            _ => 1..=10,
        };
        if !want.contains(&f.values.len()) {
            return Err(CloudMapError::invalid(format!(
                "Filter {name} with condition {condition} takes {} value{}, got {}.",
                if want.start() == want.end() {
                    want.start().to_string()
                } else {
                    format!("{} to {}", want.start(), want.end())
                },
                if *want.end() == 1 { "" } else { "s" },
                f.values.len()
            )));
        }
        if condition == "BETWEEN" && f.values.iter().any(|v| v.parse::<f64>().is_err()) {
            return Err(CloudMapError::invalid(format!(
                "Filter {name} takes two dates in epoch seconds."
            )));
        }
        out.push(Checked {
            name: name.to_owned(),
            condition: condition.to_owned(),
            values: f.values.to_vec(),
        });
    }
    Ok(out)
}

impl Checked {
    /// Whether `value` passes the filter (EQ, IN, BEGINS_WITH).
    pub(crate) fn matches(&self, value: &str) -> bool {
        match self.condition.as_str() {
            "BEGINS_WITH" => self.values.iter().any(|v| {
                value
                    .to_ascii_lowercase()
                    .starts_with(&v.to_ascii_lowercase())
            }),
            _ => self.values.iter().any(|v| v == value),
        }
    }

    /// Whether time `t` (epoch seconds) passes a BETWEEN filter.
    pub(crate) fn between(&self, t: f64) -> bool {
        let bound = |i: usize| self.values.get(i).and_then(|v| v.parse::<f64>().ok());
        match (bound(0), bound(1)) {
            (Some(a), Some(b)) => a <= t && t <= b,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALLOWED: &[(&str, &[&str])] = &[("TYPE", &["EQ", "IN"]), ("UPDATE_DATE", &["BETWEEN"])];

    fn one(name: &str, cond: Option<&str>, values: &[String]) -> Result<Vec<Checked>> {
        check_filters([Filter::new(Some(name), cond, Some(values))], ALLOWED)
    }

    #[test]
    fn names_conditions_and_counts_are_checked() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(one("NAME", None, &v(&["a"])).is_err());
        assert!(one("TYPE", Some("BETWEEN"), &v(&["a", "b"])).is_err());
        assert!(one("TYPE", Some("EQ"), &v(&["a", "b"])).is_err());
        let f = one("TYPE", Some("IN"), &v(&["HTTP", "DNS_PRIVATE"])).expect("valid");
        assert!(f[0].matches("HTTP") && !f[0].matches("DNS_PUBLIC"));
        // The first condition is the default.
        assert_eq!(
            one("TYPE", None, &v(&["HTTP"])).expect("valid")[0].condition,
            "EQ"
        );
        assert!(one("UPDATE_DATE", None, &v(&["x", "2"])).is_err());
        let d = one("UPDATE_DATE", None, &v(&["10", "20"])).expect("valid");
        assert!(d[0].between(10.0) && d[0].between(20.0) && !d[0].between(20.5));
    }

    proptest! {
        #[test]
        fn begins_with_is_a_case_insensitive_prefix(value in "[a-zA-Z.]{0,12}", cut in 0usize..12) {
            let cut = cut.min(value.len());
            let f = Checked { name: "NAME".into(), condition: "BEGINS_WITH".into(), values: vec![value[..cut].to_ascii_uppercase()] };
            prop_assert!(f.matches(&value));
        }
    }
}
