"""The wire protocol: AWS JSON 1.1 over POST /, with X-Amz-Target naming the operation.

Raw requests are signed with botocore's own SigV4 signer so that only the thing
under test is wrong.
"""

import os
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from ctutil import (
    JSON_CT,
    TARGET_PREFIX,
    container,
    expect_error,
    raw_call,
    register_td,
    sign_headers,
    unique,
)

OVERSIZE_BYTES = int(os.environ.get("BERTH_TEST_OVERSIZE_BYTES", str(32 * 1024 * 1024)))


def assert_still_serving(server, ecs):
    assert server.alive(), "berth process died"
    assert server.healthy(), "GET /health no longer answers 200"
    name = unique("alive")
    ecs.create_cluster(clusterName=name)
    assert ecs.describe_clusters(clusters=[name])["clusters"][0]["status"] == "ACTIVE"


def assert_json_error(resp, code, status=400):
    assert resp.status == status, (resp.status, resp.body[:500])
    assert resp.error_code == code, (resp.error_code, resp.body[:500])
    assert resp.message.strip(), f"{code} must carry a message: {resp.body[:500]!r}"


# ---------------------------------------------------------------------------
# Baseline: the raw client itself is correct
# ---------------------------------------------------------------------------


def test_signed_raw_request_succeeds(endpoint, ecs):
    name = unique()
    ecs.create_cluster(clusterName=name)
    resp = raw_call(endpoint, "DescribeClusters", {"clusters": [name]})
    assert resp.status == 200, resp.body
    assert resp.headers.get("content-type", "").startswith(JSON_CT)
    assert resp.headers.get("x-amzn-requestid"), "every response carries x-amzn-RequestId"
    doc = resp.json
    assert doc["clusters"][0]["clusterName"] == name
    assert doc["failures"] == []


def test_request_id_reaches_boto3(ecs):
    meta = ecs.list_clusters()["ResponseMetadata"]
    assert meta["RequestId"]
    other = ecs.list_clusters()["ResponseMetadata"]["RequestId"]
    assert other != meta["RequestId"]


def test_error_response_shape(endpoint):
    resp = raw_call(endpoint, "DescribeTaskDefinition", {"taskDefinition": unique("nope")})
    assert resp.status == 400
    doc = resp.json
    assert isinstance(doc, dict)
    assert doc.get("__type", "").rsplit("#", 1)[-1] == "ClientException"
    assert (doc.get("message") or doc.get("Message"))
    assert resp.headers.get("content-type", "").startswith(JSON_CT)
    assert resp.headers.get("x-amzn-requestid")


def test_health_endpoint(server):
    assert server.healthy()


# ---------------------------------------------------------------------------
# Operation routing
# ---------------------------------------------------------------------------


def test_unknown_operation(server, ecs, endpoint):
    resp = raw_call(endpoint, "DescribeEverything", {})
    assert_json_error(resp, "UnknownOperationException")
    assert_still_serving(server, ecs)


def test_target_for_another_service(server, ecs, endpoint):
    resp = raw_call(endpoint, "DynamoDB_20120810.ListTables", {})
    assert 400 <= resp.status < 500
    assert resp.error_code == "UnknownOperationException"
    assert_still_serving(server, ecs)


def test_missing_target_header(server, ecs, endpoint):
    resp = raw_call(endpoint, None, {})
    assert 400 <= resp.status < 500, resp.status
    assert resp.error_code
    assert_still_serving(server, ecs)


def test_valid_ecs_operation_not_implemented_names_it(server, ecs, endpoint):
    resp = raw_call(endpoint, "CreateExpressGatewayService", {})
    assert 400 <= resp.status < 500, (resp.status, resp.body[:300])
    assert resp.error_code, resp.body[:300]
    assert resp.error_code != "UnknownOperationException", (
        "CreateExpressGatewayService is a real ECS operation, not an unknown one"
    )
    assert "CreateExpressGatewayService" in resp.message, resp.body[:300]
    assert_still_serving(server, ecs)


# ---------------------------------------------------------------------------
# Body decoding
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b'{"clusters": [', b"{", b"not json at all", b'{"clusters": ["a",]}', b'{"clusters": ["a"]} trailing'],
    ids=["truncated", "open-brace", "text", "trailing-comma", "trailing-garbage"],
)
def test_malformed_json(server, ecs, endpoint, body):
    assert_json_error(raw_call(endpoint, "DescribeClusters", body), "SerializationException")
    assert_still_serving(server, ecs)


