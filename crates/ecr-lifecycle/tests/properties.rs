//! Safety properties of `evaluate`, over random repositories and random
//! valid policies (written as policy text and parsed, so the generator and
//! the parser must agree on what is valid).

use std::collections::HashSet;

use berth_ecr_lifecycle::{
    evaluate, parse, Action, Image, Policy, StorageClass, Verdict, SECONDS_PER_DAY,
};
use proptest::prelude::*;

const NOW: f64 = 1_750_000_000.0;
const TAGS: &[&str] = &[
    "prod-1", "prod-2", "beta-1", "beta-2", "v1", "v1.2", "latest",
];
const PREFIXES: &[&str] = &["prod", "beta", "v", "v1.", "l", "x"];
const PATTERNS: &[&str] = &["prod*", "*-1", "v*", "*", "beta-?", "*a*e*", "latest"];

fn days_ago(days: f64) -> f64 {
    NOW - days * SECONDS_PER_DAY
}

/// Images with distinct digests; times at whole hours, so ties happen.
fn images() -> impl Strategy<Value = Vec<Image>> {
    let one = (
        proptest::sample::subsequence(TAGS, 0..=3),
        0u32..(200 * 24),
        proptest::option::of(0u32..(200 * 24)),
        proptest::option::of(0u32..(400 * 24)),
    );
    proptest::collection::vec(one, 0..14).prop_map(|images| {
        images
            .into_iter()
            .enumerate()
            .map(|(i, (tags, pushed, pulled, archived))| {
                let mut image = Image::new(
                    format!("sha256:{i:02}"),
                    &tags,
                    days_ago(pushed as f64 / 24.0),
                );
                image.last_pulled = pulled.map(|hours| days_ago(hours as f64 / 24.0));
                if let Some(hours) = archived {
                    image = image.archived_at(days_ago(hours as f64 / 24.0));
                }
                image
            })
            .collect()
    })
}

