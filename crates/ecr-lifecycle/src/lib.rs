//! Amazon ECR **lifecycle policies**: the policy text parsed and checked,
//! and the decision of which images each rule expires or archives — with no
//! IO and no clock: the caller passes the images and the time.
//!
//! A lifecycle policy is a JSON document of prioritised rules attached to a
//! repository. `PutLifecyclePolicy` and `StartLifecyclePolicyPreview` hand
//! its text to [`parse`], which either returns a [`Policy`] or a
//! [`PolicyError`] whose message is ready for an `InvalidParameterException`.
//! The preview (`GetLifecyclePolicyPreview`) and the periodic lifecycle sweep
//! both call [`evaluate`] with the repository's [`Image`]s and the current
//! time, and get one [`Verdict`] — digest, applied rule priority, action —
//! for every image the policy acts on.
//!
//! ```
//! use berth_ecr_lifecycle::{evaluate, parse, Action, Image};
//!
//! let policy = parse(r#"{"rules": [
//!   {"rulePriority": 1, "description": "keep the newest two prod images",
//!    "selection": {"tagStatus": "tagged", "tagPatternList": ["prod*"],
//!                  "countType": "imageCountMoreThan", "countNumber": 2},
//!    "action": {"type": "expire"}},
//!   {"rulePriority": 2, "description": "untagged images go after a day",
//!    "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
//!                  "countUnit": "days", "countNumber": 1},
//!    "action": {"type": "expire"}}
//! ]}"#).unwrap();
//!
//! const DAY: f64 = 86_400.0;
//! let now = 100.0 * DAY;
//! let images = [
//!     Image::new("sha256:a", &["prod-1"], now - 30.0 * DAY),
//!     Image::new("sha256:b", &["prod-2"], now - 20.0 * DAY),
//!     Image::new("sha256:c", &["prod-3"], now - 10.0 * DAY),
//!     Image::new("sha256:d", &[], now - 2.0 * DAY),
//!     Image::new("sha256:e", &[], now - 0.5 * DAY),
//! ];
//! let verdicts = evaluate(&policy, &images, now);
//! let acted: Vec<(&str, u32)> =
//!     verdicts.iter().map(|v| (v.digest.as_str(), v.rule_priority)).collect();
//! assert_eq!(acted, [("sha256:a", 1), ("sha256:d", 2)]);
//! assert!(verdicts.iter().all(|v| v.action == Action::Expire));
//! ```
//!
//! # How the pieces fit
//!
//! | file | holds |
//! | --- | --- |
//! | `parse.rs` | [`parse`]: the JSON walked property by property, each rule checked on its own |
//! | `validate.rs` | the checks between rules (unique priorities, `any` last, one untagged rule, distinct tag sets) |
//! | `policy.rs` | [`Policy`], [`Rule`], [`Selection`], [`TagFilter`], [`Count`], [`Action`], [`StorageClass`]; which images a selection covers |
//! | `pattern.rs` | [`TagPattern`]: `tagPatternList` entries with `*` wildcards |
//! | `image.rs` | [`Image`]: what a rule looks at |
//! | `evaluate.rs` | [`evaluate`] and [`Verdict`]: rules applied in priority order |
//! | `error.rs` | [`PolicyError`]: one variant per refusal, its message the answer |
//!
//! # Semantics in brief
//!
//! Each source file says what it implements and which page of the Amazon
//! ECR User Guide it learned it from; in short:
//!
//! - Rules are applied lowest `rulePriority` first. Each rule decides over
//!   the whole repository as if it were alone, then acts only on images no
//!   higher-priority rule had in scope: an image matched by a rule's
//!   selection is never touched by a lower-priority rule, and no image gets
//!   two verdicts.
//! - `imageCountMoreThan N` keeps the `N` most recently pushed images in
//!   its scope; the ages (`sinceImagePushed`, `sinceImagePulled`,
//!   `sinceImageTransitioned`) pick images older than `N` days.
//! - A `tagPrefixList` or `tagPatternList` selects an image only if every
//!   entry matches one of its tags.
//! - A rule sees only images of its `storageClass`; `transition` moves
//!   standard images to `archive`.
//!
//! Where the documentation is silent Berth chooses, and says so where it
//! does: ties in push time go by digest; `sinceImagePulled` measures an
//! image never pulled from its push; the between-rule constraints, written
//! before archives existed, hold per storage class.

mod error;
mod evaluate;
mod image;
mod parse;
mod pattern;
mod policy;
mod validate;

pub use error::PolicyError;
pub use evaluate::{evaluate, Verdict, SECONDS_PER_DAY};
pub use image::Image;
pub use parse::{parse, ARCHIVE_MINIMUM_DAYS};
pub use pattern::{TagPattern, MAX_WILDCARDS};
pub use policy::{Action, Count, Policy, Rule, Selection, StorageClass, TagFilter, TagList};
