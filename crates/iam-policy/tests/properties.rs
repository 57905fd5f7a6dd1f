//! Property tests of the public API: nothing panics on any input, an
//! applicable Deny always wins, `*` is every action, and the order of
//! statements and policies never changes the outcome.

use berth_iam_policy::{authorize, evaluate, Decision, Kind, Policy, Principal, Request};
use proptest::prelude::*;
use serde_json::{json, Value};

const ACCOUNT: &str = "111122223333";
const REPO: &str = "arn:aws:ecr:us-east-1:111122223333:repository/web";

fn policy(text: &str, kind: Kind) -> Policy {
    Policy::parse(text, kind).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn identity(statements: &[Value]) -> Policy {
    policy(
        &json!({"Version": "2012-10-17", "Statement": statements}).to_string(),
        Kind::Identity,
    )
}

fn request(action: &str) -> Request {
    Request::new(
        Principal::from_arn("arn:aws:iam::111122223333:user/bob"),
        action,
        REPO,
    )
    .with("aws:SourceIp", "203.0.113.9")
    .with("aws:CurrentTime", "2024-05-01T12:00:00Z")
    .with("aws:TagKeys", vec!["team", "cost"])
}

/// `statements`, plus one that never applies (a policy needs a statement).
fn padded(statements: &[Value]) -> Vec<Value> {
    let mut padded = statements.to_vec();
    padded.push(json!({"Effect": "Allow", "Action": "none:None", "Resource": "*"}));
    padded
}

/// Whether two decisions are the same outcome (the deciding statement may
/// differ when several could decide).
fn outcome(decision: &Decision) -> u8 {
    match decision {
        Decision::Allow(_) => 0,
        Decision::ExplicitDeny(_) => 1,
        Decision::ImplicitDeny { .. } => 2,
    }
}

fn action() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "ecr:BatchGetImage",
        "ecr:PutImage",
        "ecr:GetAuthorizationToken",
        "ecr:DescribeRepositories",
        "s3:GetObject",
    ])
    .prop_map(str::to_owned)
}

fn action_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        action(),
        prop::sample::select(vec![
            "*",
            "ecr:*",
            "ecr:Get*",
            "ECR:batch*",
            "ecr:*Image",
            "s3:*",
            "ecr:P?tImage"
        ])
        .prop_map(str::to_owned),
    ]
}

fn resource_pattern() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "*",
        REPO,
        "arn:aws:ecr:*:111122223333:repository/*",
        "arn:aws:ecr:us-east-1:444455556666:repository/*",
        "arn:aws:s3:::bucket/*",
    ])
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(prop::sample::select(vec![
        json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        json!({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}),
        json!({"DateLessThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}),
        json!({"ForAllValues:StringLike": {"aws:TagKeys": ["team", "c*"]}}),
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": "owner"}}),
        json!({"StringEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}),
        json!({"Null": {"aws:MultiFactorAuthAge": "true"}}),
        json!({"Bool": {"aws:SecureTransport": "true"}}),
    ]))
}

/// A statement of an identity-based policy.
fn statement() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(action_pattern(), 1..3),
        any::<bool>(),
        resource_pattern(),
        condition(),
    )
        .prop_map(
            |(allow, not_action, actions, not_resource, resource, condition)| {
                let mut s = json!({"Effect": if allow { "Allow" } else { "Deny" }});
                s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
                s[if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                }] = json!(resource);
                if let Some(condition) = condition {
                    s["Condition"] = condition;
                }
                s
            },
        )
}

