//! Round trips against a signer nobody here wrote: the `aws-sigv4` crate the
//! Rust SDK uses. Requests are signed the way an ECS client signs them
//! (POST /, x-amz-json-1.1 body, X-Amz-Target), in header and presigned-query
//! form, then verified; tampering with anything signed must fail.

mod common;

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use berth_sigv4::{credential_scope, verify, AuthError, SIGNATURE_MISMATCH_MESSAGE};
use common::{at, provider, Owned, TEST_ACCOUNT};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const HOST: &str = "ecs.us-east-1.amazonaws.com";
const BODY: &[u8] = br#"{"cluster":"default","maxResults":10}"#;
const TARGET: &str = "AmazonEC2ContainerServiceV20141113.ListClusters";
const SIGNED_AT: &str = "20260101T003000Z";

struct Signing {
    uri: String,
    body: Vec<u8>,
    signable_body: Option<SignableBody<'static>>,
    settings: SigningSettings,
    session_token: Option<String>,
    time: SystemTime,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            uri: format!("https://{HOST}/"),
            body: BODY.to_vec(),
            signable_body: None,
            settings: SigningSettings::default(),
            session_token: None,
            time: at(SIGNED_AT),
        }
    }
}

fn presigned(expires: u64) -> Signing {
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(expires));
    Signing {
        settings,
        ..Signing::default()
    }
}

