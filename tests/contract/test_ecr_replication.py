"""Replication with real pushes: an image pushed to a repository the replication
configuration covers appears in another account's registry (same region) once that
registry's policy allows it, with the same digest and tag; DescribeImageReplicationStatus
tells each destination's outcome, and a region this endpoint does not serve fails with a
reason. (On `berth dev` a 12-digit access key id acts in that account.)"""

from __future__ import annotations

import base64
import json
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ctutil import ACCESS_KEY, REGION, SECRET_KEY, unique
from test_ecr_registry import docker, ecr_client, error_code
from test_ecr_tasks import build_image

SOURCE = "000000000000"
DEST = "222233334444"


def ecr_as(endpoint, key):
    return boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=SECRET_KEY, region_name=REGION
    ).client("ecr", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1}))


def push(ecr, host, name, tag="v1") -> str:
    uri = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    docker("login", "--username", "AWS", "--password-stdin", host,
           input=base64.b64decode(token).decode().split(":", 1)[1])
    build_image(f"{uri}:{tag}")
    docker("push", f"{uri}:{tag}")
    docker("rmi", "-f", f"{uri}:{tag}")
    return ecr.describe_images(repositoryName=name)["imageDetails"][0]["imageDigest"]


def allow_replication(dst, prefix):
    """The destination registry lets the source account replicate into `prefix`."""
    dst.put_registry_policy(policyText=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReplicationFromSource",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{SOURCE}:root"},
            "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
            "Resource": f"arn:aws:ecr:{REGION}:{DEST}:repository/{prefix}*",
        }],
    }))


def wait_statuses(ecr, name, digest, count, timeout=30.0):
    deadline = time.time() + timeout
    while True:
        out = ecr.describe_image_replication_status(repositoryName=name, imageId={"imageDigest": digest})
        statuses = out["replicationStatuses"]
        done = [s for s in statuses if s["status"] != "IN_PROGRESS"]
        if len(done) == count:
            return {(s["region"], s["registryId"]): s for s in statuses}
        assert time.time() < deadline, f"replication still in progress: {statuses}"
        time.sleep(0.2)


def test_pushed_images_replicate_to_another_account_that_allows_it(server):
    src = ecr_client(server.endpoint)
    dst = ecr_as(server.endpoint, DEST)
    host = server.endpoint.removeprefix("http://")
    prefix = unique("repl") + "/"
    allow_replication(dst, prefix)
    src.put_replication_configuration(replicationConfiguration={"rules": [{
        "destinations": [{"region": REGION, "registryId": DEST}, {"region": "eu-west-1", "registryId": SOURCE}],
        "repositoryFilters": [{"filter": prefix, "filterType": "PREFIX_MATCH"}],
    }]})
    try:
        name = f"{prefix}app"
        digest = push(src, host, name)
        statuses = wait_statuses(src, name, digest, 2)
        assert statuses[(REGION, DEST)]["status"] == "COMPLETE", statuses
        failed = statuses[("eu-west-1", SOURCE)]
        assert failed["status"] == "FAILED" and "eu-west-1" in failed["failureCode"], failed
        # The destination registry holds the same image under the same tag.
        images = dst.describe_images(repositoryName=name)["imageDetails"]
        assert [(i["imageDigest"], i["imageTags"]) for i in images] == [(digest, ["v1"])]
        got = dst.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}])["images"][0]
        mine = src.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}])["images"][0]
        assert got["imageManifest"] == mine["imageManifest"]
        # … and serves its layers: a pull with the destination account's own login.
        token = dst.get_authorization_token()["authorizationData"][0]["authorizationToken"]
        docker("login", "--username", "AWS", "--password-stdin", host,
               input=base64.b64decode(token).decode().split(":", 1)[1])
        docker("pull", f"{host}/{name}:v1")
        docker("rmi", "-f", f"{host}/{name}:v1")

        # A repository the destination's policy does not cover fails, and says why.
        other = f"{unique('repl')}/app"
        src.put_replication_configuration(replicationConfiguration={"rules": [{
            "destinations": [{"region": REGION, "registryId": DEST}],
            "repositoryFilters": [{"filter": other.split("/")[0], "filterType": "PREFIX_MATCH"}],
        }]})
        digest = push(src, host, other)
        refused = wait_statuses(src, other, digest, 1)[(REGION, DEST)]
        assert refused["status"] == "FAILED" and "ecr:" in refused["failureCode"], refused
        with pytest.raises(ClientError) as e:
            dst.describe_images(repositoryName=other)
        assert error_code(e) == "RepositoryNotFoundException"
    finally:
        src.put_replication_configuration(replicationConfiguration={"rules": []})
        docker("logout", host, check=False)


