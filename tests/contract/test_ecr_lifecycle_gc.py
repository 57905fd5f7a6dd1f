"""Lifecycle policies and garbage collection over real pushes.

The server runs with short sweep periods (BERTH_ECR_LIFECYCLE_SWEEP_SECS, BERTH_ECR_GC_SECS)
and a short grace for unreferenced blobs (BERTH_ECR_GC_GRACE_SECS), so the background jobs
act within seconds instead of minutes.
"""

import json
import time

import pytest

from ecrutil import (
    Registry,
    assert_error,
    ecr_client,
    make_repo,
    start_server,
    wait_for,
)

@pytest.fixture
def srv(tmp_path, monkeypatch):
    s = start_server(tmp_path, monkeypatch, {"BERTH_ECR_LIFECYCLE_SWEEP_SECS": "0.5"})
    yield s
    s.stop()


@pytest.fixture
def ecr(srv):
    return ecr_client(srv.endpoint)


@pytest.fixture
def reg(srv, ecr):
    return Registry(srv.endpoint, ecr)


def digests(ecr, repo):
    return {d["imageDigest"]: sorted(d.get("imageTags", []))
            for d in ecr.describe_images(repositoryName=repo)["imageDetails"]}


def test_lifecycle_policy_expires_pushed_images(reg, ecr):
    repo = make_repo(ecr, "ctlc")
    untagged = []
    for _ in range(3):
        untagged.append(reg.push_image(repo)[0])
        time.sleep(0.05)
    tagged = {}
    for tag in ["prod-1", "prod-2", "prod-3", "dev-1"]:
        tagged[tag] = reg.push_image(repo, tag)[0]
        time.sleep(0.05)
    policy = {"rules": [
        {"rulePriority": 1, "description": "one untagged",
         "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "description": "two prod",
         "selection": {"tagStatus": "tagged", "tagPrefixList": ["prod"],
                       "countType": "imageCountMoreThan", "countNumber": 2},
         "action": {"type": "expire"}},
    ]}
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=json.dumps(policy))
    expired = [untagged[0], untagged[1], tagged["prod-1"]]
    wait_for(lambda: len(digests(ecr, repo)) == 4)
    assert digests(ecr, repo) == {
        untagged[2]: [], tagged["prod-2"]: ["prod-2"], tagged["prod-3"]: ["prod-3"],
        tagged["dev-1"]: ["dev-1"],
    }
    for d in expired:
        assert_error(reg.manifest(repo, d), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.manifest(repo, "prod-1"), 404, "MANIFEST_UNKNOWN")
    assert reg.manifest(repo, "prod-3").status_code == 200
    tags = reg.request("GET", f"{repo}/tags/list").json()["tags"]
    assert tags == ["dev-1", "prod-2", "prod-3"]
    got = ecr.get_lifecycle_policy(repositoryName=repo)
    assert "lastEvaluatedAt" in got
    # A later push beyond the count expires the oldest kept one.
    newest = reg.push_image(repo, "prod-4")[0]
    wait_for(lambda: tagged["prod-2"] not in digests(ecr, repo))
    assert set(digests(ecr, repo)) == {untagged[2], tagged["prod-3"], newest, tagged["dev-1"]}


def test_images_without_a_policy_are_kept(reg, ecr):
    repo = make_repo(ecr, "ctlc")
    pushed = {reg.push_image(repo)[0] for _ in range(3)}
    time.sleep(2)
    assert set(digests(ecr, repo)) == pushed

