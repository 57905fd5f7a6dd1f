//! A validated lifecycle policy: its rules in priority order, what each rule
//! selects and what it does to the images it selects.
//!
//! A [`Policy`] comes only from [`parse`](crate::parse), so it always
//! satisfies every check of `parse.rs` and `validate.rs`.

use crate::image::Image;
use crate::pattern::TagPattern;

/// A lifecycle policy whose text passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Sorted by `rulePriority`, lowest (applied first) to highest.
    pub(crate) rules: Vec<Rule>,
}

impl Policy {
    /// The rules, lowest `rulePriority` first: the order they are applied in.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

/// One entry of the policy's `rules` array.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `rulePriority`: unique within the policy, at least 1.
    pub priority: u32,
    /// `description`, if the rule has one.
    pub description: Option<String>,
    /// `selection`: which images the rule looks at and which of them it picks.
    pub selection: Selection,
    /// `action`: what happens to the images the rule picks.
    pub action: Action,
}

/// A rule's `selection`.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// `tagStatus` with its `tagPrefixList` or `tagPatternList`.
    pub tags: TagFilter,
    /// `storageClass`: the rule sees only images in this class (`standard`
    /// when the text leaves it out).
    pub storage_class: StorageClass,
    /// `countType`, `countUnit` and `countNumber`.
    pub count: Count,
}

impl Selection {
    /// Whether `image` is in this selection's scope: its tags pass the tag
    /// filter and it is in the selection's storage class. Which of the images
    /// in scope the rule then picks is for [`Count`] to say.
    pub fn covers(&self, image: &Image) -> bool {
        image.storage_class == self.storage_class && self.tags.matches(&image.tags)
    }
}

/// `tagStatus`, and for `tagged` the list that says which tags.
#[derive(Debug, Clone, PartialEq)]
pub enum TagFilter {
    /// `tagged`: images with at least one tag, matching the list.
    Tagged(TagList),
    /// `untagged`: images with no tag at all.
    Untagged,
    /// `any`: every image.
    Any,
}

/// The tag list of a `tagged` rule: exactly one of the two kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum TagList {
    /// `tagPrefixList`.
    Prefixes(Vec<String>),
    /// `tagPatternList`.
    Patterns(Vec<TagPattern>),
}

impl TagFilter {
    /// Whether an image with these tags passes the filter.
    ///
    /// With several entries in the list, **every** entry must be matched,
    /// each by some tag of the image (not necessarily the same tag), so a rule
    /// listing `alpha` and `beta` selects an image tagged `alpha-2` and
    /// `beta-2` but not one tagged only `alpha-1`. Source: *Lifecycle policy
    /// evaluation rules* on the page *Automate the cleanup of images by using
    /// lifecycle policies in Amazon ECR*, and the "multiple tags in a single
    /// rule" examples of *Examples of lifecycle policies in Amazon ECR*; the
    /// same all-of reading is stated for both lists on *Lifecycle policy
    /// properties in Amazon ECR*.
    pub fn matches(&self, tags: &[String]) -> bool {
        match self {
            TagFilter::Any => true,
            TagFilter::Untagged => tags.is_empty(),
            TagFilter::Tagged(TagList::Prefixes(prefixes)) => {
                !tags.is_empty()
                    && prefixes
                        .iter()
                        .all(|prefix| tags.iter().any(|tag| tag.starts_with(prefix.as_str())))
            }
            TagFilter::Tagged(TagList::Patterns(patterns)) => {
                !tags.is_empty()
                    && patterns
                        .iter()
                        .all(|pattern| tags.iter().any(|tag| pattern.matches(tag)))
            }
        }
    }

    /// The `tagStatus` word, as the policy text spells it.
    pub fn status(&self) -> &'static str {
        match self {
            TagFilter::Tagged(_) => "tagged",
            TagFilter::Untagged => "untagged",
            TagFilter::Any => "any",
        }
    }
}

/// An image storage class (`storageClass`; `STANDARD` / `ARCHIVE` in the
/// API's `LifecyclePolicyStorageClass`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum StorageClass {
    /// Images that can be pulled.
    #[default]
    Standard,
    /// Archived images: they cannot be pulled until restored.
    Archive,
}

impl StorageClass {
    /// The word the policy text uses (`standard`, `archive`).
    pub fn policy_word(self) -> &'static str {
        match self {
            StorageClass::Standard => "standard",
            StorageClass::Archive => "archive",
        }
    }

    /// The API's enum value (`STANDARD`, `ARCHIVE`).
    pub fn api_value(self) -> &'static str {
        match self {
            StorageClass::Standard => "STANDARD",
            StorageClass::Archive => "ARCHIVE",
        }
    }
}

/// `countType` with its number (and, for ages, `countUnit`, whose only value
/// is `days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// `imageCountMoreThan`: keep the newest `n` images in scope, pick the rest.
    MoreThan(u32),
    /// `sinceImagePushed`: pick images pushed more than `days` days ago.
    SincePushed { days: u32 },
    /// `sinceImagePulled`: pick images not pulled (nor pushed) in the last
    /// `days` days.
    SincePulled { days: u32 },
    /// `sinceImageTransitioned`: pick archived images archived more than
    /// `days` days ago.
    SinceTransitioned { days: u32 },
}

impl Count {
    /// The `countType` word.
    pub fn count_type(self) -> &'static str {
        match self {
            Count::MoreThan(_) => "imageCountMoreThan",
            Count::SincePushed { .. } => "sinceImagePushed",
            Count::SincePulled { .. } => "sinceImagePulled",
            Count::SinceTransitioned { .. } => "sinceImageTransitioned",
        }
    }

    /// `countNumber`.
    pub fn number(self) -> u32 {
        match self {
            Count::MoreThan(n)
            | Count::SincePushed { days: n }
            | Count::SincePulled { days: n }
            | Count::SinceTransitioned { days: n } => n,
        }
    }
}

/// A rule's `action`, and the action of a [`Verdict`](crate::Verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `expire`: the image is deleted (`EXPIRE` in the API).
    Expire,
    /// `transition` with `targetStorageClass` `archive`: the image is moved
    /// to the archive storage class (`TRANSITION` in the API).
    TransitionToArchive,
}

impl Action {
    /// The API's `ImageActionType` (`EXPIRE`, `TRANSITION`).
    pub fn api_type(self) -> &'static str {
        match self {
            Action::Expire => "EXPIRE",
            Action::TransitionToArchive => "TRANSITION",
        }
    }

    /// The API's `targetStorageClass` for this action, present only for a
    /// transition.
    pub fn target_storage_class(self) -> Option<StorageClass> {
        match self {
            Action::Expire => None,
            Action::TransitionToArchive => Some(StorageClass::Archive),
        }
    }
}
