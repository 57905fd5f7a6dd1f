//! The operations, one module per resource, and what they share: tags, pages, ids, ARNs.

mod account;
mod authorize;
mod network_interfaces;
pub(crate) mod permissions;
mod rule_shapes;
mod rules;
mod security_groups;
mod subnets;
mod tags;
mod vpcs;
mod zones;

use std::collections::BTreeMap;

use berth_aws::RequestContext;
use berth_ec2_model::shapes::{Tag, TagSpecification};

use crate::error::{Ec2Error, Result};

/// The most tags one resource carries.
pub(crate) const MAX_TAGS: usize = 50;

/// A new id: `<prefix>-` and 17 random hex digits, as EC2's ids look.
pub(crate) fn new_id(prefix: &str) -> String {
    // A v4 UUID's 13th digit is always 4: take the digits around it.
    let hex = berth_aws::ids::hex_id();
    let digits: String = hex
        .char_indices()
        .filter(|(i, _)| *i != 12)
        .map(|(_, c)| c)
        .take(17)
        .collect();
    format!("{prefix}-{digits}")
}

/// The ARN of an EC2 resource: `arn:aws:ec2:<region>:<account>:<kind>/<id>`.
pub(crate) fn arn(ctx: &RequestContext, kind: &str, id: &str) -> String {
    format!(
        "arn:{}:ec2:{}:{}:{kind}/{id}",
        ctx.partition, ctx.region, ctx.account
    )
}

/// A request's tags, checked against EC2's rules: keys of 1-128 and values of at most 256
/// characters, no key twice, none starting with `aws:`.
pub(crate) fn checked_tags(tags: Option<&Vec<Tag>>) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for t in tags.into_iter().flatten() {
        let key = t
            .key
            .as_deref()
            .ok_or_else(|| Ec2Error::missing("Tag.N.Key"))?;
        let value = t.value.as_deref().unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 {
            return Err(Ec2Error::invalid(format!(
                "Tag key '{key}' must be 1 to 128 characters long"
            )));
        }
        if value.chars().count() > 256 {
            return Err(Ec2Error::invalid(format!(
                "The value of tag '{key}' must be at most 256 characters long"
            )));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(Ec2Error::invalid(
                "Tag keys starting with 'aws:' are reserved for internal use",
            ));
        }
        if out.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(Ec2Error::invalid(format!(
                "Duplicate tag key '{key}' specified"
            )));
        }
    }
    Ok(out)
}

/// `tags` with `new` added (replacing values of the same keys), within the limit.
pub(crate) fn merged_tags(
    mut tags: BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    tags.extend(new.iter().map(|(k, v)| (k.clone(), v.clone())));
    if tags.len() > MAX_TAGS {
        return Err(Ec2Error::client(
            "TagLimitExceeded",
            format!("The maximum number of tags for a resource ({MAX_TAGS}) has been reached."),
        ));
    }
    Ok(tags)
}

/// The tags `TagSpecifications` give a new resource of type `resource_type`
/// (`security-group`, `security-group-rule`).
pub(crate) fn spec_tags(
    specs: Option<&Vec<TagSpecification>>,
    resource_type: &str,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for spec in specs.into_iter().flatten() {
        let given = spec.resource_type.as_ref().map(|t| t.as_str());
        if given != Some(resource_type) {
            return Err(Ec2Error::invalid(format!(
                "'{}' is not a valid taggable resource type for this operation.",
                given.unwrap_or_default()
            )));
        }
        out = merged_tags(out, &checked_tags(spec.tags.as_ref())?)?;
    }
    Ok(out)
}

/// Stored tags as EC2 answers them.
pub(crate) fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
}

/// A page of `(key, item)` pairs (sorted by key) after `token`: every item when
/// `max_results` is absent, else 5 to 1000 of them.
pub(crate) fn page<T>(
    items: impl IntoIterator<Item = (String, T)>,
    token: Option<&str>,
    max_results: Option<i32>,
) -> Result<(Vec<T>, Option<String>)> {
    let size = match max_results {
        None => usize::MAX,
        Some(n @ 5..=1000) => n as usize,
        Some(n) => {
            return Err(Ec2Error::invalid(format!(
                "Value ( {n} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000."
            )))
        }
    };
    let p = berth_aws::page::paginate(items, token, size).map_err(|_| {
        Ec2Error::client(
            "InvalidPaginationToken",
            "The specified pagination token is not valid or is expired.",
        )
    })?;
    Ok((p.items, p.next_token))
}

/// The answer of an operation without output.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Empty {}

/// A boolean as EC2's filters compare it.
pub(crate) fn flag(b: bool) -> Vec<String> {
    vec![if b { "true" } else { "false" }.to_owned()]
}

/// A filter's one value.
pub(crate) fn one(v: impl Into<String>) -> Vec<String> {
    vec![v.into()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_ec2s() {
        let id = new_id("sg");
        assert_eq!(id.len(), 20);
        assert!(id[3..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id, new_id("sg"));
    }

    #[test]
    fn tags_follow_ec2s_rules() {
        let tag = |k: &str, v: &str| Tag {
            key: Some(k.into()),
            value: Some(v.into()),
        };
        assert!(checked_tags(Some(&vec![tag("Name", "web"), tag("empty", "")])).is_ok());
        for bad in [tag("", "x"), tag("aws:x", "y"), tag(&"k".repeat(129), "")] {
            assert!(checked_tags(Some(&vec![bad.clone()])).is_err(), "{bad:?}");
        }
        assert!(checked_tags(Some(&vec![tag("a", "1"), tag("a", "2")])).is_err());
        let many: BTreeMap<String, String> = (0..MAX_TAGS)
            .map(|i| (format!("k{i}"), String::new()))
            .collect();
        let one_more: BTreeMap<String, String> = [("x".to_owned(), String::new())].into();
        assert_eq!(
            merged_tags(many.clone(), &one_more).map_err(|e| e.code()),
            Err("TagLimitExceeded")
        );
        assert!(merged_tags(many, &[("k1".to_owned(), "v".to_owned())].into()).is_ok());
    }

    #[test]
    fn pages_are_all_items_unless_asked() {
        let items = || (0..12).map(|i| (format!("{i:02}"), i));
        let (all, next) = page(items(), None, None).expect("page");
        assert_eq!((all.len(), next), (12, None));
        let (first, next) = page(items(), None, Some(5)).expect("page");
        assert_eq!(first, [0, 1, 2, 3, 4]);
        let (second, _) = page(items(), next.as_deref(), Some(5)).expect("page");
        assert_eq!(second, [5, 6, 7, 8, 9]);
        assert!(page(items(), None, Some(4)).is_err());
        assert_eq!(
            page(items(), Some("zz"), None).map_err(|e| e.code()).err(),
            Some("InvalidPaginationToken")
        );
    }
}
