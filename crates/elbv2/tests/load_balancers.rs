//! Load balancers, their attributes and tags through `Elb::handle`.

mod common;

use berth_elbv2_model::Operation as O;
use common::*;
use serde_json::json;

#[test]
fn a_load_balancer_gets_an_address_a_dns_name_and_its_zones() {
    let elb = elb();
    let out = ok(
        &elb,
        O::CreateLoadBalancer,
        json!({"Name": "web", "Subnets": ["subnet-a", "subnet-b"], "Tags": [{"Key": "team", "Value": "a"}]}),
    );
    let lb = &out["LoadBalancers"][0];
    assert_eq!(lb["State"]["Code"], "provisioning");
    assert_eq!(lb["Type"], "application");
    assert_eq!(lb["Scheme"], "internet-facing");
    assert_eq!(lb["VpcId"], "vpc-1");
    assert_eq!(lb["SecurityGroups"], json!(["sg-default"]));
    let dns = s(&lb["DNSName"]);
    assert!(
        dns.starts_with("web-") && dns.ends_with(".us-east-1.elb.berth.internal"),
        "{dns}"
    );
    let arn = s(&lb["LoadBalancerArn"]);
    assert!(
        arn.starts_with(
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/"
        ),
        "{arn}"
    );
    let zones: Vec<String> = lb["AvailabilityZones"]
        .as_array()
        .expect("zones")
        .iter()
        .map(|z| s(&z["ZoneName"]))
        .collect();
    assert_eq!(zones, vec!["us-east-1a", "us-east-1b"]);

    let described = ok(&elb, O::DescribeLoadBalancers, json!({"Names": ["web"]}));
    assert_eq!(described["LoadBalancers"][0]["State"]["Code"], "active");
    assert_eq!(described["LoadBalancers"][0]["DNSName"], dns.as_str());
    let by_arn = ok(
        &elb,
        O::DescribeLoadBalancers,
        json!({"LoadBalancerArns": [arn]}),
    );
    assert_eq!(by_arn["LoadBalancers"][0]["LoadBalancerName"], "web");
    let tags = ok(&elb, O::DescribeTags, json!({"ResourceArns": [arn]}));
    assert_eq!(
        tags["TagDescriptions"][0]["Tags"],
        json!([{"Key": "team", "Value": "a"}])
    );

    // Each load balancer its own address (the pool is a /29: six of them).
    let snap = elb.snapshot();
    let first = snap
        .load_balancers
        .values()
        .next()
        .expect("lb")
        .address
        .clone();
    assert_eq!(first, "169.254.181.1");
    load_balancer(&elb, "second");
    let addresses: std::collections::BTreeSet<String> = elb
        .snapshot()
        .load_balancers
        .values()
        .map(|l| l.address.clone())
        .collect();
    assert_eq!(addresses.len(), 2);
}

#[test]
fn creating_again_with_the_same_settings_answers_the_same_load_balancer() {
    let elb = elb();
    let a = load_balancer(&elb, "web");
    let b = load_balancer(&elb, "web");
    assert_eq!(a, b);
    let c = code(
        &elb,
        O::CreateLoadBalancer,
        json!({"Name": "web", "Subnets": ["subnet-a", "subnet-c"]}),
    );
    assert_eq!(c, "DuplicateLoadBalancerName");
    assert_eq!(elb.snapshot().load_balancers.len(), 1);
}

