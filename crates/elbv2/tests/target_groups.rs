//! Target groups, targets and their health through `Elb::handle`.

mod common;

use std::sync::Arc;

use berth_elbv2::ObservedTarget;
use berth_elbv2_model::Operation as O;
use common::*;
use serde_json::json;

#[test]
fn a_target_group_has_elbs_defaults() {
    let elb = elb();
    let out = ok(
        &elb,
        O::CreateTargetGroup,
        json!({"Name": "web", "Protocol": "HTTP", "Port": 8080, "VpcId": "vpc-1"}),
    );
    let tg = &out["TargetGroups"][0];
    assert_eq!(tg["TargetType"], "instance");
    assert_eq!(tg["HealthCheckProtocol"], "HTTP");
    assert_eq!(tg["HealthCheckPort"], "traffic-port");
    assert_eq!(tg["HealthCheckPath"], "/");
    assert_eq!(tg["HealthCheckIntervalSeconds"], 30);
    assert_eq!(tg["HealthCheckTimeoutSeconds"], 5);
    assert_eq!(tg["HealthyThresholdCount"], 5);
    assert_eq!(tg["UnhealthyThresholdCount"], 2);
    assert_eq!(tg["Matcher"]["HttpCode"], "200");
    assert_eq!(tg["ProtocolVersion"], "HTTP1");
    assert_eq!(tg["LoadBalancerArns"], json!([]));
    let arn = s(&tg["TargetGroupArn"]);
    assert!(arn.contains(":targetgroup/web/"), "{arn}");
    // The same settings again: the same group; others: a duplicate.
    let again = ok(
        &elb,
        O::CreateTargetGroup,
        json!({"Name": "web", "Protocol": "HTTP", "Port": 8080, "VpcId": "vpc-1"}),
    );
    assert_eq!(s(&again["TargetGroups"][0]["TargetGroupArn"]), arn);
    assert_eq!(
        code(
            &elb,
            O::CreateTargetGroup,
            json!({"Name": "web", "Protocol": "HTTP", "Port": 81, "VpcId": "vpc-1"})
        ),
        "DuplicateTargetGroupName"
    );

    let attrs = ok(
        &elb,
        O::DescribeTargetGroupAttributes,
        json!({"TargetGroupArn": arn}),
    );
    let get = |out: &serde_json::Value, key: &str| {
        out["Attributes"]
            .as_array()
            .expect("attrs")
            .iter()
            .find(|a| a["Key"] == key)
            .map(|a| s(&a["Value"]))
            .unwrap_or_default()
    };
    assert_eq!(get(&attrs, "deregistration_delay.timeout_seconds"), "300");
    assert_eq!(get(&attrs, "load_balancing.algorithm.type"), "round_robin");
    let attrs = ok(
        &elb,
        O::ModifyTargetGroupAttributes,
        json!({"TargetGroupArn": arn, "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}, {"Key": "stickiness.enabled", "Value": "true"}]}),
    );
    assert_eq!(get(&attrs, "deregistration_delay.timeout_seconds"), "5");
    assert_eq!(get(&attrs, "stickiness.enabled"), "true");
    assert_eq!(
        code(
            &elb,
            O::ModifyTargetGroupAttributes,
            json!({"TargetGroupArn": arn, "Attributes": [{"Key": "slow_start.duration_seconds", "Value": "10"}]})
        ),
        "InvalidConfigurationRequest"
    );

    let m = ok(
        &elb,
        O::ModifyTargetGroup,
        json!({"TargetGroupArn": arn, "HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 10, "Matcher": {"HttpCode": "200-299"}}),
    );
    assert_eq!(m["TargetGroups"][0]["HealthCheckPath"], "/health");
    assert_eq!(m["TargetGroups"][0]["Matcher"]["HttpCode"], "200-299");
}

#[test]
fn bad_target_groups_are_refused() {
    let elb = elb();
    for (body, want) in [
        (
            json!({"Name": "a", "Protocol": "HTTP", "Port": 80}),
            "ValidationError",
        ),
        (
            json!({"Name": "a", "Protocol": "HTTP", "VpcId": "vpc-1"}),
            "ValidationError",
        ),
        (
            json!({"Name": "a", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-nope"}),
            "ValidationError",
        ),
        (
            json!({"Name": "a", "Protocol": "HTTP", "Port": 70000, "VpcId": "vpc-1"}),
            "ValidationError",
        ),
        (
            json!({"Name": "a", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1", "HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 5}),
            "ValidationError",
        ),
        (
            json!({"Name": "a", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1", "Matcher": {"HttpCode": "600"}}),
            "ValidationError",
        ),
        (
            json!({"Name": "a", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1", "HealthCheckPath": "health"}),
            "ValidationError",
        ),
        (
            json!({"Name": "a", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1", "HealthyThresholdCount": 11}),
            "ValidationError",
        ),
        (
            json!({"Name": "a", "Protocol": "BOGUS", "Port": 80, "VpcId": "vpc-1"}),
            "ValidationError",
        ),
        (
            json!({"Name": "a", "TargetType": "lambda", "Port": 80}),
            "ValidationError",
        ),
    ] {
        assert_eq!(
            code(&elb, O::CreateTargetGroup, body.clone()),
            want,
            "{body}"
        );
    }
    assert!(elb.snapshot().target_groups.is_empty());
}

#[test]
fn targets_register_and_report_health() {
    let elb = elb();
    let health = Arc::new(FakeHealth::default());
    elb.set_health_view(health.clone());
    let tg = target_group(&elb, "web");
    ok(
        &elb,
        O::RegisterTargets,
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.0.0.1"}, {"Id": "10.0.0.2", "Port": 8080}]}),
    );
    // Registering again changes nothing.
    ok(
        &elb,
        O::RegisterTargets,
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.0.0.1"}]}),
    );
    let h = ok(&elb, O::DescribeTargetHealth, json!({"TargetGroupArn": tg}));
    let list = h["TargetHealthDescriptions"].as_array().expect("list");
    assert_eq!(list.len(), 2);
    // No listener uses the group yet.
    assert_eq!(list[0]["TargetHealth"]["State"], "unused");
    assert_eq!(list[0]["TargetHealth"]["Reason"], "Target.NotInUse");
    assert_eq!(list[1]["HealthCheckPort"], "8080");

    let lb = load_balancer(&elb, "web");
    listener(&elb, &lb, 80, &tg);
    let h = ok(&elb, O::DescribeTargetHealth, json!({"TargetGroupArn": tg}));
    assert_eq!(
        h["TargetHealthDescriptions"][0]["TargetHealth"]["State"],
        "initial"
    );
    assert_eq!(
        h["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"],
        "Elb.RegistrationInProgress"
    );
    let tgs = ok(
        &elb,
        O::DescribeTargetGroups,
        json!({"LoadBalancerArn": lb}),
    );
    assert_eq!(tgs["TargetGroups"][0]["LoadBalancerArns"], json!([lb]));

    // What the data plane sees is what DescribeTargetHealth answers.
    health.0.lock().expect("lock").push((
        tg.clone(),
        ObservedTarget {
            id: "10.0.0.1".into(),
            port: 80,
            state: "unhealthy".into(),
            reason: Some("Target.ResponseCodeMismatch".into()),
            description: Some("Health checks failed with these codes: [500]".into()),
        },
    ));
    let h = ok(
        &elb,
        O::DescribeTargetHealth,
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.0.0.1"}]}),
    );
    assert_eq!(
        h["TargetHealthDescriptions"][0]["TargetHealth"]["State"],
        "unhealthy"
    );
    assert_eq!(
        h["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"],
        "Target.ResponseCodeMismatch"
    );

    // Deregistered, it drains while the data plane still holds it.
    ok(
        &elb,
        O::DeregisterTargets,
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.0.0.1"}]}),
    );
    health.0.lock().expect("lock")[0].1.state = "draining".into();
    let h = ok(
        &elb,
        O::DescribeTargetHealth,
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.0.0.1"}]}),
    );
    assert_eq!(
        h["TargetHealthDescriptions"][0]["TargetHealth"]["State"],
        "draining"
    );
    health.0.lock().expect("lock").clear();
    let h = ok(
        &elb,
        O::DescribeTargetHealth,
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.0.0.1"}]}),
    );
    assert_eq!(
        h["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"],
        "Target.NotRegistered"
    );

    assert_eq!(
        code(
            &elb,
            O::DeregisterTargets,
            json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.9.9.9"}]})
        ),
        "InvalidTarget"
    );
    assert_eq!(
        code(
            &elb,
            O::RegisterTargets,
            json!({"TargetGroupArn": tg, "Targets": [{"Id": "not-an-ip"}]})
        ),
        "InvalidTarget"
    );
    assert_eq!(
        code(
            &elb,
            O::RegisterTargets,
            json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.0.0.3", "Port": 0}]})
        ),
        "ValidationError"
    );
    // A group in use cannot be deleted.
    assert_eq!(
        code(&elb, O::DeleteTargetGroup, json!({"TargetGroupArn": tg})),
        "ResourceInUse"
    );
}

#[test]
fn instance_targets_must_be_known_instances() {
    let elb = elb();
    let out = ok(
        &elb,
        O::CreateTargetGroup,
        json!({"Name": "inst", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1"}),
    );
    let tg = s(&out["TargetGroups"][0]["TargetGroupArn"]);
    ok(
        &elb,
        O::RegisterTargets,
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "i-0123456789abcdef0", "Port": 32768}]}),
    );
    assert_eq!(
        code(
            &elb,
            O::RegisterTargets,
            json!({"TargetGroupArn": tg, "Targets": [{"Id": "i-0000000000000000f"}]})
        ),
        "InvalidTarget"
    );
    assert_eq!(
        code(
            &elb,
            O::RegisterTargets,
            json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.0.0.1"}]})
        ),
        "InvalidTarget"
    );
    assert_eq!(elb.snapshot().targets.len(), 1);
}

#[test]
fn a_target_group_of_one_load_balancer_cannot_serve_another() {
    let elb = elb();
    let tg = target_group(&elb, "web");
    let a = load_balancer(&elb, "a");
    let b = load_balancer(&elb, "b");
    listener(&elb, &a, 80, &tg);
    // A second listener of the same load balancer may.
    listener(&elb, &a, 8080, &tg);
    let c = code(
        &elb,
        O::CreateListener,
        json!({"LoadBalancerArn": b, "Protocol": "HTTP", "Port": 80, "DefaultActions": forward(&tg)}),
    );
    assert_eq!(c, "TargetGroupAssociationLimit");
}
