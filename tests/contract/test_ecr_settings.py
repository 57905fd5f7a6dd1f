"""Account settings (BLOB_MOUNTING decides cross-repository mounts), the repository-level
view of scanning configuration, and ListImageReferrers, through boto3 and raw registry
HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from ctutil import unique
from test_ecr_registry import ecr_client, error_code


def login_header(ecr):
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    return {"Authorization": f"Basic {token}"}


def call(url, method, headers, body=b""):
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def put_blob(endpoint, headers, repo, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, body = call(f"{endpoint}/v2/{repo}/blobs/uploads/?digest={digest}", "POST", headers, data)
    assert status == 201, body
    return digest


def test_blob_mounting_follows_the_account_setting(server):
    ecr = ecr_client(server.endpoint)
    assert ecr.get_account_setting(name="BLOB_MOUNTING")["value"] == "ENABLED"
    headers = login_header(ecr)
    a, b = f"{unique('mnt')}/a", f"{unique('mnt')}/b"
    for r in (a, b):
        ecr.create_repository(repositoryName=r)
    digest = put_blob(server.endpoint, headers, a, unique("layer").encode())
    mount = f"{server.endpoint}/v2/{b}/blobs/uploads/?mount={digest}&from={a}"
    try:
        ecr.put_account_setting(name="BLOB_MOUNTING", value="DISABLED")
        status, _ = call(mount, "POST", headers)
        assert status == 202, "mounting disabled: an upload starts instead"
        ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
        status, _ = call(mount, "POST", headers)
        assert status == 201
    finally:
        ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
    for bad in (dict(name="NOPE", value="X"), dict(name="BLOB_MOUNTING", value="SOMETIMES")):
        with pytest.raises(ClientError) as e:
            ecr.put_account_setting(**bad)
        assert error_code(e) == "InvalidParameterException"
    assert ecr.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V2"


def test_repository_scanning_configurations_and_referrers(server):
    ecr = ecr_client(server.endpoint)
    repo = f"{unique('refs')}/app"
    ecr.create_repository(repositoryName=repo, imageScanningConfiguration={"scanOnPush": True})
    out = ecr.batch_get_repository_scanning_configuration(repositoryNames=[repo, f"{repo}-none"])
    assert [(c["repositoryName"], c["scanOnPush"], c["scanFrequency"]) for c in out["scanningConfigurations"]] == [
        (repo, True, "SCAN_ON_PUSH")
    ]
    assert out["failures"][0]["failureCode"] == "REPOSITORY_NOT_FOUND"

    headers = login_header(ecr)
    config = put_blob(server.endpoint, headers, repo, b"{}")
    data = unique("bytes").encode()
    layer = put_blob(server.endpoint, headers, repo, data)
    image = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
             "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer,
                         "size": len(data)}]}
    subject = ecr.put_image(repositoryName=repo, imageTag="v1", imageManifest=json.dumps(image))["image"]["imageId"]["imageDigest"]
    empty = put_blob(server.endpoint, headers, repo, b"{}")
    sbom = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/spdx+json",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
            "layers": [{"mediaType": "application/spdx+json", "digest": layer, "size": len(data)}],
            "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject,
                        "size": len(json.dumps(image))},
            "annotations": {"org.example.kind": "sbom"}}
    body = json.dumps(sbom).encode()
    sbom_digest = "sha256:" + hashlib.sha256(body).hexdigest()
    status, answer = call(f"{server.endpoint}/v2/{repo}/manifests/{sbom_digest}", "PUT",
                          {**headers, "Content-Type": "application/vnd.oci.image.manifest.v1+json"}, body)
    assert status == 201, answer
    refs = ecr.list_image_referrers(repositoryName=repo, subjectId={"imageDigest": subject})["referrers"]
    assert [(r["digest"], r["artifactType"], r["annotations"]) for r in refs] == [
        (sbom_digest, "application/spdx+json", {"org.example.kind": "sbom"})
    ]
    none = ecr.list_image_referrers(repositoryName=repo, subjectId={"imageDigest": subject},
                                    filter={"artifactTypes": ["application/vnd.example+json"]})["referrers"]
    assert none == []


def test_pulls_by_an_excluded_principal_leave_the_pull_time_alone(server):
    from test_ecr_replication import ecr_as

    account = "333344445555"
    ecr = ecr_as(server.endpoint, account)
    me = f"arn:aws:iam::{account}:root"
    repo = f"{unique('excl')}/app"
    ecr.create_repository(repositoryName=repo)
    headers = login_header(ecr)
    config = put_blob(server.endpoint, headers, repo, b"{}")
    image = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
             "layers": []}
    ecr.put_image(repositoryName=repo, imageTag="v1", imageManifest=json.dumps(image))
    assert ecr.register_pull_time_update_exclusion(principalArn=me)["principalArn"] == me
    try:
        with pytest.raises(ClientError) as e:
            ecr.register_pull_time_update_exclusion(principalArn=me)
        assert error_code(e) == "ExclusionAlreadyExistsException"
        assert ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == [me]
        ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
        detail = ecr.describe_images(repositoryName=repo)["imageDetails"][0]
        assert "lastRecordedPullTime" not in detail
    finally:
        ecr.deregister_pull_time_update_exclusion(principalArn=me)
    ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    assert "lastRecordedPullTime" in ecr.describe_images(repositoryName=repo)["imageDetails"][0]
    with pytest.raises(ClientError) as e:
        ecr.deregister_pull_time_update_exclusion(principalArn=me)
    assert error_code(e) == "ExclusionNotFoundException"
    with pytest.raises(ClientError) as e:
        ecr.register_pull_time_update_exclusion(principalArn="arn:aws:s3:::bucket")
    assert error_code(e) == "InvalidParameterException"