#[test]
fn bad_load_balancers_are_refused_and_nothing_is_stored() {
    let elb = elb();
    for (body, want) in [
        (
            json!({"Name": "-bad", "Subnets": ["subnet-a", "subnet-b"]}),
            "ValidationError",
        ),
        (
            json!({"Name": "internal-x", "Subnets": ["subnet-a", "subnet-b"]}),
            "ValidationError",
        ),
        (
            json!({"Name": "a-very-long-name-that-is-over-32-chars", "Subnets": ["subnet-a", "subnet-b"]}),
            "ValidationError",
        ),
        (
            json!({"Name": "one", "Subnets": ["subnet-a"]}),
            "InvalidConfigurationRequest",
        ),
        (
            json!({"Name": "same", "Subnets": ["subnet-a", "subnet-a2"]}),
            "InvalidConfigurationRequest",
        ),
        (
            json!({"Name": "vpcs", "Subnets": ["subnet-a", "subnet-other"]}),
            "InvalidConfigurationRequest",
        ),
        (
            json!({"Name": "nope", "Subnets": ["subnet-a", "subnet-zzz"]}),
            "SubnetNotFound",
        ),
        (
            json!({"Name": "sg", "Subnets": ["subnet-a", "subnet-b"], "SecurityGroups": ["sg-nope"]}),
            "InvalidSecurityGroup",
        ),
        (
            json!({"Name": "tags", "Subnets": ["subnet-a", "subnet-b"], "Tags": [{"Key": "aws:x", "Value": "1"}]}),
            "ValidationError",
        ),
    ] {
        assert_eq!(
            code(&elb, O::CreateLoadBalancer, body.clone()),
            want,
            "{body}"
        );
    }
    assert!(elb.snapshot().load_balancers.is_empty());
    assert_eq!(
        code(&elb, O::DescribeLoadBalancers, json!({"Names": ["nope"]})),
        "LoadBalancerNotFound"
    );
    assert_eq!(
        code(
            &elb,
            O::DescribeLoadBalancers,
            json!({"LoadBalancerArns": ["arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/x/0123"]})
        ),
        "LoadBalancerNotFound"
    );
    assert_eq!(
        code(
            &elb,
            O::DescribeLoadBalancers,
            json!({"LoadBalancerArns": ["not-an-arn"]})
        ),
        "ValidationError"
    );
    assert_eq!(
        code(&elb, O::DescribeLoadBalancers, json!({"PageSize": 401})),
        "ValidationError"
    );
}

#[test]
fn the_address_pool_running_out_is_a_clear_error() {
    let elb = elb();
    for i in 0..6 {
        load_balancer(&elb, &format!("lb{i}"));
    }
    assert_eq!(
        code(
            &elb,
            O::CreateLoadBalancer,
            json!({"Name": "seventh", "Subnets": ["subnet-a", "subnet-b"]})
        ),
        "TooManyLoadBalancers"
    );
    // Deleting one frees its address for the next.
    let arn = s(
        &ok(&elb, O::DescribeLoadBalancers, json!({"Names": ["lb3"]}))["LoadBalancers"][0]
            ["LoadBalancerArn"],
    );
    ok(&elb, O::DeleteLoadBalancer, json!({"LoadBalancerArn": arn}));
    load_balancer(&elb, "seventh");
}

#[test]
fn pages_follow_the_marker() {
    let elb = elb();
    for i in 0..5 {
        load_balancer(&elb, &format!("lb{i}"));
    }
    let mut names = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut body = json!({"PageSize": 2});
        if let Some(m) = &marker {
            body["Marker"] = json!(m);
        }
        let out = ok(&elb, O::DescribeLoadBalancers, body);
        names.extend(
            out["LoadBalancers"]
                .as_array()
                .expect("page")
                .iter()
                .map(|l| s(&l["LoadBalancerName"])),
        );
        match out["NextMarker"].as_str() {
            Some(m) => marker = Some(m.to_owned()),
            None => break,
        }
    }
    assert_eq!(names, vec!["lb0", "lb1", "lb2", "lb3", "lb4"]);
}

