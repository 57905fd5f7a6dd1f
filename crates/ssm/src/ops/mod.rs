//! The operations, one module per concern, and what they share: names, ARNs, selectors,
//! finding a parameter, a version's wire view.

mod filters;
mod labels;
mod listing;
mod parameters;
mod tags;

use std::sync::Arc;

use berth_aws::arn::Arn;
use berth_aws::RequestContext;
use berth_ssm_model::shapes::{Parameter, ParameterType};

use crate::error::{Result, SsmError};
use crate::records::{param_key, ParamRec, VersionRec};
use crate::state::State;
use crate::Ssm;

/// Hierarchy levels a name may have.
const MAX_LEVELS: usize = 15;

/// A parameter name: letters, digits and `_.-/`; one with a `/` starts with one; at most 15
/// levels; not under `aws` or `ssm`.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "_.-/".contains(c);
    if name.is_empty() || name.len() > 2048 || !name.chars().all(ok) {
        return Err(SsmError::invalid(format!(
            "Parameter name: can't contain characters other than letters, numbers and _.-/ (got '{name}')."
        )));
    }
    if name.contains('/') && !name.starts_with('/') {
        return Err(SsmError::invalid(
            "Parameter name must be a fully qualified name.",
        ));
    }
    if name.ends_with('/') || name.contains("//") {
        return Err(SsmError::invalid(format!(
            "Parameter name: '{name}' has an empty level."
        )));
    }
    if name.matches('/').count() > MAX_LEVELS {
        return Err(SsmError::HierarchyLevelLimitExceeded(format!(
            "A parameter name can have at most {MAX_LEVELS} levels."
        )));
    }
    let bare = name.trim_start_matches('/').to_ascii_lowercase();
    if bare.starts_with("aws") || bare.starts_with("ssm") {
        return Err(SsmError::invalid(
            "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).",
        ));
    }
    Ok(())
}

pub(crate) fn arn_of(ctx: &RequestContext, name: &str) -> String {
    Arn::new(
        ctx,
        "ssm",
        &format!("parameter/{}", name.trim_start_matches('/')),
    )
    .to_string()
}

/// What a request names: a parameter by name or ARN, and a version or label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    /// The names it may mean (an ARN's `parameter/a` is `a` or `/a`).
    pub names: Vec<String>,
    pub selector: Option<Selector>,
    /// The selector as given (`:3`, `:prod`), answered back.
    pub selector_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selector {
    Version(i64),
    Label(String),
}

/// Reads `name[:selector]` or `arn:…:parameter/name[:selector]`.
pub(crate) fn reference(ctx: &RequestContext, text: &str) -> Result<Reference> {
    let (names, rest) = if text.starts_with("arn:") {
        let arn = Arn::parse(text).ok_or_else(|| SsmError::not_found(text))?;
        if !arn.is_local(ctx, "ssm") {
            return Err(SsmError::not_found(text));
        }
        let path = arn
            .resource
            .strip_prefix("parameter/")
            .ok_or_else(|| SsmError::not_found(text))?;
        let (path, sel) = match path.rsplit_once(':') {
            Some((p, s)) => (p, Some(s.to_owned())),
            None => (path, None),
        };
        let names = if path.contains('/') {
            vec![format!("/{path}")]
        } else {
            vec![path.to_owned(), format!("/{path}")]
        };
        (names, sel)
    } else {
        match text.rsplit_once(':') {
            Some((n, s)) => (vec![n.to_owned()], Some(s.to_owned())),
            None => (vec![text.to_owned()], None),
        }
    };
    let selector = match rest.as_deref() {
        None => None,
        Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(Selector::Version(s.parse().map_err(|_| {
                SsmError::invalid("The version is too large.")
            })?))
        }
        Some(s) if !s.is_empty() => Some(Selector::Label(s.to_owned())),
        Some(_) => {
            return Err(SsmError::invalid(format!(
                "Invalid parameter selector in '{text}'."
            )))
        }
    };
    Ok(Reference {
        names,
        selector_text: rest.as_ref().map(|s| format!(":{s}")),
        selector,
    })
}

/// The caller's parameter `r` names.
pub(crate) fn find(state: &State, ctx: &RequestContext, r: &Reference) -> Option<Arc<ParamRec>> {
    r.names
        .iter()
        .find_map(|n| state.params.get(&param_key(&ctx.account, n)).cloned())
}

