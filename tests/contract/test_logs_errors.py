"""CloudWatch Logs on the shared endpoint: SigV4 scope, the JSON 1.1 wire, client mistakes."""

import json

import pytest

from ctutil import (
    LOGS_TARGET_PREFIX,
    TARGET_PREFIX,
    log_group_name,
    now_ms,
    raw_call,
)

AMZ_JSON_11 = "application/x-amz-json-1.1"


def logs_call(endpoint, op, body, **kwargs):
    kwargs.setdefault("service", "logs")
    return raw_call(endpoint, f"{LOGS_TARGET_PREFIX}.{op}", body, **kwargs)


def assert_client_error(resp, *codes):
    assert 400 <= resp.status < 500, (resp.status, resp.body[:300])
    if codes:
        assert resp.error_code in codes, (resp.error_code, resp.body[:300])
    else:
        assert resp.error_code, resp.body[:300]
    assert resp.message.strip(), resp.body[:300]


@pytest.fixture
def group(logs):
    name = log_group_name("cterr")
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    return name


def test_raw_logs_request_signed_for_logs_is_served(endpoint, group):
    resp = logs_call(endpoint, "DescribeLogGroups", {"logGroupNamePrefix": group})
    assert resp.status == 200, resp.body[:300]
    assert resp.headers.get("content-type", "").startswith(AMZ_JSON_11), resp.headers
    assert [g["logGroupName"] for g in resp.json["logGroups"]] == [group]


def test_logs_request_signed_for_ecs_is_refused(server, endpoint, group):
    resp = logs_call(endpoint, "DescribeLogGroups", {"logGroupNamePrefix": group}, service="ecs")
    assert resp.status == 403, (resp.status, resp.body[:300])
    assert resp.error_code in ("InvalidSignatureException", "SignatureDoesNotMatch"), resp.body[:300]
    assert server.alive()


def test_logs_write_signed_for_ecs_changes_nothing(logs, endpoint, group):
    body = {"logGroupName": group, "logStreamName": "s",
            "logEvents": [{"timestamp": now_ms(), "message": "sneaky"}]}
    resp = logs_call(endpoint, "PutLogEvents", body, service="ecs")
    assert resp.status == 403, (resp.status, resp.body[:300])
    assert logs.get_log_events(logGroupName=group, logStreamName="s")["events"] == []


def test_ecs_request_signed_for_logs_is_refused(endpoint):
    resp = raw_call(endpoint, "ListClusters", {}, service="logs")
    assert resp.status == 403, (resp.status, resp.body[:300])
    assert resp.error_code in ("InvalidSignatureException", "SignatureDoesNotMatch"), resp.body[:300]


def test_unsigned_logs_request_is_refused(endpoint):
    resp = logs_call(endpoint, "DescribeLogGroups", {}, sign=False)
    assert resp.status == 403, (resp.status, resp.body[:300])
    assert resp.error_code == "MissingAuthenticationTokenException", resp.body[:300]


@pytest.mark.parametrize(
    "body",
    [b"this is not json", b'{"logGroupName": ', b"\xff\xfe\x00garbage"],
    ids=["text", "truncated", "binary"],
)
def test_body_that_is_not_json(server, endpoint, body):
    resp = logs_call(endpoint, "DescribeLogGroups", body)
    assert_client_error(resp, "SerializationException")
    assert server.alive()


def test_unknown_logs_operation(endpoint):
    resp = logs_call(endpoint, "NoSuchOperation", {})
    assert_client_error(resp)
    assert resp.error_code in ("UnknownOperationException", "InvalidAction"), resp.body[:300]


# Each is a client mistake that boto3 would refuse to send, made against a group and
# stream that exist (GROUP is replaced by the group's name), so that only the mistake
# itself can be the reason for the answer: a 4xx naming the bad parameter, never a 5xx.
GROUP = "@GROUP@"
CLIENT_MISTAKES = [
    ("missing-required", "CreateLogStream", {"logGroupName": GROUP}),
    ("wrong-type-name", "DescribeLogStreams", {"logGroupName": 12}),
    ("wrong-type-limit", "DescribeLogGroups", {"limit": "ten"}),
    ("limit-zero", "DescribeLogGroups", {"limit": 0}),
    ("empty-stream-name", "CreateLogStream", {"logGroupName": GROUP, "logStreamName": ""}),
    ("json-array", "DescribeLogGroups", []),
    ("null-name", "CreateLogStream", {"logGroupName": None, "logStreamName": "s"}),
    ("no-events", "PutLogEvents", {"logGroupName": GROUP, "logStreamName": "s", "logEvents": []}),
    ("event-no-timestamp", "PutLogEvents",
     {"logGroupName": GROUP, "logStreamName": "s", "logEvents": [{"message": "m"}]}),
    ("event-empty-message", "PutLogEvents",
     {"logGroupName": GROUP, "logStreamName": "s", "logEvents": [{"timestamp": 1, "message": ""}]}),
    ("events-not-a-list", "PutLogEvents",
     {"logGroupName": GROUP, "logStreamName": "s", "logEvents": "nope"}),
    ("bad-token", "DescribeLogStreams", {"logGroupName": GROUP, "nextToken": "not-a-token-berth-gave"}),
    ("bad-get-token", "GetLogEvents",
     {"logGroupName": GROUP, "logStreamName": "s", "nextToken": "f/garbage"}),
    ("get-no-group", "GetLogEvents", {"logStreamName": "s"}),
    ("negative-limit", "FilterLogEvents", {"logGroupName": GROUP, "limit": -5}),
    ("huge-limit", "GetLogEvents", {"logGroupName": GROUP, "logStreamName": "s", "limit": 10_001}),
    ("retention-string", "PutRetentionPolicy", {"logGroupName": GROUP, "retentionInDays": "7"}),
    ("order-by-bogus", "DescribeLogStreams", {"logGroupName": GROUP, "orderBy": "Size"}),
    ("no-transformations", "PutMetricFilter",
     {"logGroupName": GROUP, "filterName": "f", "filterPattern": "", "metricTransformations": []}),
    ("test-no-messages", "TestMetricFilter", {"filterPattern": "ERROR", "logEventMessages": []}),
    ("tags-not-a-map", "TagLogGroup", {"logGroupName": GROUP, "tags": ["a"]}),
]
VALIDATION_CODES = ("InvalidParameterException", "ValidationException", "SerializationException")


def with_group(value, group):
    if value == GROUP:
        return group
    if isinstance(value, dict):
        return {k: with_group(v, group) for k, v in value.items()}
    if isinstance(value, list):
        return [with_group(v, group) for v in value]
    return value


@pytest.mark.parametrize("op,body", [c[1:] for c in CLIENT_MISTAKES], ids=[c[0] for c in CLIENT_MISTAKES])
def test_client_mistakes_are_4xx(server, endpoint, group, op, body):
    resp = logs_call(endpoint, op, with_group(body, group))
    assert_client_error(resp, *VALIDATION_CODES)
    assert server.alive()


def test_error_body_shape(endpoint):
    resp = logs_call(endpoint, "DeleteLogGroup", {"logGroupName": log_group_name("missing")})
    assert resp.status == 400, resp.body[:300]
    doc = json.loads(resp.body)
    assert doc["__type"].rsplit("#", 1)[-1] == "ResourceNotFoundException", doc
    assert doc.get("message") or doc.get("Message"), doc


def test_ecs_still_served_beside_logs(ecs, endpoint):
    assert "clusterArns" in ecs.list_clusters()
    resp = raw_call(endpoint, f"{TARGET_PREFIX}.ListClusters", {})
    assert resp.status == 200, resp.body[:300]
