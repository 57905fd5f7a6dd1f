//! The worked examples of *Examples of lifecycle policies in Amazon ECR*
//! (repository contents, policy, outcome), and the behaviours of *Lifecycle
//! policy evaluation rules* that they do not show on their own.

use berth_ecr_lifecycle::{evaluate, parse, Action, Image, Verdict, SECONDS_PER_DAY};

const NOW: f64 = 1_750_000_000.0;

fn days_ago(days: f64) -> f64 {
    NOW - days * SECONDS_PER_DAY
}

fn image(name: &str, tags: &[&str], pushed_days_ago: f64) -> Image {
    Image::new(name, tags, days_ago(pushed_days_ago))
}

/// The digests acted on, with the rule that acted, in verdict order.
fn outcome(policy: &str, images: &[Image]) -> Vec<(String, u32)> {
    let policy = parse(policy).expect("the example's policy is valid");
    evaluate(&policy, images, NOW)
        .into_iter()
        .map(|verdict| (verdict.digest, verdict.rule_priority))
        .collect()
}

fn names(acted: &[(&str, u32)]) -> Vec<(String, u32)> {
    acted
        .iter()
        .map(|(name, priority)| ((*name).to_owned(), *priority))
        .collect()
}

/// A rule as the examples write them.
fn rule(priority: u32, selection: &str) -> String {
    format!(
        r#"{{"rulePriority": {priority}, "description": "Rule {priority}",
            "selection": {{{selection}}}, "action": {{"type": "expire"}}}}"#
    )
}

