"""Repository policies with real pushes and pulls through the registry.

On `berth dev` a 12-digit access key id acts in that account. Another account reaches the
owner's registry by the AWS-shaped host `<owner>.dkr.ecr.<region>.amazonaws.com`; it is
refused until the repository's policy allows it, and an explicit Deny refuses even the
owner.
"""

import json

import pytest
from botocore.exceptions import ClientError

from ctutil import ACCOUNT, REGION
from ecrutil import Registry, assert_error, ecr_client, make_repo, random_blob, sha256

OTHER = "111111111111"
THIRD = "222222222222"
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
PUSH = ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"]


def owner_host(server) -> str:
    return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com:{server.port}"


@pytest.fixture(scope="module")
def ecr(server):
    return ecr_client(server.endpoint)


@pytest.fixture(scope="module")
def owner(server, ecr):
    return Registry(server.endpoint, ecr)


@pytest.fixture(scope="module")
def other(server):
    """Account 111111111111 addressing the owner's registry."""
    return Registry(server.endpoint, ecr_client(server.endpoint, access_key=OTHER), owner_host(server))


@pytest.fixture(scope="module")
def third(server):
    return Registry(server.endpoint, ecr_client(server.endpoint, access_key=THIRD), owner_host(server))


def allow(ecr, repo, account, actions, sid="allow"):
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": sid, "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": actions,
    }]}
    ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps(policy))


def pull_refused(reg, repo, ref, blob):
    assert_error(reg.manifest(repo, ref), 403, "DENIED")
    assert_error(reg.blob(repo, blob), 403, "DENIED")
    assert_error(reg.request("GET", f"{repo}/tags/list"), 403, "DENIED")
    h = reg.manifest(repo, ref, head=True)
    assert h.status_code == 403


def push_refused(reg, repo):
    assert_error(reg.start_upload(repo), 403, "DENIED")
    data = random_blob(64)
    r = reg.request("POST", f"{repo}/blobs/uploads/", params={"digest": sha256(data)}, data=data)
    assert_error(r, 403, "DENIED")


def test_the_host_names_the_owners_registry(server, ecr, owner, other):
    repo = make_repo(ecr, "ctpol")
    owner.push_image(repo, "v1")
    # Without the owner's host, the other account asks its own registry: no such repository.
    own = Registry(server.endpoint, other.ecr)
    assert_error(own.manifest(repo, "v1"), 404, "NAME_UNKNOWN")
    assert_error(own.start_upload(repo), 404, "NAME_UNKNOWN")


def test_another_account_is_refused_until_a_policy_allows_it(ecr, owner, other, third):
    repo = make_repo(ecr, "ctpol")
    digest, body, blobs = owner.push_image(repo, "v1")
    pull_refused(other, repo, "v1", blobs[1])
    push_refused(other, repo)
    with pytest.raises(ClientError) as e:
        other.ecr.batch_get_image(registryId=ACCOUNT, repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert e.value.response["Error"]["Code"] in ("AccessDeniedException", "RepositoryNotFoundException")

    allow(ecr, repo, OTHER, PULL)
    got = other.manifest(repo, "v1")
    assert got.status_code == 200 and got.content == body
    for d in blobs:
        assert sha256(other.blob(repo, d).content) == d
    push_refused(other, repo)
    pull_refused(third, repo, "v1", blobs[1])
    api = other.ecr.batch_get_image(registryId=ACCOUNT, repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert [i["imageId"]["imageDigest"] for i in api["images"]] == [digest]

    allow(ecr, repo, OTHER, PULL + PUSH)
    pushed, pushed_body, _ = other.push_image(repo, "from-other")
    details = {d["imageDigest"]: d for d in ecr.describe_images(repositoryName=repo)["imageDetails"]}
    assert details[pushed]["imageTags"] == ["from-other"]
    assert owner.manifest(repo, "from-other").content == pushed_body
    push_refused(third, repo)

    ecr.delete_repository_policy(repositoryName=repo)
    pull_refused(other, repo, "v1", blobs[1])
    push_refused(other, repo)


def test_an_upload_begun_under_a_policy_stops_when_it_is_withdrawn(ecr, owner, other):
    repo = make_repo(ecr, "ctpol")
    allow(ecr, repo, OTHER, PULL + PUSH)
    data = random_blob(2000)
    r = other.start_upload(repo)
    assert r.status_code == 202
    loc = r.headers["Location"]
    assert other.request("PATCH", loc, data=data[:1000]).status_code == 202
    ecr.delete_repository_policy(repositoryName=repo)
    assert_error(other.request("PATCH", loc, data=data[1000:]), 403, "DENIED")
    assert_error(other.request("PUT", loc, params={"digest": sha256(data)}), 403, "DENIED")
    assert owner.request("HEAD", f"{repo}/blobs/{sha256(data)}").status_code == 404


def test_a_mount_needs_read_access_to_the_source(ecr, owner, other):
    secret = make_repo(ecr, "ctpol")
    digest = owner.push_blob(secret, random_blob(500))
    target = make_repo(ecr, "ctpol")
    allow(ecr, target, OTHER, PULL + PUSH)
    r = other.start_upload(target, mount=digest, **{"from": secret})
    assert r.status_code == 202, "not mounted: the caller may not read the source"
    assert owner.request("HEAD", f"{target}/blobs/{digest}").status_code == 404
    allow(ecr, secret, OTHER, PULL)
    r = other.start_upload(target, mount=digest, **{"from": secret})
    assert r.status_code == 201
    assert owner.request("HEAD", f"{target}/blobs/{digest}").status_code == 200


def test_an_explicit_deny_refuses_even_the_owner(ecr, owner, other):
    repo = make_repo(ecr, "ctpol")
    digest, body, blobs = owner.push_image(repo, "v1")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "others-pull", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": PULL},
        {"Sid": "nobody-pulls", "Effect": "Deny", "Principal": "*",
         "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]},
        {"Sid": "nobody-pushes", "Effect": "Deny", "Principal": "*", "Action": "ecr:InitiateLayerUpload"},
    ]}
    ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps(policy))
    for reg in (owner, other):
        assert_error(reg.manifest(repo, "v1"), 403, "DENIED")
        assert_error(reg.blob(repo, blobs[1]), 403, "DENIED")
        assert_error(reg.start_upload(repo), 403, "DENIED")
    with pytest.raises(ClientError) as e:
        ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    # The deny names no ListImages: the owner still lists its tags.
    assert owner.request("GET", f"{repo}/tags/list").json()["tags"] == ["v1"]
    ecr.delete_repository_policy(repositoryName=repo)
    assert owner.manifest(repo, "v1").content == body
