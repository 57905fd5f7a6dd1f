"""Lifecycle policies and garbage collection over real pushes.

The server runs with short sweep periods (BERTH_ECR_LIFECYCLE_SWEEP_SECS, BERTH_ECR_GC_SECS)
and a short grace for unreferenced blobs (BERTH_ECR_GC_GRACE_SECS), so the background jobs
act within seconds instead of minutes.
"""

import json
import time

import pytest

from ecrutil import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    Registry,
    assert_error,
    blob_file,
    ecr_client,
    make_repo,
    random_blob,
    sha256,
    start_server,
    wait_for,
)

GRACE = 3.0


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


@pytest.fixture
def gc_srv(tmp_path, monkeypatch):
    """Collects every half second, keeping unreferenced blobs GRACE seconds."""
    s = start_server(tmp_path, monkeypatch, {
        "BERTH_ECR_GC_SECS": "0.5", "BERTH_ECR_GC_GRACE_SECS": str(GRACE),
    }, name="gc")
    yield s
    s.stop()


@pytest.fixture
def gc_reg(gc_srv):
    return Registry(gc_srv.endpoint, ecr_client(gc_srv.endpoint))


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


def test_images_an_index_lists_are_not_expired(reg, ecr):
    repo = make_repo(ecr, "ctlc")
    lone = []
    for _ in range(2):
        lone.append(reg.push_image(repo, media_type=OCI_MANIFEST)[0])
        time.sleep(0.05)
    children = []
    for _ in range(2):
        children.append(reg.push_image(repo, media_type=OCI_MANIFEST)[:2])
        time.sleep(0.05)
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": d, "size": len(b)} for d, b in children]}).encode()
    assert reg.put_manifest(repo, "multi", index, OCI_INDEX).status_code == 201
    time.sleep(0.05)
    newest = reg.push_image(repo, media_type=OCI_MANIFEST)[0]
    policy = {"rules": [{
        "rulePriority": 1, "description": "one untagged",
        "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
        "action": {"type": "expire"},
    }]}
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=json.dumps(policy))
    assert wait_for(lambda: not set(lone) & set(digests(ecr, repo)))
    left = digests(ecr, repo)
    assert set(left) == {newest, sha256(index), *(d for d, _ in children)}
    for d, body in children:
        assert reg.manifest(repo, d).content == body, "the index's children stay"
    assert reg.manifest(repo, "multi").content == index


def test_images_without_a_policy_are_kept(reg, ecr):
    repo = make_repo(ecr, "ctlc")
    pushed = {reg.push_image(repo)[0] for _ in range(3)}
    time.sleep(2)
    assert set(digests(ecr, repo)) == pushed



def test_unreferenced_blobs_are_collected_after_the_grace(gc_srv, gc_reg):
    reg, ecr, srv = gc_reg, gc_reg.ecr, gc_srv
    repo = make_repo(ecr, "ctgc")
    shared = reg.push_blob(repo, random_blob(2048))
    gone_digest, gone_body, gone_blobs = reg.push_image(repo, "gone")
    cfg = reg.push_blob(repo, b'{"os":"linux","keep":1}')
    kept_manifest = {
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": 23, "digest": cfg},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 2048, "digest": shared}],
    }
    assert reg.put_manifest(repo, "kept", json.dumps(kept_manifest).encode(),
                            DOCKER_MANIFEST).status_code == 201
    stray = reg.push_blob(repo, random_blob(100))
    time.sleep(GRACE / 3)
    # Within the grace nothing goes, referenced or not.
    for d in [stray, *gone_blobs]:
        assert reg.request("HEAD", f"{repo}/blobs/{d}").status_code == 200
        assert blob_file(srv, d).exists()
    ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": gone_digest}])
    doomed = [stray, *gone_blobs]
    assert wait_for(lambda: not any(blob_file(srv, d).exists() for d in doomed), timeout=GRACE + 15)
    for d in doomed:
        assert reg.request("HEAD", f"{repo}/blobs/{d}").status_code == 404
    for d in [shared, cfg]:
        assert reg.blob(repo, d).status_code == 200, "blobs of a kept image stay"
        assert blob_file(srv, d).exists()
    assert reg.manifest(repo, "kept").status_code == 200


