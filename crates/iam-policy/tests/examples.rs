//! Worked examples of the kinds the IAM, ECR and ECS documentation walks
//! through, each with the decision IAM describes for it.

use berth_iam_policy::{authorize, evaluate, Decision, Kind, Policy, Principal, Request};

const ACCOUNT: &str = "111122223333";
const OTHER: &str = "444455556666";

fn policy(text: &str, kind: Kind) -> Policy {
    Policy::parse(text, kind).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn user(name: &str) -> Principal {
    Principal::from_arn(format!("arn:aws:iam::{ACCOUNT}:user/{name}"))
}

fn decide(p: &Policy, request: &Request) -> Decision {
    evaluate(&[p], request)
}

/// Reads with Get*/List*, reports explicitly denied, the rest implicitly.
#[test]
fn allowed_implicitly_denied_and_explicitly_denied_actions() {
    let p = policy(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "AllowGetList", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
            {"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"}]}"#,
        Kind::Identity,
    );
    let ask = |action: &str| decide(&p, &Request::new(user("carlos"), action, "*"));
    assert!(ask("iam:GetUser").is_allowed());
    assert!(ask("iam:ListRoles").is_allowed());
    assert_eq!(
        ask("iam:CreatePolicy"),
        Decision::ImplicitDeny { missing: None }
    );
    let report = ask("iam:GetCredentialReport");
    assert_eq!(
        report.statement().and_then(|s| s.sid.as_deref()),
        Some("DenyReports")
    );
    assert!(ask("iam:GenerateCredentialReport")
        .statement()
        .is_some_and(|s| s.sid.as_deref() == Some("DenyReports")));
}

/// Access between two dates, inclusive, from aws:CurrentTime.
#[test]
fn access_within_a_date_range() {
    let p = policy(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ecr:*", "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
                          "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}}}}"#,
        Kind::Identity,
    );
    let at = |time: &str| {
        let request =
            Request::new(user("carlos"), "ecr:ListImages", "*").with("aws:CurrentTime", time);
        decide(&p, &request).is_allowed()
    };
    assert!(at("2020-05-15T08:30:00Z"));
    assert!(!at("2020-03-31T23:59:59Z"));
    assert!(!at("2020-07-01T00:00:00Z"));
    assert!(
        !decide(&p, &Request::new(user("carlos"), "ecr:ListImages", "*")).is_allowed(),
        "no time, no access"
    );
}

/// Each user's own home folder, through aws:username.
#[test]
fn a_home_folder_per_user() {
    let p = policy(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
             "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}}},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"}]}"#,
        Kind::Identity,
    );
    let bucket = "arn:aws:s3:::amzn-s3-demo-bucket";
    let list = |who: &str, prefix: &str| {
        decide(
            &p,
            &Request::new(user(who), "s3:ListBucket", bucket).with("s3:prefix", prefix),
        )
        .is_allowed()
    };
    assert!(list("david", "home/david/photos"));
    assert!(list("david", "home/"));
    assert!(!list("david", "home/carlos/"));
    let get = |who: &str, key: &str| {
        decide(
            &p,
            &Request::new(user(who), "s3:GetObject", format!("{bucket}/{key}")),
        )
        .is_allowed()
    };
    assert!(get("david", "home/david/cv.pdf"));
    assert!(!get("david", "home/carlos/cv.pdf"));
    let role = Principal::from_arn("arn:aws:sts::111122223333:assumed-role/app/s1");
    let as_role = Request::new(role, "s3:GetObject", format!("{bucket}/home/app/x"));
    assert!(
        !decide(&p, &as_role).is_allowed(),
        "roles have no aws:username"
    );
}

/// Deny everything from outside a network unless a service acts for the caller.
#[test]
fn deny_outside_an_address_range() {
    let p = policy(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]},
                           "Bool": {"aws:ViaAWSService": "false"}}}]}"#,
        Kind::Identity,
    );
    let from = |ip: &str, via_service: bool| {
        let request = Request::new(user("carlos"), "ecr:PutImage", "*")
            .with("aws:SourceIp", ip)
            .with("aws:ViaAWSService", via_service);
        decide(&p, &request)
    };
    assert!(from("192.0.2.44", false).is_allowed());
    assert!(from("2001:db8:1::9", false).is_allowed());
    assert!(matches!(
        from("203.0.113.1", false),
        Decision::ExplicitDeny(_)
    ));
    assert!(from("203.0.113.1", true).is_allowed());
}

