//! Checks between the rules of one policy.
//!
//! From *Lifecycle policy properties in Amazon ECR* ("Rule priority"):
//! priorities are unique (they need not be consecutive), and a rule with
//! `tagStatus` `any` must have the highest priority, being applied last.
//! From *Lifecycle policy evaluation rules* (on *Automate the cleanup of
//! images by using lifecycle policies in Amazon ECR*): the rules must hold a
//! unique set of tag prefixes, and only one rule may select untagged images.
//!
//! Berth's reading, where those pages predate storage classes: the last
//! three checks hold **per storage class**. A rule sees only the images of
//! its storage class, so a policy that archives every image unpulled for 30
//! days (`any`, `standard`, `transition`) and deletes every image archived
//! for 180 days (`any`, `archive`, `expire`) has two `any` rules that do not
//! compete, and is accepted; two rules for the same class are held to the
//! documented constraints. "A unique set of tag prefixes" is read as: no two
//! rules list the same set (order and repeats aside) of prefixes, or the same
//! set of patterns; rules whose lists merely overlap are fine, as in the
//! documentation's own examples.

use std::collections::{BTreeSet, HashSet};

use crate::error::PolicyError;
use crate::policy::{Rule, TagFilter, TagList};

/// Checks `rules` against each other, and sorts them by priority.
pub(crate) fn across_rules(rules: &mut [Rule]) -> Result<(), PolicyError> {
    let mut seen = HashSet::new();
    if let Some(rule) = rules.iter().find(|rule| !seen.insert(rule.priority)) {
        return Err(PolicyError::DuplicatePriority {
            priority: rule.priority,
        });
    }
    rules.sort_by_key(|rule| rule.priority);
    for (index, rule) in rules.iter().enumerate() {
        let class = rule.selection.storage_class;
        let earlier = rules[..index]
            .iter()
            .filter(|earlier| earlier.selection.storage_class == class);
        for earlier in earlier {
            let class = class.policy_word();
            match (&earlier.selection.tags, &rule.selection.tags) {
                (TagFilter::Any, _) => {
                    return Err(PolicyError::AnyNotLast {
                        any: earlier.priority,
                        later: rule.priority,
                        class,
                    })
                }
                (TagFilter::Untagged, TagFilter::Untagged) => {
                    return Err(PolicyError::SecondUntagged {
                        first: earlier.priority,
                        second: rule.priority,
                        class,
                    })
                }
                (TagFilter::Tagged(first), TagFilter::Tagged(second)) => {
                    if let Some(list) = same_tags(first, second) {
                        return Err(PolicyError::SameTags {
                            first: earlier.priority,
                            second: rule.priority,
                            list,
                            class,
                        });
                    }
                }
                (TagFilter::Untagged | TagFilter::Tagged(_), _) => {}
            }
        }
    }
    Ok(())
}

/// The list's name if the two lists are of one kind and hold the same set.
fn same_tags(first: &TagList, second: &TagList) -> Option<&'static str> {
    fn set<'a>(items: impl Iterator<Item = &'a str>) -> BTreeSet<&'a str> {
        items.collect()
    }
    match (first, second) {
        (TagList::Prefixes(a), TagList::Prefixes(b)) => {
            let same = set(a.iter().map(String::as_str)) == set(b.iter().map(String::as_str));
            same.then_some("tagPrefixList")
        }
        (TagList::Patterns(a), TagList::Patterns(b)) => {
            let same = set(a.iter().map(|p| p.as_str())) == set(b.iter().map(|p| p.as_str()));
            same.then_some("tagPatternList")
        }
        (TagList::Prefixes(_), TagList::Patterns(_))
        | (TagList::Patterns(_), TagList::Prefixes(_)) => None,
    }
}
