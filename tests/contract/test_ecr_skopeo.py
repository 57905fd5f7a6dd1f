"""skopeo (containers/image, a registry client nobody on the project wrote) against Berth:
copies from local OCI layouts and Docker archives into the registry and back out, with
digests preserved, multi-platform indexes, and `skopeo inspect`."""

import base64
import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from ctutil import unique
from ecrutil import OCI_INDEX, OCI_MANIFEST, ecr_client, sha256

pytestmark = pytest.mark.skipif(
    shutil.which("skopeo") is None, reason="skopeo is not installed (scripts/test installs it)"
)

DEMO_IMAGE = "berth-demo/web:latest"


@pytest.fixture(scope="module")
def ecr(server):
    return ecr_client(server.endpoint)


@pytest.fixture(scope="module")
def creds(ecr):
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    return base64.b64decode(token).decode()


@pytest.fixture
def repo_uri(ecr):
    name = f"ctskopeo/{unique('r')}"
    uri = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    return name, uri


def skopeo(*args, check=True):
    out = subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=300)
    if check and out.returncode != 0:
        raise AssertionError(f"skopeo {' '.join(args)} failed:\n{out.stderr}")
    return out


def dest(creds):
    return ["--dest-creds", creds, "--dest-tls-verify=false"]


def src(creds):
    return ["--src-creds", creds, "--src-tls-verify=false"]


def _put_blob(layout: Path, data: bytes) -> dict:
    digest = sha256(data)
    path = layout / "blobs" / "sha256" / digest.split(":")[1]
    path.write_bytes(data)
    return {"digest": digest, "size": len(data)}


