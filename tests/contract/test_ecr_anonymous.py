"""Anonymous registry access: refused (a 401 Basic challenge, the same for a repository that
does not exist) unless the repository's policy allows everyone, and then for pulls only."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from ctutil import unique
from test_ecr_registry import docker, ecr_client
from test_ecr_replication import push

MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
])


def anonymous(url, method="GET"):
    req = urllib.request.Request(url, method=method, headers={"Accept": MANIFEST_TYPES})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def test_anonymous_pulls_need_a_policy_that_allows_everyone(server):
    ecr = ecr_client(server.endpoint)
    host = server.endpoint.removeprefix("http://")
    name = f"{unique('anon')}/app"
    digest = push(ecr, host, name)
    docker("logout", host, check=False)
    base = f"{server.endpoint}/v2/{name}"
    status, body, headers = anonymous(f"{base}/manifests/v1")
    assert status == 401, body
    assert headers["WWW-Authenticate"].startswith("Basic ")
    assert json.loads(body)["errors"][0]["code"] == "UNAUTHORIZED"
    status, _, _ = anonymous(f"{server.endpoint}/v2/{unique('none')}/manifests/v1")
    assert status == 401, "an unknown repository is not told apart"

    ecr.set_repository_policy(repositoryName=name, policyText=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicPull",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:ListImages"],
        }],
    }))
    status, body, headers = anonymous(f"{base}/manifests/v1")
    assert status == 200, body
    assert headers["Docker-Content-Digest"] == digest
    layer = json.loads(body)["layers"][0]["digest"]
    status, blob, _ = anonymous(f"{base}/blobs/{layer}")
    assert status == 200 and len(blob) > 0
    status, tags, _ = anonymous(f"{base}/tags/list")
    assert status == 200 and json.loads(tags)["tags"] == ["v1"]
    # Pushing stays refused without credentials.
    status, _, _ = anonymous(f"{base}/blobs/uploads/", method="POST")
    assert status == 401
    # The base endpoint still challenges, as ECR's does: the Docker CLI sends credentials
    # (any account's login) once it is told to.
    status, _, _ = anonymous(f"{server.endpoint}/v2/")
    assert status == 401
