//! The operations, one module per resource, and what they share: names, ARNs, finding a
//! secret by name or ARN, values from requests.

mod password;
mod policies;
mod secrets;
mod tags;
mod values;

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use berth_aws::arn::Arn;
use berth_aws::RequestContext;

use crate::error::{Result, SmError};
use crate::records::{secret_key, SecretRec, ValueKind};
use crate::state::State;

pub(crate) use values::CURRENT;

/// A secret name: 1-512 of letters, digits and `/_+=.@-`.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c);
    if name.is_empty() || name.len() > 512 || !name.chars().all(ok) {
        return Err(SmError::Validation(
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!".into(),
        ));
    }
    Ok(())
}

/// A new secret's ARN: its name and a hyphen and six random letters and digits, so a secret
/// created again under an old name has another ARN.
pub(crate) fn new_arn(ctx: &RequestContext, name: &str) -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut raw = [0u8; 6];
    berth_sealing::random_bytes(&mut raw)?;
    let suffix: String = raw
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    Ok(Arn::new(ctx, "secretsmanager", &format!("secret:{name}-{suffix}")).to_string())
}

/// The caller's secret that `id` names: a name, a full ARN or an ARN without the random
/// suffix. Secrets scheduled for deletion are found too (callers decide).
pub(crate) fn find(state: &State, ctx: &RequestContext, id: &str) -> Result<Arc<SecretRec>> {
    let get = |name: &str| state.secrets.get(&secret_key(&ctx.account, name)).cloned();
    if !id.starts_with("arn:") {
        return get(id).ok_or_else(SmError::no_secret);
    }
    let arn = Arn::parse(id).ok_or_else(SmError::no_secret)?;
    if !arn.is_local(ctx, "secretsmanager") {
        return Err(SmError::no_secret());
    }
    let rest = arn
        .resource
        .strip_prefix("secret:")
        .ok_or_else(SmError::no_secret)?;
    // A full ARN: the name is what comes before the last `-` and its six characters.
    if let Some((name, suffix)) = rest.rsplit_once('-') {
        if suffix.len() == 6 {
            if let Some(s) = get(name).filter(|s| s.arn == id) {
                return Ok(s);
            }
        }
    }
    get(rest).ok_or_else(SmError::no_secret)
}

/// As [`find`], refusing a secret scheduled for deletion.
pub(crate) fn find_live(state: &State, ctx: &RequestContext, id: &str) -> Result<Arc<SecretRec>> {
    let s = find(state, ctx, id)?;
    if s.deleted.is_some() {
        return Err(SmError::deleted());
    }
    Ok(s)
}

/// The value a request carries in `SecretString` or `SecretBinary` (base64 on the wire), if
/// any; both is refused.
pub(crate) fn value_of(
    string: Option<&str>,
    binary: Option<&str>,
) -> Result<Option<(ValueKind, Vec<u8>)>> {
    match (string, binary) {
        (Some(_), Some(_)) => Err(SmError::param(
            "You can't specify both a binary secret value and a string secret value in the same secret.",
        )),
        (Some(s), None) => Ok(Some((ValueKind::String, s.as_bytes().to_vec()))),
        (None, Some(b)) => {
            let bytes = STANDARD
                .decode(b)
                .map_err(|_| SmError::Serialization("SecretBinary is not valid base64.".into()))?;
            Ok(Some((ValueKind::Binary, bytes)))
        }
        (None, None) => Ok(None),
    }
}

/// The wire form of a version's value: `(SecretString, SecretBinary)`.
pub(crate) fn wire_value(kind: ValueKind, bytes: Vec<u8>) -> (Option<String>, Option<String>) {
    match kind {
        ValueKind::String => (Some(String::from_utf8_lossy(&bytes).into_owned()), None),
        ValueKind::Binary => (None, Some(STANDARD.encode(bytes))),
    }
}

/// A new version's id: the client's token, or a fresh UUID.
pub(crate) fn version_id(token: Option<&str>) -> String {
    token
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

pub(crate) fn bad_token() -> SmError {
    SmError::InvalidNextToken("The nextToken is not valid.".into())
}

/// Walks `(key, item)` pairs (sorted) from a `NextToken`.
pub(crate) fn page<T>(
    items: impl IntoIterator<Item = (String, T)>,
    token: Option<&str>,
    size: usize,
    descending: bool,
) -> Result<berth_aws::page::Page<T>> {
    berth_aws::page::paginate_ordered(items, token, size, descending).map_err(|_| bad_token())
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
    fn names_allow_aws_characters_only() {
        for ok in ["db", "prod/db-password", "a_b+c=d.e@f", &"x".repeat(512)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "has space", "colon:", "star*", "ü", &"x".repeat(513)] {
            assert!(
                matches!(check_name(bad), Err(SmError::Validation(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn values_are_one_of_string_or_binary() {
        assert_eq!(
            value_of(Some("s"), None).expect("s"),
            Some((ValueKind::String, b"s".to_vec()))
        );
        assert_eq!(
            value_of(None, Some("AAE=")).expect("b"),
            Some((ValueKind::Binary, vec![0, 1]))
        );
        assert!(value_of(Some("s"), Some("AA==")).is_err());
        assert!(value_of(None, Some("!!")).is_err());
        assert_eq!(value_of(None, None).expect("none"), None);
    }
}
