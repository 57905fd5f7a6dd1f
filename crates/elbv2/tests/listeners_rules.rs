//! Listeners, rules and their actions and conditions through `Elb::handle`.

mod common;

use berth_elbv2_model::Operation as O;
use common::*;
use serde_json::json;

#[test]
fn listeners_are_one_per_port_with_checked_default_actions() {
    let elb = elb();
    let lb = load_balancer(&elb, "web");
    let tg = target_group(&elb, "web");
    let l = listener(&elb, &lb, 80, &tg);
    assert!(l.contains(":listener/app/web/"), "{l}");
    // Idempotent with the same settings, a duplicate otherwise.
    assert_eq!(listener(&elb, &lb, 80, &tg), l);
    let fixed = json!([{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]);
    assert_eq!(
        code(
            &elb,
            O::CreateListener,
            json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 80, "DefaultActions": fixed})
        ),
        "DuplicateListener"
    );
    let out = ok(&elb, O::DescribeListeners, json!({"LoadBalancerArn": lb}));
    let d = &out["Listeners"][0]["DefaultActions"][0];
    assert_eq!(d["Type"], "forward");
    assert_eq!(d["Order"], 1);
    assert_eq!(d["ForwardConfig"]["TargetGroups"][0]["Weight"], 1);
    assert_eq!(
        d["ForwardConfig"]["TargetGroupStickinessConfig"]["Enabled"],
        false
    );

    for (body, want) in [
        (
            json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 81, "DefaultActions": []}),
            "ValidationError",
        ),
        (
            json!({"LoadBalancerArn": lb, "Protocol": "TCP", "Port": 81, "DefaultActions": forward(&tg)}),
            "UnsupportedProtocol",
        ),
        (
            json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 0, "DefaultActions": forward(&tg)}),
            "ValidationError",
        ),
        (
            json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 81, "DefaultActions": forward("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/nope/0123456789abcdef")}),
            "TargetGroupNotFound",
        ),
        (
            json!({"LoadBalancerArn": lb, "Protocol": "HTTPS", "Port": 443, "DefaultActions": forward(&tg), "Certificates": [{"CertificateArn": "arn:aws:iam::000000000000:server-certificate/nope"}]}),
            "CertificateNotFound",
        ),
        (
            json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 81, "DefaultActions": [{"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_301"}}]}),
            "InvalidLoadBalancerAction",
        ),
        (
            json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 81, "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}, {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "201"}}]}),
            "InvalidLoadBalancerAction",
        ),
        (
            json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 81, "DefaultActions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tg, "Weight": 1000}]}}]}),
            "ValidationError",
        ),
    ] {
        assert_eq!(code(&elb, O::CreateListener, body.clone()), want, "{body}");
    }
    assert_eq!(elb.snapshot().listeners.len(), 1);
    let m = ok(
        &elb,
        O::ModifyListener,
        json!({"ListenerArn": l, "Port": 8080}),
    );
    assert_eq!(m["Listeners"][0]["Port"], 8080);
    ok(&elb, O::DeleteListener, json!({"ListenerArn": l}));
    assert_eq!(
        code(&elb, O::DeleteListener, json!({"ListenerArn": l})),
        "ListenerNotFound"
    );
}

