//! The proxy configuration ELB's state makes: listeners at each load balancer's address
//! with their rules in priority order, target groups with their targets and settings.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use berth_elb_proxy as proxy;
use berth_elbv2::dataplane::Lookups;
use berth_elbv2_model::Operation as O;
use common::*;
use serde_json::json;

fn instance(_account: &str, id: &str) -> Option<std::net::IpAddr> {
    (id == "i-0123456789abcdef0")
        .then(|| "10.0.0.5".parse().ok())
        .flatten()
}

fn certificate(_account: &str, _arn: &str) -> Option<berth_elbv2::CertificatePem> {
    None
}

#[test]
fn listeners_rules_and_target_groups_become_the_proxys_configuration() {
    let elb = elb();
    let lb = load_balancer(&elb, "web");
    let web = target_group(&elb, "web");
    let api = target_group(&elb, "api");
    let l = listener(&elb, &lb, 80, &web);
    ok(
        &elb,
        O::CreateRule,
        json!({"ListenerArn": l, "Priority": 20, "Conditions": [{"Field": "host-header", "Values": ["api.example.com"]}],
        "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": api, "Weight": 3}, {"TargetGroupArn": web, "Weight": 1}],
            "TargetGroupStickinessConfig": {"Enabled": true, "DurationSeconds": 60}}}]}),
    );
    ok(
        &elb,
        O::CreateRule,
        json!({"ListenerArn": l, "Priority": 10, "Conditions": [{"Field": "path-pattern", "Values": ["/old/*"]}],
        "Actions": [{"Type": "redirect", "RedirectConfig": {"Path": "/new/#{path}", "StatusCode": "HTTP_301"}}]}),
    );
    ok(
        &elb,
        O::RegisterTargets,
        json!({"TargetGroupArn": web, "Targets": [{"Id": "10.1.0.1", "Port": 8080}]}),
    );
    ok(
        &elb,
        O::ModifyTargetGroup,
        json!({"TargetGroupArn": web, "HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 10, "Matcher": {"HttpCode": "200-299"}}),
    );
    ok(
        &elb,
        O::ModifyTargetGroupAttributes,
        json!({"TargetGroupArn": web, "Attributes": [
        {"Key": "deregistration_delay.timeout_seconds", "Value": "7"},
        {"Key": "load_balancing.algorithm.type", "Value": "least_outstanding_requests"}]}),
    );
    ok(
        &elb,
        O::ModifyLoadBalancerAttributes,
        json!({"LoadBalancerArn": lb, "Attributes": [{"Key": "idle_timeout.timeout_seconds", "Value": "9"}]}),
    );

    let c = elb.dataplane_config(&Lookups {
        instance: &instance,
        certificate: &certificate,
    });
    assert_eq!(c.listeners.len(), 1);
    let ls = &c.listeners[0];
    assert_eq!(ls.id, l);
    assert_eq!(ls.load_balancer, lb);
    assert_eq!(
        ls.bind,
        "169.254.181.1:80".parse::<SocketAddr>().expect("addr")
    );
    assert_eq!(ls.idle_timeout, Duration::from_secs(9));
    assert!(ls.http2 && ls.tls.is_none());
    let priorities: Vec<Option<u32>> = ls.rules.iter().map(|r| r.priority).collect();
    assert_eq!(priorities, vec![Some(10), Some(20), None]);
    assert_eq!(
        ls.rules[0].conditions,
        vec![proxy::Condition::PathPattern(vec!["/old/*".into()])]
    );
    match &ls.rules[0].action {
        proxy::Action::Redirect {
            path, status, host, ..
        } => {
            assert_eq!(
                (path.as_str(), *status, host.as_str()),
                ("/new/#{path}", 301, "#{host}")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ls.rules[1].action,
        proxy::Action::Forward {
            target_groups: vec![(api.clone(), 3), (web.clone(), 1)],
            stickiness: Some(Duration::from_secs(60)),
        }
    );
    assert_eq!(ls.rules[2].action, proxy::Action::forward(&web));

    let g = c
        .target_groups
        .iter()
        .find(|g| g.id == web)
        .expect("web group");
    assert_eq!(g.targets.len(), 1);
    assert_eq!(
        g.targets[0].addr,
        "10.1.0.1:8080".parse::<SocketAddr>().expect("addr")
    );
    assert_eq!(g.health_check.path, "/health");
    assert_eq!(g.health_check.interval, Duration::from_secs(10));
    assert_eq!(g.health_check.matcher, vec![(200, 299)]);
    assert_eq!(g.health_check.port, None);
    assert_eq!(g.deregistration_delay, Duration::from_secs(7));
    assert_eq!(g.algorithm, proxy::Algorithm::LeastOutstandingRequests);
}

#[test]
fn instance_targets_are_reached_at_their_instances_address() {
    let elb = elb();
    let out = ok(
        &elb,
        O::CreateTargetGroup,
        json!({"Name": "inst", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1", "HealthCheckPort": "8081"}),
    );
    let tg = s(&out["TargetGroups"][0]["TargetGroupArn"]);
    ok(
        &elb,
        O::RegisterTargets,
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "i-0123456789abcdef0", "Port": 32768}]}),
    );
    let c = elb.dataplane_config(&Lookups {
        instance: &instance,
        certificate: &certificate,
    });
    let g = c.target_groups.iter().find(|g| g.id == tg).expect("group");
    assert_eq!(
        g.targets[0].addr,
        "10.0.0.5:32768".parse::<SocketAddr>().expect("addr")
    );
    assert_eq!(g.targets[0].id, "i-0123456789abcdef0");
    assert_eq!(g.health_check.port, Some(8081));
}

#[test]
fn app_cookie_stickiness_reaches_the_proxy_and_its_cookie_name_is_checked() {
    let elb = elb();
    let tg = target_group(&elb, "sticky");
    let attrs = |pairs: &[(&str, &str)]| {
        json!({"TargetGroupArn": tg, "Attributes": pairs.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>()})
    };
    for (bad, why) in [
        (
            &[
                ("stickiness.enabled", "true"),
                ("stickiness.type", "app_cookie"),
            ][..],
            "no name",
        ),
        (
            &[
                ("stickiness.enabled", "true"),
                ("stickiness.type", "app_cookie"),
                ("stickiness.app_cookie.cookie_name", "AWSALBAPP-mine"),
            ][..],
            "reserved",
        ),
    ] {
        assert_eq!(
            code(&elb, O::ModifyTargetGroupAttributes, attrs(bad)),
            "InvalidConfigurationRequest",
            "{why}"
        );
    }
    ok(
        &elb,
        O::ModifyTargetGroupAttributes,
        attrs(&[
            ("stickiness.enabled", "true"),
            ("stickiness.type", "app_cookie"),
            ("stickiness.app_cookie.cookie_name", "SESSION"),
            ("stickiness.app_cookie.duration_seconds", "120"),
        ]),
    );
    let c = elb.dataplane_config(&Lookups {
        instance: &instance,
        certificate: &certificate,
    });
    let g = c.target_groups.iter().find(|g| g.id == tg).expect("group");
    assert_eq!(
        g.stickiness,
        Some(proxy::Stickiness::AppCookie {
            cookie_name: "SESSION".into(),
            duration: Duration::from_secs(120),
        })
    );
}
