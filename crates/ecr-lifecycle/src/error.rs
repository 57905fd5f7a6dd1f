//! Why a lifecycle policy text was refused.
//!
//! Every message is one sentence a Berth handler can put, unchanged, into the
//! `message` of the `InvalidParameterException` that `PutLifecyclePolicy`,
//! `StartLifecyclePolicyPreview` (and repository creation templates) answer
//! with. A message names where the problem is: a property path such as
//! `rules[1].selection` while the rule's `rulePriority` is not yet known, and
//! `rule 20` (the rule whose `rulePriority` is 20) once it is.

/// A lifecycle policy text that [`parse`](crate::parse) refused, with what is
/// wrong. Only the first problem found is reported; rules are checked in the
/// order they appear in the text, then against each other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON at all.
    #[error("Lifecycle policy is not valid JSON: {detail}")]
    Json { detail: String },
    /// The text is JSON, but not an object.
    #[error("Lifecycle policy must be a JSON object holding a rules array")]
    NotAnObject,
    /// A property holds the wrong kind of JSON value.
    #[error("Lifecycle policy property {at} must be {expected}")]
    WrongType { at: String, expected: &'static str },
    /// A property the lifecycle policy format does not have.
    #[error("Lifecycle policy has an unknown property {at}")]
    UnknownProperty { at: String },
    /// A required property is missing.
    #[error("Lifecycle policy is missing the required property {at}")]
    Missing { at: String },
    /// `rules` is an empty array.
    #[error("Lifecycle policy must contain at least one rule in rules")]
    NoRules,
    /// `rulePriority` or `countNumber` is not a whole number from 1 up.
    #[error("Lifecycle policy property {at} must be a whole number from 1 to 2147483647")]
    NotPositive { at: String },
    /// A string property holds a word it does not accept.
    #[error("Lifecycle policy property {at} cannot be '{value}'; use {allowed}")]
    NotOneOf {
        at: String,
        value: String,
        allowed: &'static str,
    },
    /// Two rules share a `rulePriority`.
    #[error("Lifecycle policy has more than one rule with rulePriority {priority}; every rule needs its own")]
    DuplicatePriority { priority: u32 },
    /// A `tagged` rule with neither tag list.
    #[error("{at}: tagStatus 'tagged' needs a tagPrefixList or a tagPatternList")]
    TaggedWithoutList { at: String },
    /// A `tagged` rule with both tag lists.
    #[error("{at}: use tagPrefixList or tagPatternList, not both")]
    BothLists { at: String },
    /// A tag list on an `untagged` or `any` rule.
    #[error("{at}: {list} can only be used with tagStatus 'tagged', not '{status}'")]
    ListWithoutTagged {
        at: String,
        list: &'static str,
        status: &'static str,
    },
    /// A tag list with no entries.
    #[error("{at}: {list} must hold at least one entry")]
    EmptyList { at: String, list: &'static str },
    /// A `tagPatternList` entry with more than four `*`.
    #[error(
        "{at}: the tag pattern '{pattern}' has {wildcards} wildcards (*); at most 4 are allowed"
    )]
    TooManyWildcards {
        at: String,
        pattern: String,
        wildcards: usize,
    },
    /// An age count type without `countUnit`.
    #[error("{at}: countType '{count_type}' needs countUnit 'days'")]
    UnitMissing {
        at: String,
        count_type: &'static str,
    },
    /// `countUnit` on an `imageCountMoreThan` rule.
    #[error("{at}: countUnit can only be used with countType sinceImagePushed, sinceImagePulled or sinceImageTransitioned")]
    UnitNotAllowed { at: String },
    /// A count type that cannot look at the rule's storage class.
    #[error("{at}: countType '{count_type}' requires storageClass '{required}', not '{found}'")]
    StorageClassMismatch {
        at: String,
        count_type: &'static str,
        required: &'static str,
        found: &'static str,
    },
    /// A `transition` action without `targetStorageClass`.
    #[error("{at}: action type 'transition' needs targetStorageClass 'archive'")]
    TargetMissing { at: String },
    /// `targetStorageClass` on an `expire` action.
    #[error("{at}: targetStorageClass can only be used with action type 'transition'")]
    TargetNotAllowed { at: String },
    /// A `transition` rule selecting images that are already archived.
    #[error("{at}: a transition rule must select images in storageClass 'standard'; these images are already archived")]
    TransitionFromArchive { at: String },
    /// A rule that would delete images archived for less than the minimum.
    #[error("{at}: archived images must stay archived for at least 90 days before a rule can expire them, but countNumber is {days}")]
    ArchiveMinimum { at: String, days: u32 },
    /// An `any` rule that is not the last rule for its storage class.
    #[error(
        "rule {any}: a rule with tagStatus 'any' must have the highest rulePriority of the rules \
         for storageClass '{class}', but rule {later} comes after it"
    )]
    AnyNotLast {
        any: u32,
        later: u32,
        class: &'static str,
    },
    /// Two rules for one storage class select untagged images.
    #[error(
        "rule {second}: only one rule may select untagged images in storageClass '{class}', and \
         rule {first} already does"
    )]
    SecondUntagged {
        first: u32,
        second: u32,
        class: &'static str,
    },
    /// Two rules for one storage class list the same tags.
    #[error(
        "rule {second}: its {list} holds the same tags as rule {first}'s; each rule for \
         storageClass '{class}' needs its own set of tags"
    )]
    SameTags {
        first: u32,
        second: u32,
        list: &'static str,
        class: &'static str,
    },
}
