//! AWS's tag rules, shared by every service that tags: at most 50 tags, keys of 1-128 and
//! values of 0-256 characters from letters, digits, spaces and `_.:/=+-@`, no `aws:` prefix,
//! no key twice.

use std::collections::HashSet;

/// The most tags a resource carries.
pub const MAX_TAGS: usize = 50;

/// Why a set of tags was refused; the message is the one services answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("A resource can have at most {MAX_TAGS} tags.")]
    TooMany,
    #[error("Invalid tag key '{0}'.")]
    Key(String),
    #[error("Invalid value for tag '{0}'.")]
    Value(String),
    #[error("Tag keys prefixed with 'aws:' are reserved for AWS use.")]
    Reserved,
    #[error("Duplicate tag key '{0}'.")]
    Duplicate(String),
}

/// Checks `(key, value)` pairs against the rules.
pub fn check<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), TagError> {
    let mut keys = HashSet::new();
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 || !key.chars().all(tag_char) {
            return Err(TagError::Key(key.into()));
        }
        if value.chars().count() > 256 || !value.chars().all(tag_char) {
            return Err(TagError::Value(key.into()));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(TagError::Reserved);
        }
        if !keys.insert(key) {
            return Err(TagError::Duplicate(key.into()));
        }
        if keys.len() > MAX_TAGS {
            return Err(TagError::TooMany);
        }
    }
    Ok(())
}

/// Checks a tag-key list (UntagResource).
pub fn check_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<(), TagError> {
    for key in keys {
        if key.is_empty() || key.chars().count() > 128 || !key.chars().all(tag_char) {
            return Err(TagError::Key(key.into()));
        }
    }
    Ok(())
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules() {
        assert_eq!(check([("team", "core"), ("a b", "")]), Ok(()));
        assert_eq!(check([("", "x")]), Err(TagError::Key("".into())));
        assert_eq!(check([("k", "bad\u{0}")]), Err(TagError::Value("k".into())));
        assert_eq!(check([("aws:x", "y")]), Err(TagError::Reserved));
        assert_eq!(
            check([("k", "1"), ("k", "2")]),
            Err(TagError::Duplicate("k".into()))
        );
        let many: Vec<(String, String)> =
            (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(
            check(many.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            Err(TagError::TooMany)
        );
        assert_eq!(check_keys(["ok", ""]), Err(TagError::Key("".into())));
    }
}
