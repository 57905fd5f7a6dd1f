//! ParameterStringFilter and the older ParametersFilter: which keys and options each
//! operation takes, and whether a parameter matches. Pure.

use berth_ssm_model::shapes::{ParameterStringFilter, ParametersFilter};

use crate::error::{Result, SsmError};
use crate::records::ParamRec;

/// Where a filter is used: GetParametersByPath takes fewer keys than DescribeParameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    ByPath,
    Describe,
}

/// A checked filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    key: String,
    option: String,
    values: Vec<String>,
}

/// Checks filters for `context`; answers them ready to match.
pub(crate) fn check(filters: &[ParameterStringFilter], context: Context) -> Result<Vec<Filter>> {
    let mut out = Vec::new();
    for f in filters {
        let key = f.key.clone().unwrap_or_default();
        let tag = key.starts_with("tag:") && key.len() > 4;
        let known = ["Name", "Type", "KeyId", "Path", "Label", "Tier", "DataType"];
        if !tag && !known.contains(&key.as_str()) {
            return Err(SsmError::InvalidFilterKey(format!(
                "The filter key {key} is not valid."
            )));
        }
        if context == Context::ByPath
            && matches!(key.as_str(), "Name" | "Path" | "Tier" | "DataType")
        {
            return Err(SsmError::InvalidFilterKey(format!(
                "The following filter key is not valid: {key}. Valid filter keys include: [Type, KeyId, Label]."
            )));
        }
        if context == Context::Describe && key == "Label" {
            return Err(SsmError::InvalidFilterKey(
                "The filter key Label is valid only for GetParametersByPath.".into(),
            ));
        }
        let default = if key == "Path" { "OneLevel" } else { "Equals" };
        let option = f.option.clone().unwrap_or_else(|| default.to_owned());
        let allowed: &[&str] = match key.as_str() {
            "Path" => &["Recursive", "OneLevel"],
            "Name" => &["Equals", "BeginsWith", "Contains"],
            "Label" => &["Equals"],
            "Tier" | "DataType" | "Type" | "KeyId" => &["Equals", "BeginsWith"],
            _ => &["Equals", "BeginsWith"],
        };
        if !allowed.contains(&option.as_str()) {
            return Err(SsmError::InvalidFilterOption(format!(
                "The filter option {option} is not valid for key {key}. Valid options: {allowed:?}."
            )));
        }
        let values = f.values.clone().unwrap_or_default();
        if values.is_empty() && !tag {
            return Err(SsmError::InvalidFilterValue(format!(
                "The filter for key {key} needs at least one value."
            )));
        }
        if key == "Path" && values.iter().any(|v| !v.starts_with('/')) {
            return Err(SsmError::InvalidFilterValue(
                "A Path filter value must start with '/'.".into(),
            ));
        }
        out.push(Filter {
            key,
            option,
            values,
        });
    }
    Ok(out)
}

/// The older DescribeParameters `Filters` (Name, Type, KeyId), as string filters.
pub(crate) fn from_legacy(filters: &[ParametersFilter]) -> Vec<ParameterStringFilter> {
    filters
        .iter()
        .map(|f| {
            let key = f.key.as_ref().map(|k| k.as_str().to_owned());
            ParameterStringFilter {
                option: Some(
                    if key.as_deref() == Some("Name") {
                        "BeginsWith"
                    } else {
                        "Equals"
                    }
                    .to_owned(),
                ),
                key,
                values: f.values.clone(),
            }
        })
        .collect()
}

/// Whether one value of the field matches one filter value.
fn test(option: &str, field: &str, value: &str) -> bool {
    match option {
        "BeginsWith" => field.starts_with(value),
        "Contains" => field.contains(value),
        _ => field == value,
    }
}

/// Whether `p` (its current version) passes every filter; the values of one filter are
/// alternatives.
pub(crate) fn matches(p: &ParamRec, filters: &[Filter]) -> bool {
    let Some(v) = p.current() else {
        return false;
    };
    filters.iter().all(|f| {
        let fields: Vec<&str> = match f.key.as_str() {
            "Name" => vec![p.name.as_str()],
            "Type" => vec![v.kind.as_str()],
            "KeyId" => v.key_id.iter().map(String::as_str).collect(),
            "Tier" => vec![v.tier.as_str()],
            "DataType" => vec![v.data_type.as_str()],
            "Label" => p
                .versions
                .iter()
                .flat_map(|x| x.labels.iter().map(String::as_str))
                .collect(),
            "Path" => {
                return f
                    .values
                    .iter()
                    .any(|path| under(&p.name, path, f.option == "Recursive"));
            }
            tag => {
                let key = tag.trim_start_matches("tag:");
                match p.tags.get(key) {
                    None => return false,
                    Some(value) if f.values.is_empty() => {
                        let _ = value;
                        return true;
                    }
                    Some(value) => vec![value.as_str()],
                }
            }
        };
        // A name filter value may be given with or without the leading slash.
        f.values.iter().any(|want| {
            fields.iter().any(|field| {
                test(&f.option, field, want)
                    || (f.key == "Name"
                        && test(
                            &f.option,
                            field.trim_start_matches('/'),
                            want.trim_start_matches('/'),
                        ))
            })
        })
    })
}

/// Whether `name` is under `path`: its direct child, or any descendant if `recursive`.
pub(crate) fn under(name: &str, path: &str, recursive: bool) -> bool {
    let prefix = if path.ends_with('/') {
        path.to_owned()
    } else {
        format!("{path}/")
    };
    match name.strip_prefix(&prefix) {
        Some(rest) if !rest.is_empty() => recursive || !rest.contains('/'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paths_hold_children_or_descendants() {
        assert!(under("/a/b", "/a", false));
        assert!(under("/a/b", "/a/", false));
        assert!(!under("/a/b/c", "/a", false));
        assert!(under("/a/b/c", "/a", true));
        assert!(under("/x", "/", false));
        assert!(!under("/ab", "/a", true));
        assert!(!under("/a", "/a", true));
    }

    #[test]
    fn filters_are_checked_for_where_they_are_used() {
        let f = |key: &str, option: Option<&str>, values: &[&str]| ParameterStringFilter {
            key: Some(key.into()),
            option: option.map(str::to_owned),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        };
        assert!(check(&[f("Type", None, &["String"])], Context::ByPath).is_ok());
        assert!(matches!(
            check(&[f("Name", None, &["x"])], Context::ByPath),
            Err(SsmError::InvalidFilterKey(_))
        ));
        assert!(matches!(
            check(&[f("Nope", None, &["x"])], Context::Describe),
            Err(SsmError::InvalidFilterKey(_))
        ));
        assert!(matches!(
            check(&[f("Path", Some("Equals"), &["/a"])], Context::Describe),
            Err(SsmError::InvalidFilterOption(_))
        ));
        assert!(matches!(
            check(&[f("Path", None, &["a"])], Context::Describe),
            Err(SsmError::InvalidFilterValue(_))
        ));
        assert!(check(&[f("tag:team", None, &[])], Context::Describe).is_ok());
    }

    proptest! {
        #[test]
        fn a_recursive_path_holds_every_one_level_match(name in "(/[a-c]{1,2}){1,4}", path in "(/[a-c]{1,2}){0,2}") {
            let path = if path.is_empty() { "/".to_owned() } else { path };
            if under(&name, &path, false) {
                prop_assert!(under(&name, &path, true));
            }
            if under(&name, &path, true) {
                prop_assert!(name.starts_with(&path));
            }
        }
    }
}
