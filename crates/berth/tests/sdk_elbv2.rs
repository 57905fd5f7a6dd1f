//! Elastic Load Balancing v2 through the official Rust SDK (AWS Query) against the real
//! binary: a load balancer with a listener, a rule and a target group with targets, their
//! attributes and health, ELB's errors as the SDK's typed errors, and HTTPS listeners with
//! certificates uploaded to IAM.

#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_elasticloadbalancingv2::error::ProvideErrorMetadata;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, PathPatternConditionConfig, ProtocolEnum, RuleCondition,
    TargetDescription, TargetGroupAttribute, TargetTypeEnum,
};
use common::{Berth, ACCESS_KEY, SECRET_KEY};
use sha2::{Digest, Sha256};

/// The default VPC's ids, as EC2 derives them for an account.
fn default_id(prefix: &str, what: &str) -> String {
    let h = hex::encode(Sha256::digest(format!("berth-default-vpc:{what}")));
    format!("{prefix}-{}", &h[..17])
}

#[tokio::test]
async fn elbv2_through_the_rust_sdk() {
    let berth = Berth::start_with(&[
        "--no-agent",
        "--elb-addresses",
        "169.254.99.0/24",
        "--elb-hosts-file",
        "",
    ]);
    let cfg = common::sdk_config(&berth.endpoint(), ACCESS_KEY, SECRET_KEY).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&cfg);
    let account = "000000000000";
    let subnets = ["a", "b"].map(|z| default_id("subnet", &format!("{account}:us-east-1{z}")));

    let lb = elb
        .create_load_balancer()
        .name("sdk")
        .set_subnets(Some(subnets.to_vec()))
        .send()
        .await
        .expect("CreateLoadBalancer");
    let lb = &lb.load_balancers()[0];
    let lb_arn = lb.load_balancer_arn().unwrap().to_owned();
    assert!(lb
        .dns_name()
        .unwrap()
        .ends_with(".us-east-1.elb.berth.internal"));
    assert_eq!(lb.availability_zones().len(), 2);

    let tg = elb
        .create_target_group()
        .name("sdk")
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id(default_id("vpc", account))
        .target_type(TargetTypeEnum::Ip)
        .health_check_path("/health")
        .send()
        .await
        .expect("CreateTargetGroup");
    let tg_arn = tg.target_groups()[0].target_group_arn().unwrap().to_owned();
    let forward = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(&tg_arn)
        .build();
    let listener = elb
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(ProtocolEnum::Http)
        .port(8081)
        .default_actions(forward.clone())
        .send()
        .await
        .expect("CreateListener");
    let listener_arn = listener.listeners()[0].listener_arn().unwrap().to_owned();
    let rule = elb
        .create_rule()
        .listener_arn(&listener_arn)
        .priority(10)
        .conditions(
            RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(
                    PathPatternConditionConfig::builder()
                        .values("/api/*")
                        .build(),
                )
                .build(),
        )
        .actions(forward)
        .send()
        .await
        .expect("CreateRule");
    assert_eq!(rule.rules()[0].priority(), Some("10"));
    let rules = elb
        .describe_rules()
        .listener_arn(&listener_arn)
        .send()
        .await
        .unwrap();
    let priorities: Vec<&str> = rules.rules().iter().filter_map(|r| r.priority()).collect();
    assert_eq!(priorities, vec!["10", "default"]);

    elb.register_targets()
        .target_group_arn(&tg_arn)
        .targets(TargetDescription::builder().id("10.0.0.1").build())
        .send()
        .await
        .expect("RegisterTargets");
    let health = elb
        .describe_target_health()
        .target_group_arn(&tg_arn)
        .send()
        .await
        .unwrap();
    let d = &health.target_health_descriptions()[0];
    assert_eq!(d.target().unwrap().id(), Some("10.0.0.1"));
    assert_eq!(d.target().unwrap().port(), Some(8080));
    assert!(d.target_health().unwrap().state().is_some());

    let attrs = elb
        .modify_target_group_attributes()
        .target_group_arn(&tg_arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value("5")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        attrs
            .attributes()
            .iter()
            .any(|a| a.key() == Some("deregistration_delay.timeout_seconds")
                && a.value() == Some("5"))
    );

    // ELB's errors arrive as the SDK's typed errors.
    let err = elb
        .describe_load_balancers()
        .names("nope")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_load_balancer_not_found_exception()),
        "{err:?}"
    );
    let err = elb
        .create_rule()
        .listener_arn(&listener_arn)
        .priority(10)
        .conditions(
            RuleCondition::builder()
                .field("path-pattern")
                .values("/x")
                .build(),
        )
        .actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&tg_arn)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("PriorityInUse"));
    let err = elb
        .delete_target_group()
        .target_group_arn(&tg_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceInUse"));

    elb.delete_load_balancer()
        .load_balancer_arn(&lb_arn)
        .send()
        .await
        .expect("DeleteLoadBalancer");
    elb.delete_target_group()
        .target_group_arn(&tg_arn)
        .send()
        .await
        .expect("DeleteTargetGroup");
    let left = elb.describe_load_balancers().send().await.unwrap();
    assert!(left.load_balancers().is_empty());
}