def test_replication_configuration_is_checked(server):
    src = ecr_client(server.endpoint)
    with pytest.raises(ClientError) as e:
        src.put_replication_configuration(replicationConfiguration={"rules": [{
            "destinations": [{"region": REGION, "registryId": SOURCE}],
        }]})
    assert error_code(e) == "InvalidParameterException"
    name = f"{unique('norepl')}/app"
    src.create_repository(repositoryName=name)
    with pytest.raises(ClientError) as e:
        src.describe_image_replication_status(repositoryName=name, imageId={"imageTag": "none"})
    assert error_code(e) == "ImageNotFoundException"


def test_images_replicate_to_the_berth_serving_another_region(tmp_path):
    from conftest import BerthServer, _start_or_fail

    peer = BerthServer("ecr-peer", tmp_path / "peer", tmp_path, extra_args=["--no-agent", "--region", "eu-west-1"])
    _start_or_fail(peer)
    source = BerthServer(
        "ecr-source", tmp_path / "source", tmp_path,
        extra_args=["--no-agent", "--replication-peer", f"eu-west-1={peer.endpoint}"],
    )
    try:
        _start_or_fail(source)
        src = ecr_client(source.endpoint)
        far = boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="eu-west-1"
        ).client("ecr", endpoint_url=peer.endpoint, config=Config(retries={"total_max_attempts": 1}))
        src.put_replication_configuration(replicationConfiguration={"rules": [{
            "destinations": [{"region": "eu-west-1", "registryId": SOURCE}, {"region": "ap-south-1", "registryId": SOURCE}],
        }]})
        host = source.endpoint.removeprefix("http://")
        name = f"{unique('dr')}/app"
        digest = push(src, host, name)
        statuses = wait_statuses(src, name, digest, 2)
        assert statuses[("eu-west-1", SOURCE)]["status"] == "COMPLETE", statuses
        assert statuses[("ap-south-1", SOURCE)]["status"] == "FAILED", statuses
        images = far.describe_images(repositoryName=name)["imageDetails"]
        assert [(i["imageDigest"], i["imageTags"]) for i in images] == [(digest, ["v1"])]
        assert images[0]["imageSizeInBytes"] > 1_000_000
        # The peer serves it whole: a pull from the other region's registry.
        peer_host = peer.endpoint.removeprefix("http://")
        token = far.get_authorization_token()["authorizationData"][0]["authorizationToken"]
        docker("login", "--username", "AWS", "--password-stdin", peer_host,
               input=base64.b64decode(token).decode().split(":", 1)[1])
        docker("pull", f"{peer_host}/{name}:v1")
        docker("rmi", "-f", f"{peer_host}/{name}:v1")
        docker("logout", peer_host, check=False)
    finally:
        source.stop()
        peer.stop()


def test_a_backfill_replicates_images_pushed_before_the_configuration(server):
    src = ecr_client(server.endpoint)
    dst = ecr_as(server.endpoint, DEST)
    host = server.endpoint.removeprefix("http://")
    prefix = unique("bf") + "/"
    allow_replication(dst, prefix)
    name = f"{prefix}old"
    digest = push(src, host, name)  # before any replication configuration
    with pytest.raises(ClientError) as e:
        src.start_replication_backfill(destination={"region": REGION, "registryId": DEST})
    assert error_code(e) == "InvalidParameterException"
    src.put_replication_configuration(replicationConfiguration={"rules": [{
        "destinations": [{"region": REGION, "registryId": DEST}],
        "repositoryFilters": [{"filter": prefix, "filterType": "PREFIX_MATCH"}],
    }]})
    try:
        started = src.start_replication_backfill(destination={"region": REGION, "registryId": DEST})
        backfill = started["replicationBackfillId"]
        assert started["status"] == "IN_PROGRESS"
        deadline = time.time() + 30
        while True:
            out = src.describe_replication_backfill_results(replicationBackfillId=backfill)
            if out["status"] != "IN_PROGRESS":
                break
            assert time.time() < deadline, out
            time.sleep(0.2)
        assert out["status"] == "COMPLETE", out
        assert out["progress"]["totalReplicationCount"] == 1
        assert out["progress"]["completedReplicationCount"] == 1
        assert [(r["repositoryName"], r["imageId"]["imageDigest"], r["status"]) for r in out["results"]] == [
            (name, digest, "COMPLETE")
        ]
        images = dst.describe_images(repositoryName=name)["imageDetails"]
        assert [(i["imageDigest"], i["imageTags"]) for i in images] == [(digest, ["v1"])]
        listed = src.list_replication_backfills()["backfills"]
        assert backfill in [b["replicationBackfillId"] for b in listed]
        with pytest.raises(ClientError) as e:
            src.stop_replication_backfill(replicationBackfillId=backfill)
        assert error_code(e) == "ReplicationBackfillInvalidStatusException"
        with pytest.raises(ClientError) as e:
            src.describe_replication_backfill_results(replicationBackfillId="00000000-0000-0000-0000-000000000000")
        assert error_code(e) == "ReplicationBackfillNotFoundException"
    finally:
        src.put_replication_configuration(replicationConfiguration={"rules": []})
        docker("logout", host, check=False)
