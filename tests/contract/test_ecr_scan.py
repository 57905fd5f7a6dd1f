"""ECR basic scanning on an isolated network: images' OS packages checked against the
vulnerability file the operator gives `berth dev --vulnerability-file`, through boto3 (and
its image_scan_complete waiter) and a real `docker push`."""

import base64
import gzip
import hashlib
import io
import json
import os
import tarfile
import time

import pytest
from botocore.exceptions import ClientError

from conftest import BerthServer, _start_or_fail
from ctutil import unique
from test_ecr_registry import docker, ecr_client, error_code

STATUS = """\
Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Source: openssl (3.0.11-1~deb12u1)
Version: 3.0.11-1~deb12u1
Description: Secure Sockets Layer toolkit
 A continuation line.

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1

Package: removed-pkg
Status: deinstall ok config-files
Architecture: amd64
Version: 0.1-1
"""
OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'

VULNERABILITIES = {
    "vulnerabilities": [
        {"id": "CVE-2023-5678", "package": "openssl", "os": "debian:12",
         "fixedVersion": "3.0.11-1~deb12u2", "severity": "HIGH",
         "description": "Excessive time spent in DH checks",
         "uri": "https://security-tracker.debian.org/tracker/CVE-2023-5678", "cvss3Score": 5.3},
        # Fixed before the installed version: not a finding.
        {"id": "CVE-2022-0778", "package": "openssl", "os": "debian:12",
         "fixedVersion": "3.0.2-1", "severity": "CRITICAL"},
        # No fixed version: every version is affected.
        {"id": "CVE-2018-25032", "package": "zlib", "os": "debian", "severity": "MEDIUM"},
        {"id": "CVE-2099-0001", "package": "zlib1g", "os": "debian:12",
         "fixedVersion": "1:1.3-1", "severity": "LOW"},
        # Another release's: not this image's.
        {"id": "CVE-2099-0002", "package": "zlib", "os": "debian:11", "severity": "CRITICAL"},
        {"id": "CVE-2099-0003", "package": "removed-pkg", "severity": "CRITICAL"},
    ]
}


@pytest.fixture(scope="module")
def vuln_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("vulns") / "vulnerabilities.json"
    path.write_text(json.dumps(VULNERABILITIES))
    return path


@pytest.fixture(scope="module")
def scan_server(tmp_path_factory, vuln_file, _isolated_aws_env):
    root = tmp_path_factory.mktemp("berth-scan")
    srv = BerthServer(
        "scan", root / "data", root,
        extra_args=["--no-agent", "--vulnerability-file", str(vuln_file)],
    )
    _start_or_fail(srv)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def ecr(scan_server):
    return ecr_client(scan_server.endpoint)


def layer(files: dict, compress=True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return gzip.compress(raw) if compress else raw


def upload(ecr, repo, blob: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    available = ecr.batch_check_layer_availability(repositoryName=repo, layerDigests=[digest])
    if available["layers"] and available["layers"][0].get("layerAvailability") == "AVAILABLE":
        return digest
    upload_id = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    ecr.upload_layer_part(repositoryName=repo, uploadId=upload_id, partFirstByte=0,
                          partLastByte=len(blob) - 1, layerPartBlob=blob)
    ecr.complete_layer_upload(repositoryName=repo, uploadId=upload_id, layerDigests=[digest])
    return digest


def push(ecr, repo, tag, layers) -> str:
    """Pushes an OCI image of `layers` (bytes, in order) with the API; answers its digest."""
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": upload(ecr, repo, config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": upload(ecr, repo, l), "size": len(l)} for l in layers],
    }
    out = ecr.put_image(repositoryName=repo, imageTag=tag, imageManifest=json.dumps(manifest))
    return out["image"]["imageId"]["imageDigest"]


def wait_for_scan(ecr, repo, image_id, timeout=30):
    deadline = time.time() + timeout
    while True:
        out = ecr.describe_image_scan_findings(repositoryName=repo, imageId=image_id)
        if out["imageScanStatus"]["status"] != "IN_PROGRESS" or time.time() > deadline:
            return out
        time.sleep(0.2)


