//! IAM, STS, Secrets Manager and SSM through the official Rust SDK against the real binary:
//! an IAM user's key made through the SDK signs requests as that user (STS over AWS Query
//! says so), its inline policy decides what it may do, and secrets and SecureString
//! parameters round-trip, with the APIs' errors as the SDKs' typed errors.

#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata;
use common::{Berth, ACCESS_KEY, SECRET_KEY};

#[tokio::test]
async fn an_iam_users_key_signs_as_the_user_and_its_policy_decides() {
    let berth = Berth::start();
    let root = common::sdk_config(&berth.endpoint(), ACCESS_KEY, SECRET_KEY).await;
    let iam = aws_sdk_iam::Client::new(&root);
    iam.create_user()
        .user_name("sdk")
        .send()
        .await
        .expect("CreateUser");
    let key = iam
        .create_access_key()
        .user_name("sdk")
        .send()
        .await
        .expect("CreateAccessKey")
        .access_key
        .expect("key");
    let user_cfg = common::sdk_config(
        &berth.endpoint(),
        key.access_key_id(),
        key.secret_access_key(),
    )
    .await;
    let me = aws_sdk_sts::Client::new(&user_cfg)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(me.arn(), Some("arn:aws:iam::000000000000:user/sdk"));
    assert_eq!(me.account(), Some("000000000000"));

    // No policy yet: refused, as the SDK's typed error.
    let ecs = aws_sdk_ecs::Client::new(&user_cfg);
    let err = ecs.list_clusters().send().await.expect_err("denied");
    assert_eq!(err.code(), Some("AccessDeniedException"));
    iam.put_user_policy()
        .user_name("sdk")
        .policy_name("read")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:List*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("PutUserPolicy");
    ecs.list_clusters().send().await.expect("allowed now");
    let err = ecs
        .create_cluster()
        .cluster_name("nope")
        .send()
        .await
        .expect_err("still denied");
    assert_eq!(err.code(), Some("AccessDeniedException"));

    let err = iam
        .get_user()
        .user_name("nobody")
        .send()
        .await
        .expect_err("no such user");
    assert!(err
        .as_service_error()
        .is_some_and(|e| e.is_no_such_entity_exception()));
}