#[test]
fn attributes_have_defaults_and_checked_values() {
    let elb = elb();
    let lb = load_balancer(&elb, "web");
    let out = ok(
        &elb,
        O::DescribeLoadBalancerAttributes,
        json!({"LoadBalancerArn": lb}),
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
    assert_eq!(get(&out, "idle_timeout.timeout_seconds"), "60");
    assert_eq!(get(&out, "routing.http2.enabled"), "true");
    let out = ok(
        &elb,
        O::ModifyLoadBalancerAttributes,
        json!({"LoadBalancerArn": lb, "Attributes": [{"Key": "idle_timeout.timeout_seconds", "Value": "5"}, {"Key": "deletion_protection.enabled", "Value": "true"}]}),
    );
    assert_eq!(get(&out, "idle_timeout.timeout_seconds"), "5");
    assert_eq!(
        code(
            &elb,
            O::ModifyLoadBalancerAttributes,
            json!({"LoadBalancerArn": lb, "Attributes": [{"Key": "idle_timeout.timeout_seconds", "Value": "0"}]})
        ),
        "InvalidConfigurationRequest"
    );
    assert_eq!(
        code(
            &elb,
            O::ModifyLoadBalancerAttributes,
            json!({"LoadBalancerArn": lb, "Attributes": [{"Key": "nope", "Value": "1"}]})
        ),
        "ValidationError"
    );
    // Deletion protection holds.
    assert_eq!(
        code(&elb, O::DeleteLoadBalancer, json!({"LoadBalancerArn": lb})),
        "OperationNotPermitted"
    );
    ok(
        &elb,
        O::ModifyLoadBalancerAttributes,
        json!({"LoadBalancerArn": lb, "Attributes": [{"Key": "deletion_protection.enabled", "Value": "false"}]}),
    );
    ok(&elb, O::DeleteLoadBalancer, json!({"LoadBalancerArn": lb}));
    // Deleting again succeeds, as ELB's does.
    ok(&elb, O::DeleteLoadBalancer, json!({"LoadBalancerArn": lb}));
}

#[test]
fn subnets_and_security_groups_change() {
    let elb = elb();
    let lb = load_balancer(&elb, "web");
    let out = ok(
        &elb,
        O::SetSubnets,
        json!({"LoadBalancerArn": lb, "Subnets": ["subnet-b", "subnet-c"]}),
    );
    assert_eq!(out["AvailabilityZones"].as_array().map(Vec::len), Some(2));
    let out = ok(
        &elb,
        O::SetSecurityGroups,
        json!({"LoadBalancerArn": lb, "SecurityGroups": ["sg-web"]}),
    );
    assert_eq!(out["SecurityGroupIds"], json!(["sg-web"]));
    assert_eq!(
        code(
            &elb,
            O::SetSecurityGroups,
            json!({"LoadBalancerArn": lb, "SecurityGroups": ["sg-x"]})
        ),
        "InvalidSecurityGroup"
    );
    let tags = ok(
        &elb,
        O::AddTags,
        json!({"ResourceArns": [lb], "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}),
    );
    assert_eq!(tags, json!({}));
    ok(
        &elb,
        O::RemoveTags,
        json!({"ResourceArns": [lb], "TagKeys": ["a"]}),
    );
    let t = ok(&elb, O::DescribeTags, json!({"ResourceArns": [lb]}));
    assert_eq!(
        t["TagDescriptions"][0]["Tags"],
        json!([{"Key": "b", "Value": "2"}])
    );
}

#[test]
fn everything_comes_back_after_a_restart() {
    let store: std::sync::Arc<dyn berth_store::Store> =
        std::sync::Arc::new(berth_store::MemStore::default());
    let (lb, tg, l) = {
        let elb = elb_with(store.clone());
        let lb = load_balancer(&elb, "web");
        let tg = target_group(&elb, "web");
        let l = listener(&elb, &lb, 80, &tg);
        ok(
            &elb,
            O::RegisterTargets,
            json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.0.0.9"}]}),
        );
        (lb, tg, l)
    };
    let elb = elb_with(store);
    let out = ok(&elb, O::DescribeListeners, json!({"LoadBalancerArn": lb}));
    assert_eq!(s(&out["Listeners"][0]["ListenerArn"]), l);
    let health = ok(&elb, O::DescribeTargetHealth, json!({"TargetGroupArn": tg}));
    assert_eq!(
        health["TargetHealthDescriptions"][0]["Target"]["Id"],
        "10.0.0.9"
    );
}