def test_a_scan_reports_the_packages_the_vulnerability_file_names(ecr, vuln_file):
    repo = f"ct/{unique('scan')}"
    ecr.create_repository(repositoryName=repo)
    # The lower layer's database is replaced by the upper one's; the package only the
    # lower layer had is not reported.
    old = "Package: gone\nStatus: install ok installed\nVersion: 1\n"
    digest = push(ecr, repo, "v1", [
        layer({"var/lib/dpkg/status": old}, compress=False),
        layer({"etc/os-release": OS_RELEASE, "var/lib/dpkg/status": STATUS}),
    ])
    with pytest.raises(ClientError) as e:
        ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": "v1"})
    assert error_code(e) == "ScanNotFoundException"

    before = time.time()
    started = ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "v1"})
    assert started["imageScanStatus"]["status"] == "IN_PROGRESS"
    assert started["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
    ecr.get_waiter("image_scan_complete").wait(
        repositoryName=repo, imageId={"imageTag": "v1"}, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    out = ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageDigest": digest})
    assert out["imageScanStatus"]["status"] == "COMPLETE"
    assert "2 packages of debian:12" in out["imageScanStatus"]["description"]
    findings = out["imageScanFindings"]
    assert [(f["name"], f["severity"]) for f in findings["findings"]] == [
        ("CVE-2023-5678", "HIGH"),
        ("CVE-2018-25032", "MEDIUM"),
        ("CVE-2099-0001", "LOW"),
    ]
    assert findings["findingSeverityCounts"] == {"HIGH": 1, "MEDIUM": 1, "LOW": 1}
    first = findings["findings"][0]
    assert first["uri"] == "https://security-tracker.debian.org/tracker/CVE-2023-5678"
    assert first["description"] == "Excessive time spent in DH checks"
    attrs = {a["key"]: a["value"] for a in first["attributes"]}
    assert attrs["package_name"] == "libssl3"
    assert attrs["package_version"] == "3.0.11-1~deb12u1"
    assert attrs["source_package_name"] == "openssl"
    assert attrs["fixed_in_version"] == "3.0.11-1~deb12u2"
    assert attrs["CVSS3_SCORE"] == "5.3"
    mtime = os.stat(vuln_file).st_mtime
    assert abs(findings["vulnerabilitySourceUpdatedAt"].timestamp() - mtime) < 1
    assert findings["imageScanCompletedAt"].timestamp() >= before - 1

    # Pages, as boto3's paginator walks them.
    pages = ecr.get_paginator("describe_image_scan_findings").paginate(
        repositoryName=repo, imageId={"imageTag": "v1"}, PaginationConfig={"PageSize": 2}
    )
    sizes = [len(p["imageScanFindings"]["findings"]) for p in pages]
    assert sizes == [2, 1]

    detail = ecr.describe_images(repositoryName=repo)["imageDetails"][0]
    assert detail["imageScanStatus"]["status"] == "COMPLETE"
    assert detail["imageScanFindingsSummary"]["findingSeverityCounts"] == {
        "HIGH": 1, "MEDIUM": 1, "LOW": 1,
    }


def test_an_image_without_a_package_database_is_unsupported(ecr):
    repo = f"ct/{unique('scan')}"
    ecr.create_repository(repositoryName=repo, imageScanningConfiguration={"scanOnPush": True})
    push(ecr, repo, "static", [layer({"app": "\x7fELF static binary", "etc/os-release": OS_RELEASE})])
    out = wait_for_scan(ecr, repo, {"imageTag": "static"})
    assert out["imageScanStatus"]["status"] == "UNSUPPORTED_IMAGE"
    assert "no package database" in out["imageScanStatus"]["description"]
    assert "imageScanFindings" not in out
    detail = ecr.describe_images(repositoryName=repo)["imageDetails"][0]
    assert detail["imageScanStatus"]["status"] == "UNSUPPORTED_IMAGE"
    assert "imageScanFindingsSummary" not in detail


def test_scan_requests_for_missing_images_are_refused(ecr):
    repo = f"ct/{unique('scan')}"
    ecr.create_repository(repositoryName=repo)
    with pytest.raises(ClientError) as e:
        ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "nope"})
    assert error_code(e) == "ImageNotFoundException"
    with pytest.raises(ClientError) as e:
        ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": "nope"})
    assert error_code(e) == "ImageNotFoundException"


