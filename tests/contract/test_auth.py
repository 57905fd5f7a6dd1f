"""SigV4: Berth checks signatures the way AWS does. `berth dev` accepts any access key (a
12-digit key id is the caller's account) but still checks a configured key's signature;
with `--strict-auth` it refuses unknown keys, as `berth server` does."""

import datetime
import http.client
import json
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ctutil import JSON_CT, REGION, TARGET_PREFIX, raw_call, sign_headers, unique


def assert_still_serving(server, ecs):
    assert server.alive(), "berth process died"
    assert server.healthy()
    assert ecs.describe_clusters(clusters=[unique()])["failures"][0]["reason"] == "MISSING"


def assert_auth_error(resp, code, status=403):
    assert resp.status == status, (resp.status, resp.body[:300])
    assert resp.error_code == code, (resp.error_code, resp.body[:300])
    assert resp.message.strip(), resp.body[:300]


BODY = {"clusters": []}


def test_correctly_signed_request_is_accepted(endpoint):
    resp = raw_call(endpoint, "DescribeClusters", BODY)
    assert resp.status == 200, resp.body


def test_unsigned_request(server, ecs, endpoint):
    resp = raw_call(endpoint, "DescribeClusters", BODY, sign=False)
    assert_auth_error(resp, "MissingAuthenticationTokenException")
    assert_still_serving(server, ecs)


def test_wrong_secret_key(server, ecs, endpoint):
    resp = raw_call(endpoint, "DescribeClusters", BODY, secret_key="not-the-secret")
    assert_auth_error(resp, "InvalidSignatureException")
    assert_still_serving(server, ecs)


def test_unknown_access_key_is_refused_with_strict_auth(strict_server):
    resp = raw_call(strict_server.endpoint, "DescribeClusters", BODY, access_key="AKIANOTAREALKEY00000")
    assert_auth_error(resp, "UnrecognizedClientException")
    assert strict_server.alive()


@pytest.mark.parametrize("access_key", ["AKIANOTAREALKEY00000", "123456789012"])
def test_dev_accepts_any_access_key(server, ecs, endpoint, access_key):
    resp = raw_call(endpoint, "DescribeClusters", BODY, access_key=access_key, secret_key="anything")
    assert resp.status == 200, resp.body
    client = boto3_client(endpoint, access_key, "anything")
    assert "clusterArns" in client.list_clusters()
    assert_still_serving(server, ecs)


def boto3_client(endpoint, access_key, secret_key):
    return boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=REGION
    ).client("ecs", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1}))


@pytest.mark.parametrize(
    "access_key,secret_key,code",
    [("test", "wrong-secret", "InvalidSignatureException"),
     ("AKIANOTAREALKEY00000", "test", "UnrecognizedClientException")],
    ids=["wrong-secret", "unknown-key"],
)
def test_boto3_sees_auth_errors(strict_server, access_key, secret_key, code):
    client = boto3_client(strict_server.endpoint, access_key, secret_key)
    with pytest.raises(ClientError) as ei:
        client.list_clusters()
    assert ei.value.response["Error"]["Code"] == code
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_body_tampered_after_signing(server, ecs, endpoint):
    signed_body = json.dumps({"clusters": ["a"]}).encode()
    sent_body = json.dumps({"clusters": ["b"]}).encode()
    headers = sign_headers(
        endpoint,
        signed_body,
        {"Content-Type": JSON_CT, "X-Amz-Target": f"{TARGET_PREFIX}.DescribeClusters"},
    )
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("POST", "/", body=sent_body, headers=headers)
        r = conn.getresponse()
        data = r.read()
    finally:
        conn.close()
    assert r.status == 403, data
    assert b"InvalidSignatureException" in data
    assert_still_serving(server, ecs)


def test_signed_for_another_service(server, ecs, endpoint):
    resp = raw_call(endpoint, "DescribeClusters", BODY, service="s3")
    assert resp.status == 403, resp.body
    assert resp.error_code in ("InvalidSignatureException", "SignatureDoesNotMatch")
    assert_still_serving(server, ecs)


@pytest.mark.parametrize("minutes", [-20, 20], ids=["20-minutes-old", "20-minutes-ahead"])
def test_request_outside_clock_skew_window(server, ecs, endpoint, minutes):
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    resp = raw_call(endpoint, "DescribeClusters", BODY, at=at)
    assert 400 <= resp.status < 500, resp.status
    assert resp.error_code == "InvalidSignatureException", resp.body[:300]
    assert "expired" in resp.message.lower() or "signature" in resp.message.lower(), resp.message
    assert_still_serving(server, ecs)


def test_request_within_clock_skew_window(endpoint):
    at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=3)
    resp = raw_call(endpoint, "DescribeClusters", BODY, at=at)
    assert resp.status == 200, resp.body


@pytest.mark.parametrize(
    "authorization",
    [
        "garbage",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/ecs/aws4_request",
        "AWS4-HMAC-SHA256 Credential=test, SignedHeaders=host, Signature=00",
    ],
    ids=["garbage", "scheme-only", "no-signature", "bad-credential-scope"],
)
def test_malformed_authorization_header(server, ecs, endpoint, authorization):
    resp = raw_call(
        endpoint,
        "DescribeClusters",
        BODY,
        sign=False,
        extra_headers={"Authorization": authorization, "X-Amz-Date": "20240101T000000Z"},
    )
    assert resp.status in (400, 403), (resp.status, resp.body[:300])
    assert resp.error_code, resp.body[:300]
    assert_still_serving(server, ecs)