def _layer(files: dict) -> tuple[bytes, str]:
    """A gzipped tar of `files` and the digest of the uncompressed tar (its diff id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), sha256(tar_bytes)


def _image(layout: Path, arch: str, text: str) -> dict:
    layer, diff_id = _layer({"hello.txt": text.encode(), "arch": arch.encode()})
    layer_desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **_put_blob(layout, layer)}
    config = json.dumps({
        "architecture": arch, "os": "linux", "config": {"Cmd": ["/hello"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **_put_blob(layout, config)},
        "layers": [layer_desc],
    }).encode()
    return {"mediaType": OCI_MANIFEST, **_put_blob(layout, manifest),
            "platform": {"architecture": arch, "os": "linux"}}


def oci_layout(root: Path) -> dict:
    """An OCI image layout with `v1` (one image) and `multi` (an index of two)."""
    (root / "blobs" / "sha256").mkdir(parents=True)
    (root / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    single = _image(root, "amd64", f"single {unique()}")
    children = [_image(root, a, f"{a} {unique()}") for a in ["amd64", "arm64"]]
    index_doc = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children}).encode()
    multi = {"mediaType": OCI_INDEX, **_put_blob(root, index_doc)}
    refs = []
    for desc, ref in [(single, "v1"), (multi, "multi")]:
        d = {k: v for k, v in desc.items() if k != "platform"}
        refs.append({**d, "annotations": {"org.opencontainers.image.ref.name": ref}})
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": refs}))
    return {"v1": single["digest"], "multi": multi["digest"],
            "children": [c["digest"] for c in children]}


def layout_digest(root: Path, ref: str) -> str:
    index = json.loads((root / "index.json").read_text())
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref:
            return m["digest"]
    raise AssertionError(f"{ref} not in {index}")


def test_copy_an_oci_layout_in_and_out(tmp_path, ecr, creds, repo_uri):
    name, uri = repo_uri
    src_dir = tmp_path / "src"
    want = oci_layout(src_dir)
    skopeo("copy", "--preserve-digests", *dest(creds), f"oci:{src_dir}:v1", f"docker://{uri}:v1")
    details = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in details] == [(want["v1"], ["v1"])]
    assert details[0]["imageManifestMediaType"] == OCI_MANIFEST
    inspected = json.loads(skopeo("inspect", "--creds", creds, "--tls-verify=false",
                                  f"docker://{uri}:v1").stdout)
    assert inspected["Digest"] == want["v1"]
    assert inspected["Architecture"] == "amd64" and inspected["Os"] == "linux"
    assert "v1" in inspected["RepoTags"]
    raw = skopeo("inspect", "--raw", "--creds", creds, "--tls-verify=false",
                 f"docker://{uri}:v1").stdout.encode()
    assert sha256(raw) == want["v1"], "the manifest comes back byte for byte"
    config = json.loads(skopeo("inspect", "--config", "--creds", creds, "--tls-verify=false",
                               f"docker://{uri}:v1").stdout)
    assert config["config"]["Cmd"] == ["/hello"]
    out_dir = tmp_path / "out"
    skopeo("copy", "--preserve-digests", *src(creds), f"docker://{uri}:v1", f"oci:{out_dir}:back")
    assert layout_digest(out_dir, "back") == want["v1"]
    for blob in (src_dir / "blobs" / "sha256").iterdir():
        copied = out_dir / "blobs" / "sha256" / blob.name
        if copied.exists():
            assert copied.read_bytes() == blob.read_bytes()
    # By digest too.
    skopeo("copy", *src(creds), f"docker://{uri}@{want['v1']}", f"oci:{out_dir}:bydigest")
    assert layout_digest(out_dir, "bydigest") == want["v1"]


def test_copy_a_multi_platform_index(tmp_path, ecr, creds, repo_uri):
    name, uri = repo_uri
    src_dir = tmp_path / "src"
    want = oci_layout(src_dir)
    skopeo("copy", "--all", "--preserve-digests", *dest(creds),
           f"oci:{src_dir}:multi", f"docker://{uri}:multi")
    got = {d["imageDigest"]: d for d in ecr.describe_images(repositoryName=name)["imageDetails"]}
    assert set(got) == {want["multi"], *want["children"]}
    assert got[want["multi"]]["imageTags"] == ["multi"]
    assert got[want["multi"]]["imageManifestMediaType"] == OCI_INDEX
    raw = skopeo("inspect", "--raw", "--creds", creds, "--tls-verify=false",
                 f"docker://{uri}:multi").stdout.encode()
    assert sha256(raw) == want["multi"]
    assert [m["digest"] for m in json.loads(raw)["manifests"]] == want["children"]
    for arch in ["amd64", "arm64"]:
        # skopeo picks the platform's manifest from the index and reads that image's config.
        inspected = json.loads(skopeo("inspect", "--override-arch", arch, "--creds", creds,
                                      "--tls-verify=false", f"docker://{uri}:multi").stdout)
        assert inspected["Architecture"] == arch
        assert inspected["Digest"] == want["multi"]
    out_dir = tmp_path / "out"
    skopeo("copy", "--all", "--preserve-digests", *src(creds), f"docker://{uri}:multi",
           f"oci:{out_dir}:multi")
    assert layout_digest(out_dir, "multi") == want["multi"]


def test_registry_to_registry_copy_keeps_digests(tmp_path, ecr, creds, repo_uri):
    name, uri = repo_uri
    src_dir = tmp_path / "src"
    want = oci_layout(src_dir)
    skopeo("copy", "--preserve-digests", *dest(creds), f"oci:{src_dir}:v1", f"docker://{uri}:v1")
    other = f"ctskopeo/{unique('copy')}"
    other_uri = ecr.create_repository(repositoryName=other)["repository"]["repositoryUri"]
    skopeo("copy", "--preserve-digests", *src(creds), *dest(creds),
           f"docker://{uri}:v1", f"docker://{other_uri}:copied")
    details = ecr.describe_images(repositoryName=other)["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in details] == [(want["v1"], ["copied"])]


def test_wrong_credentials_are_refused(tmp_path, repo_uri):
    _, uri = repo_uri
    src_dir = tmp_path / "src"
    oci_layout(src_dir)
    out = skopeo("copy", "--dest-creds", "AWS:not-a-token", "--dest-tls-verify=false",
                 f"oci:{src_dir}:v1", f"docker://{uri}:v1", check=False)
    assert out.returncode != 0
    assert "unauthorized" in out.stderr.lower() or "authentication" in out.stderr.lower(), out.stderr


def _docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300, check=check)


def test_copy_a_docker_archive_in_and_out(tmp_path, ecr, creds, repo_uri):
    if shutil.which("docker") is None:
        pytest.skip("docker is not installed")
    if _docker("image", "inspect", DEMO_IMAGE, check=False).returncode != 0:
        subprocess.run([str(Path(__file__).resolve().parents[2] / "scripts" / "demo-image")], check=True)
    name, uri = repo_uri
    archive = tmp_path / "web.tar"
    _docker("save", "-o", str(archive), DEMO_IMAGE)
    digest_file = tmp_path / "digest"
    skopeo("copy", "--digestfile", str(digest_file), *dest(creds),
           f"docker-archive:{archive}", f"docker://{uri}:web")
    pushed = digest_file.read_text().strip()
    details = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert [(d["imageDigest"], d["imageTags"]) for d in details] == [(pushed, ["web"])]
    assert details[0]["imageSizeInBytes"] > 1_000_000
    raw = skopeo("inspect", "--raw", "--creds", creds, "--tls-verify=false",
                 f"docker://{uri}:web").stdout.encode()
    assert sha256(raw) == pushed
    manifest = json.loads(raw)
    # Every layer the manifest names is served and matches its digest.
    out = tmp_path / "back"
    skopeo("copy", "--preserve-digests", *src(creds), f"docker://{uri}:web", f"dir:{out}")
    assert sha256((out / "manifest.json").read_bytes()) == pushed
    for layer in manifest["layers"]:
        data = (out / layer["digest"].split(":")[1]).read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == layer["digest"]
        assert len(data) == layer["size"]
    back = tmp_path / "back.tar"
    skopeo("copy", *src(creds), f"docker://{uri}:web", f"docker-archive:{back}:berth-back/web:1")
    loaded = _docker("load", "-i", str(back)).stdout
    assert "berth-back/web:1" in loaded
    ran = _docker("run", "--rm", "berth-back/web:1", "cat", "/www/index.html").stdout
    assert ran.strip() == "hello from berth"
    _docker("rmi", "berth-back/web:1", check=False)