@pytest.mark.parametrize(
    "target,body",
    [
        ("DescribeClusters", {"clusters": "not-a-list"}),
        ("CreateCluster", {"clusterName": ["a", "list"]}),
        ("CreateCluster", {"clusterName": {"an": "object"}}),
        ("ListClusters", {"maxResults": "ten"}),
        ("ListClusters", {"maxResults": [1]}),
        ("DeregisterContainerInstance", {"containerInstance": "x", "force": "yes please"}),
        ("RegisterTaskDefinition", {"family": "f", "containerDefinitions": {"name": "c"}}),
    ],
    ids=["string-for-list", "list-for-string", "object-for-string", "string-for-int", "list-for-int",
         "string-for-bool", "object-for-list"],
)
def test_wrong_json_type(server, ecs, endpoint, target, body):
    assert_json_error(raw_call(endpoint, target, body), "SerializationException")
    assert_still_serving(server, ecs)


@pytest.mark.parametrize("body", [b"[]", b'"a string"', b"42"], ids=["array", "string", "number"])
def test_body_must_be_an_object(server, ecs, endpoint, body):
    resp = raw_call(endpoint, "ListClusters", body)
    assert_json_error(resp, "SerializationException")
    assert_still_serving(server, ecs)


def test_unknown_enum_value(server, ecs):
    with expect_error("InvalidParameterException"):
        ecs.describe_clusters(clusters=[unique()], include=["BOGUS"])
    assert_still_serving(server, ecs)


def test_deeply_nested_json_in_a_known_member(server, ecs, endpoint):
    depth = 10_000
    body = b'{"clusters": ' + b"[" * depth + b"]" * depth + b"}"
    assert_json_error(raw_call(endpoint, "DescribeClusters", body), "SerializationException")
    assert_still_serving(server, ecs)


def test_deeply_nested_json_in_an_unknown_member(server, ecs, endpoint):
    depth = 10_000
    body = b'{"clusters": [], "zz": ' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
    assert_json_error(raw_call(endpoint, "DescribeClusters", body), "SerializationException")
    assert_still_serving(server, ecs)


def test_invalid_utf8(server, ecs, endpoint):
    body = b'{"clusterName": "bad-\xff\xfe-name"}'
    resp = raw_call(endpoint, "CreateCluster", body)
    assert 400 <= resp.status < 500, resp.status
    assert resp.error_code, resp.body[:300]
    assert_still_serving(server, ecs)


def test_task_definition_of_realistic_size_is_accepted(ecs):
    env = [{"name": f"VAR_{i:04d}", "value": "x" * 40} for i in range(600)]  # ~40 KiB of JSON
    td = register_td(ecs, unique("big"), [container(environment=env)])
    assert len(td["containerDefinitions"][0]["environment"]) == 600


def _send_oversized(endpoint, size):
    """POST a syntactically valid DescribeClusters padded with whitespace to ``size``.

    Returns (status or None, error-or-None).  A reader thread collects the
    response while the body is still being written, because a server may
    answer early and close.
    """
    head = b'{"clusters": []'
    tail = b"}"
    padding = size - len(head) - len(tail)
    body_chunks = (head, b" " * padding, tail)
    body = b"".join(body_chunks)
    headers = sign_headers(
        endpoint,
        body,
        {"Content-Type": JSON_CT, "X-Amz-Target": f"{TARGET_PREFIX}.DescribeClusters"},
    )
    parts = urlsplit(endpoint)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    received = bytearray()
    done = threading.Event()

    def reader():
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received.extend(chunk)
                if b"\r\n\r\n" in received:
                    # Headers are in; that is all we need.
                    break
        except OSError:
            pass
        finally:
            done.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    request_head = ["POST / HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", f"Content-Length: {len(body)}"]
    request_head += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("host", "content-length")]
    send_error = None
    try:
        sock.sendall(("\r\n".join(request_head) + "\r\n\r\n").encode())
        view = memoryview(body)
        step = 1 << 20
        for off in range(0, len(body), step):
            if done.is_set():
                break
            sock.sendall(view[off : off + step])
    except OSError as exc:
        send_error = exc
    done.wait(timeout=60)
    try:
        sock.close()
    except OSError:
        pass
    status = None
    if received.startswith(b"HTTP/1."):
        try:
            status = int(received.split(b" ", 2)[1])
        except (IndexError, ValueError):
            status = None
    return status, send_error


def test_body_over_the_limit_is_rejected(server, ecs, endpoint):
    started = time.monotonic()
    status, send_error = _send_oversized(endpoint, OVERSIZE_BYTES)
    assert status is not None, f"no HTTP response to an oversized body (send error: {send_error!r})"
    assert 400 <= status < 500, f"a {OVERSIZE_BYTES}-byte body must be refused with 4xx, got {status}"
    assert time.monotonic() - started < 60
    assert_still_serving(server, ecs)


# ---------------------------------------------------------------------------
# After all of the above
# ---------------------------------------------------------------------------


def test_server_survived_the_protocol_abuse(server, ecs):
    assert_still_serving(server, ecs)
    assert isinstance(ecs.list_clusters()["clusterArns"], list)