/// Signs an ECS-style request with `aws-sigv4` and returns it as received.
fn signed(s: Signing) -> Owned {
    let mut req = http::Request::builder()
        .method("POST")
        .uri(&s.uri)
        .header("host", HOST)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", TARGET)
        .header("content-length", s.body.len().to_string())
        .body(s.body.clone())
        .expect("request");
    let identity: Identity = Credentials::new(AKID, SECRET, s.session_token, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("ecs")
        .time(s.time)
        .settings(s.settings)
        .build()
        .expect("signing params")
        .into();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                v.to_str().expect("ascii").to_string(),
            )
        })
        .collect();
    let body = s.signable_body.unwrap_or(SignableBody::Bytes(&s.body));
    let signable = SignableRequest::new(
        "POST",
        s.uri.clone(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .expect("signable");
    let (instructions, _sig) = sign(signable, &params).expect("sign").into_parts();
    instructions.apply_to_request_http1x(&mut req);
    Owned::from_http(req)
}

fn creds() -> std::collections::HashMap<String, berth_sigv4::Secret> {
    provider(AKID, SECRET)
}

fn check(owned: &Owned, now: SystemTime) -> Result<berth_sigv4::Verified, AuthError> {
    verify(&owned.req(), &creds(), now)
}

fn assert_mismatch(result: Result<berth_sigv4::Verified, AuthError>) {
    let err = result.expect_err("must not verify");
    assert!(
        matches!(err, AuthError::SignatureDoesNotMatch { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "InvalidSignatureException");
    assert_eq!(err.status(), 403);
    assert_eq!(err.to_string(), SIGNATURE_MISMATCH_MESSAGE);
}

#[test]
fn header_signed_request_verifies() {
    let owned = signed(Signing::default());
    assert!(owned.headers.contains_key("authorization"));
    let v = check(&owned, at(SIGNED_AT)).expect("verifies");
    assert_eq!(v.access_key_id, AKID);
    assert_eq!(v.account_id, TEST_ACCOUNT);
    assert_eq!(v.region, "us-east-1");
    assert_eq!(v.service, "ecs");
}

#[test]
fn presigned_request_verifies() {
    let owned = signed(presigned(900));
    assert!(!owned.headers.contains_key("authorization"));
    assert!(owned
        .query
        .as_deref()
        .unwrap_or("")
        .contains("X-Amz-Signature="));
    let v = check(&owned, at(SIGNED_AT)).expect("verifies");
    assert_eq!(v.service, "ecs");
}

#[test]
fn session_token_is_covered_in_both_forms() {
    for mut s in [Signing::default(), presigned(900)] {
        s.session_token = Some("FQoGZXIvYXdzEXAMPLETOKEN/with+odd=chars".to_string());
        let owned = signed(s);
        check(&owned, at(SIGNED_AT)).expect("verifies");
        let mut tampered = owned.clone();
        if tampered.headers.contains_key("x-amz-security-token") {
            tampered.set_header("x-amz-security-token", "other");
        } else {
            let q = tampered.query.clone().unwrap_or_default();
            tampered.query = Some(q.replace("X-Amz-Security-Token=", "X-Amz-Security-Token=x"));
        }
        assert_mismatch(check(&tampered, at(SIGNED_AT)));
    }
}

#[test]
fn tampered_body_fails() {
    for s in [Signing::default(), presigned(900)] {
        let mut owned = signed(s);
        owned.body = br#"{"cluster":"other","maxResults":10}"#.to_vec();
        assert_mismatch(check(&owned, at(SIGNED_AT)));
    }
}

#[test]
fn tampered_signed_header_fails() {
    for s in [Signing::default(), presigned(900)] {
        let mut owned = signed(s);
        owned.set_header(
            "x-amz-target",
            "AmazonEC2ContainerServiceV20141113.DeleteCluster",
        );
        assert_mismatch(check(&owned, at(SIGNED_AT)));
    }
}

#[test]
fn unsigned_extra_header_is_ignored() {
    let mut owned = signed(Signing::default());
    owned.set_header("user-agent", "changed-by-a-proxy");
    owned.set_header("x-forwarded-for", "10.0.0.1");
    check(&owned, at(SIGNED_AT)).expect("still verifies");
}

#[test]
fn tampered_method_path_or_query_fails() {
    let base = signed(Signing::default());
    let mut m = base.clone();
    m.method = "PUT".into();
    assert_mismatch(check(&m, at(SIGNED_AT)));
    let mut p = base.clone();
    p.path = "/other".into();
    assert_mismatch(check(&p, at(SIGNED_AT)));
    let mut q = base;
    q.query = Some("extra=1".into());
    assert_mismatch(check(&q, at(SIGNED_AT)));

    let mut presign = signed(presigned(900));
    let query = presign.query.clone().unwrap_or_default();
    presign.query = Some(format!("{query}&injected=yes"));
    assert_mismatch(check(&presign, at(SIGNED_AT)));
}

#[test]
fn wrong_secret_fails() {
    for s in [Signing::default(), presigned(900)] {
        let owned = signed(s);
        let other = provider(AKID, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ");
        assert_mismatch(verify(&owned.req(), &other, at(SIGNED_AT)));
    }
}

#[test]
fn unknown_access_key_is_unrecognized() {
    for s in [Signing::default(), presigned(900)] {
        let owned = signed(s);
        let other = provider("AKIAOTHERKEY", SECRET);
        let err = verify(&owned.req(), &other, at(SIGNED_AT)).expect_err("unknown key");
        assert_eq!(err, AuthError::UnrecognizedClient);
        assert_eq!(err.code(), "UnrecognizedClientException");
        assert_eq!(err.status(), 403);
        assert_eq!(
            err.to_string(),
            "The security token included in the request is invalid."
        );
    }
}

#[test]
fn header_signature_expires_after_fifteen_minutes_each_way() {
    let owned = signed(Signing::default());
    check(&owned, at("20260101T004500Z")).expect("15 min later is fine");
    check(&owned, at("20260101T001500Z")).expect("15 min earlier is fine");

    let err = check(&owned, at("20260101T004501Z")).expect_err("too late");
    assert_eq!(err.code(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Signature expired: 20260101T003000Z is now earlier than 20260101T003001Z \
         (20260101T004501Z - 15 min.)"
    );
    let err = check(&owned, at("20260101T001459Z")).expect_err("too early");
    assert_eq!(err.code(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Signature not yet current: 20260101T003000Z is still later than 20260101T002959Z \
         (20260101T001459Z + 15 min.)"
    );
}

#[test]
fn presigned_request_expires_after_x_amz_expires() {
    let owned = signed(presigned(60));
    check(&owned, at("20260101T003100Z")).expect("at expiry");
    let err = check(&owned, at("20260101T003101Z")).expect_err("expired");
    assert!(matches!(err, AuthError::SignatureExpired(_)), "{err:?}");
    assert_eq!(err.code(), "InvalidSignatureException");
    assert!(err
        .to_string()
        .starts_with("Signature expired: 20260101T003000Z"));

    let long = signed(presigned(86_400));
    check(&long, at("20260102T002900Z")).expect("a day is fine");
    assert!(
        check(&long, at("20251231T235000Z")).is_err(),
        "signed in the future"
    );
}

#[test]
fn encoded_paths_and_queries_round_trip() {
    for uri in [
        format!("https://{HOST}/a%20b/c%2Fd/%E1%88%B4/"),
        format!("https://{HOST}/x/./y/../z"),
        format!("https://{HOST}/?b=2&a=1&a=0&c=x%2By&d=%7E&e=&f"),
        format!("https://{HOST}/?sp=a%20b&slash=%2F&star=%2A"),
    ] {
        for mut s in [Signing::default(), presigned(900)] {
            s.uri = uri.clone();
            let owned = signed(s);
            check(&owned, at(SIGNED_AT)).unwrap_or_else(|e| panic!("{uri}: {e:?}"));
        }
    }
}

#[test]
fn content_sha256_header_forms() {
    // Hashed payload declared in x-amz-content-sha256 (S3-style signing).
    let mut s = Signing::default();
    s.settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let owned = signed(s);
    assert!(owned.headers.contains_key("x-amz-content-sha256"));
    check(&owned, at(SIGNED_AT)).expect("hashed payload verifies");
    let mut tampered = owned;
    tampered.body = b"{}".to_vec();
    assert_eq!(
        check(&tampered, at(SIGNED_AT)).expect_err("body changed"),
        AuthError::ContentSha256Mismatch
    );

    // UNSIGNED-PAYLOAD: the body is not covered.
    let mut s = Signing::default();
    s.settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    s.signable_body = Some(SignableBody::UnsignedPayload);
    let owned = signed(s);
    assert_eq!(
        owned
            .headers
            .get("x-amz-content-sha256")
            .map(|v| v.as_bytes()),
        Some(&b"UNSIGNED-PAYLOAD"[..])
    );
    check(&owned, at(SIGNED_AT)).expect("unsigned payload verifies");
    let mut other_body = owned.clone();
    other_body.body = b"anything".to_vec();
    check(&other_body, at(SIGNED_AT)).expect("body is not signed");

    // Changing the declared value itself breaks the signature or the hash check.
    let mut forged = owned;
    forged.set_header(
        "x-amz-content-sha256",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    assert!(check(&forged, at(SIGNED_AT)).is_err());

    let mut bogus = signed(Signing::default());
    bogus.set_header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    let err = check(&bogus, at(SIGNED_AT)).expect_err("streaming unsupported");
    assert_eq!(err.code(), "IncompleteSignatureException");
}

#[test]
fn presigned_unsigned_payload_verifies() {
    let mut s = presigned(900);
    s.signable_body = Some(SignableBody::UnsignedPayload);
    let owned = signed(s);
    check(&owned, at(SIGNED_AT)).expect("verifies with UNSIGNED-PAYLOAD");
}

#[test]
fn credential_scope_reads_both_forms() {
    for s in [Signing::default(), presigned(900)] {
        let owned = signed(s);
        let scope = credential_scope(&owned.req()).expect("scope");
        assert_eq!(scope.access_key_id, AKID);
        assert_eq!(scope.date, "20260101");
        assert_eq!(scope.region, "us-east-1");
        assert_eq!(scope.service, "ecs");
    }
}