#[tokio::test]
async fn secrets_and_parameters_round_trip() {
    let berth = Berth::start();
    let cfg = common::sdk_config(&berth.endpoint(), ACCESS_KEY, SECRET_KEY).await;
    let sm = aws_sdk_secretsmanager::Client::new(&cfg);
    let created = sm
        .create_secret()
        .name("app/db")
        .secret_string(r#"{"password":"pw1"}"#)
        .send()
        .await
        .expect("CreateSecret");
    assert!(created.arn().unwrap().contains(":secret:app/db-"));
    sm.put_secret_value()
        .secret_id("app/db")
        .secret_string(r#"{"password":"pw2"}"#)
        .send()
        .await
        .expect("PutSecretValue");
    let got = sm
        .get_secret_value()
        .secret_id("app/db")
        .send()
        .await
        .expect("get");
    assert_eq!(got.secret_string(), Some(r#"{"password":"pw2"}"#));
    let prev = sm
        .get_secret_value()
        .secret_id("app/db")
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .expect("previous");
    assert_eq!(prev.secret_string(), Some(r#"{"password":"pw1"}"#));
    let err = sm
        .get_secret_value()
        .secret_id("missing")
        .send()
        .await
        .expect_err("missing");
    assert!(err
        .as_service_error()
        .is_some_and(|e| e.is_resource_not_found_exception()));

    let ssm = aws_sdk_ssm::Client::new(&cfg);
    ssm.put_parameter()
        .name("/app/token")
        .value("t0k3n")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("PutParameter");
    let p = ssm
        .get_parameter()
        .name("/app/token")
        .with_decryption(true)
        .send()
        .await
        .expect("GetParameter")
        .parameter
        .expect("parameter");
    assert_eq!(p.value(), Some("t0k3n"));
    assert_eq!(p.version(), 1);
    let err = ssm
        .get_parameter()
        .name("/app/missing")
        .send()
        .await
        .expect_err("missing");
    assert!(err
        .as_service_error()
        .is_some_and(|e| e.is_parameter_not_found()));
}

/// Temporary credentials of the account's root, minted as STS would have two hours ago with
/// the server's own key ring: they open, and have expired.
fn expired_session(berth: &Berth) -> (String, String, String) {
    use berth_sts_model::Operation;
    use std::sync::Arc;
    let ring = berth_sealing::KeyRing::load(&berth.data_dir().join("sealing.keys")).unwrap();
    let two_hours_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        - 7_200_000;
    let sts = berth_sts::Sts::new(
        Arc::new(ring),
        Arc::new(berth_aws::clock::FixedClock::new(two_hours_ago)),
        Arc::new(berth_sts::NoRoles),
    );
    let ctx = berth_aws::RequestContext::for_account("000000000000", "us-east-1");
    let out = sts
        .handle(
            &ctx,
            Operation::GetSessionToken,
            br#"{"DurationSeconds":900}"#,
        )
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let c = &doc["Credentials"];
    let s = |k: &str| c[k].as_str().unwrap().to_owned();
    (s("AccessKeyId"), s("SecretAccessKey"), s("SessionToken"))
}

#[tokio::test]
async fn session_credentials_sign_until_they_expire() {
    let berth = Berth::start_with(&["--no-agent", "--strict-auth"]);
    let root = common::sdk_config(&berth.endpoint(), ACCESS_KEY, SECRET_KEY).await;
    let creds = aws_sdk_sts::Client::new(&root)
        .get_session_token()
        .duration_seconds(900)
        .send()
        .await
        .expect("GetSessionToken")
        .credentials
        .expect("credentials");
    let live = common::sdk_config_with_token(
        &berth.endpoint(),
        creds.access_key_id(),
        creds.secret_access_key(),
        creds.session_token(),
    )
    .await;
    aws_sdk_ecs::Client::new(&live)
        .list_clusters()
        .send()
        .await
        .expect("a live session signs");

    let (key, secret, token) = expired_session(&berth);
    let old = common::sdk_config_with_token(&berth.endpoint(), &key, &secret, &token).await;
    let err = aws_sdk_ecs::Client::new(&old)
        .list_clusters()
        .send()
        .await
        .expect_err("expired");
    assert_eq!(err.code(), Some("ExpiredTokenException"), "{err:?}");
    let err = aws_sdk_sts::Client::new(&old)
        .get_caller_identity()
        .send()
        .await
        .expect_err("expired");
    assert_eq!(err.code(), Some("ExpiredToken"), "{err:?}");
    // The same token under another key id is no session at all.
    let moved =
        common::sdk_config_with_token(&berth.endpoint(), creds.access_key_id(), &secret, &token)
            .await;
    let err = aws_sdk_ecs::Client::new(&moved)
        .list_clusters()
        .send()
        .await
        .expect_err("moved");
    assert_eq!(err.code(), Some("UnrecognizedClientException"), "{err:?}");
}

#[tokio::test]
async fn a_role_made_and_assumed_through_the_sdk_acts_as_the_role() {
    let berth = Berth::start_with(&["--no-agent", "--strict-auth"]);
    let root = common::sdk_config(&berth.endpoint(), ACCESS_KEY, SECRET_KEY).await;
    let iam = aws_sdk_iam::Client::new(&root);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}"#;
    let role = iam
        .create_role()
        .role_name("deployer")
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("CreateRole")
        .role
        .expect("role");
    iam.attach_role_policy()
        .role_name("deployer")
        .policy_arn("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
        .send()
        .await
        .expect("AttachRolePolicy");
    let out = aws_sdk_sts::Client::new(&root)
        .assume_role()
        .role_arn(role.arn())
        .role_session_name("sdk")
        .send()
        .await
        .expect("AssumeRole");
    let creds = out.credentials.expect("credentials");
    let session = common::sdk_config_with_token(
        &berth.endpoint(),
        creds.access_key_id(),
        creds.secret_access_key(),
        creds.session_token(),
    )
    .await;
    let me = aws_sdk_sts::Client::new(&session)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::000000000000:assumed-role/deployer/sdk")
    );
    aws_sdk_ecr::Client::new(&session)
        .describe_repositories()
        .send()
        .await
        .expect("the attached AWS managed policy allows reading ECR");
    let err = aws_sdk_ecr::Client::new(&session)
        .create_repository()
        .repository_name("nope")
        .send()
        .await
        .expect_err("not allowed");
    assert_eq!(err.code(), Some("AccessDeniedException"));
    // A malformed trust policy is IAM's MalformedPolicyDocument, nothing made.
    let err = iam
        .create_role()
        .role_name("broken")
        .assume_role_policy_document("{")
        .send()
        .await
        .expect_err("malformed");
    assert_eq!(err.code(), Some("MalformedPolicyDocument"));
    assert!(iam.get_role().role_name("broken").send().await.is_err());
}