fn policy(rules: &[String]) -> String {
    format!(r#"{{"rules": [{}]}}"#, rules.join(","))
}

fn keep_newest(count: u32, list: &str, tags: &str) -> String {
    format!(
        r#""tagStatus": "tagged", "{list}": {tags}, "countType": "imageCountMoreThan", "countNumber": {count}"#
    )
}

#[test]
fn filtering_on_image_age_expires_prod_images_older_than_14_days() {
    let text = policy(&[rule(
        1,
        r#""tagStatus": "tagged", "tagPatternList": ["prod*"], "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14"#,
    )]);
    let images = [
        image("old-prod", &["prod-1"], 20.0),
        image("new-prod", &["prod-2"], 3.0),
        image("old-dev", &["dev-1"], 30.0),
        image("untagged", &[], 30.0),
    ];
    assert_eq!(outcome(&text, &images), names(&[("old-prod", 1)]));
}

#[test]
fn filtering_on_image_count_keeps_one_untagged_image() {
    let text = policy(&[rule(
        1,
        r#""tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1"#,
    )]);
    let images = [
        image("u1", &[], 3.0),
        image("u2", &[], 2.0),
        image("u3", &[], 1.0),
        image("tagged", &["v1"], 9.0),
    ];
    // Oldest first; the newest untagged image stays.
    assert_eq!(outcome(&text, &images), names(&[("u1", 1), ("u2", 1)]));
}

fn abc() -> [Image; 3] {
    [
        image("A", &["beta-1", "prod-1"], 10.0),
        image("B", &["beta-2", "prod-2"], 9.0),
        image("C", &["beta-3"], 8.0),
    ]
}

#[test]
fn multiple_rules_example_a_prod_first() {
    // Rule 1 (prod, keep 1) picks A. Rule 2 (beta, keep 1) picks A and B,
    // but A was already rule 1's and B is in rule 1's scope: only A goes.
    for list in ["tagPrefixList", "tagPatternList"] {
        let (prod, beta) = if list == "tagPrefixList" {
            (r#"["prod"]"#, r#"["beta"]"#)
        } else {
            (r#"["prod*"]"#, r#"["beta*"]"#)
        };
        let text = policy(&[
            rule(1, &keep_newest(1, list, prod)),
            rule(2, &keep_newest(1, list, beta)),
        ]);
        assert_eq!(outcome(&text, &abc()), names(&[("A", 1)]), "{list}");
    }
}

#[test]
fn multiple_rules_example_b_beta_first() {
    // Rule 1 (beta, keep 1) sees all three and picks A and B; rule 2 (prod)
    // sees only images rule 1 already had.
    let text = policy(&[
        rule(1, &keep_newest(1, "tagPrefixList", r#"["beta"]"#)),
        rule(2, &keep_newest(1, "tagPrefixList", r#"["prod"]"#)),
    ]);
    assert_eq!(outcome(&text, &abc()), names(&[("A", 1), ("B", 1)]));
}

#[test]
fn multiple_tags_in_one_rule_example_a_all_prefixes_must_match() {
    let text = policy(&[rule(
        1,
        r#""tagStatus": "tagged", "tagPrefixList": ["alpha", "beta"], "countType": "sinceImagePushed", "countNumber": 5, "countUnit": "days""#,
    )]);
    let images = [
        image("A", &["alpha-1"], 12.0),
        image("B", &["beta-1"], 11.0),
        image("C", &["alpha-2", "beta-2"], 10.0),
        image("D", &["alpha-3"], 4.0),
        image("E", &["beta-3"], 3.0),
        image("F", &["alpha-4", "beta-4"], 2.0),
    ];
    // The rule sees C and F; only C is older than five days.
    assert_eq!(outcome(&text, &images), names(&[("C", 1)]));
}

#[test]
fn multiple_tags_in_one_rule_example_b_tags_are_not_exclusive() {
    let text = policy(&[rule(
        1,
        &keep_newest(1, "tagPrefixList", r#"["alpha", "beta"]"#),
    )]);
    let images = [
        image("A", &["alpha-1", "beta-1", "gamma-1"], 10.0),
        image("B", &["alpha-2", "beta-2"], 9.0),
        image("C", &["alpha-3", "beta-3", "gamma-2"], 8.0),
    ];
    assert_eq!(outcome(&text, &images), names(&[("A", 1), ("B", 1)]));
}

#[test]
fn a_keep_everything_rule_shields_its_images_from_later_rules() {
    // The documented reason for "an image matching a rule's tagging cannot be
    // expired by a lower-priority rule": keep stable images, age out the rest.
    let text = policy(&[
        rule(10, &keep_newest(9999, "tagPrefixList", r#"["16."]"#)),
        rule(
            20,
            r#""tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30"#,
        ),
    ]);
    let images = [
        image("stable", &["16.1"], 400.0),
        image("nightly", &["16_1"], 40.0),
        image("untagged", &[], 35.0),
        image("fresh", &["16_2"], 1.0),
    ];
    assert_eq!(
        outcome(&text, &images),
        names(&[("nightly", 20), ("untagged", 20)])
    );
}

#[test]
fn a_lower_rule_still_counts_images_a_higher_rule_holds() {
    // Rule 2 keeps the newest 2 of all images, counting the untagged ones
    // rule 1 holds; it may then act only on the tagged ones.
    let text = policy(&[
        rule(
            1,
            r#""tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5"#,
        ),
        rule(
            2,
            r#""tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2"#,
        ),
    ]);
    let images = [
        image("t1", &["a"], 5.0),
        image("u1", &[], 4.0),
        image("t2", &["b"], 3.0),
        image("u2", &[], 2.0),
        image("u3", &[], 1.0),
    ];
    // Newest two are u3 and u2; rule 2 picks t2, u1, t1 and may act on t1, t2.
    assert_eq!(outcome(&text, &images), names(&[("t1", 2), ("t2", 2)]));
}

#[test]
fn archive_idle_images_then_delete_long_archived_ones() {
    let text = r#"{"rules": [
        {"rulePriority": 1, "description": "archive images idle for 30 days",
         "selection": {"tagStatus": "any", "countType": "sinceImagePulled",
                       "countUnit": "days", "countNumber": 30},
         "action": {"type": "transition", "targetStorageClass": "archive"}},
        {"rulePriority": 2, "description": "delete images archived for 180 days",
         "selection": {"tagStatus": "any", "storageClass": "archive",
                       "countType": "sinceImageTransitioned", "countUnit": "days",
                       "countNumber": 180},
         "action": {"type": "expire"}}
    ]}"#;
    let policy = parse(text).expect("valid");
    let images = [
        // Pushed long ago, pulled yesterday: in use.
        image("busy", &["v1"], 300.0).pulled_at(days_ago(1.0)),
        // Never pulled since its push 40 days ago: idle.
        image("idle", &["v2"], 40.0),
        // Pulled 31 days ago: idle.
        image("stale", &["v3"], 100.0).pulled_at(days_ago(31.0)),
        // Archived 200 and 100 days ago.
        image("long-archived", &["v0"], 400.0).archived_at(days_ago(200.0)),
        image("archived", &["v00"], 400.0).archived_at(days_ago(100.0)),
    ];
    let verdicts = evaluate(&policy, &images, NOW);
    let expected = [
        ("stale", 1, Action::TransitionToArchive),
        ("idle", 1, Action::TransitionToArchive),
        ("long-archived", 2, Action::Expire),
    ];
    let expected: Vec<Verdict> = expected
        .iter()
        .map(|(digest, rule_priority, action)| Verdict {
            digest: (*digest).to_owned(),
            rule_priority: *rule_priority,
            action: *action,
        })
        .collect();
    assert_eq!(verdicts, expected);
    assert_eq!(verdicts[0].action.api_type(), "TRANSITION");
    assert_eq!(
        verdicts[0]
            .action
            .target_storage_class()
            .map(|class| class.api_value()),
        Some("ARCHIVE")
    );
}

#[test]
fn an_image_exactly_at_the_age_limit_stays() {
    let text = policy(&[rule(
        1,
        r#""tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7"#,
    )]);
    let images = [image("exactly-7", &[], 7.0), image("over-7", &[], 7.001)];
    assert_eq!(outcome(&text, &images), names(&[("over-7", 1)]));
}

#[test]
fn images_pushed_at_the_same_instant_are_kept_by_digest() {
    let text = policy(&[rule(
        1,
        r#""tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1"#,
    )]);
    let forward = [image("sha256:b", &[], 1.0), image("sha256:a", &[], 1.0)];
    let backward = [image("sha256:a", &[], 1.0), image("sha256:b", &[], 1.0)];
    assert_eq!(outcome(&text, &forward), names(&[("sha256:b", 1)]));
    assert_eq!(outcome(&text, &backward), names(&[("sha256:b", 1)]));
}

#[test]
fn an_archived_image_without_its_archive_time_is_not_expired() {
    let text = r#"{"rules": [{"rulePriority": 1,
        "selection": {"tagStatus": "any", "storageClass": "archive",
                      "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90},
        "action": {"type": "expire"}}]}"#;
    let mut unknown = image("unknown", &[], 500.0).archived_at(days_ago(400.0));
    unknown.archived_at = None;
    assert_eq!(outcome(text, &[unknown]), names(&[]));
}
