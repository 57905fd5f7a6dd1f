"""AWS Query requests for a service not served here (CloudWatch's `monitoring` yet), Smithy
RPC v2 CBOR for a service not served (Cloud Map's CBOR: test_servicediscovery.py), and registry paths
get a 4xx error in the protocol the client spoke, whatever the body: never a 5xx, and the
server keeps serving."""

import http.client
import os
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ctutil import REGION


def send(endpoint, body, headers, service, path="/"):
    request = AWSRequest(method="POST", url=endpoint + path, data=body, headers=headers)
    SigV4Auth(Credentials("test", "test"), service, REGION).add_auth(request)
    url = urlsplit(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("POST", path, body=body, headers=dict(request.headers))
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
CBOR = {"Content-Type": "application/cbor", "Accept": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}


@pytest.mark.parametrize(
    "body",
    [b"Action=ListMetrics&Version=2010-08-01", b"%%%&&==", b"Action", os.urandom(64)],
    ids=["well-formed", "bad-escapes", "no-value", "random-bytes"],
)
def test_query_requests_get_an_xml_4xx(server, endpoint, body):
    status, headers, data = send(endpoint, body, FORM, "monitoring")
    assert 400 <= status < 500, (status, data[:300])
    assert headers.get("content-type", "").startswith("text/xml"), headers
    assert b"<ErrorResponse>" in data and b"<Type>Sender</Type>" in data, data[:300]
    assert server.alive()


@pytest.mark.parametrize("body", [b"\xa0", b"\xff\xff\xff", os.urandom(64)], ids=["empty-map", "bad", "random"])
def test_cbor_requests_get_a_4xx(server, endpoint, body):
    path = "/service/GraniteServiceVersion20100801/operation/ListMetrics"
    status, headers, data = send(endpoint, body, CBOR, "monitoring", path)
    assert 400 <= status < 500, (status, data[:300])
    assert headers.get("content-type") == "application/cbor", headers
    assert headers.get("smithy-protocol") == "rpc-v2-cbor", headers
    assert server.alive()


def test_registry_paths_without_a_token_get_the_registry_challenge(server, endpoint):
    # The registry (ECR) answers /v2/ itself, not the AWS API: a SigV4 signature is no
    # registry credential, so the answer is its Basic challenge in the OCI error format.
    status, headers, data = send(endpoint, b"", {}, "ecr", "/v2/")
    assert status == 401, (status, data[:300])
    assert b'"UNAUTHORIZED"' in data
    assert headers.get("www-authenticate", "").startswith("Basic realm="), headers
    assert server.alive()
