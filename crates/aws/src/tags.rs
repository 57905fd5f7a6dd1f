//! AWS's tag rules, shared by every service that tags: at most 50 tags, keys of 1-128 and
//! values of 0-256 characters from letters, digits, spaces and `_.:/=+-@`, no `aws:` prefix,
//! no key twice.

use std::collections::{BTreeMap, HashSet};

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

/// A resource's tags as services keep them: by key, and the keys in the order they were
/// first given (AWS answers tags in that order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ordered {
    pub map: BTreeMap<String, String>,
    pub order: Vec<String>,
}

impl Ordered {
    /// Checks `pairs` against the rules and keeps them in their order.
    pub fn checked<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Result<Ordered, TagError> {
        check(pairs.clone())?;
        let mut t = Ordered::default();
        for (k, v) in pairs {
            t.order.push(k.to_owned());
            t.map.insert(k.to_owned(), v.to_owned());
        }
        Ok(t)
    }

    /// Adds or replaces `new`'s tags (TagResource); the result must keep to the rules.
    pub fn merged(mut self, new: &Ordered) -> Result<Ordered, TagError> {
        for k in &new.order {
            if !self.map.contains_key(k) {
                self.order.push(k.clone());
            }
        }
        self.map.extend(new.map.clone());
        check(self.map.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        Ok(self)
    }

    /// Removes `keys` (UntagResource).
    pub fn without(mut self, keys: &[String]) -> Ordered {
        for k in keys {
            self.map.remove(k);
        }
        self.order.retain(|k| !keys.contains(k));
        self
    }

    /// The tags in the order they were given (keys missing from the order last, by key).
    pub fn in_order(&self) -> Vec<(&String, &String)> {
        let mut out: Vec<(&String, &String)> = self
            .order
            .iter()
            .filter_map(|k| self.map.get_key_value(k))
            .collect();
        out.extend(self.map.iter().filter(|(k, _)| !self.order.contains(k)));
        out
    }
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

    #[test]
    fn ordered_tags_keep_the_order_given() {
        let t = Ordered::checked([("b", "1"), ("a", "2")]).expect("tags");
        let more = Ordered::checked([("c", "3"), ("b", "4")]).expect("tags");
        let t = t.merged(&more).expect("merged");
        let keys: Vec<(&str, &str)> = t
            .in_order()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(keys, [("b", "4"), ("a", "2"), ("c", "3")]);
        let t = t.without(&["b".to_owned()]);
        assert_eq!(t.in_order().len(), 2);
        assert!(Ordered::checked([("aws:x", "1")]).is_err());
    }
}
