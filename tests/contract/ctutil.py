"""Helpers shared by the contract tests (imported by conftest and the tests)."""

from __future__ import annotations

import datetime as _dt
import http.client
import json
import os
import re
import subprocess
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"
REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113"
JSON_CT = "application/x-amz-json-1.1"

# ---------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------


def make_ecs_client(endpoint: str, **config_overrides):
    cfg = dict(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        max_pool_connections=32,
    )
    cfg.update(config_overrides)
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    return session.client("ecs", endpoint_url=endpoint, config=Config(**cfg))


def make_logs_client(
    endpoint: str,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    **config_overrides,
):
    """A CloudWatch Logs client; a 12-digit ``access_key`` acts in that account on `berth dev`."""
    cfg = dict(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        max_pool_connections=32,
    )
    cfg.update(config_overrides)
    session = boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
    )
    return session.client("logs", endpoint_url=endpoint, config=Config(**cfg))


# ---------------------------------------------------------------------------
# Names and ARNs
# ---------------------------------------------------------------------------


def unique(prefix: str = "ct") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def cluster_arn(name: str) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{name}"


def task_definition_arn(family: str, revision: int) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}"


def capacity_provider_arn(name: str) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:capacity-provider/{name}"


CONTAINER_INSTANCE_ARN_RE = (
    r"^arn:aws:ecs:us-east-1:000000000000:container-instance/{cluster}/[0-9a-f]{{32}}$"
)


def short_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------
# CloudWatch Logs
# ---------------------------------------------------------------------------

LOGS_TARGET_PREFIX = "Logs_20140328"


def log_group_arn(name: str, account: str = ACCOUNT) -> str:
    """The ARN without the trailing ``:*`` (``logGroupArn``, tagging, logGroupIdentifier)."""
    return f"arn:aws:logs:{REGION}:{account}:log-group:{name}"


