//! Policy text → [`Policy`]: reading each rule and checking it on its own.
//!
//! What each property may hold, and which properties go together, is from
//! *Lifecycle policy properties in Amazon ECR* and the template on *Examples
//! of lifecycle policies in Amazon ECR*:
//!
//! - the text is an object with one property, `rules`, a non-empty array;
//! - a rule has `rulePriority` (a whole number from 1, the API's
//!   `LifecyclePolicyRulePriority`), an optional `description`, `selection`
//!   and `action`; nothing else, here or in `selection` and `action`;
//! - `tagStatus` is `tagged`, `untagged` or `any`; `tagged` needs a
//!   `tagPrefixList` or a `tagPatternList` (each is required when the other
//!   is absent, and the prefix list is used only without the pattern list,
//!   so Berth refuses both at once), and `untagged` takes neither;
//! - a `tagPatternList` entry holds at most four `*`;
//! - `countType` is `imageCountMoreThan`, `sinceImagePushed`,
//!   `sinceImagePulled` or `sinceImageTransitioned`; the three ages need
//!   `countUnit` `days`, and `imageCountMoreThan` takes no `countUnit`;
//!   `countNumber` is a whole number from 1 (0 is documented as refused);
//! - `storageClass` is `standard` (the default) or `archive`;
//!   `sinceImageTransitioned` requires `archive` and the other count types
//!   `standard`;
//! - `action.type` is `expire` or `transition`; `transition` needs
//!   `targetStorageClass` `archive`, and `expire` takes none.
//!
//! One more comes from *Archiving an image* (Amazon ECR User Guide): a
//! policy may not delete images archived for less than 90 days, so an
//! `expire` rule on archived images needs a `countNumber` of at least 90.
//!
//! Berth's readings where the pages are silent: a property the template does
//! not show is refused, at any level; a `null` is the wrong type, not an
//! absent property; the words are case-sensitive, as the template writes
//! them; an `any` rule, like an `untagged` one, takes no tag list (the lists
//! are documented only for `tagged`); a `transition` rule must select
//! standard images (its only target is the archive they would already be
//! in); an empty string is an acceptable prefix (it matches every tag) or
//! pattern (it matches none), since tags themselves are never empty.
//!
//! Checks between rules are in `validate.rs`. Length limits on the text as a
//! whole (the API's `LifecyclePolicyText`, 100 to 30,720 characters) belong
//! to the model validation of the request, not to this crate.

use serde_json::{Map, Value};

use crate::error::PolicyError;
use crate::pattern::{TagPattern, MAX_WILDCARDS};
use crate::policy::{Action, Count, Policy, Rule, Selection, StorageClass, TagFilter, TagList};
use crate::validate;

/// The minimum time an image stays archived before a policy may expire it.
pub const ARCHIVE_MINIMUM_DAYS: u32 = 90;

/// Parses and validates a lifecycle policy text.
///
/// ```
/// let policy = berth_ecr_lifecycle::parse(r#"{"rules": [{
///     "rulePriority": 1,
///     "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
///     "action": {"type": "expire"}
/// }]}"#).unwrap();
/// assert_eq!(policy.rules()[0].priority, 1);
///
/// let refused = berth_ecr_lifecycle::parse(r#"{"rules": [{
///     "rulePriority": 1,
///     "selection": {"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1},
///     "action": {"type": "expire"}
/// }]}"#).unwrap_err();
/// assert_eq!(
///     refused.to_string(),
///     "rule 1: tagStatus 'tagged' needs a tagPrefixList or a tagPatternList"
/// );
/// ```
pub fn parse(text: &str) -> Result<Policy, PolicyError> {
    let value: Value = serde_json::from_str(text).map_err(|error| PolicyError::Json {
        detail: error.to_string(),
    })?;
    let Value::Object(top) = &value else {
        return Err(PolicyError::NotAnObject);
    };
    let top = Obj {
        map: top,
        at: String::new(),
    };
    top.allow(&["rules"])?;
    let rules = match top.map.get("rules") {
        None => {
            return Err(PolicyError::Missing {
                at: top.path("rules"),
            })
        }
        Some(Value::Array(rules)) => rules,
        Some(_) => {
            return Err(PolicyError::WrongType {
                at: top.path("rules"),
                expected: "an array of rules",
            })
        }
    };
    if rules.is_empty() {
        return Err(PolicyError::NoRules);
    }
    let mut rules = rules
        .iter()
        .enumerate()
        .map(|(index, value)| rule(value, format!("rules[{index}]")))
        .collect::<Result<Vec<_>, _>>()?;
    validate::across_rules(&mut rules)?;
    Ok(Policy { rules })
}

