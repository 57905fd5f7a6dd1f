//! Vectors from the AWS SigV4 test suite (published with the AWS General
//! Reference and kept in awslabs/aws-c-auth `tests/aws-signing-test-suite/v4`):
//! credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region
//! us-east-1, service "service", time 20150830T123600Z. The suite writes
//! request paths unencoded (e.g. `/example space/`), which is exactly the input
//! for which "encode what was received" yields the suite's single encoding.

mod common;

use berth_sigv4::{verify, AuthError};
use common::{at, parse_suite_request, provider, TEST_ACCOUNT};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const NOW: &str = "20150830T123600Z";
const SCOPE: &str = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

/// A header-signed suite request: method + target, extra header lines, signed
/// header list, signature.
fn header_case(target_line: &str, extra: &str, signed: &str, sig: &str) -> String {
    format!(
        "{target_line} HTTP/1.1\nHost:example.amazonaws.com\n{extra}X-Amz-Date:20150830T123600Z\n\
         Authorization:AWS4-HMAC-SHA256 {SCOPE}, SignedHeaders={signed}, Signature={sig}"
    )
}

fn assert_verifies(name: &str, text: &str) {
    let owned = parse_suite_request(text);
    let creds = provider(AKID, SECRET);
    match verify(&owned.req(), &creds, at(NOW)) {
        Ok(v) => {
            assert_eq!(v.access_key_id, AKID, "{name}");
            assert_eq!(v.account_id, TEST_ACCOUNT, "{name}");
            assert_eq!(v.region, "us-east-1", "{name}");
            assert_eq!(v.service, "service", "{name}");
        }
        Err(AuthError::SignatureDoesNotMatch {
            canonical_request, ..
        }) => panic!("{name}: signature mismatch; canonical request was:\n{canonical_request}"),
        Err(e) => panic!("{name}: {e:?}"),
    }
    // The same request must fail under another secret.
    let wrong = provider(AKID, "not-the-secret");
    let err = verify(&owned.req(), &wrong, at(NOW)).expect_err(name);
    assert!(
        matches!(err, AuthError::SignatureDoesNotMatch { .. }),
        "{name}: {err:?}"
    );
}

const HS: &str = "host;x-amz-date";

#[test]
fn header_signed_vectors() {
    let cases = [
        ("get-vanilla", "GET /", "", HS,
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        ("get-vanilla-query-order-key-case", "GET /?Param2=value2&Param1=value1", "", HS,
         "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        ("get-vanilla-query-order-value", "GET /?Param1=value2&Param1=value1", "", HS,
         "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
        ("get-vanilla-empty-query-key", "GET /?Param1=value1", "", HS,
         "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
        ("post-vanilla-query", "POST /?Param1=value1", "", HS,
         "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        ("get-vanilla-query-order-encoded", "GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
         "", HS, "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"),
        ("get-vanilla-query-unreserved",
         "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=\
          -._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
         "", HS, "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
        ("get-vanilla-utf8-query", "GET /?ሴ=bar", "", HS,
         "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        ("get-utf8", "GET /ሴ", "", HS,
         "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        ("get-space", "GET /example space/", "", HS,
         "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
        ("get-slash-pointless-dot", "GET /./example", "", HS,
         "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"),
        ("get-slashes", "GET //example//", "", HS,
         "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
        ("get-relative-relative", "GET /example1/example2/../..", "", HS,
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        ("get-header-key-duplicate", "GET /",
         "My-Header1:value2\nMy-Header1:value2\nMy-Header1:value1\n", "host;my-header1;x-amz-date",
         "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
        ("get-header-value-trim", "GET /",
         "My-Header1: value1\nMy-Header2: \"a   b   c\"\n", "host;my-header1;my-header2;x-amz-date",
         "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        ("get-vanilla-with-session-token", "GET /",
         "X-Amz-Security-Token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n",
         "host;x-amz-date;x-amz-security-token",
         "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"),
    ];
    for (name, target, extra, signed, sig) in cases {
        assert_verifies(name, &header_case(target, extra, signed, sig));
    }
}

#[test]
fn header_signed_form_post_with_content_sha256() {
    let text = "POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded\n\
        Host:example.amazonaws.com\nContent-Length:13\n\
        x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n\
        Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
        SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, \
        Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b\n\
        X-Amz-Date:20150830T123600Z\n\nParam1=value1";
    assert_verifies("post-x-www-form-urlencoded", text);
}

fn query_case(target: &str, auth_query: &str, extra: &str) -> String {
    let sep = if target.contains('?') { '&' } else { '?' };
    format!(
        "GET {target}{sep}X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F\
         us-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&{auth_query} HTTP/1.1\n\
         Host:example.amazonaws.com\n{extra}X-Amz-Date:20150830T123600Z"
    )
}

#[test]
fn presigned_vectors() {
    let cases = [
        ("get-vanilla-query-order-key-case", "/?Param2=value2&Param1=value1",
         "X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=\
          86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5", ""),
        ("get-vanilla-query-order-encoded", "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
         "X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=\
          c5f1848ceec943ac2ca68ee720460c23aaae30a2300586597ada94c4a65e4787", ""),
        ("get-utf8", "/ሴ",
         "X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=\
          10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44", ""),
        ("get-header-value-trim", "/",
         "X-Amz-SignedHeaders=host%3Bmy-header1%3Bmy-header2&X-Amz-Expires=3600&X-Amz-Signature=\
          e7bb0fd515e125e1aec2ecc4c0c17484fb06f6846b927c35e46005dd3df3acd4",
         "My-Header1: value1\nMy-Header2: \"a   b   c\"\n"),
    ];
    for (name, target, auth, extra) in cases {
        assert_verifies(name, &query_case(target, auth, extra));
    }
}

/// The suite's presigned POST signs `x-amz-content-sha256` (the body hash) as a
/// header, so the request has to carry it.
#[test]
fn presigned_post_with_body_hash() {
    let text = "POST /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F\
        us-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=\
        content-length%3Bcontent-type%3Bhost%3Bx-amz-content-sha256&X-Amz-Expires=3600&\
        X-Amz-Signature=c2348f57d08c84939944d6c878b3f7be56316f8e7fd6817e81eded279a362d69 HTTP/1.1\n\
        Content-Type:application/x-www-form-urlencoded\nHost:example.amazonaws.com\n\
        Content-Length:13\n\
        x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n\
        X-Amz-Date:20150830T123600Z\n\nParam1=value1";
    assert_verifies("post-x-www-form-urlencoded (query)", text);
}

#[test]
fn suite_vector_outside_its_window_is_expired() {
    let owned = parse_suite_request(&header_case(
        "GET /",
        "",
        HS,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    ));
    let err = verify(
        &owned.req(),
        &provider(AKID, SECRET),
        at("20150830T125200Z"),
    )
    .expect_err("expired");
    assert_eq!(
        err.to_string(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z \
         (20150830T125200Z - 15 min.)"
    );
    assert_eq!(err.code(), "InvalidSignatureException");
}