/// JSON shaped like a policy, often valid, often subtly not.
fn policy_like() -> impl Strategy<Value = Value> {
    let word = prop::sample::select(vec![
        "Version",
        "2012-10-17",
        "2008-10-17",
        "Id",
        "Statement",
        "Sid",
        "Effect",
        "Allow",
        "Deny",
        "Principal",
        "NotPrincipal",
        "AWS",
        "Service",
        "Federated",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
        "*",
        "ecr:*",
        "ecr:BatchGetImage",
        REPO,
        "111122223333",
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::111122223333:role/r",
        "ecs-tasks.amazonaws.com",
        "StringLike",
        "ForAnyValue:StringEquals",
        "ForAllValues:ArnLike",
        "NumericLessThan",
        "DateGreaterThanIfExists",
        "IpAddress",
        "BinaryEquals",
        "Null",
        "Bool",
        "aws:SourceIp",
        "aws:TagKeys",
        "aws:CurrentTime",
        "10.0.0.0/8",
        "${aws:username}",
        "${x",
        "true",
        "2024-01-01T00:00:00Z",
        "QmVydGg=",
        "",
    ]);
    let leaf = prop_oneof![
        word.clone().prop_map(|w| json!(w)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(|b| json!(b)),
        Just(Value::Null),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((word.clone(), inner), 0..5).prop_map(|fields| Value::Object(
                fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

/// A valid statement (with a principal, for either kind of policy) with at
/// most one element replaced by policy-like JSON or removed.
fn mutated_statement() -> impl Strategy<Value = Value> {
    let element = prop::sample::select(vec![
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    ]);
    let principal = prop::sample::select(vec![
        json!("*"),
        json!({"AWS": "111122223333"}),
        json!({"AWS": ["arn:aws:iam::111122223333:role/ci", "444455556666"]}),
        json!({"Service": "ecs-tasks.amazonaws.com"}),
    ]);
    (
        statement(),
        principal,
        prop::option::of((element, prop::option::of(policy_like()))),
    )
        .prop_map(|(mut s, principal, mutation)| {
            s["Principal"] = principal;
            if let (Some((element, replacement)), Some(fields)) = (mutation, s.as_object_mut()) {
                match replacement {
                    Some(value) => fields.insert(element.to_owned(), value),
                    None => fields.remove(element),
                };
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics_on_any_text(text in any::<String>()) {
        let _ = Policy::parse(&text, Kind::Identity);
        let _ = Policy::parse(&text, Kind::Resource);
    }

    #[test]
    fn parse_and_evaluate_never_panic_on_policy_like_json(
        doc in prop_oneof![
            policy_like(),
            policy_like().prop_map(|s| json!({"Version": "2012-10-17", "Statement": s})),
            prop::collection::vec(mutated_statement(), 1..4).prop_map(|s| json!({"Version": "2012-10-17", "Statement": s})),
        ],
    ) {
        let text = doc.to_string();
        for kind in [Kind::Identity, Kind::Resource] {
            if let Ok(parsed) = Policy::parse(&text, kind) {
                let r = request("ecr:BatchGetImage");
                let _ = evaluate(&[&parsed], &r);
                let _ = authorize(&[&parsed], Some(&parsed), ACCOUNT, &r);
            }
        }
    }

    #[test]
    fn an_applicable_deny_beats_any_allows(
        allows in prop::collection::vec(statement(), 0..6),
        act in action(),
        deny_action in prop::sample::select(vec!["exact", "*", "service:*"]),
        at in any::<prop::sample::Index>(),
    ) {
        let mut statements: Vec<Value> = allows
            .into_iter()
            .map(|mut s| { s["Effect"] = json!("Allow"); s })
            .collect();
        let service = act.split(':').next().unwrap_or_default();
        let pattern = match deny_action {
            "exact" => act.clone(),
            "*" => "*".to_owned(),
            _ => format!("{service}:*"),
        };
        let deny = json!({"Sid": "Stop", "Effect": "Deny", "Action": pattern, "Resource": "*"});
        statements.insert(at.index(statements.len() + 1), deny);
        let r = request(&act);
        let all = identity(&statements);
        let decision = evaluate(&[&all], &r);
        prop_assert!(matches!(&decision, Decision::ExplicitDeny(by) if by.sid.as_deref() == Some("Stop")), "{decision:?}");
        let everyone = policy(r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}}"#, Kind::Resource);
        let combined = authorize(&[&all], Some(&everyone), ACCOUNT, &r);
        prop_assert!(matches!(combined, Decision::ExplicitDeny(_)), "{combined:?}");
    }

    #[test]
    fn star_is_every_action(service in "[a-z0-9][a-z0-9-]{0,12}", name in "[A-Za-z0-9]{1,24}") {
        let act = format!("{service}:{name}");
        let all = identity(&[json!({"Effect": "Allow", "Action": "*", "Resource": "*"})]);
        prop_assert!(evaluate(&[&all], &request(&act)).is_allowed());
        let whole_service = identity(&[json!({"Effect": "Allow", "Action": format!("{}:*", service.to_uppercase()), "Resource": "*"})]);
        prop_assert!(evaluate(&[&whole_service], &request(&act)).is_allowed());
        let other = identity(&[json!({"Effect": "Allow", "Action": format!("x{service}:*"), "Resource": "*"})]);
        prop_assert!(!evaluate(&[&other], &request(&act)).is_allowed());
    }

    #[test]
    fn statement_and_policy_order_never_change_the_outcome(
        statements in prop::collection::vec(statement(), 1..8)
            .prop_flat_map(|s| (Just(s.clone()), Just(s).prop_shuffle())),
        split in any::<prop::sample::Index>(),
        act in action(),
    ) {
        let (original, shuffled) = statements;
        let r = request(&act);
        let expected = outcome(&evaluate(&[&identity(&original)], &r));
        prop_assert_eq!(outcome(&evaluate(&[&identity(&shuffled)], &r)), expected);
        // The same statements split over two policies, in either order.
        let (head, tail) = shuffled.split_at(split.index(shuffled.len() + 1));
        let (first, second) = (identity(&padded(head)), identity(&padded(tail)));
        prop_assert_eq!(outcome(&evaluate(&[&first, &second], &r)), expected);
        prop_assert_eq!(outcome(&evaluate(&[&second, &first], &r)), expected);
    }
}