def test_an_upload_in_progress_survives_collection(gc_srv, gc_reg):
    reg, ecr, srv = gc_reg, gc_reg.ecr, gc_srv
    repo = make_repo(ecr, "ctgc")
    data = random_blob(300_000)
    loc = reg.start_upload(repo).headers["Location"]
    r = reg.request("PATCH", loc, data=data[:100_000])
    assert r.status_code == 202
    # Several collections run while the upload sits half done, well past the grace.
    time.sleep(GRACE + 2)
    r = reg.request("GET", loc)
    assert r.status_code == 204 and r.headers["Range"] == "0-99999"
    r = reg.request("PATCH", loc, data=data[100_000:])
    assert r.status_code == 202
    r = reg.request("PUT", loc, params={"digest": sha256(data)})
    assert r.status_code == 201, r.text
    assert reg.blob(repo, sha256(data)).content == data


def test_a_blob_uploaded_again_gets_a_new_grace(gc_srv, gc_reg):
    reg, ecr, srv = gc_reg, gc_reg.ecr, gc_srv
    repo = make_repo(ecr, "ctgc")
    digest, body, blobs = reg.push_image(repo, "v1")
    layer_bytes = {d: reg.blob(repo, d).content for d in blobs}
    time.sleep(GRACE + 1)  # the blobs are old now, but referenced
    ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    # The client pushes the same image again: every blob anew, then (soon, within the
    # grace) the manifest.
    for d in blobs:
        reg.push_blob(repo, layer_bytes[d], d)
    time.sleep(GRACE / 2)
    r = reg.put_manifest(repo, "v1", body, DOCKER_MANIFEST)
    assert r.status_code == 201, r.text
    time.sleep(GRACE + 1)
    for d in blobs:
        assert reg.blob(repo, d).content == layer_bytes[d]


def test_pushes_while_the_collector_runs_lose_nothing(gc_srv, gc_reg):
    # Each upload's file and each finished blob exist a moment before their records: a
    # collection in between must not take them for strays.
    from concurrent.futures import ThreadPoolExecutor

    ecr = gc_reg.ecr
    repo = make_repo(ecr, "ctgc")

    def pusher(i):
        reg = Registry(gc_srv.endpoint, ecr)
        return [reg.push_image(repo, f"p{i}-{n}", layers=2) for n in range(6)]

    with ThreadPoolExecutor(4) as pool:
        pushed = [img for batch in pool.map(pusher, range(4)) for img in batch]
    assert len(pushed) == 24
    for digest, body, blobs in pushed:
        assert gc_reg.manifest(repo, digest).content == body
        for d in blobs:
            assert blob_file(gc_srv, d).exists(), d
            assert sha256(gc_reg.blob(repo, d).content) == d


def test_an_image_deleted_and_pushed_again_finds_its_layers(gc_srv, gc_reg):
    # The blobs are old (pushed long before the grace), the image is deleted, and a client
    # pushes it again at once: its layers still answer HEAD, so it skips them and puts the
    # manifest. The grace counts from the delete, not from the layers' first upload.
    reg, ecr = gc_reg, gc_reg.ecr
    repo = make_repo(ecr, "ctgc")
    digest, body, blobs = reg.push_image(repo, "v1", layers=2)
    time.sleep(GRACE + 1)
    r = reg.request("DELETE", f"{repo}/manifests/{digest}")
    assert r.status_code == 202
    for d in blobs:
        assert reg.request("HEAD", f"{repo}/blobs/{d}").status_code == 200
    time.sleep(GRACE / 2)  # several collections run
    r = reg.put_manifest(repo, "v1", body, DOCKER_MANIFEST)
    assert r.status_code == 201, r.text
    for d in blobs:
        assert sha256(reg.blob(repo, d).content) == d
    # Deleted again and left alone, they do go once the grace has passed.
    ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert wait_for(lambda: not any(blob_file(gc_srv, d).exists() for d in blobs), timeout=GRACE + 15)
