//! Applying a policy to a repository's images at one instant.
//!
//! The semantics, from *Lifecycle policy evaluation rules* on *Automate the
//! cleanup of images by using lifecycle policies in Amazon ECR*, with the
//! multiple-rule examples of *Examples of lifecycle policies in Amazon ECR*
//! as the tests that pin them down (`tests/doc_examples.rs`):
//!
//! 1. Every rule first looks at the whole repository, as if no other rule
//!    existed: its **scope** is the images its tag filter and storage class
//!    select, and from its scope it **picks** the images its count says.
//!    Images a higher-priority rule also picks still count here: a rule
//!    "keeping the newest 1" of three images in scope picks the two oldest,
//!    whatever happens to them elsewhere.
//! 2. Then the rules are applied from the lowest `rulePriority` up. A rule's
//!    picks take its action unless a higher-priority rule already had that
//!    image **in scope**, whether it picked it or kept it: an image that
//!    matches a rule's selection cannot be acted on by any lower-priority
//!    rule. So each image gets at most one verdict, and a rule such as
//!    "tagged `prod*`, keep 9999" shields those images from every rule
//!    after it.
//! 3. `imageCountMoreThan N` orders its scope by push time, newest first,
//!    keeps the first `N` and picks the rest, so older images always go
//!    before newer ones.
//! 4. `sinceImagePushed N` picks images pushed more than `N` days ago.
//!
//! Berth's choices where the documentation is silent:
//!
//! - A day is 86,400 seconds, and "more than `N` days" is strict: an image
//!   exactly `N` days old stays.
//! - Images pushed at the same instant are ordered by digest, the smaller
//!   digest counting as the newer, so that the result never depends on the
//!   order the images are given in.
//! - `sinceImagePulled N` measures from the later of the last recorded pull
//!   and the push: an image never pulled has been idle since it was pushed.
//! - `sinceImageTransitioned N` measures from `archived_at`; an archived
//!   image without that time is never picked by it.
//! - Times that are not numbers (NaN) make no image old enough to pick.

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::image::Image;
use crate::policy::{Action, Count, Policy};

/// Seconds in the only `countUnit`, `days`.
pub const SECONDS_PER_DAY: f64 = 86_400.0;

/// What the policy does to one image: the content of one
/// `LifecyclePolicyPreviewResult` (with the image's own fields added by the
/// caller), and what the lifecycle sweep carries out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Verdict {
    /// The image's digest.
    pub digest: String,
    /// `appliedRulePriority`: the rule that acted on the image.
    pub rule_priority: u32,
    /// What happens to the image.
    pub action: Action,
}

/// The verdicts of `policy` on `images` at `now` (seconds since the Unix
/// epoch).
///
/// Images with no verdict stay as they are. The verdicts come in the order
/// the rules are applied (lowest `rulePriority` first) and, within a rule,
/// oldest push first; the same images in any order give the same verdicts.
/// No digest appears twice, even if `images` repeats one.
pub fn evaluate(policy: &Policy, images: &[Image], now: f64) -> Vec<Verdict> {
    let mut images: Vec<&Image> = images.iter().collect();
    images.sort_by(|a, b| newest_first(a, b));

    let mut in_earlier_scope = vec![false; images.len()];
    let mut named = HashSet::new();
    let mut verdicts = Vec::new();
    for rule in policy.rules() {
        let scope: Vec<usize> = (0..images.len())
            .filter(|&i| rule.selection.covers(images[i]))
            .collect();
        for i in picks(rule.selection.count, &scope, &images, now) {
            if !in_earlier_scope[i] && named.insert(images[i].digest.as_str()) {
                verdicts.push(Verdict {
                    digest: images[i].digest.clone(),
                    rule_priority: rule.priority,
                    action: rule.action,
                });
            }
        }
        for i in scope {
            in_earlier_scope[i] = true;
        }
    }
    verdicts
}

/// The images of `scope` (indices into `images`, newest first) that `count`
/// picks, oldest first.
fn picks(count: Count, scope: &[usize], images: &[&Image], now: f64) -> Vec<usize> {
    let older_than = |days: u32, since: Option<f64>| match since {
        Some(since) => now - since > f64::from(days) * SECONDS_PER_DAY,
        None => false,
    };
    let mut picked: Vec<usize> = match count {
        Count::MoreThan(keep) => scope.iter().copied().skip(keep as usize).collect(),
        Count::SincePushed { days } => scope
            .iter()
            .copied()
            .filter(|&i| older_than(days, Some(images[i].pushed_at)))
            .collect(),
        Count::SincePulled { days } => scope
            .iter()
            .copied()
            .filter(|&i| older_than(days, Some(last_used(images[i]))))
            .collect(),
        Count::SinceTransitioned { days } => scope
            .iter()
            .copied()
            .filter(|&i| older_than(days, images[i].archived_at))
            .collect(),
    };
    picked.reverse();
    picked
}

/// The later of the image's push and its last recorded pull.
fn last_used(image: &Image) -> f64 {
    match image.last_pulled {
        Some(pulled) if pulled > image.pushed_at => pulled,
        Some(_) | None => image.pushed_at,
    }
}

/// Newest push first; at the same instant, the smaller digest first.
fn newest_first(a: &Image, b: &Image) -> Ordering {
    b.pushed_at
        .total_cmp(&a.pushed_at)
        .then_with(|| a.digest.cmp(&b.digest))
}
