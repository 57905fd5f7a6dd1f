"""ECR through real clients: boto3 for the API, the docker CLI for the registry."""

import base64
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ctutil import ACCESS_KEY, REGION, SECRET_KEY, unique

DEMO_IMAGE = "berth-demo/web:latest"


def ecr_client(endpoint):
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    return session.client(
        "ecr", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1})
    )


@pytest.fixture(scope="module")
def ecr(server):
    return ecr_client(server.endpoint)


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def docker(*args, input=None, check=True):
    proc = subprocess.run(
        ["docker", *args], input=input, capture_output=True, text=True, timeout=300
    )
    if check and proc.returncode != 0:
        # Docker's own words, not only its exit status.
        raise AssertionError(
            f"docker {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def test_repositories_are_created_described_and_deleted(ecr, server):
    name = f"ct/{unique('repo')}"
    repo = ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")["repository"]
    host = server.endpoint.removeprefix("http://")
    assert repo["repositoryUri"] == f"{host}/{name}"
    assert repo["repositoryArn"] == f"arn:aws:ecr:{REGION}:000000000000:repository/{name}"
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["encryptionConfiguration"] == {"encryptionType": "AES256"}
    with pytest.raises(ClientError) as e:
        ecr.create_repository(repositoryName=name)
    assert error_code(e) == "RepositoryAlreadyExistsException"
    got = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    assert [r["repositoryName"] for r in got] == [name]
    ecr.delete_repository(repositoryName=name)
    with pytest.raises(ClientError) as e:
        ecr.describe_repositories(repositoryNames=[name])
    assert error_code(e) == "RepositoryNotFoundException"


@pytest.mark.parametrize("bad", ["Upper", "ab_", "-x", "a//b", "a..b"])
def test_bad_repository_names_are_refused(ecr, bad):
    with pytest.raises(ClientError) as e:
        ecr.create_repository(repositoryName=bad)
    assert error_code(e) == "InvalidParameterException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_docker_login_push_pull_run(ecr, server):
    if docker("image", "inspect", DEMO_IMAGE, check=False).returncode != 0:
        subprocess.run([str(Path(__file__).resolve().parents[2] / "scripts" / "demo-image")], check=True)
    name = f"ct/{unique('web')}"
    uri = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    auth = ecr.get_authorization_token()["authorizationData"][0]
    assert auth["proxyEndpoint"] == server.endpoint
    user, password = base64.b64decode(auth["authorizationToken"]).decode().split(":", 1)
    assert user == "AWS"
    registry = uri.split("/", 1)[0]
    # Without credentials the registry challenges; with a bad password it refuses.
    docker("logout", registry, check=False)
    out = docker("login", "--username", "AWS", "--password-stdin", registry, input="nope", check=False)
    assert out.returncode != 0
    docker("login", "--username", "AWS", "--password-stdin", registry, input=password)
    docker("tag", DEMO_IMAGE, f"{uri}:v1")
    pushed = docker("push", f"{uri}:v1").stdout
    assert "digest: sha256:" in pushed
    docker("rmi", f"{uri}:v1")
    docker("pull", f"{uri}:v1")
    ran = docker("run", "--rm", f"{uri}:v1", "echo", "pulled from berth").stdout
    assert ran.strip() == "pulled from berth"
    details = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert len(details) == 1 and details[0]["imageTags"] == ["v1"]
    assert details[0]["imageManifestMediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert details[0]["imageSizeInBytes"] > 1_000_000
    # The pull is recorded beside the answer, not before it.
    deadline = time.time() + 10
    while "lastRecordedPullTime" not in details[0] and time.time() < deadline:
        time.sleep(0.1)
        details = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert "lastRecordedPullTime" in details[0]
    digest = details[0]["imageDigest"]
    manifest = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}])["images"][0]
    assert manifest["imageId"]["imageDigest"] == digest
    # The manifest back through the API: an unchanged PutImage is refused as AWS does.
    with pytest.raises(ClientError) as e:
        ecr.put_image(repositoryName=name, imageManifest=manifest["imageManifest"], imageTag="v1")
    assert error_code(e) == "ImageAlreadyExistsException"
    ecr.put_image(repositoryName=name, imageManifest=manifest["imageManifest"], imageTag="v2")
    ids = ecr.list_images(repositoryName=name)["imageIds"]
    assert sorted(i["imageTag"] for i in ids) == ["v1", "v2"]
    # Immutable tags refuse to move.
    ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="IMMUTABLE")
    out = docker("push", f"{uri}:v1", check=False)
    assert out.returncode == 0  # the same digest again is no move
    deleted = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageDigest": digest}])
    assert sorted(i["imageTag"] for i in deleted["imageIds"]) == ["v1", "v2"]
    assert ecr.describe_images(repositoryName=name)["imageDetails"] == []
    docker("rmi", f"{uri}:v1", check=False)
    with pytest.raises(ClientError) as e:
        ecr.delete_repository(repositoryName=f"ct/{unique('none')}")
    assert error_code(e) == "RepositoryNotFoundException"