/// A self-signed certificate for `name` and its key, PEM, made by openssl.
fn openssl_cert(dir: &std::path::Path, name: &str) -> (String, String) {
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let out = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", &format!("/CN={name}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{out:?}");
    (
        std::fs::read_to_string(cert).unwrap(),
        std::fs::read_to_string(key).unwrap(),
    )
}

#[tokio::test]
async fn https_listeners_take_iam_server_certificates_through_the_rust_sdk() {
    let berth = Berth::start_with(&[
        "--no-agent",
        "--elb-addresses",
        "169.254.98.0/24",
        "--elb-hosts-file",
        "",
    ]);
    let cfg = common::sdk_config(&berth.endpoint(), ACCESS_KEY, SECRET_KEY).await;
    let iam = aws_sdk_iam::Client::new(&cfg);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&cfg);
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "web.example");
    let (_, other_key) = openssl_cert(dir.path(), "other.example");

    let mismatch = iam
        .upload_server_certificate()
        .server_certificate_name("web")
        .certificate_body(&cert)
        .private_key(&other_key)
        .send()
        .await
        .expect_err("a key of another certificate");
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(&mismatch),
        Some("KeyPairMismatch")
    );
    let uploaded = iam
        .upload_server_certificate()
        .server_certificate_name("web")
        .certificate_body(&cert)
        .private_key(&key)
        .send()
        .await
        .expect("UploadServerCertificate");
    let meta = uploaded.server_certificate_metadata().unwrap();
    let arn = meta.arn().to_owned();
    assert_eq!(arn, "arn:aws:iam::000000000000:server-certificate/web");
    assert!(meta.expiration().is_some());
    let listed = iam.list_server_certificates().send().await.unwrap();
    assert_eq!(listed.server_certificate_metadata_list().len(), 1);

    let account = "000000000000";
    let subnets = ["a", "b"].map(|z| default_id("subnet", &format!("{account}:us-east-1{z}")));
    let lb = elb
        .create_load_balancer()
        .name("tls")
        .set_subnets(Some(subnets.to_vec()))
        .send()
        .await
        .unwrap();
    let lb_arn = lb.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_owned();
    let tg = elb
        .create_target_group()
        .name("tls")
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id(default_id("vpc", account))
        .target_type(TargetTypeEnum::Ip)
        .send()
        .await
        .unwrap();
    let tg_arn = tg.target_groups()[0].target_group_arn().unwrap().to_owned();
    let forward = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(&tg_arn)
        .build();
    let certificate = |arn: &str| {
        aws_sdk_elasticloadbalancingv2::types::Certificate::builder()
            .certificate_arn(arn)
            .build()
    };
    let listener = elb
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(ProtocolEnum::Https)
        .port(443)
        .certificates(certificate(&arn))
        .default_actions(forward.clone())
        .send()
        .await
        .expect("CreateListener HTTPS");
    let l = &listener.listeners()[0];
    assert_eq!(l.protocol(), Some(&ProtocolEnum::Https));
    assert_eq!(l.certificates()[0].certificate_arn(), Some(arn.as_str()));
    let missing = elb
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(ProtocolEnum::Https)
        .port(8443)
        .certificates(certificate(
            "arn:aws:iam::000000000000:server-certificate/missing",
        ))
        .default_actions(forward)
        .send()
        .await
        .expect_err("an unknown certificate");
    assert_eq!(missing.code(), Some("CertificateNotFound"));
}