fn rule(value: &Value, at: String) -> Result<Rule, PolicyError> {
    let rule = Obj::new(value, at)?;
    rule.allow(&["rulePriority", "description", "selection", "action"])?;
    let priority = rule.required("rulePriority", Obj::positive)?;
    let description = rule
        .optional("description", Obj::string)?
        .map(str::to_owned);
    let selection = rule.required("selection", Obj::object)?;
    let action = rule.required("action", Obj::object)?;
    let named = format!("rule {priority}");
    let selection = read_selection(&selection, &named)?;
    let action = read_action(&action, &named)?;
    match (action, selection.storage_class, selection.count) {
        (Action::TransitionToArchive, StorageClass::Archive, _) => {
            Err(PolicyError::TransitionFromArchive { at: named })
        }
        (Action::Expire, StorageClass::Archive, count) if count.number() < ARCHIVE_MINIMUM_DAYS => {
            Err(PolicyError::ArchiveMinimum {
                at: named,
                days: count.number(),
            })
        }
        _ => Ok(Rule {
            priority,
            description,
            selection,
            action,
        }),
    }
}

fn read_selection(selection: &Obj, named: &str) -> Result<Selection, PolicyError> {
    selection.allow(&[
        "tagStatus",
        "tagPrefixList",
        "tagPatternList",
        "storageClass",
        "countType",
        "countUnit",
        "countNumber",
    ])?;
    let status = selection.required("tagStatus", Obj::string)?;
    let prefixes = selection.optional("tagPrefixList", Obj::strings)?;
    let patterns = selection.optional("tagPatternList", Obj::strings)?;
    let class = selection.optional("storageClass", Obj::string)?;
    let count_type = selection.required("countType", Obj::string)?;
    let unit = selection.optional("countUnit", Obj::string)?;
    let number = selection.required("countNumber", Obj::positive)?;

    let tags = match status {
        "tagged" => TagFilter::Tagged(tag_list(prefixes, patterns, named)?),
        "untagged" => without_list(TagFilter::Untagged, &prefixes, &patterns, named)?,
        "any" => without_list(TagFilter::Any, &prefixes, &patterns, named)?,
        other => {
            return Err(not_one_of(
                selection,
                "tagStatus",
                other,
                "'tagged', 'untagged' or 'any'",
            ))
        }
    };

    let storage_class = match class {
        None | Some("standard") => StorageClass::Standard,
        Some("archive") => StorageClass::Archive,
        Some(other) => {
            return Err(not_one_of(
                selection,
                "storageClass",
                other,
                "'standard' or 'archive'",
            ))
        }
    };

    let count = match count_type {
        "imageCountMoreThan" => Count::MoreThan(number),
        "sinceImagePushed" => Count::SincePushed { days: number },
        "sinceImagePulled" => Count::SincePulled { days: number },
        "sinceImageTransitioned" => Count::SinceTransitioned { days: number },
        other => {
            return Err(not_one_of(
                selection,
                "countType",
                other,
                "'imageCountMoreThan', 'sinceImagePushed', 'sinceImagePulled' or \
                 'sinceImageTransitioned'",
            ))
        }
    };
    match (count, unit) {
        (Count::MoreThan(_), Some(_)) => {
            return Err(PolicyError::UnitNotAllowed {
                at: named.to_owned(),
            })
        }
        (Count::MoreThan(_), None) | (_, Some("days")) => {}
        (_, Some(other)) => return Err(not_one_of(selection, "countUnit", other, "'days'")),
        (_, None) => {
            return Err(PolicyError::UnitMissing {
                at: named.to_owned(),
                count_type: count.count_type(),
            })
        }
    }

    let required = match count {
        Count::SinceTransitioned { .. } => StorageClass::Archive,
        Count::MoreThan(_) | Count::SincePushed { .. } | Count::SincePulled { .. } => {
            StorageClass::Standard
        }
    };
    if storage_class != required {
        return Err(PolicyError::StorageClassMismatch {
            at: named.to_owned(),
            count_type: count.count_type(),
            required: required.policy_word(),
            found: storage_class.policy_word(),
        });
    }

    Ok(Selection {
        tags,
        storage_class,
        count,
    })
}

fn tag_list(
    prefixes: Option<Vec<String>>,
    patterns: Option<Vec<String>>,
    named: &str,
) -> Result<TagList, PolicyError> {
    let at = || named.to_owned();
    match (prefixes, patterns) {
        (None, None) => Err(PolicyError::TaggedWithoutList { at: at() }),
        (Some(_), Some(_)) => Err(PolicyError::BothLists { at: at() }),
        (Some(prefixes), None) if prefixes.is_empty() => Err(PolicyError::EmptyList {
            at: at(),
            list: "tagPrefixList",
        }),
        (None, Some(patterns)) if patterns.is_empty() => Err(PolicyError::EmptyList {
            at: at(),
            list: "tagPatternList",
        }),
        (Some(prefixes), None) => Ok(TagList::Prefixes(prefixes)),
        (None, Some(patterns)) => {
            let patterns: Vec<TagPattern> = patterns.iter().map(|p| TagPattern::new(p)).collect();
            if let Some(wild) = patterns.iter().find(|p| p.wildcards() > MAX_WILDCARDS) {
                return Err(PolicyError::TooManyWildcards {
                    at: at(),
                    pattern: wild.as_str().to_owned(),
                    wildcards: wild.wildcards(),
                });
            }
            Ok(TagList::Patterns(patterns))
        }
    }
}

