"""Pull through cache rules against a real upstream: CNCF distribution (Debian's
`docker-registry`) on loopback. The first `docker pull` of `<prefix>/<repo>:<tag>` creates
the cache repository and fills it from the upstream; later pulls are served by Berth even
with the upstream gone."""

from __future__ import annotations

import base64
import socket
import subprocess
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from ctutil import unique
from test_ecr_registry import docker, ecr_client, error_code
from test_ecr_tasks import build_image


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Upstream:
    """A distribution registry on a free loopback port with its own storage."""

    def __init__(self, root):
        self.port = _free_port()
        self.root = root
        config = root / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "storage:\n"
            f"  filesystem:\n    rootdirectory: {root / 'data'}\n"
            "  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n"
        )
        self.log = open(root / "registry.log", "wb")
        self.proc = subprocess.Popen(
            ["docker-registry", "serve", str(config)], stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/v2/", timeout=1)
                return
            except OSError:
                assert self.proc.poll() is None, (root / "registry.log").read_text()
                assert time.time() < deadline, "docker-registry did not start"
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()


@pytest.fixture
def upstream(tmp_path):
    u = Upstream(tmp_path)
    yield u
    u.stop()


def login(ecr, host):
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    password = base64.b64decode(token).decode().split(":", 1)[1]
    docker("login", "--username", "AWS", "--password-stdin", host, input=password)


def test_a_pull_fills_the_cache_from_the_upstream_and_survives_its_loss(server, upstream):
    ecr = ecr_client(server.endpoint)
    host = server.endpoint.removeprefix("http://")
    prefix = unique("mirror")
    rule = ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=upstream.url)
    assert rule["ecrRepositoryPrefix"] == prefix
    assert rule["upstreamRegistryUrl"] == upstream.url
    assert ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=prefix)["isValid"] is True

    # An image on the upstream only.
    upstream_ref = f"127.0.0.1:{upstream.port}/team/app:1.0"
    build_image(upstream_ref)
    docker("push", upstream_ref)
    docker("rmi", "-f", upstream_ref)

    cached = f"{host}/{prefix}/team/app:1.0"
    login(ecr, host)
    docker("pull", cached)
    out = docker("run", "--rm", "--entrypoint", "/bin/busybox", cached, "cat", "/build-id").stdout
    assert len(out.strip()) == 32
    repos = ecr.describe_repositories(repositoryNames=[f"{prefix}/team/app"])["repositories"]
    assert repos[0]["repositoryName"] == f"{prefix}/team/app"
    images = ecr.describe_images(repositoryName=f"{prefix}/team/app")["imageDetails"]
    assert images[0]["imageTags"] == ["1.0"]

    # The upstream gone: the cache still serves what it holds; what it never had is unknown.
    upstream.stop()
    docker("rmi", "-f", cached)
    docker("pull", cached)
    missing = docker("pull", f"{host}/{prefix}/team/app:2.0", check=False)
    assert missing.returncode != 0
    assert "not found" in missing.stderr or "unknown" in missing.stderr, missing.stderr
    assert ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=prefix)["isValid"] is False
    docker("rmi", "-f", cached, check=False)
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix=prefix)


def test_rules_are_managed_with_ecrs_errors(server):
    ecr = ecr_client(server.endpoint)
    prefix = unique("ptc")
    ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix=prefix, upstreamRegistryUrl="http://127.0.0.1:9", upstreamRegistry="docker-hub"
    )
    with pytest.raises(ClientError) as e:
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl="quay.io")
    assert error_code(e) == "PullThroughCacheRuleAlreadyExistsException"
    with pytest.raises(ClientError) as e:
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="Bad_Prefix", upstreamRegistryUrl="quay.io")
    assert error_code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=unique("ptc"), upstreamRegistryUrl="http://a/b c")
    assert error_code(e) == "InvalidParameterException"
    got = ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=[prefix])["pullThroughCacheRules"]
    assert [(r["ecrRepositoryPrefix"], r["upstreamRegistry"]) for r in got] == [(prefix, "docker-hub")]
    updated = ecr.update_pull_through_cache_rule(
        ecrRepositoryPrefix=prefix, credentialArn="arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/x"
    )
    assert updated["credentialArn"].endswith("ecr-pullthroughcache/x")
    deleted = ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix=prefix)
    assert deleted["upstreamRegistryUrl"] == "http://127.0.0.1:9"
    for call in (
        lambda: ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix=prefix),
        lambda: ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=[prefix]),
        lambda: ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=prefix),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e) == "PullThroughCacheRuleNotFoundException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