/// Deny when MFA is absent or false, with BoolIfExists.
#[test]
fn require_mfa_with_bool_if_exists() {
    let p = policy(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
            {"Sid": "NoMfa", "Effect": "Deny", "Action": "ecr:DeleteRepository", "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}"#,
        Kind::Identity,
    );
    let delete = Request::new(user("carlos"), "ecr:DeleteRepository", "*");
    assert!(!decide(&p, &delete).is_allowed(), "no MFA key: denied");
    assert!(!decide(
        &p,
        &delete.clone().with("aws:MultiFactorAuthPresent", false)
    )
    .is_allowed());
    assert!(decide(&p, &delete.with("aws:MultiFactorAuthPresent", true)).is_allowed());
}

/// Only long-term credentials: Null on aws:TokenIssueTime.
#[test]
fn null_check_for_temporary_credentials() {
    let p = policy(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*",
            "Condition": {"Null": {"aws:TokenIssueTime": "true"}}}}"#,
        Kind::Identity,
    );
    let request = Request::new(user("carlos"), "ec2:DescribeInstances", "*");
    assert!(decide(&p, &request).is_allowed());
    assert!(!decide(
        &p,
        &request.with("aws:TokenIssueTime", "2024-05-01T10:00:00Z")
    )
    .is_allowed());
}

/// Tag keys limited to a list, and at least one required.
#[test]
fn tag_keys_with_set_operators() {
    let p = policy(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ecr:TagResource", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]},
                          "ForAnyValue:StringEquals": {"aws:TagKeys": "environment"}}}}"#,
        Kind::Identity,
    );
    let tag = |keys: Vec<&str>| {
        decide(
            &p,
            &Request::new(user("carlos"), "ecr:TagResource", "*").with("aws:TagKeys", keys),
        )
        .is_allowed()
    };
    assert!(tag(vec!["environment"]));
    assert!(tag(vec!["environment", "cost-center"]));
    assert!(!tag(vec!["environment", "owner"]));
    assert!(!tag(vec!["cost-center"]));
    assert!(
        !tag(vec![]),
        "ForAllValues holds for none, ForAnyValue does not"
    );
}

const REPO: &str = "arn:aws:ecr:us-east-1:111122223333:repository/web";

/// An ECR repository policy letting another account pull.
#[test]
fn ecr_cross_account_pull() {
    let repository = policy(
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": "AllowCrossAccountPull", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]}]}"#,
        Kind::Resource,
    );
    let pull_policy = policy(
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "*"}}"#,
        Kind::Identity,
    );
    let builder = Principal::from_arn(format!("arn:aws:sts::{OTHER}:assumed-role/builder/run-1"));
    let pull = Request::new(builder.clone(), "ecr:BatchGetImage", REPO);
    assert!(authorize(&[&pull_policy], Some(&repository), ACCOUNT, &pull).is_allowed());
    let push = Request::new(builder, "ecr:PutImage", REPO);
    assert_eq!(
        authorize(&[&pull_policy], Some(&repository), ACCOUNT, &push),
        Decision::ImplicitDeny {
            missing: Some(Kind::Identity)
        }
    );
    let stranger = Request::new(
        Principal::from_arn("arn:aws:iam::999999999999:user/x"),
        "ecr:BatchGetImage",
        REPO,
    );
    assert_eq!(
        authorize(&[&pull_policy], Some(&repository), ACCOUNT, &stranger),
        Decision::ImplicitDeny {
            missing: Some(Kind::Resource)
        }
    );
}