def log_stream_arn(group: str, stream: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:logs:{REGION}:{account}:log-group:{group}:log-stream:{stream}"


def log_group_name(prefix: str = "ct") -> str:
    """A unique log group name, in the path style log groups usually have."""
    return f"/{prefix}/{uuid.uuid4().hex[:12]}"


def now_ms() -> int:
    return int(_dt.datetime.now(_dt.timezone.utc).timestamp() * 1000)


MINUTE_MS = 60 * 1000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


def make_stream(logs, group: str | None = None, stream: str = "s1", **group_kwargs):
    """Create a log group (unless it exists) and a stream in it; return (group, stream)."""
    group = group or log_group_name()
    try:
        logs.create_log_group(logGroupName=group, **group_kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
            raise
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    return group, stream


def put_events(logs, group: str, stream: str, events, **kwargs) -> dict:
    """PutLogEvents with ``events`` as (timestamp, message) pairs or dicts."""
    batch = [
        e if isinstance(e, dict) else {"timestamp": e[0], "message": e[1]} for e in events
    ]
    return logs.put_log_events(
        logGroupName=group, logStreamName=stream, logEvents=batch, **kwargs
    )


def get_group(logs, name: str) -> dict:
    """The one log group called ``name``, as DescribeLogGroups returns it."""
    groups = [
        g
        for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        if g["logGroupName"] == name
    ]
    assert len(groups) == 1, f"expected exactly one log group {name!r}, got {groups}"
    return groups[0]


def get_stream(logs, group: str, stream: str) -> dict:
    streams = [
        s
        for s in logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)[
            "logStreams"
        ]
        if s["logStreamName"] == stream
    ]
    assert len(streams) == 1, f"expected exactly one stream {stream!r}, got {streams}"
    return streams[0]


def filter_all(logs, max_pages: int = 200, **kwargs) -> list:
    """Every FilterLogEvents event, following nextToken until it is absent (bounded)."""
    events = []
    token = None
    for _ in range(max_pages):
        args = dict(kwargs)
        if token:
            args["nextToken"] = token
        resp = logs.filter_log_events(**args)
        events += resp["events"]
        token = resp.get("nextToken")
        if not token:
            return events
    raise AssertionError(f"FilterLogEvents still returned a nextToken after {max_pages} pages")


# ---------------------------------------------------------------------------
# Error assertions
# ---------------------------------------------------------------------------


@contextmanager
def expect_error(*codes: str, status: int | None = None):
    """Expect a boto3 ClientError whose code is one of ``codes``.

    ECS messages are not asserted verbatim; the code must match and the message
    must be non-empty.
    """
    assert codes, "name at least one acceptable error code"
    with pytest.raises(ClientError) as excinfo:
        yield excinfo
    err = excinfo.value.response.get("Error", {})
    code = err.get("Code")
    assert code in codes, f"expected one of {codes}, got {code!r}: {err}"
    assert (err.get("Message") or "").strip(), f"error {code} has an empty message"
    http_status = excinfo.value.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if status is not None:
        assert http_status == status, f"expected HTTP {status}, got {http_status}"
    else:
        assert http_status is not None and 400 <= http_status < 500, (
            f"client errors must be 4xx, got {http_status}"
        )


# ---------------------------------------------------------------------------
# Structural comparison
# ---------------------------------------------------------------------------


def assert_subset(expected, actual, path: str = "$"):
    """Every key/value given in ``expected`` is present and equal in ``actual``.

    Dicts may carry extra keys in ``actual`` (server-side defaults); lists must
    have the same length and order, compared element-wise with the same rule.
    """
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for k, v in expected.items():
            assert k in actual, f"{path}.{k} missing from response (have {sorted(actual)})"
            assert_subset(v, actual[k], f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        assert len(expected) == len(actual), (
            f"{path}: expected {len(expected)} items, got {len(actual)}: {actual!r}"
        )
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_subset(e, a, f"{path}[{i}]")
    else:
        assert expected == actual, f"{path}: expected {expected!r}, got {actual!r}"


def tags_dict(tags) -> dict:
    return {t["key"]: t.get("value", "") for t in (tags or [])}


def kv_dict(items) -> dict:
    return {i["name"]: i.get("value") for i in (items or [])}


# ---------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------


def container(name: str = "web", image: str = "public.ecr.aws/nginx/nginx:latest", memory: int | None = 128, **extra) -> dict:
    c = {"name": name, "image": image}
    if memory is not None:
        c["memory"] = memory
    c.update(extra)
    return c


def register_td(ecs, family: str, containers=None, **kwargs) -> dict:
    resp = ecs.register_task_definition(
        family=family,
        containerDefinitions=containers if containers is not None else [container()],
        **kwargs,
    )
    return resp["taskDefinition"]


DEFAULT_PORTS = ["22", "2375", "2376", "51678", "51679"]


def total_resources(cpu: int = 2048, memory: int = 3943, ports=None, udp_ports=None) -> list:
    return [
        {"name": "CPU", "type": "INTEGER", "integerValue": cpu},
        {"name": "MEMORY", "type": "INTEGER", "integerValue": memory},
        {"name": "PORTS", "type": "STRINGSET", "stringSetValue": list(DEFAULT_PORTS if ports is None else ports)},
        {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": list(udp_ports or [])},
    ]


VERSION_INFO = {
    "agentVersion": "1.89.0",
    "agentHash": "4ac4b0e2",
    "dockerVersion": "DockerVersion: 25.0.8",
}


def identity_document(instance_id: str | None = None, az: str = "us-east-1a", instance_type: str = "t3.medium") -> dict:
    return {
        "accountId": ACCOUNT,
        "architecture": "x86_64",
        "availabilityZone": az,
        "imageId": "ami-0abcdef1234567890",
        "instanceId": instance_id or f"i-{uuid.uuid4().hex[:17]}",
        "instanceType": instance_type,
        "region": REGION,
        "version": "2017-09-30",
    }


def register_instance(
    ecs,
    cluster: str | None = None,
    *,
    attributes=None,
    az: str = "us-east-1a",
    instance_type: str = "t3.medium",
    with_identity: bool = True,
    instance_id: str | None = None,
    version_info=VERSION_INFO,
    resources=None,
    tags=None,
    container_instance_arn: str | None = None,
    standard_attributes: bool = True,
) -> dict:
    """Do what the ECS agent does at start-up: RegisterContainerInstance."""
    kwargs: dict = {"totalResources": resources or total_resources()}
    if cluster is not None:
        kwargs["cluster"] = cluster
    if version_info is not None:
        kwargs["versionInfo"] = dict(version_info)
    attrs = []
    if standard_attributes:
        attrs += [
            {"name": "ecs.os-type", "value": "linux"},
            {"name": "ecs.availability-zone", "value": az},
            {"name": "ecs.instance-type", "value": instance_type},
            {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.17"},
        ]
    attrs += list(attributes or [])
    if attrs:
        kwargs["attributes"] = attrs
    if with_identity:
        doc = identity_document(instance_id, az=az, instance_type=instance_type)
        kwargs["instanceIdentityDocument"] = json.dumps(doc)
        kwargs["instanceIdentityDocumentSignature"] = "dGVzdC1zaWduYXR1cmU="
    if tags:
        kwargs["tags"] = tags
    if container_instance_arn:
        kwargs["containerInstanceArn"] = container_instance_arn
    return ecs.register_container_instance(**kwargs)["containerInstance"]


# ---------------------------------------------------------------------------
# Raw HTTP (for what boto3 refuses to send)
# ---------------------------------------------------------------------------


@dataclass
class RawResponse:
    status: int
    headers: dict
    body: bytes

    @property
    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def error_code(self):
        doc = self.json
        code = None
        if isinstance(doc, dict):
            code = doc.get("__type") or doc.get("code") or doc.get("Code")
        if not code:
            code = self.headers.get("x-amzn-errortype")
        if code:
            code = code.split(":", 1)[0]
            code = code.rsplit("#", 1)[-1]
        return code

    @property
    def message(self):
        doc = self.json
        if isinstance(doc, dict):
            return doc.get("message") or doc.get("Message") or ""
        return ""


def sign_headers(
    endpoint: str,
    body: bytes,
    headers: dict,
    *,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    region: str = REGION,
    service: str = "ecs",
    at: _dt.datetime | None = None,
) -> dict:
    """SigV4-sign a POST / with botocore's own signer; optionally with a frozen clock."""
    req = AWSRequest(method="POST", url=endpoint.rstrip("/") + "/", data=body, headers=dict(headers))
    signer = SigV4Auth(Credentials(access_key, secret_key), service, region)
    if at is not None:
        frozen = at.astimezone(_dt.timezone.utc).replace(tzinfo=None) if at.tzinfo else at
        with mock.patch("botocore.auth.get_current_datetime", return_value=frozen):
            signer.add_auth(req)
    else:
        signer.add_auth(req)
    return {k: v for k, v in req.headers.items()}


def raw_call(
    endpoint: str,
    target: str | None,
    body,
    *,
    sign: bool = True,
    content_type: str | None = JSON_CT,
    extra_headers: dict | None = None,
    timeout: float = 30,
    **sign_kwargs,
) -> RawResponse:
    """POST one request; ``target`` is the bare operation name (or None to omit)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if target is not None:
        headers["X-Amz-Target"] = f"{TARGET_PREFIX}.{target}" if "." not in target else target
    headers.update(extra_headers or {})
    if sign:
        headers = sign_headers(endpoint, body, headers, **sign_kwargs)
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()



# ---------------------------------------------------------------------------
# AWS CLI
# ---------------------------------------------------------------------------


class AwsCliError(Exception):
    def __init__(self, code, message, returncode, stderr, argv):
        self.code = code
        self.message = message
        self.returncode = returncode
        self.stderr = stderr
        self.argv = argv
        super().__init__(f"aws {' '.join(argv)} -> rc={returncode} code={code}: {stderr.strip()}")


_CLI_ERROR_RE = re.compile(r"An error occurred \(([^)]+)\) when calling the (\w+) operation(?: \([^)]*\))?: ?(.*)", re.S)


class AwsCli:
    """Runs the real ``aws`` CLI (the pinned awscli in this venv) against Berth."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.argv0 = [sys.executable, "-m", "awscli"]

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
            AWS_MAX_ATTEMPTS="1",
            AWS_RETRY_MODE="standard",
            AWS_PAGER="",
            AWS_DEFAULT_OUTPUT="json",
        )
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_SESSION_TOKEN", None)
        return env

    def run(self, *args, input: str | None = None, timeout: float = 120, cwd=None):
        argv = [str(a) for a in args]
        if "--output" not in argv:
            argv += ["--output", "json"]
        return subprocess.run(
            self.argv0 + argv,
            input=input,
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout,
            cwd=cwd,
        )

    def __call__(self, *args, input: str | None = None, timeout: float = 120, cwd=None):
        proc = self.run(*args, input=input, timeout=timeout, cwd=cwd)
        argv = [str(a) for a in args]
        if proc.returncode != 0:
            m = _CLI_ERROR_RE.search(proc.stderr)
            code = m.group(1) if m else None
            message = m.group(3).strip() if m else proc.stderr.strip()
            raise AwsCliError(code, message, proc.returncode, proc.stderr, argv)
        out = proc.stdout.strip()
        return json.loads(out) if out else None