/// An `untagged` or `any` filter, refused if the rule also gave a tag list.
fn without_list(
    filter: TagFilter,
    prefixes: &Option<Vec<String>>,
    patterns: &Option<Vec<String>>,
    named: &str,
) -> Result<TagFilter, PolicyError> {
    let list = match (prefixes, patterns) {
        (None, None) => return Ok(filter),
        (Some(_), _) => "tagPrefixList",
        (None, Some(_)) => "tagPatternList",
    };
    Err(PolicyError::ListWithoutTagged {
        at: named.to_owned(),
        list,
        status: filter.status(),
    })
}

fn read_action(action: &Obj, named: &str) -> Result<Action, PolicyError> {
    action.allow(&["type", "targetStorageClass"])?;
    let kind = action.required("type", Obj::string)?;
    let target = action.optional("targetStorageClass", Obj::string)?;
    match (kind, target) {
        ("expire", None) => Ok(Action::Expire),
        ("expire", Some(_)) => Err(PolicyError::TargetNotAllowed {
            at: named.to_owned(),
        }),
        ("transition", Some("archive")) => Ok(Action::TransitionToArchive),
        ("transition", Some(other)) => {
            Err(not_one_of(action, "targetStorageClass", other, "'archive'"))
        }
        ("transition", None) => Err(PolicyError::TargetMissing {
            at: named.to_owned(),
        }),
        (other, _) => Err(not_one_of(
            action,
            "type",
            other,
            "'expire' or 'transition'",
        )),
    }
}

fn not_one_of(obj: &Obj, name: &str, value: &str, allowed: &'static str) -> PolicyError {
    PolicyError::NotOneOf {
        at: obj.path(name),
        value: value.to_owned(),
        allowed,
    }
}

/// A JSON object of the policy and where it sits, for messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    /// The object's path (`rules[2].selection`); empty at the top.
    at: String,
}

impl<'a> Obj<'a> {
    fn new(value: &'a Value, at: String) -> Result<Obj<'a>, PolicyError> {
        match value {
            Value::Object(map) => Ok(Obj { map, at }),
            _ => Err(PolicyError::WrongType {
                at,
                expected: "a JSON object",
            }),
        }
    }

    fn path(&self, name: &str) -> String {
        if self.at.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.at)
        }
    }

    /// Refuses any property not named in `known`.
    fn allow(&self, known: &[&str]) -> Result<(), PolicyError> {
        match self.map.keys().find(|key| !known.contains(&key.as_str())) {
            Some(key) => Err(PolicyError::UnknownProperty { at: self.path(key) }),
            None => Ok(()),
        }
    }

    fn optional<T>(
        &self,
        name: &str,
        read: impl FnOnce(&'a Value, String) -> Result<T, PolicyError>,
    ) -> Result<Option<T>, PolicyError> {
        self.map
            .get(name)
            .map(|value| read(value, self.path(name)))
            .transpose()
    }

    fn required<T>(
        &self,
        name: &str,
        read: impl FnOnce(&'a Value, String) -> Result<T, PolicyError>,
    ) -> Result<T, PolicyError> {
        self.optional(name, read)?
            .ok_or_else(|| PolicyError::Missing {
                at: self.path(name),
            })
    }

    fn object(value: &'a Value, at: String) -> Result<Obj<'a>, PolicyError> {
        Obj::new(value, at)
    }

    fn string(value: &'a Value, at: String) -> Result<&'a str, PolicyError> {
        value.as_str().ok_or(PolicyError::WrongType {
            at,
            expected: "a string",
        })
    }

    fn strings(value: &'a Value, at: String) -> Result<Vec<String>, PolicyError> {
        let wrong = || PolicyError::WrongType {
            at: at.clone(),
            expected: "an array of strings",
        };
        let items = value.as_array().ok_or_else(wrong)?;
        items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(wrong))
            .collect()
    }

    fn positive(value: &'a Value, at: String) -> Result<u32, PolicyError> {
        let Value::Number(number) = value else {
            return Err(PolicyError::WrongType {
                at,
                expected: "a whole number",
            });
        };
        number
            .as_u64()
            .filter(|n| (1..=i32::MAX as u64).contains(n))
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(PolicyError::NotPositive { at })
    }
}
