//! Error mapping (code, status, message) for malformed and rejected requests,
//! and garbage-input tests: nothing may panic.

mod common;

use berth_sigv4::{credential_scope, verify, AuthError};
use common::{at, provider, Owned};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const NOW: &str = "20150830T123600Z";
const GOOD_AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/\
aws4_request, SignedHeaders=host;x-amz-date, \
Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

fn request(headers: &[(&str, &str)], query: Option<&str>) -> Owned {
    let mut owned = Owned {
        method: "GET".into(),
        path: "/".into(),
        query: query.map(str::to_string),
        headers: HeaderMap::new(),
        body: Vec::new(),
    };
    owned.set_header("host", "example.amazonaws.com");
    for (name, value) in headers {
        owned.headers.append(
            HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    owned
}

fn run(owned: &Owned) -> Result<berth_sigv4::Verified, AuthError> {
    verify(&owned.req(), &provider(AKID, SECRET), at(NOW))
}

fn incomplete(owned: &Owned) -> String {
    let err = run(owned).expect_err("must fail");
    assert_eq!(err.code(), "IncompleteSignatureException", "{err:?}");
    assert_eq!(err.status(), 400);
    err.to_string()
}

#[test]
fn baseline_vector_verifies() {
    let owned = request(&[("x-amz-date", NOW), ("authorization", GOOD_AUTH)], None);
    run(&owned).expect("the suite's get-vanilla verifies");
}

#[test]
fn no_authentication_at_all() {
    for query in [
        None,
        Some(""),
        Some("Action=ListClusters&X-Amz-Date=20150830T123600Z"),
    ] {
        let owned = request(&[("x-amz-date", NOW)], query);
        let err = run(&owned).expect_err("missing");
        assert_eq!(err, AuthError::MissingAuthenticationToken);
        assert_eq!(err.code(), "MissingAuthenticationTokenException");
        assert_eq!(err.status(), 403);
        assert_eq!(err.to_string(), "Missing Authentication Token");
        assert_eq!(credential_scope(&owned.req()), None);
    }
}

#[test]
fn incomplete_authorization_names_what_is_missing() {
    let msg = incomplete(&request(&[("authorization", "AWS4-HMAC-SHA256")], None));
    for part in [
        "'Credential'",
        "'Signature'",
        "'SignedHeaders'",
        "'X-Amz-Date'",
    ] {
        assert!(msg.contains(part), "{msg}");
    }
    assert!(msg.ends_with("Authorization=AWS4-HMAC-SHA256"), "{msg}");

    let msg = incomplete(&request(&[("authorization", GOOD_AUTH)], None));
    assert!(msg.contains("'X-Amz-Date' or a 'Date' header"), "{msg}");
    assert!(!msg.contains("'Credential' parameter"), "{msg}");

    let no_sig = GOOD_AUTH.split(", Signature").next().unwrap_or_default();
    let msg = incomplete(&request(
        &[("x-amz-date", NOW), ("authorization", no_sig)],
        None,
    ));
    assert!(
        msg.starts_with("Authorization header requires 'Signature' parameter."),
        "{msg}"
    );
}

#[test]
fn malformed_authorization_headers() {
    let cases = [
        ("AWS4-HMAC-SHA256 Credential", "not a valid key=value pair"),
        (
            "AWS4-HMAC-SHA512 Credential=a/b/c/d/aws4_request",
            "Unsupported AWS 'algorithm'",
        ),
        ("Bearer eyJhbGciOiJIUzI1NiJ9", "Unsupported AWS 'algorithm'"),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1, SignedHeaders=host, \
             Signature=00",
            "exactly 5 slash-delimited elements",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws5_request, \
             SignedHeaders=host, Signature=00",
            "valid terminator",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=x-amz-date, Signature=00",
            "'Host' or ':authority' must be a 'SignedHeader'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Credential=B/20150830/r/s/\
             aws4_request, SignedHeaders=host, Signature=00",
            "more than one 'Credential'",
        ),
    ];
    for (auth, want) in cases {
        let msg = incomplete(&request(
            &[("x-amz-date", NOW), ("authorization", auth)],
            None,
        ));
        assert!(msg.contains(want), "{auth}: {msg}");
    }
}

#[test]
fn malformed_date() {
    let msg = incomplete(&request(
        &[
            ("x-amz-date", "2015-08-30T12:36:00Z"),
            ("authorization", GOOD_AUTH),
        ],
        None,
    ));
    assert!(
        msg.starts_with("Date must be in ISO-8601 'basic format'."),
        "{msg}"
    );
}

#[test]
fn scope_date_must_be_request_date() {
    let owned = request(
        &[
            ("x-amz-date", "20150831T000500Z"),
            ("authorization", GOOD_AUTH),
        ],
        None,
    );
    let err = verify(
        &owned.req(),
        &provider(AKID, SECRET),
        at("20150831T000500Z"),
    )
    .expect_err("scope date differs");
    assert_eq!(err.code(), "InvalidSignatureException");
    assert_eq!(err.status(), 403);
    assert_eq!(
        err.to_string(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
         HTTP: '20150830' != '20150831', from '20150831T000500Z'."
    );
}

#[test]
fn date_header_is_accepted_when_x_amz_date_is_absent() {
    let auth = GOOD_AUTH.replace("host;x-amz-date", "date;host");
    let owned = request(
        &[
            ("date", "Sun, 30 Aug 2015 12:36:00 GMT"),
            ("authorization", &auth),
        ],
        None,
    );
    // Parsing succeeds; the signature is simply not the right one for this request.
    assert!(matches!(
        run(&owned),
        Err(AuthError::SignatureDoesNotMatch { .. })
    ));
    let stale = request(
        &[
            ("date", "Sun, 30 Aug 2015 10:36:00 GMT"),
            ("authorization", &auth),
        ],
        None,
    );
    assert!(matches!(run(&stale), Err(AuthError::SignatureExpired(_))));
}

#[test]
fn only_one_mechanism_and_one_header() {
    let owned = request(
        &[("x-amz-date", NOW), ("authorization", GOOD_AUTH)],
        Some("X-Amz-Signature=00"),
    );
    assert!(incomplete(&owned).starts_with("Only one auth mechanism allowed"));

    let owned = request(
        &[
            ("x-amz-date", NOW),
            ("authorization", GOOD_AUTH),
            ("authorization", GOOD_AUTH),
        ],
        None,
    );
    incomplete(&owned);
}

#[test]
fn presigned_parameters_must_be_complete() {
    let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F\
             us-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host";
    let msg = incomplete(&request(&[], Some(q)));
    assert_eq!(
        msg,
        "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string \
         parameters."
    );
    let scope = credential_scope(&request(&[], Some(q)).req()).expect("scope readable");
    assert_eq!(scope.service, "service");

    let msg = incomplete(&request(&[], Some("X-Amz-Signature=abc")));
    for p in [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ] {
        assert!(msg.contains(&format!("must include '{p}'")), "{msg}");
    }

    let sig = "&X-Amz-Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    for (expires, want) in [
        ("604801", "less than a week"),
        ("-5", "non-negative"),
        ("tomorrow", "should be a number"),
    ] {
        let msg = incomplete(&request(
            &[],
            Some(&format!("{q}{sig}&X-Amz-Expires={expires}")),
        ));
        assert!(msg.contains(want), "{expires}: {msg}");
    }
    let msg = incomplete(&request(&[], Some(&format!("{q}{sig}{sig}"))));
    assert!(msg.contains("only once"), "{msg}");
    let msg = incomplete(&request(
        &[],
        Some(&format!("{q}{sig}").replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")),
    ));
    assert!(msg.contains("Unsupported AWS 'algorithm'"), "{msg}");
}

#[test]
fn non_utf8_and_odd_bytes_do_not_panic() {
    let mut owned = request(&[("x-amz-date", NOW)], Some("a=%FF%FE&%C3%28=%E2%82"));
    for raw in [
        &b"AWS4-HMAC-SHA256 Credential=\xff\xfe/20150830/r/s/aws4_request"[..],
        b"\xe9\xe9\xe9",
        b"AWS4-HMAC-SHA256 ,,,,,=,=,=",
        b"AWS4-HMAC-SHA256 Credential=////, SignedHeaders=;;;, Signature=",
        b"   ",
        b"",
    ] {
        if let Ok(v) = HeaderValue::from_bytes(raw) {
            owned.headers.insert("authorization", v);
            let _ = run(&owned);
            let _ = credential_scope(&owned.req());
        }
    }
    owned.headers.insert(
        "x-amz-date",
        HeaderValue::from_bytes(b"2015\xff830T123600Z").expect("obs-text is allowed"),
    );
    let _ = run(&owned);
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,120}",
        ".{0,40}",
        (
            "[ -~]{0,30}",
            "[ -~]{0,40}",
            "[a-z;\\-]{0,30}",
            "[0-9a-fA-F]{0,70}"
        )
            .prop_map(|(alg, cred, sh, sig)| format!(
                "{alg} Credential={cred}, SignedHeaders={sh}, Signature={sig}"
            )),
        (
            "[A-Z0-9/]{0,20}",
            "[0-9]{0,9}",
            "[a-z0-9\\-]{0,12}",
            "[a-z;]{0,20}"
        )
            .prop_map(|(ak, d, r, sh)| format!(
                "AWS4-HMAC-SHA256 Credential={ak}/{d}/{r}/ecs/aws4_request, \
                 SignedHeaders=host;{sh}, Signature={}",
                "ab".repeat(32)
            )),
    ]
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,120}",
        ".{0,40}",
        (
            "[ -~]{0,40}",
            "[0-9TZ]{0,18}",
            "[0-9\\-]{0,10}",
            "[a-z%;]{0,20}"
        )
            .prop_map(|(cred, date, exp, sh)| format!(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={cred}&X-Amz-Date={date}&\
                 X-Amz-Expires={exp}&X-Amz-SignedHeaders={sh}&X-Amz-Signature=00"
            )),
    ]
}

