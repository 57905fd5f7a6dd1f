"""Helpers for the ECR contract tests: boto3 ECR clients and a raw OCI registry client.

The registry client speaks the OCI distribution API with `requests` only, authenticated the
way ECR documents it: the password of GetAuthorizationToken as HTTP Basic `AWS:<password>`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

import boto3
import requests
from botocore.config import Config

from ctutil import ACCESS_KEY, REGION, SECRET_KEY, unique

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"


def ecr_client(endpoint: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY):
    """boto3 ECR; a 12-digit ``access_key`` acts in that account on `berth dev`."""
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=REGION
    )
    return session.client(
        "ecr",
        endpoint_url=endpoint,
        config=Config(retries={"total_max_attempts": 1}, read_timeout=120),
    )


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha512(data: bytes) -> str:
    return "sha512:" + hashlib.sha512(data).hexdigest()


def random_blob(size: int = 1024) -> bytes:
    return os.urandom(size)


def auth_header(ecr) -> str:
    """``Basic base64(AWS:<password>)`` from GetAuthorizationToken."""
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    user, _ = base64.b64decode(token).decode().split(":", 1)
    assert user == "AWS"
    return f"Basic {token}"


def error_codes(resp: requests.Response) -> list[str]:
    """The codes of an OCI error body; fails if the body is not one."""
    body = resp.json()
    assert isinstance(body.get("errors"), list) and body["errors"], body
    for e in body["errors"]:
        assert isinstance(e.get("code"), str) and isinstance(e.get("message"), str), e
    return [e["code"] for e in body["errors"]]


def assert_error(resp: requests.Response, status: int, code: str | tuple) -> None:
    codes = (code,) if isinstance(code, str) else code
    assert resp.status_code == status, (resp.status_code, resp.headers, resp.text)
    got = error_codes(resp)
    assert got[0] in codes, (got, resp.text)


class Registry:
    """A raw OCI distribution client for one Berth registry."""

    def __init__(self, endpoint: str, ecr, host: str | None = None):
        self.endpoint = endpoint
        self.ecr = ecr
        self.session = requests.Session()
        self.session.headers["Authorization"] = auth_header(ecr)
        if host:
            self.session.headers["Host"] = host

    def url(self, path: str) -> str:
        if path.startswith("http"):
            return path
        if not path.startswith("/"):
            path = "/v2/" + path
        return self.endpoint + path

    def request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 120)
        kw.setdefault("allow_redirects", False)
        return self.session.request(method, self.url(path), **kw)

    # -- blobs ------------------------------------------------------------
    def start_upload(self, repo: str, **params) -> requests.Response:
        return self.request("POST", f"{repo}/blobs/uploads/", params=params or None)

    def push_blob(self, repo: str, data: bytes, digest: str | None = None) -> str:
        """Monolithic upload (POST then PUT ?digest=); answers the digest."""
        digest = digest or sha256(data)
        r = self.start_upload(repo)
        assert r.status_code == 202, r.text
        r = self.request(
            "PUT",
            r.headers["Location"],
            params={"digest": digest},
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 201, r.text
        assert r.headers["Docker-Content-Digest"] == digest
        return digest

    def blob(self, repo: str, digest: str, **kw) -> requests.Response:
        return self.request("GET", f"{repo}/blobs/{digest}", **kw)

    # -- manifests --------------------------------------------------------
    def put_manifest(self, repo: str, ref: str, body: bytes, media_type: str) -> requests.Response:
        return self.request(
            "PUT", f"{repo}/manifests/{ref}", data=body, headers={"Content-Type": media_type}
        )

    def manifest(self, repo: str, ref: str, accept: str | None = None, head=False):
        headers = {"Accept": accept} if accept else {}
        return self.request("HEAD" if head else "GET", f"{repo}/manifests/{ref}", headers=headers)

    def push_image(
        self,
        repo: str,
        tag: str | None = None,
        layers: int = 1,
        layer_size: int = 512,
        media_type: str = DOCKER_MANIFEST,
        extra: dict | None = None,
    ) -> tuple[str, bytes, list[str]]:
        """Pushes random layers, a config and a manifest; answers (digest, manifest, blobs)."""
        oci = media_type == OCI_MANIFEST
        config = json.dumps(
            {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
             "nonce": unique("cfg")}
        ).encode()
        config_digest = self.push_blob(repo, config)
        layer_descs, blobs = [], [config_digest]
        for _ in range(layers):
            data = random_blob(layer_size)
            d = self.push_blob(repo, data)
            blobs.append(d)
            layer_descs.append(
                {"mediaType": OCI_LAYER if oci else DOCKER_LAYER, "size": len(data), "digest": d}
            )
        manifest = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {
                "mediaType": OCI_CONFIG if oci else DOCKER_CONFIG,
                "size": len(config),
                "digest": config_digest,
            },
            "layers": layer_descs,
        }
        manifest.update(extra or {})
        body = json.dumps(manifest).encode()
        digest = sha256(body)
        r = self.put_manifest(repo, tag or digest, body, media_type)
        assert r.status_code == 201, r.text
        assert r.headers["Docker-Content-Digest"] == digest
        return digest, body, blobs


def make_repo(ecr, prefix: str = "ct") -> str:
    name = f"{prefix}/{unique('r')}"
    ecr.create_repository(repositoryName=name)
    return name


def start_server(tmp_path, monkeypatch, env: dict, name: str = "ecr"):
    """A private `berth dev` with extra environment (the ECR timing knobs)."""
    from conftest import BerthServer  # the suite's own server wrapper

    for k, v in env.items():
        monkeypatch.setenv(k, str(v))
    srv = BerthServer(f"{name}-{tmp_path.name}", tmp_path / "data", tmp_path)
    srv.start()
    return srv


def blob_file(srv, digest: str):
    """Where the server keeps a blob's bytes (data dir `ecr/blobs/<algorithm>/<hex>`)."""
    alg, hexpart = digest.split(":", 1)
    return srv.data_dir / "ecr" / "blobs" / alg / hexpart


def wait_for(predicate, timeout: float = 20.0, step: float = 0.2):
    """Polls until `predicate()` is truthy; answers its last value."""
    import time

    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(step)
        value = predicate()
    return value