/// The version a selector picks (the current one without).
pub(crate) fn pick<'a>(p: &'a ParamRec, r: &Reference, shown: &str) -> Result<&'a VersionRec> {
    match &r.selector {
        None => p.current().ok_or_else(|| SsmError::not_found(shown)),
        Some(Selector::Version(v)) => p
            .versions
            .iter()
            .find(|x| x.version == *v)
            .ok_or_else(|| {
                SsmError::ParameterVersionNotFound(format!(
                    "Systems Manager could not find version {v} of {}. Verify the version and try again.",
                    p.name
                ))
            }),
        Some(Selector::Label(l)) => p
            .versions
            .iter()
            .find(|x| x.labels.contains(l))
            .ok_or_else(|| SsmError::not_found(shown)),
    }
}

pub(crate) fn parameter_type(kind: &str) -> ParameterType {
    match kind {
        "StringList" => ParameterType::StringList,
        "SecureString" => ParameterType::SecureString,
        _ => ParameterType::String,
    }
}

impl Ssm {
    /// A version's value as answered: opened if it is a SecureString and `decrypt`, else as
    /// stored (a SecureString's sealed text, as SSM answers the ciphertext).
    pub(crate) fn value_of(&self, p: &ParamRec, v: &VersionRec, decrypt: bool) -> Result<String> {
        if v.is_secure() && decrypt {
            let plain = self
                .ring
                .open(&v.value, &VersionRec::context(&p.arn, v.version))?;
            return String::from_utf8(plain)
                .map_err(|_| SsmError::Internal("A stored value is not UTF-8.".into()));
        }
        Ok(v.value.clone())
    }

    /// The wire view of version `v` of `p`.
    pub(crate) fn view(
        &self,
        p: &ParamRec,
        v: &VersionRec,
        decrypt: bool,
        selector: Option<String>,
    ) -> Result<Parameter> {
        Ok(Parameter {
            name: Some(p.name.clone()),
            r#type: Some(parameter_type(&v.kind)),
            value: Some(self.value_of(p, v, decrypt)?),
            version: Some(v.version),
            selector,
            source_result: None,
            last_modified_date: Some(v.modified),
            arn: Some(p.arn.clone()),
            data_type: Some(v.data_type.clone()),
        })
    }
}

/// Walks `(key, item)` pairs (sorted) from a `NextToken`.
pub(crate) fn page<T>(
    items: impl IntoIterator<Item = (String, T)>,
    token: Option<&str>,
    size: usize,
) -> Result<berth_aws::page::Page<T>> {
    berth_aws::page::paginate(items, token, size)
        .map_err(|_| SsmError::InvalidNextToken("The nextToken is not valid.".into()))
}

/// The page size of a `MaxResults` (the model checks its range).
pub(crate) fn limit(n: Option<i32>, default: usize) -> usize {
    n.and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// The answer of an operation whose output shape is empty: `{}`.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_parameter_rules() {
        for ok in ["db", "/app/db", "/a/b.c-d_e", "x.y"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "a/b", "/a//b", "/a/", "sp ace", "/aws/x", "SSMthing", "a:b",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        let deep = "/l".repeat(16);
        assert!(matches!(
            check_name(&deep),
            Err(SsmError::HierarchyLevelLimitExceeded(_))
        ));
    }

    #[test]
    fn references_carry_names_and_selectors() {
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        let r = reference(&ctx, "/app/db:3").expect("ref");
        assert_eq!(r.names, vec!["/app/db"]);
        assert_eq!(r.selector, Some(Selector::Version(3)));
        assert_eq!(r.selector_text.as_deref(), Some(":3"));
        let r = reference(&ctx, "/app/db:prod").expect("ref");
        assert_eq!(r.selector, Some(Selector::Label("prod".into())));
        let r =
            reference(&ctx, "arn:aws:ssm:us-east-1:000000000000:parameter/app/db").expect("arn");
        assert_eq!(r.names, vec!["/app/db"]);
        let r = reference(&ctx, "arn:aws:ssm:us-east-1:000000000000:parameter/db:2").expect("arn");
        assert_eq!(r.names, vec!["db", "/db"]);
        assert!(reference(&ctx, "arn:aws:ssm:eu-west-1:000000000000:parameter/db").is_err());
        assert!(reference(&ctx, "db:").is_err());
    }
}