proptest! {
    #[test]
    fn garbage_never_panics(
        auth in proptest::option::of(header_value()),
        query in proptest::option::of(query_value()),
        date in proptest::option::of("[0-9TZ: ,a-zA-Z]{0,30}"),
        sha in proptest::option::of("[0-9a-fA-Z\\-]{0,70}"),
        path in ".{0,40}",
        method in "[A-Z]{0,7}",
        body in proptest::collection::vec(any::<u8>(), 0..64),
        now_secs in any::<u64>(),
    ) {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("authorization", auth),
            ("x-amz-date", date.clone()),
            ("date", date),
            ("x-amz-content-sha256", sha),
        ] {
            if let Some(Ok(v)) = value.map(|v| HeaderValue::from_str(&v)) {
                headers.insert(name, v);
            }
        }
        let req = berth_sigv4::Request {
            method: &method,
            path: &path,
            query: query.as_deref(),
            headers: &headers,
            body: &body,
        };
        let now = std::time::UNIX_EPOCH
            .checked_add(std::time::Duration::from_secs(now_secs % (1 << 40)))
            .unwrap_or(std::time::UNIX_EPOCH);
        let creds = provider("AKID", "secret");
        if let Err(e) = verify(&req, &creds, now) {
            prop_assert!(!e.code().is_empty());
            prop_assert!(e.status() == 400 || e.status() == 403);
        }
        let _ = credential_scope(&req);
    }
}
