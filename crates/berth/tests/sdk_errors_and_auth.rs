//! SDK contract tests for error mapping: modeled errors arrive as the SDK's typed
//! variants, and authentication failures carry AWS error codes.

#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ecs::operation::delete_cluster::DeleteClusterError;
use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionError;
use common::Berth;

fn assert_client_error<E: ProvideErrorMetadata + std::fmt::Debug>(err: &E, code: &str) {
    assert_eq!(err.code(), Some(code), "unexpected error: {err:?}");
    assert!(
        !err.message().unwrap_or_default().trim().is_empty(),
        "{code} has an empty message: {err:?}"
    );
}

#[tokio::test]
async fn modeled_errors_come_back_as_typed_variants() {
    let berth = Berth::start();
    let ecs = berth.client().await;

    let err = ecs
        .describe_task_definition()
        .task_definition("no-such-family")
        .send()
        .await
        .unwrap_err();
    let status = err.raw_response().map(|r| r.status().as_u16());
    assert_eq!(status, Some(400), "{err:?}");
    let svc = err.into_service_error();
    assert!(
        matches!(svc, DescribeTaskDefinitionError::ClientException(_)),
        "expected ClientException, got {svc:?}"
    );
    assert_client_error(&svc, "ClientException");

    let err = ecs
        .delete_cluster()
        .cluster("no-such-cluster")
        .send()
        .await
        .unwrap_err();
    let svc = err.into_service_error();
    assert!(
        matches!(svc, DeleteClusterError::ClusterNotFoundException(_)),
        "expected ClusterNotFoundException, got {svc:?}"
    );
    assert_client_error(&svc, "ClusterNotFoundException");
}

async fn auth_error(berth: &Berth, key: &str, secret: &str) -> (Option<String>, Option<u16>) {
    let ecs = berth.client_with(key, secret).await;
    let err = ecs.list_clusters().send().await.unwrap_err();
    assert!(
        matches!(err, SdkError::ServiceError(_)),
        "expected a service error, got {err:?}"
    );
    assert!(
        !err.message().unwrap_or_default().trim().is_empty(),
        "auth error with an empty message: {err:?}"
    );
    let status = err.raw_response().map(|r| r.status().as_u16());
    (err.code().map(str::to_string), status)
}

#[tokio::test]
async fn authentication_failures_carry_aws_error_codes() {
    let berth = Berth::start_with(&["--no-agent", "--strict-auth"]);

    let (code, status) = auth_error(&berth, "test", "not-the-secret").await;
    assert_eq!(code.as_deref(), Some("InvalidSignatureException"));
    assert!(matches!(status, Some(400..=499)), "status {status:?}");

    let (code, status) = auth_error(&berth, "AKIANOTAREALKEY00000", "test").await;
    assert_eq!(code.as_deref(), Some("UnrecognizedClientException"));
    assert!(matches!(status, Some(400..=499)), "status {status:?}");

    // The server is still serving correctly signed requests.
    let ok = berth.client().await;
    assert!(ok
        .list_clusters()
        .send()
        .await
        .unwrap()
        .cluster_arns()
        .is_empty());
}

/// Without --strict-auth, dev takes any key (as local AWS emulators do), but a configured
/// key's signature is still checked.
#[tokio::test]
async fn dev_accepts_any_key_but_checks_the_configured_one() {
    let berth = Berth::start();
    for key in ["AKIANOTAREALKEY00000", "123456789012"] {
        let ecs = berth.client_with(key, "whatever").await;
        assert!(ecs.list_clusters().send().await.is_ok(), "{key} refused");
    }
    let (code, _) = auth_error(&berth, "test", "not-the-secret").await;
    assert_eq!(code.as_deref(), Some("InvalidSignatureException"));
}

/// One account per access key: a 12-digit key acts in that account, whose ECS resources
/// others do not see, with ARNs in that account; they survive a restart.
#[tokio::test]
async fn each_account_has_its_own_ecs_resources() {
    let mut berth = Berth::start();
    let a = berth.client_with("111111111111", "x").await;
    let made = a
        .create_cluster()
        .cluster_name("apps")
        .send()
        .await
        .unwrap();
    assert_eq!(
        made.cluster().and_then(|c| c.cluster_arn()),
        Some("arn:aws:ecs:us-east-1:111111111111:cluster/apps")
    );
    // The configured key's signature is checked, so it signs with its own secret.
    for (other, secret) in [("222222222222", "y"), ("test", "test")] {
        let b = berth.client_with(other, secret).await;
        let listed = b.list_clusters().send().await.unwrap();
        assert!(
            !listed
                .cluster_arns()
                .iter()
                .any(|arn| arn.contains("cluster/apps")),
            "{other} sees account 111111111111's cluster: {:?}",
            listed.cluster_arns()
        );
    }
    berth.kill_and_restart();
    let a = berth.client_with("111111111111", "x").await;
    let listed = a.list_clusters().send().await.unwrap();
    assert!(listed
        .cluster_arns()
        .contains(&"arn:aws:ecs:us-east-1:111111111111:cluster/apps".to_owned()));
}
