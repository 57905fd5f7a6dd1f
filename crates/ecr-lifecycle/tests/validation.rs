//! Every way `parse` refuses a policy, and the message each refusal gives;
//! and what it accepts.

use berth_ecr_lifecycle::{parse, Action, Count, PolicyError, StorageClass, TagFilter, TagList};

/// A policy text with these rules.
fn policy(rules: &[&str]) -> String {
    format!(r#"{{"rules": [{}]}}"#, rules.join(","))
}

/// A rule with this priority, selection body and action body.
fn rule(priority: u32, selection: &str, action: &str) -> String {
    format!(
        r#"{{"rulePriority": {priority}, "selection": {{{selection}}}, "action": {{{action}}}}}"#
    )
}

const EXPIRE: &str = r#""type": "expire""#;
const UNTAGGED_KEEP_1: &str =
    r#""tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1"#;

fn refused(text: &str) -> PolicyError {
    match parse(text) {
        Ok(policy) => panic!("accepted {text}: {policy:?}"),
        Err(error) => error,
    }
}

fn refused_rules(rules: &[String]) -> PolicyError {
    let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
    refused(&policy(&rules))
}

fn message(rules: &[String]) -> String {
    refused_rules(rules).to_string()
}

// --- the document as a whole ---

#[test]
fn text_that_is_not_json_is_refused() {
    let error = refused(r#"{"rules": [}"#);
    assert!(matches!(error, PolicyError::Json { .. }), "{error:?}");
    assert!(error
        .to_string()
        .starts_with("Lifecycle policy is not valid JSON: "));
}

#[test]
fn json_that_is_not_an_object_is_refused() {
    assert_eq!(refused("[]"), PolicyError::NotAnObject);
    assert_eq!(
        refused(r#""rules""#).to_string(),
        "Lifecycle policy must be a JSON object holding a rules array"
    );
}

#[test]
fn rules_is_required_and_must_be_a_non_empty_array() {
    assert_eq!(
        refused("{}").to_string(),
        "Lifecycle policy is missing the required property rules"
    );
    assert_eq!(
        refused(r#"{"rules": {}}"#).to_string(),
        "Lifecycle policy property rules must be an array of rules"
    );
    assert_eq!(
        refused(r#"{"rules": []}"#).to_string(),
        "Lifecycle policy must contain at least one rule in rules"
    );
    assert_eq!(
        refused(r#"{"rules": [1]}"#).to_string(),
        "Lifecycle policy property rules[0] must be a JSON object"
    );
}

#[test]
fn unknown_properties_are_refused_at_every_level() {
    let text = format!(
        r#"{{"rules": [{}], "version": 1}}"#,
        rule(1, UNTAGGED_KEEP_1, EXPIRE)
    );
    assert_eq!(
        refused(&text).to_string(),
        "Lifecycle policy has an unknown property version"
    );
    let text = r#"{"rules": [{"rulePriority": 1, "priority": 1,
        "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
        "action": {"type": "expire"}}]}"#;
    assert_eq!(
        refused(text).to_string(),
        "Lifecycle policy has an unknown property rules[0].priority"
    );
    let selection = format!(r#"{UNTAGGED_KEEP_1}, "countUnits": "days""#);
    assert_eq!(
        message(&[rule(1, &selection, EXPIRE)]),
        "Lifecycle policy has an unknown property rules[0].selection.countUnits"
    );
    let action = r#""type": "expire", "when": "now""#;
    assert_eq!(
        message(&[rule(1, UNTAGGED_KEEP_1, action)]),
        "Lifecycle policy has an unknown property rules[0].action.when"
    );
}

// --- one rule's properties ---

#[test]
fn required_properties_of_a_rule_are_named_when_missing() {
    let cases = [
        (
            r#"{"selection": {}, "action": {}}"#,
            "rules[0].rulePriority",
        ),
        (r#"{"rulePriority": 1, "action": {}}"#, "rules[0].selection"),
        (
            r#"{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}}"#,
            "rules[0].action",
        ),
        (
            r#"{"rulePriority": 1, "selection": {"countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}}"#,
            "rules[0].selection.tagStatus",
        ),
        (
            r#"{"rulePriority": 1, "selection": {"tagStatus": "any", "countNumber": 1}, "action": {"type": "expire"}}"#,
            "rules[0].selection.countType",
        ),
        (
            r#"{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan"}, "action": {"type": "expire"}}"#,
            "rules[0].selection.countNumber",
        ),
        (
            r#"{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}, "action": {}}"#,
            "rules[0].action.type",
        ),
    ];
    for (one, at) in cases {
        assert_eq!(
            refused(&policy(&[one])),
            PolicyError::Missing { at: at.to_owned() },
            "{one}"
        );
    }
    assert_eq!(
        refused(&policy(&[cases[0].0])).to_string(),
        "Lifecycle policy is missing the required property rules[0].rulePriority"
    );
}

#[test]
fn properties_of_the_wrong_json_type_are_refused() {
    let text = policy(&[r#"{"rulePriority": "1", "selection": {}, "action": {}}"#]);
    assert_eq!(
        refused(&text).to_string(),
        "Lifecycle policy property rules[0].rulePriority must be a whole number"
    );
    let text = policy(&[r#"{"rulePriority": 1, "description": 7, "selection": {}, "action": {}}"#]);
    assert_eq!(
        refused(&text).to_string(),
        "Lifecycle policy property rules[0].description must be a string"
    );
    let selection = r#""tagStatus": "tagged", "tagPrefixList": "prod", "countType": "imageCountMoreThan", "countNumber": 1"#;
    assert_eq!(
        message(&[rule(1, selection, EXPIRE)]),
        "Lifecycle policy property rules[0].selection.tagPrefixList must be an array of strings"
    );
    let selection = r#""tagStatus": "tagged", "tagPatternList": ["a", 2], "countType": "imageCountMoreThan", "countNumber": 1"#;
    assert_eq!(
        message(&[rule(1, selection, EXPIRE)]),
        "Lifecycle policy property rules[0].selection.tagPatternList must be an array of strings"
    );
    let text = policy(&[r#"{"rulePriority": 1, "selection": [], "action": {}}"#]);
    assert_eq!(
        refused(&text).to_string(),
        "Lifecycle policy property rules[0].selection must be a JSON object"
    );
}

#[test]
fn priorities_and_count_numbers_are_whole_numbers_from_one() {
    for bad in ["0", "-1", "1.5", "2147483648", "1e30"] {
        let text = policy(&[&rule(1, UNTAGGED_KEEP_1, EXPIRE).replacen("1", bad, 1)]);
        assert_eq!(
            refused(&text),
            PolicyError::NotPositive {
                at: "rules[0].rulePriority".to_owned()
            },
            "{bad}"
        );
        let selection =
            UNTAGGED_KEEP_1.replace(r#""countNumber": 1"#, &format!(r#""countNumber": {bad}"#));
        assert_eq!(
            refused_rules(&[rule(1, &selection, EXPIRE)]),
            PolicyError::NotPositive {
                at: "rules[0].selection.countNumber".to_owned()
            },
            "{bad}"
        );
    }
    let selection = UNTAGGED_KEEP_1.replace(r#""countNumber": 1"#, r#""countNumber": 0"#);
    assert_eq!(
        message(&[rule(1, &selection, EXPIRE)]),
        "Lifecycle policy property rules[0].selection.countNumber must be a whole number from 1 to 2147483647"
    );
    let selection = UNTAGGED_KEEP_1.replace(r#""countNumber": 1"#, r#""countNumber": 2147483647"#);
    assert!(parse(&policy(&[&rule(2147483647, &selection, EXPIRE)])).is_ok());
}

#[test]
fn words_outside_their_vocabulary_are_refused_with_the_accepted_words() {
    let selection = UNTAGGED_KEEP_1.replace(r#""untagged""#, r#""Untagged""#);
    assert_eq!(
        message(&[rule(1, &selection, EXPIRE)]),
        "Lifecycle policy property rules[0].selection.tagStatus cannot be 'Untagged'; use \
         'tagged', 'untagged' or 'any'"
    );
    let selection = UNTAGGED_KEEP_1.replace("imageCountMoreThan", "imageCountLessThan");
    assert_eq!(
        message(&[rule(1, &selection, EXPIRE)]),
        "Lifecycle policy property rules[0].selection.countType cannot be 'imageCountLessThan'; \
         use 'imageCountMoreThan', 'sinceImagePushed', 'sinceImagePulled' or \
         'sinceImageTransitioned'"
    );
    let selection = r#""tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "hours", "countNumber": 1"#;
    assert_eq!(
        message(&[rule(1, selection, EXPIRE)]),
        "Lifecycle policy property rules[0].selection.countUnit cannot be 'hours'; use 'days'"
    );
    let selection = format!(r#"{UNTAGGED_KEEP_1}, "storageClass": "glacier""#);
    assert_eq!(
        message(&[rule(1, &selection, EXPIRE)]),
        "Lifecycle policy property rules[0].selection.storageClass cannot be 'glacier'; use \
         'standard' or 'archive'"
    );
    assert_eq!(
        message(&[rule(1, UNTAGGED_KEEP_1, r#""type": "delete""#)]),
        "Lifecycle policy property rules[0].action.type cannot be 'delete'; use 'expire' or \
         'transition'"
    );
    let action = r#""type": "transition", "targetStorageClass": "standard""#;
    assert_eq!(
        message(&[rule(1, UNTAGGED_KEEP_1, action)]),
        "Lifecycle policy property rules[0].action.targetStorageClass cannot be 'standard'; use \
         'archive'"
    );
}

// --- tags ---

#[test]
fn a_tagged_rule_needs_exactly_one_tag_list() {
    let bare = r#""tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 1"#;
    assert_eq!(
        message(&[rule(3, bare, EXPIRE)]),
        "rule 3: tagStatus 'tagged' needs a tagPrefixList or a tagPatternList"
    );
    let both = format!(r#"{bare}, "tagPrefixList": ["a"], "tagPatternList": ["b*"]"#);
    assert_eq!(
        message(&[rule(3, &both, EXPIRE)]),
        "rule 3: use tagPrefixList or tagPatternList, not both"
    );
    let empty = format!(r#"{bare}, "tagPrefixList": []"#);
    assert_eq!(
        message(&[rule(3, &empty, EXPIRE)]),
        "rule 3: tagPrefixList must hold at least one entry"
    );
    let empty = format!(r#"{bare}, "tagPatternList": []"#);
    assert_eq!(
        refused_rules(&[rule(3, &empty, EXPIRE)]),
        PolicyError::EmptyList {
            at: "rule 3".to_owned(),
            list: "tagPatternList"
        }
    );
}

#[test]
fn untagged_and_any_rules_take_no_tag_list() {
    let untagged = format!(r#"{UNTAGGED_KEEP_1}, "tagPrefixList": ["prod"]"#);
    assert_eq!(
        message(&[rule(1, &untagged, EXPIRE)]),
        "rule 1: tagPrefixList can only be used with tagStatus 'tagged', not 'untagged'"
    );
    let any = r#""tagStatus": "any", "tagPatternList": ["*"], "countType": "imageCountMoreThan", "countNumber": 1"#;
    assert_eq!(
        message(&[rule(1, any, EXPIRE)]),
        "rule 1: tagPatternList can only be used with tagStatus 'tagged', not 'any'"
    );
}

#[test]
fn a_tag_pattern_holds_at_most_four_wildcards() {
    // The documentation's own pair: valid and invalid.
    let valid = r#""tagStatus": "tagged", "tagPatternList": ["*test*1*2*3", "test*1*2*3*"], "countType": "imageCountMoreThan", "countNumber": 1"#;
    assert!(parse(&policy(&[&rule(1, valid, EXPIRE)])).is_ok());
    let invalid = r#""tagStatus": "tagged", "tagPatternList": ["test*1*2*3*4*5*6"], "countType": "imageCountMoreThan", "countNumber": 1"#;
    assert_eq!(
        message(&[rule(1, invalid, EXPIRE)]),
        "rule 1: the tag pattern 'test*1*2*3*4*5*6' has 6 wildcards (*); at most 4 are allowed"
    );
}

// --- counts and storage classes ---

#[test]
fn ages_need_a_count_unit_and_image_counts_refuse_one() {
    for count_type in ["sinceImagePushed", "sinceImagePulled"] {
        let selection =
            format!(r#""tagStatus": "any", "countType": "{count_type}", "countNumber": 14"#);
        assert_eq!(
            message(&[rule(1, &selection, EXPIRE)]),
            format!("rule 1: countType '{count_type}' needs countUnit 'days'")
        );
    }
    let selection = format!(r#"{UNTAGGED_KEEP_1}, "countUnit": "days""#);
    assert_eq!(
        message(&[rule(1, &selection, EXPIRE)]),
        "rule 1: countUnit can only be used with countType sinceImagePushed, sinceImagePulled \
         or sinceImageTransitioned"
    );
}

#[test]
fn each_count_type_works_on_its_own_storage_class() {
    let selection = r#""tagStatus": "any", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90"#;
    assert_eq!(
        message(&[rule(1, selection, EXPIRE)]),
        "rule 1: countType 'sinceImageTransitioned' requires storageClass 'archive', not \
         'standard'"
    );
    let selection = r#""tagStatus": "any", "storageClass": "archive", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90"#;
    assert_eq!(
        message(&[rule(1, selection, EXPIRE)]),
        "rule 1: countType 'sinceImagePulled' requires storageClass 'standard', not 'archive'"
    );
    let selection = format!(r#"{UNTAGGED_KEEP_1}, "storageClass": "archive""#);
    assert_eq!(
        refused_rules(&[rule(1, &selection, EXPIRE)]),
        PolicyError::StorageClassMismatch {
            at: "rule 1".to_owned(),
            count_type: "imageCountMoreThan",
            required: "standard",
            found: "archive"
        }
    );
}

#[test]
fn transitions_need_their_target_and_expiry_takes_none() {
    assert_eq!(
        message(&[rule(1, UNTAGGED_KEEP_1, r#""type": "transition""#)]),
        "rule 1: action type 'transition' needs targetStorageClass 'archive'"
    );
    let action = r#""type": "expire", "targetStorageClass": "archive""#;
    assert_eq!(
        message(&[rule(1, UNTAGGED_KEEP_1, action)]),
        "rule 1: targetStorageClass can only be used with action type 'transition'"
    );
    let archived = r#""tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 120"#;
    let action = r#""type": "transition", "targetStorageClass": "archive""#;
    assert_eq!(
        message(&[rule(1, archived, action)]),
        "rule 1: a transition rule must select images in storageClass 'standard'; these images \
         are already archived"
    );
}

#[test]
fn archived_images_cannot_be_expired_before_ninety_days() {
    let selection = |days: u32| {
        format!(
            r#""tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": {days}"#
        )
    };
    assert_eq!(
        message(&[rule(1, &selection(89), EXPIRE)]),
        "rule 1: archived images must stay archived for at least 90 days before a rule can \
         expire them, but countNumber is 89"
    );
    let policy_text = policy(&[&rule(1, &selection(90), EXPIRE)]);
    let parsed = parse(&policy_text).expect("90 days is the minimum");
    assert_eq!(
        parsed.rules()[0].selection.count,
        Count::SinceTransitioned { days: 90 }
    );
}

// --- between rules ---

#[test]
fn priorities_are_unique() {
    let tagged = r#""tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 5"#;
    assert_eq!(
        message(&[rule(4, UNTAGGED_KEEP_1, EXPIRE), rule(4, tagged, EXPIRE)]),
        "Lifecycle policy has more than one rule with rulePriority 4; every rule needs its own"
    );
}

#[test]
fn an_any_rule_must_come_last() {
    let any = r#""tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 42"#;
    assert_eq!(
        message(&[rule(1, any, EXPIRE), rule(2, UNTAGGED_KEEP_1, EXPIRE)]),
        "rule 1: a rule with tagStatus 'any' must have the highest rulePriority of the rules for \
         storageClass 'standard', but rule 2 comes after it"
    );
    // Text order does not matter, only priorities do.
    assert!(parse(&policy(&[
        &rule(9, any, EXPIRE),
        &rule(2, UNTAGGED_KEEP_1, EXPIRE)
    ]))
    .is_ok());
    // Two `any` rules for one class: the first is not last.
    let refused = refused_rules(&[rule(1, any, EXPIRE), rule(2, any, EXPIRE)]);
    assert!(matches!(
        refused,
        PolicyError::AnyNotLast {
            any: 1,
            later: 2,
            ..
        }
    ));
}

#[test]
fn only_one_rule_selects_untagged_images() {
    let untagged_age = r#""tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 3"#;
    assert_eq!(
        message(&[
            rule(1, UNTAGGED_KEEP_1, EXPIRE),
            rule(5, untagged_age, EXPIRE)
        ]),
        "rule 5: only one rule may select untagged images in storageClass 'standard', and rule 1 \
         already does"
    );
}

#[test]
fn no_two_rules_list_the_same_tags() {
    let prefixes = |list: &str| {
        format!(
            r#""tagStatus": "tagged", "tagPrefixList": {list}, "countType": "imageCountMoreThan", "countNumber": 3"#
        )
    };
    assert_eq!(
        message(&[
            rule(1, &prefixes(r#"["prod", "v"]"#), EXPIRE),
            rule(2, &prefixes(r#"["v", "prod", "v"]"#), EXPIRE),
        ]),
        "rule 2: its tagPrefixList holds the same tags as rule 1's; each rule for storageClass \
         'standard' needs its own set of tags"
    );
    let patterns = |list: &str| {
        format!(
            r#""tagStatus": "tagged", "tagPatternList": {list}, "countType": "imageCountMoreThan", "countNumber": 3"#
        )
    };
    assert!(matches!(
        refused_rules(&[
            rule(1, &patterns(r#"["prod*"]"#), EXPIRE),
            rule(2, &patterns(r#"["prod*"]"#), EXPIRE),
        ]),
        PolicyError::SameTags {
            first: 1,
            second: 2,
            list: "tagPatternList",
            ..
        }
    ));
    // Overlapping lists are fine (the documentation's examples use them).
    assert!(parse(&policy(&[
        &rule(1, &prefixes(r#"["alpha"]"#), EXPIRE),
        &rule(2, &prefixes(r#"["alpha", "beta"]"#), EXPIRE),
        &rule(3, &patterns(r#"["alpha"]"#), EXPIRE),
    ]))
    .is_ok());
}

#[test]
fn the_between_rule_constraints_hold_per_storage_class() {
    // Archive everything idle for 30 days, delete what has been archived for 180.
    let archive_idle = r#""tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30"#;
    let delete_archived = r#""tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 180"#;
    let untagged_archived = r#""tagStatus": "untagged", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90"#;
    let transition = r#""type": "transition", "targetStorageClass": "archive""#;
    let parsed = parse(&policy(&[
        &rule(1, UNTAGGED_KEEP_1, EXPIRE),
        &rule(2, untagged_archived, EXPIRE),
        &rule(3, archive_idle, transition),
        &rule(4, delete_archived, EXPIRE),
    ]))
    .expect("one untagged rule and one last `any` rule per class");
    let actions: Vec<Action> = parsed.rules().iter().map(|rule| rule.action).collect();
    assert_eq!(
        actions,
        [
            Action::Expire,
            Action::Expire,
            Action::TransitionToArchive,
            Action::Expire
        ]
    );
}

// --- what is accepted ---

#[test]
fn the_documented_template_parses_into_its_parts() {
    let text = r#"{
        "rules": [
            {
                "rulePriority": 20,
                "description": "Keep the newest 10 release images",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": ["release-*"],
                    "storageClass": "standard",
                    "countType": "imageCountMoreThan",
                    "countNumber": 10
                },
                "action": {"type": "expire"}
            },
            {
                "rulePriority": 10,
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": ["prod", "v"],
                    "countType": "sinceImagePulled",
                    "countUnit": "days",
                    "countNumber": 60
                },
                "action": {"type": "transition", "targetStorageClass": "archive"}
            }
        ]
    }"#;
    let parsed = parse(text).expect("a valid policy");
    let rules = parsed.rules();
    assert_eq!(rules.len(), 2);
    // Sorted by priority, whatever the text's order.
    assert_eq!(rules[0].priority, 10);
    assert_eq!(rules[0].description, None);
    assert_eq!(
        rules[0].selection.tags,
        TagFilter::Tagged(TagList::Prefixes(vec!["prod".to_owned(), "v".to_owned()]))
    );
    assert_eq!(rules[0].selection.count, Count::SincePulled { days: 60 });
    assert_eq!(rules[0].action, Action::TransitionToArchive);
    assert_eq!(rules[1].priority, 20);
    assert_eq!(
        rules[1].description.as_deref(),
        Some("Keep the newest 10 release images")
    );
    assert_eq!(rules[1].selection.storage_class, StorageClass::Standard);
    assert_eq!(rules[1].selection.count, Count::MoreThan(10));
    match &rules[1].selection.tags {
        TagFilter::Tagged(TagList::Patterns(patterns)) => {
            assert_eq!(patterns[0].as_str(), "release-*");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn null_is_the_wrong_type_not_an_absent_property() {
    let text =
        policy(&[r#"{"rulePriority": 1, "description": null, "selection": {}, "action": {}}"#]);
    assert_eq!(
        refused(&text).to_string(),
        "Lifecycle policy property rules[0].description must be a string"
    );
}

#[test]
fn an_empty_prefix_is_accepted_and_matches_every_tagged_image() {
    let selection = r#""tagStatus": "tagged", "tagPrefixList": [""], "countType": "imageCountMoreThan", "countNumber": 1"#;
    let parsed = parse(&policy(&[&rule(1, selection, EXPIRE)])).expect("accepted");
    let tags = &parsed.rules()[0].selection.tags;
    assert!(tags.matches(&["anything".to_owned()]));
    assert!(!tags.matches(&[]));
}