def test_without_a_vulnerability_file_a_scan_says_nothing_was_checked(server):
    ecr = ecr_client(server.endpoint)
    repo = f"ct/{unique('scan')}"
    ecr.create_repository(repositoryName=repo, imageScanningConfiguration={"scanOnPush": True})
    push(ecr, repo, "v1", [layer({"etc/os-release": OS_RELEASE, "var/lib/dpkg/status": STATUS})])
    out = wait_for_scan(ecr, repo, {"imageTag": "v1"})
    assert out["imageScanStatus"]["status"] == "COMPLETE"
    assert "no vulnerabilities were checked" in out["imageScanStatus"]["description"]
    assert out["imageScanFindings"]["findings"] == []
    assert "vulnerabilitySourceUpdatedAt" not in out["imageScanFindings"]


def test_docker_push_into_a_scan_on_push_repository_is_scanned(ecr, scan_server, tmp_path):
    """A FROM-scratch image built by docker, its layers gzip-compressed by docker push."""
    root = tmp_path / "ctx"
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "var/lib/dpkg/status").write_text(STATUS)
    (root / "etc/os-release").write_text(OS_RELEASE)
    (root / "Dockerfile").write_text("FROM scratch\nCOPY etc /etc\nCOPY var /var\n")
    repo = f"ct/{unique('scan')}"
    uri = ecr.create_repository(
        repositoryName=repo, imageScanningConfiguration={"scanOnPush": True}
    )["repository"]["repositoryUri"]
    registry = uri.split("/", 1)[0]
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    password = base64.b64decode(token).decode().split(":", 1)[1]
    docker("login", "--username", "AWS", "--password-stdin", registry, input=password)
    docker("build", "-q", "-t", f"{uri}:v1", str(root))
    try:
        docker("push", f"{uri}:v1")
    finally:
        docker("rmi", f"{uri}:v1", check=False)
    out = wait_for_scan(ecr, repo, {"imageTag": "v1"})
    assert out["imageScanStatus"]["status"] == "COMPLETE", out["imageScanStatus"]
    names = [f["name"] for f in out["imageScanFindings"]["findings"]]
    assert names == ["CVE-2023-5678", "CVE-2018-25032", "CVE-2099-0001"]


def test_registry_scanning_rules_scan_matching_repositories_on_push(ecr):
    prefix = unique("regscan")
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"]["scanType"] == "BASIC"
    with pytest.raises(ClientError) as e:
        ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[])
    assert error_code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[{
            "scanFrequency": "CONTINUOUS_SCAN",
            "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}],
        }])
    assert error_code(e) == "InvalidParameterException"
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[{
        "scanFrequency": "SCAN_ON_PUSH",
        "repositoryFilters": [{"filter": f"{prefix}-*", "filterType": "WILDCARD"}],
    }])
    try:
        got = ecr.get_registry_scanning_configuration()["scanningConfiguration"]
        assert got["rules"][0]["repositoryFilters"][0]["filter"] == f"{prefix}-*"
        covered, other = f"{prefix}-app", f"other-{prefix}"
        for repo in (covered, other):
            ecr.create_repository(repositoryName=repo)
            push(ecr, repo, "v1", [layer({"app": "static", "etc/os-release": OS_RELEASE})])
        out = wait_for_scan(ecr, covered, {"imageTag": "v1"})
        assert out["imageScanStatus"]["status"] == "UNSUPPORTED_IMAGE"
        with pytest.raises(ClientError) as e:
            ecr.describe_image_scan_findings(repositoryName=other, imageId={"imageTag": "v1"})
        assert error_code(e) == "ScanNotFoundException"
    finally:
        ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[])