/// One rule's text, without its priority.
fn rule_body() -> impl Strategy<Value = String> {
    let tags = prop_oneof![
        Just(r#""tagStatus": "untagged""#.to_owned()),
        Just(r#""tagStatus": "any""#.to_owned()),
        proptest::sample::subsequence(PREFIXES, 1..=2)
            .prop_map(|list| format!(r#""tagStatus": "tagged", "tagPrefixList": {list:?}"#)),
        proptest::sample::subsequence(PATTERNS, 1..=2)
            .prop_map(|list| format!(r#""tagStatus": "tagged", "tagPatternList": {list:?}"#)),
    ];
    let standard = prop_oneof![
        (1u32..6).prop_map(|n| format!(r#""countType": "imageCountMoreThan", "countNumber": {n}"#)),
        (1u32..150).prop_map(|n| format!(
            r#""countType": "sinceImagePushed", "countUnit": "days", "countNumber": {n}"#
        )),
        (1u32..150).prop_map(|n| format!(
            r#""countType": "sinceImagePulled", "countUnit": "days", "countNumber": {n}"#
        )),
    ];
    let standard_action = prop_oneof![
        Just(r#""type": "expire""#),
        Just(r#""type": "transition", "targetStorageClass": "archive""#),
    ];
    let standard_rule = (standard, standard_action)
        .prop_map(|(count, action)| (format!(r#""storageClass": "standard", {count}"#), action));
    let archive_rule = (90u32..300).prop_map(|n| {
        (
            format!(
                r#""storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": {n}"#
            ),
            r#""type": "expire""#,
        )
    });
    (tags, prop_oneof![3 => standard_rule, 1 => archive_rule]).prop_map(
        |(tags, (count, action))| {
            format!(r#""selection": {{{tags}, {count}}}, "action": {{{action}}}"#)
        },
    )
}

/// A valid policy: random rules with distinct random priorities, kept only
/// if `parse` accepts them (the between-rule constraints reject some).
fn policy() -> impl Strategy<Value = Policy> {
    (
        proptest::collection::vec(rule_body(), 1..5),
        proptest::sample::subsequence((1u32..40).collect::<Vec<_>>(), 5).prop_shuffle(),
    )
        .prop_filter_map(
            "the rules break a between-rule constraint",
            |(bodies, priorities)| {
                let rules: Vec<String> = bodies
                    .iter()
                    .zip(&priorities)
                    .map(|(body, priority)| format!(r#"{{"rulePriority": {priority}, {body}}}"#))
                    .collect();
                parse(&format!(r#"{{"rules": [{}]}}"#, rules.join(","))).ok()
            },
        )
}

fn by_digest<'a>(images: &'a [Image], digest: &str) -> &'a Image {
    images
        .iter()
        .find(|image| image.digest == digest)
        .expect("a verdict names an input image")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_image_gets_two_verdicts(policy in policy(), images in images()) {
        let verdicts = evaluate(&policy, &images, NOW);
        let mut seen = HashSet::new();
        for verdict in &verdicts {
            prop_assert!(seen.insert(verdict.digest.clone()), "{} twice", verdict.digest);
        }
    }

    #[test]
    fn a_verdict_comes_from_the_first_rule_whose_scope_holds_the_image(
        policy in policy(),
        images in images(),
    ) {
        for verdict in evaluate(&policy, &images, NOW) {
            let image = by_digest(&images, &verdict.digest);
            let first = policy
                .rules()
                .iter()
                .find(|rule| rule.selection.covers(image))
                .expect("some rule covers an image it acts on");
            prop_assert_eq!(first.priority, verdict.rule_priority);
            prop_assert_eq!(first.action, verdict.action);
        }
    }

    #[test]
    fn the_order_of_the_images_does_not_matter(
        policy in policy(),
        (images, shuffled) in images().prop_flat_map(|images| {
            let shuffled = Just(images.clone()).prop_shuffle();
            (Just(images), shuffled)
        }),
    ) {
        prop_assert_eq!(evaluate(&policy, &images, NOW), evaluate(&policy, &shuffled, NOW));
    }

    #[test]
    fn only_standard_images_are_archived_and_only_long_archived_ones_expire_from_archive(
        policy in policy(),
        images in images(),
    ) {
        for verdict in evaluate(&policy, &images, NOW) {
            let image = by_digest(&images, &verdict.digest);
            match (verdict.action, image.storage_class) {
                (Action::TransitionToArchive, class) => {
                    prop_assert_eq!(class, StorageClass::Standard);
                }
                (Action::Expire, StorageClass::Archive) => {
                    let archived = image.archived_at.expect("archived images have a time");
                    prop_assert!(NOW - archived > 90.0 * SECONDS_PER_DAY);
                }
                (Action::Expire, StorageClass::Standard) => {}
            }
        }
    }

    #[test]
    fn an_image_count_rule_alone_keeps_the_newest_n(
        n in 1u32..6,
        tags in prop_oneof![
            Just(r#""tagStatus": "any""#),
            Just(r#""tagStatus": "untagged""#),
            Just(r#""tagStatus": "tagged", "tagPrefixList": ["prod"]"#),
            Just(r#""tagStatus": "tagged", "tagPatternList": ["*1*"]"#),
        ],
        images in images(),
    ) {
        let policy = parse(&format!(
            r#"{{"rules": [{{"rulePriority": 1,
                "selection": {{{tags}, "countType": "imageCountMoreThan", "countNumber": {n}}},
                "action": {{"type": "expire"}}}}]}}"#
        )).expect("valid");
        let rule = &policy.rules()[0];
        let scope: Vec<&Image> = images.iter().filter(|image| rule.selection.covers(image)).collect();
        let verdicts = evaluate(&policy, &images, NOW);
        let expired: HashSet<&str> = verdicts.iter().map(|v| v.digest.as_str()).collect();
        let kept: Vec<&&Image> = scope.iter().filter(|image| !expired.contains(image.digest.as_str())).collect();
        prop_assert_eq!(kept.len(), scope.len().min(n as usize));
        prop_assert_eq!(expired.len(), scope.len().saturating_sub(n as usize));
        for gone in scope.iter().filter(|image| expired.contains(image.digest.as_str())) {
            for stays in &kept {
                prop_assert!(gone.pushed_at <= stays.pushed_at, "an older image was kept");
            }
        }
    }

    #[test]
    fn an_age_rule_never_expires_an_image_younger_than_its_limit(
        days in 1u32..150,
        pulled in any::<bool>(),
        images in images(),
    ) {
        let count_type = if pulled { "sinceImagePulled" } else { "sinceImagePushed" };
        let policy = parse(&format!(
            r#"{{"rules": [{{"rulePriority": 1,
                "selection": {{"tagStatus": "any", "countType": "{count_type}",
                               "countUnit": "days", "countNumber": {days}}},
                "action": {{"type": "expire"}}}}]}}"#
        )).expect("valid");
        let limit = f64::from(days) * SECONDS_PER_DAY;
        let expired: HashSet<String> =
            evaluate(&policy, &images, NOW).into_iter().map(|v| v.digest).collect();
        for image in images.iter().filter(|image| image.storage_class == StorageClass::Standard) {
            let since = if pulled {
                image.last_pulled.map_or(image.pushed_at, |at| at.max(image.pushed_at))
            } else {
                image.pushed_at
            };
            prop_assert_eq!(expired.contains(&image.digest), NOW - since > limit);
        }
    }

    #[test]
    fn verdicts_come_by_priority_then_oldest_first(policy in policy(), images in images()) {
        let verdicts: Vec<Verdict> = evaluate(&policy, &images, NOW);
        for pair in verdicts.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            prop_assert!(a.rule_priority <= b.rule_priority);
            if a.rule_priority == b.rule_priority {
                let (a, b) = (by_digest(&images, &a.digest), by_digest(&images, &b.digest));
                prop_assert!(a.pushed_at <= b.pushed_at);
            }
        }
    }

    #[test]
    fn parse_never_panics_on_any_text(text in ".{0,200}") {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_policy_shaped_json(
        keys in proptest::collection::vec(
            prop_oneof![
                Just("rulePriority"), Just("selection"), Just("action"), Just("tagStatus"),
                Just("countType"), Just("countNumber"), Just("countUnit"), Just("type"),
                Just("tagPrefixList"), Just("tagPatternList"), Just("storageClass"),
                Just("targetStorageClass"), Just("rules"), Just("other"),
            ],
            0..8,
        ),
        values in proptest::collection::vec(
            prop_oneof![
                Just("1".to_owned()), Just("0".to_owned()), Just("-3".to_owned()),
                Just("2.5".to_owned()), Just("null".to_owned()), Just("[]".to_owned()),
                Just(r#"["p*"]"#.to_owned()), Just(r#""tagged""#.to_owned()),
                Just(r#""days""#.to_owned()), Just(r#""expire""#.to_owned()),
                Just("{}".to_owned()), Just(r#""archive""#.to_owned()),
            ],
            8,
        ),
    ) {
        let object: Vec<String> = keys
            .iter()
            .zip(&values)
            .map(|(key, value)| format!("{key:?}: {value}"))
            .collect();
        let object = format!("{{{}}}", object.join(","));
        for text in [
            format!(r#"{{"rules": [{object}]}}"#),
            format!(r#"{{"rules": [{{"rulePriority": 1, "selection": {object}, "action": {{"type": "expire"}}}}]}}"#),
            format!(r#"{{"rules": [{{"rulePriority": 1, "selection": {{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}}, "action": {object}}}]}}"#),
        ] {
            let _ = parse(&text);
        }
    }
}