#[test]
fn rules_keep_their_priorities_and_the_default_rule_comes_last() {
    let elb = elb();
    let lb = load_balancer(&elb, "web");
    let tg = target_group(&elb, "web");
    let api = target_group(&elb, "api");
    let l = listener(&elb, &lb, 80, &tg);
    let create = |priority: i64, path: &str| {
        ok(
            &elb,
            O::CreateRule,
            json!({"ListenerArn": l, "Priority": priority, "Conditions": [{"Field": "path-pattern", "Values": [path]}], "Actions": forward(&api)}),
        )
    };
    let r10 = s(&create(10, "/api/*")["Rules"][0]["RuleArn"]);
    let r5 = s(&create(5, "/v2/*")["Rules"][0]["RuleArn"]);
    assert!(r10.contains(":listener-rule/app/web/"), "{r10}");
    assert_eq!(
        code(
            &elb,
            O::CreateRule,
            json!({"ListenerArn": l, "Priority": 5, "Conditions": [{"Field": "path-pattern", "Values": ["/x"]}], "Actions": forward(&api)})
        ),
        "PriorityInUse"
    );
    let rules = ok(&elb, O::DescribeRules, json!({"ListenerArn": l}));
    let order: Vec<String> = rules["Rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| s(&r["Priority"]))
        .collect();
    assert_eq!(order, vec!["5", "10", "default"]);
    let default = s(&rules["Rules"][2]["RuleArn"]);
    assert_eq!(rules["Rules"][2]["IsDefault"], true);
    assert_eq!(
        rules["Rules"][0]["Conditions"][0]["PathPatternConfig"]["Values"],
        json!(["/v2/*"])
    );

    // Swapping two priorities in one call is fine; taking a kept one is not.
    let swapped = ok(
        &elb,
        O::SetRulePriorities,
        json!({"RulePriorities": [{"RuleArn": r5, "Priority": 10}, {"RuleArn": r10, "Priority": 5}]}),
    );
    assert_eq!(swapped["Rules"].as_array().map(Vec::len), Some(2));
    let r20 = s(&create(20, "/z")["Rules"][0]["RuleArn"]);
    assert_eq!(
        code(
            &elb,
            O::SetRulePriorities,
            json!({"RulePriorities": [{"RuleArn": r20, "Priority": 10}]})
        ),
        "PriorityInUse"
    );
    assert_eq!(
        code(
            &elb,
            O::SetRulePriorities,
            json!({"RulePriorities": [{"RuleArn": default, "Priority": 1}]})
        ),
        "OperationNotPermitted"
    );

    // The default rule's actions change through ModifyRule; it cannot be deleted.
    let fixed = json!([{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain", "MessageBody": "down"}}]);
    ok(
        &elb,
        O::ModifyRule,
        json!({"RuleArn": default, "Actions": fixed}),
    );
    let ls = ok(&elb, O::DescribeListeners, json!({"ListenerArns": [l]}));
    assert_eq!(
        ls["Listeners"][0]["DefaultActions"][0]["Type"],
        "fixed-response"
    );
    assert_eq!(
        code(&elb, O::DeleteRule, json!({"RuleArn": default})),
        "OperationNotPermitted"
    );
    ok(
        &elb,
        O::ModifyRule,
        json!({"RuleArn": r20, "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": ["*.example.com"]}}]}),
    );
    ok(&elb, O::DeleteRule, json!({"RuleArn": r20}));
    assert_eq!(
        code(&elb, O::DeleteRule, json!({"RuleArn": r20})),
        "RuleNotFound"
    );
    // Tags on rules, the default one too.
    ok(
        &elb,
        O::AddTags,
        json!({"ResourceArns": [r5, default], "Tags": [{"Key": "k", "Value": "v"}]}),
    );
    let t = ok(&elb, O::DescribeTags, json!({"ResourceArns": [default]}));
    assert_eq!(
        t["TagDescriptions"][0]["Tags"],
        json!([{"Key": "k", "Value": "v"}])
    );
    // Deleting the load balancer takes its listeners and rules.
    ok(&elb, O::DeleteLoadBalancer, json!({"LoadBalancerArn": lb}));
    assert!(elb.snapshot().listeners.is_empty());
    assert!(elb.snapshot().rules.is_empty());
}

#[test]
fn bad_rules_change_nothing() {
    let elb = elb();
    let lb = load_balancer(&elb, "web");
    let tg = target_group(&elb, "web");
    let l = listener(&elb, &lb, 80, &tg);
    for (body, want) in [
        (
            json!({"ListenerArn": l, "Priority": 0, "Conditions": [{"Field": "path-pattern", "Values": ["/a"]}], "Actions": forward(&tg)}),
            "ValidationError",
        ),
        (
            json!({"ListenerArn": l, "Priority": 1, "Conditions": [{"Field": "nope", "Values": ["/a"]}], "Actions": forward(&tg)}),
            "ValidationError",
        ),
        (
            json!({"ListenerArn": l, "Priority": 1, "Conditions": [], "Actions": forward(&tg)}),
            "ValidationError",
        ),
        (
            json!({"ListenerArn": l, "Priority": 1, "Conditions": [{"Field": "source-ip", "SourceIpConfig": {"Values": ["300.0.0.0/8"]}}], "Actions": forward(&tg)}),
            "ValidationError",
        ),
        (
            json!({"ListenerArn": l, "Priority": 1, "Conditions": [{"Field": "path-pattern", "Values": ["/a"]}], "Actions": [{"Type": "authenticate-oidc"}]}),
            "InvalidConfigurationRequest",
        ),
        (
            json!({"ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/0/1", "Priority": 1, "Conditions": [{"Field": "path-pattern", "Values": ["/a"]}], "Actions": forward(&tg)}),
            "ListenerNotFound",
        ),
    ] {
        assert_eq!(code(&elb, O::CreateRule, body.clone()), want, "{body}");
    }
    assert!(elb.snapshot().rules.is_empty());
}
