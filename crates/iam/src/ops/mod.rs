//! The operations, one module per resource, and what they share: names, ids, pages.

mod access_keys;
mod attachments;
pub(crate) mod aws_policies;
mod entities;
mod groups;
mod inline_policies;
pub(crate) mod managed_policies;
mod roles;
pub(crate) mod server_certificates;
mod tags;
mod users;

use berth_aws::RequestContext;
use berth_iam_model::shapes::Tag;

use crate::error::{IamError, Result};

/// Upper-case letters and digits, as IAM's ids are made of.
const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// An id of `prefix` and 16 random characters (`AIDA…` users, `AKIA…` keys).
pub(crate) fn new_id(prefix: &str) -> Result<String> {
    let mut raw = [0u8; 16];
    berth_sealing::random_bytes(&mut raw)?;
    let tail: String = raw
        .iter()
        .map(|b| ID_CHARS[*b as usize % ID_CHARS.len()] as char)
        .collect();
    Ok(format!("{prefix}{tail}"))
}

/// A secret access key: 40 characters of base64's alphabet.
pub(crate) fn new_secret() -> Result<String> {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut raw = [0u8; 40];
    berth_sealing::random_bytes(&mut raw)?;
    Ok(raw
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect())
}

/// A user name: 1-64 of letters, digits and `+=,.@_-`.
pub(crate) fn check_user_name(name: &str) -> Result<()> {
    check_name(name, "userName", 64)
}

/// A name of `field` (`roleName`, `policyName`): 1-`max` of letters, digits and `+=,.@_-`.
pub(crate) fn check_name(name: &str, field: &str, max: usize) -> Result<()> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if name.is_empty() || name.len() > max || !name.chars().all(ok) {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        )));
    }
    Ok(())
}

/// A request's tags, checked, in the order given.
pub(crate) fn checked_tags(tags: Option<&Vec<Tag>>) -> Result<berth_aws::tags::Ordered> {
    berth_aws::tags::Ordered::checked(tags.into_iter().flatten().map(|t| {
        (
            t.key.as_deref().unwrap_or_default(),
            t.value.as_deref().unwrap_or_default(),
        )
    }))
    .map_err(|e| IamError::InvalidInput(e.to_string()))
}

/// Stored tags as IAM answers them, in the order they were given.
pub(crate) fn tag_list(
    order: &[String],
    map: &std::collections::BTreeMap<String, String>,
) -> Vec<Tag> {
    order
        .iter()
        .filter_map(|k| map.get(k).map(|v| (k, v)))
        .map(|(k, v)| Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

/// A path: `/`, or `/` … `/` of printable ASCII, at most 512.
pub(crate) fn check_path(path: &str) -> Result<()> {
    let ok = path == "/"
        || (path.len() <= 512
            && path.starts_with('/')
            && path.ends_with('/')
            && path.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if !ok {
        return Err(IamError::Validation(format!(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters. (got '{path}')"
        )));
    }
    Ok(())
}

/// The user a request is about: the one it names, else the caller's own (a user's key).
pub(crate) fn target_user(ctx: &RequestContext, named: Option<&str>) -> Result<String> {
    if let Some(n) = named {
        return Ok(n.to_owned());
    }
    let prefix = format!("arn:aws:iam::{}:user/", ctx.account);
    ctx.principal
        .strip_prefix(&prefix)
        .map(|rest| rest.rsplit('/').next().unwrap_or(rest).to_owned())
        .ok_or_else(|| {
            IamError::InvalidInput(
                "Name the user: Berth's account roots use the keys the server is configured with."
                    .into(),
            )
        })
}

/// A page of `(key, item)` pairs after `marker`; answers the items and the next marker.
pub(crate) fn page<T>(
    items: impl IntoIterator<Item = (String, T)>,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<(Vec<T>, Option<String>)> {
    let size = max_items
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0)
        .unwrap_or(100);
    let p = berth_aws::page::paginate(items, marker, size)
        .map_err(|_| IamError::InvalidInput("The marker is not valid.".into()))?;
    Ok((p.items, p.next_token))
}

/// The answer of an operation whose output shape is empty.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_secrets_have_iam_shapes() {
        let id = new_id("AKIA").expect("id");
        assert_eq!(id.len(), 20);
        assert!(
            id.starts_with("AKIA")
                && id
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_ne!(id, new_id("AKIA").expect("id"));
        assert_eq!(new_secret().expect("secret").len(), 40);
    }

    #[test]
    fn names_and_paths_follow_iam_rules() {
        assert!(check_user_name("ci.bot+1@x").is_ok());
        for bad in ["", "a b", "a/b", &"x".repeat(65)] {
            assert!(check_user_name(bad).is_err(), "{bad}");
        }
        assert!(check_path("/").is_ok() && check_path("/team/ci/").is_ok());
        for bad in ["", "team/", "/team", "/a b/"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_target_user_is_named_or_the_callers_own() {
        let mut ctx = RequestContext::for_account("123456789012", "us-east-1");
        assert!(target_user(&ctx, None).is_err(), "a root names the user");
        assert_eq!(target_user(&ctx, Some("x")).expect("named"), "x");
        ctx.principal = "arn:aws:iam::123456789012:user/team/ci".into();
        assert_eq!(target_user(&ctx, None).expect("own"), "ci");
    }
}