/// A service principal pulling for one account's projects only.
#[test]
fn ecr_service_principal_with_confused_deputy_guard() {
    let repository = policy(
        r#"{"Version": "2012-10-17", "Statement": {"Sid": "CodeBuildAccess", "Effect": "Allow",
            "Principal": {"Service": "codebuild.amazonaws.com"},
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:codebuild:us-east-1:111122223333:project/*"},
                          "StringEquals": {"aws:SourceAccount": "111122223333"}}}}"#,
        Kind::Resource,
    );
    let pull = |source_arn: &str, account: &str| {
        let request = Request::new(
            Principal::service("codebuild.amazonaws.com"),
            "ecr:BatchGetImage",
            REPO,
        )
        .with("aws:SourceArn", source_arn)
        .with("aws:SourceAccount", account);
        authorize(&[], Some(&repository), ACCOUNT, &request)
    };
    assert!(pull(
        "arn:aws:codebuild:us-east-1:111122223333:project/site",
        ACCOUNT
    )
    .is_allowed());
    assert!(!pull(
        "arn:aws:codebuild:us-east-1:444455556666:project/site",
        OTHER
    )
    .is_allowed());
}

/// The ECS task execution role's trust policy.
#[test]
fn role_trust_policy_for_ecs_tasks() {
    let trust = policy(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": ["ecs-tasks.amazonaws.com"]}, "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:111122223333:*"},
                          "StringEquals": {"aws:SourceAccount": "111122223333"}}}]}"#,
        Kind::Resource,
    );
    let role = "arn:aws:iam::111122223333:role/ecsTaskExecutionRole";
    let assume = |service: &str, source_arn: &str| {
        let request = Request::new(Principal::service(service), "sts:AssumeRole", role)
            .with("aws:SourceArn", source_arn)
            .with("aws:SourceAccount", ACCOUNT);
        decide(&trust, &request).is_allowed()
    };
    assert!(assume(
        "ecs-tasks.amazonaws.com",
        "arn:aws:ecs:us-east-1:111122223333:task/web/0123"
    ));
    assert!(!assume(
        "ec2.amazonaws.com",
        "arn:aws:ecs:us-east-1:111122223333:task/web/0123"
    ));
    assert!(!assume(
        "ecs-tasks.amazonaws.com",
        "arn:aws:ecs:eu-west-1:111122223333:task/web/0123"
    ));
}

/// NotPrincipal: deny everyone but one role — its sessions, the role and the account listed.
#[test]
fn not_principal_spares_a_role() {
    let repository = policy(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "ecr:*"},
            {"Sid": "OnlyDeployPushes", "Effect": "Deny", "Action": "ecr:PutImage",
             "NotPrincipal": {"AWS": ["arn:aws:sts::111122223333:assumed-role/deploy/ci",
                                      "arn:aws:iam::111122223333:role/deploy", "111122223333"]}}]}"#,
        Kind::Resource,
    );
    let push = |arn: &str| Request::new(Principal::from_arn(arn), "ecr:PutImage", REPO);
    let any_push = policy(
        r#"{"Statement": {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}}"#,
        Kind::Identity,
    );
    let ci = push("arn:aws:sts::111122223333:assumed-role/deploy/ci");
    assert!(authorize(&[&any_push], Some(&repository), ACCOUNT, &ci).is_allowed());
    let intern = push("arn:aws:iam::111122223333:user/intern");
    let denied = authorize(&[&any_push], Some(&repository), ACCOUNT, &intern);
    assert_eq!(
        denied.statement().and_then(|s| s.sid.as_deref()),
        Some("OnlyDeployPushes")
    );
}

/// Versions decide whether `${...}` is a variable.
#[test]
fn variables_need_version_2012_10_17() {
    let text = |version: &str| {
        format!(
            r#"{{{version}"Statement": {{"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "arn:aws:iam::111122223333:user/${{aws:username}}"}}}}"#
        )
    };
    let current = policy(&text(r#""Version": "2012-10-17", "#), Kind::Identity);
    let unversioned = policy(&text(""), Kind::Identity);
    let own = Request::new(
        user("carlos"),
        "iam:ChangePassword",
        "arn:aws:iam::111122223333:user/carlos",
    );
    assert!(decide(&current, &own).is_allowed());
    assert!(!decide(&unversioned, &own).is_allowed());
}
