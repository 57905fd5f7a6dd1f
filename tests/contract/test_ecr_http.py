"""The registry under `/v2/` as raw HTTP: the OCI distribution spec's uploads, blobs,
manifests, tags, referrers and errors, with ECR's token as Basic `AWS:<password>`."""

import base64
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from ctutil import unique
from ecrutil import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_MANIFEST,
    Registry,
    assert_error,
    auth_header,
    ecr_client,
    error_codes,
    make_repo,
    random_blob,
    sha256,
    sha512,
)


@pytest.fixture(scope="module")
def ecr(server):
    return ecr_client(server.endpoint)


@pytest.fixture(scope="module")
def reg(server, ecr):
    return Registry(server.endpoint, ecr)


@pytest.fixture
def repo(ecr):
    return make_repo(ecr, "cthttp")


def head_blob(reg, repo, digest):
    return reg.request("HEAD", f"{repo}/blobs/{digest}")


# ---------------------------------------------------------------------------
# Uploads
# ---------------------------------------------------------------------------


def test_monolithic_post_with_digest_creates_the_blob(reg, repo):
    data = random_blob(3000)
    digest = sha256(data)
    assert head_blob(reg, repo, digest).status_code == 404
    r = reg.request(
        "POST", f"{repo}/blobs/uploads/", params={"digest": digest}, data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 201, r.text
    assert r.headers["Location"].endswith(f"/v2/{repo}/blobs/{digest}")
    assert r.headers["Docker-Content-Digest"] == digest
    h = head_blob(reg, repo, digest)
    assert h.status_code == 200
    assert h.headers["Content-Length"] == "3000"
    assert h.headers["Docker-Content-Digest"] == digest
    assert h.content == b""
    assert reg.blob(repo, digest).content == data


def test_post_then_put_uploads_a_blob(reg, repo):
    data = random_blob(5000)
    r = reg.start_upload(repo)
    assert r.status_code == 202
    assert r.headers["Location"].startswith(f"/v2/{repo}/blobs/uploads/")
    assert r.headers["Docker-Upload-UUID"] in r.headers["Location"]
    assert r.headers["Range"] == "0-0"
    r = reg.request("PUT", r.headers["Location"], params={"digest": sha256(data)}, data=data)
    assert r.status_code == 201, r.text
    assert reg.blob(repo, sha256(data)).content == data


def test_chunked_upload_with_status_and_resume_on_a_new_connection(server, ecr, reg, repo):
    data = random_blob(3 * 1024 * 1024 + 17)
    parts = [data[:1024 * 1024], data[1024 * 1024:2 * 1024 * 1024 + 5], data[2 * 1024 * 1024 + 5:]]
    r = reg.start_upload(repo)
    loc = r.headers["Location"]
    offset = 0
    for i, part in enumerate(parts[:2]):
        end = offset + len(part) - 1
        r = reg.request(
            "PATCH", loc, data=part,
            headers={"Content-Range": f"{offset}-{end}", "Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 202, r.text
        assert r.headers["Range"] == f"0-{end}"
        loc = r.headers["Location"]
        offset = end + 1
    # A client that lost its connection asks where the upload stands, on a fresh one.
    other = Registry(server.endpoint, ecr)
    s = other.request("GET", loc)
    assert s.status_code == 204, s.text
    assert s.headers["Range"] == f"0-{offset - 1}"
    assert s.headers["Docker-Upload-UUID"] in loc
    resume_at = int(s.headers["Range"].split("-")[1]) + 1
    assert resume_at == offset
    r = other.request(
        "PATCH", s.headers["Location"], data=parts[2],
        headers={"Content-Range": f"{resume_at}-{resume_at + len(parts[2]) - 1}"},
    )
    assert r.status_code == 202
    r = other.request("PUT", r.headers["Location"], params={"digest": sha256(data)})
    assert r.status_code == 201, r.text
    got = reg.blob(repo, sha256(data))
    assert got.status_code == 200 and got.content == data


def test_chunks_without_content_range_are_appended(reg, repo):
    data = b"first part|second part|last"
    loc = reg.start_upload(repo).headers["Location"]
    r = reg.request("PATCH", loc, data=data[:11])
    assert r.status_code == 202 and r.headers["Range"] == "0-10"
    r = reg.request("PATCH", r.headers["Location"], data=data[11:23])
    assert r.status_code == 202 and r.headers["Range"] == "0-22"
    # The last bytes ride on the closing PUT.
    r = reg.request("PUT", r.headers["Location"], params={"digest": sha256(data)}, data=data[23:])
    assert r.status_code == 201, r.text
    assert reg.blob(repo, sha256(data)).content == data


def test_an_out_of_order_chunk_is_refused_with_416(reg, repo):
    data = random_blob(200)
    loc = reg.start_upload(repo).headers["Location"]
    r = reg.request("PATCH", loc, data=data[:100], headers={"Content-Range": "0-99"})
    assert r.status_code == 202
    for bad in ["150-199", "50-149", "0-99"]:
        r = reg.request("PATCH", loc, data=data[100:], headers={"Content-Range": bad})
        assert_error(r, 416, "BLOB_UPLOAD_INVALID")
        assert r.headers["Range"] == "0-99"
    # The upload is intact and goes on from where it was.
    assert reg.request("GET", loc).headers["Range"] == "0-99"
    r = reg.request("PATCH", loc, data=data[100:], headers={"Content-Range": "100-199"})
    assert r.status_code == 202
    r = reg.request("PUT", loc, params={"digest": sha256(data)})
    assert r.status_code == 201
    assert reg.blob(repo, sha256(data)).content == data


def test_a_malformed_content_range_is_a_400(reg, repo):
    loc = reg.start_upload(repo).headers["Location"]
    for bad in ["abc", "5-1", "-", "x-y"]:
        r = reg.request("PATCH", loc, data=b"xx", headers={"Content-Range": bad})
        assert 400 <= r.status_code < 500, (bad, r.status_code, r.text)
        error_codes(r)
    assert reg.request("GET", loc).headers["Range"] == "0-0"


def test_cross_repository_mount(reg, ecr, repo):
    data = random_blob(4096)
    digest = reg.push_blob(repo, data)
    other = make_repo(ecr, "cthttp")
    assert head_blob(reg, other, digest).status_code == 404, "a blob is per repository"
    r = reg.start_upload(other, mount=digest, **{"from": repo})
    assert r.status_code == 201, r.text
    assert r.headers["Location"].endswith(f"/v2/{other}/blobs/{digest}")
    assert r.headers["Docker-Content-Digest"] == digest
    assert reg.blob(other, digest).content == data


def test_mounting_an_unknown_blob_starts_an_upload(reg, ecr, repo):
    other = make_repo(ecr, "cthttp")
    data = random_blob(100)
    for source in [repo, f"cthttp/{unique('missing')}"]:
        r = reg.start_upload(other, mount=sha256(data), **{"from": source})
        assert r.status_code == 202, r.text
        assert "/blobs/uploads/" in r.headers["Location"]
    r = reg.request("PUT", r.headers["Location"], params={"digest": sha256(data)}, data=data)
    assert r.status_code == 201
    assert head_blob(reg, repo, sha256(data)).status_code == 404
    assert head_blob(reg, other, sha256(data)).status_code == 200


def test_sha512_digests(reg, repo):
    data = random_blob(10_000)
    digest = sha512(data)
    r = reg.request("POST", f"{repo}/blobs/uploads/", params={"digest": digest}, data=data)
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == digest
    got = reg.blob(repo, digest)
    assert got.status_code == 200 and got.content == data
    assert got.headers["Docker-Content-Digest"] == digest
    # The same bytes under sha256 are a blob of their own, only once uploaded so.
    assert head_blob(reg, repo, sha256(data)).status_code == 404
    # Chunked, finished with a sha512 claim.
    loc = reg.start_upload(repo).headers["Location"]
    more = random_blob(3000)
    reg.request("PATCH", loc, data=more[:1000])
    r = reg.request("PUT", loc, params={"digest": sha512(more)}, data=more[1000:])
    assert r.status_code == 201, r.text
    assert reg.blob(repo, sha512(more)).content == more


def test_a_wrong_digest_is_refused_and_the_blob_never_appears(reg, repo):
    data = random_blob(1000)
    wrong = sha256(data + b"x")
    r = reg.request("POST", f"{repo}/blobs/uploads/", params={"digest": wrong}, data=data)
    assert_error(r, 400, "DIGEST_INVALID")
    assert head_blob(reg, repo, wrong).status_code == 404
    assert head_blob(reg, repo, sha256(data)).status_code == 404
    loc = reg.start_upload(repo).headers["Location"]
    r = reg.request("PUT", loc, params={"digest": wrong}, data=data)
    assert_error(r, 400, "DIGEST_INVALID")
    assert head_blob(reg, repo, wrong).status_code == 404
    wrong512 = sha512(b"other bytes")
    r = reg.request("PUT", loc, params={"digest": wrong512})
    assert_error(r, 400, "DIGEST_INVALID")
    assert head_blob(reg, repo, wrong512).status_code == 404


@pytest.mark.parametrize("digest", ["sha256:abc", "md5:" + "0" * 32, "nonsense", "sha256:" + "G" * 64])
def test_malformed_digests_are_400(reg, repo, digest):
    loc = reg.start_upload(repo).headers["Location"]
    r = reg.request("PUT", loc, params={"digest": digest}, data=b"abc")
    assert_error(r, 400, "DIGEST_INVALID")
    r = reg.request("POST", f"{repo}/blobs/uploads/", params={"digest": digest}, data=b"abc")
    assert_error(r, 400, "DIGEST_INVALID")
    assert_error(reg.blob(repo, digest), 400, "DIGEST_INVALID")


def test_finishing_without_a_digest_is_refused(reg, repo):
    loc = reg.start_upload(repo).headers["Location"]
    r = reg.request("PUT", loc, data=b"abc")
    assert_error(r, 400, "DIGEST_INVALID")


def _send_truncated(endpoint, method, path, auth, declared, body):
    """Sends a request whose body stops short of its Content-Length, then hangs up."""
    u = urlsplit(endpoint)
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {u.netloc}\r\nAuthorization: {auth}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {declared}\r\n\r\n"
        )
        s.sendall(head.encode() + body)
        s.shutdown(socket.SHUT_WR)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass


def test_a_truncated_chunk_leaves_the_upload_as_it_was(server, reg, repo):
    data = random_blob(4000)
    loc = reg.start_upload(repo).headers["Location"]
    r = reg.request("PATCH", loc, data=data[:1000], headers={"Content-Range": "0-999"})
    assert r.status_code == 202
    _send_truncated(server.endpoint, "PATCH", loc, reg.session.headers["Authorization"],
                    3000, data[1000:2500])
    s = reg.request("GET", loc)
    assert s.status_code == 204 and s.headers["Range"] == "0-999"
    r = reg.request("PATCH", loc, data=data[1000:], headers={"Content-Range": "1000-3999"})
    assert r.status_code == 202, r.text
    assert reg.request("PUT", loc, params={"digest": sha256(data)}).status_code == 201
    assert reg.blob(repo, sha256(data)).content == data


def test_a_truncated_monolithic_upload_makes_no_blob(server, reg, repo):
    data = random_blob(5000)
    digest = sha256(data)
    path = f"/v2/{repo}/blobs/uploads/?digest={digest}"
    _send_truncated(server.endpoint, "POST", path, reg.session.headers["Authorization"],
                    len(data), data[:2000])
    loc = reg.start_upload(repo).headers["Location"]
    _send_truncated(server.endpoint, "PUT", f"{loc}?digest={digest}",
                    reg.session.headers["Authorization"], len(data), data[:2000])
    assert head_blob(reg, repo, digest).status_code == 404
    # The upload the cut PUT was for is still there and can be finished.
    r = reg.request("PUT", loc, params={"digest": digest}, data=data)
    assert r.status_code == 201, r.text
    assert reg.blob(repo, digest).content == data


def test_unknown_upload_ids(reg, ecr, repo):
    bogus = f"{repo}/blobs/uploads/00000000-0000-0000-0000-000000000000"
    for method in ["GET", "PATCH", "PUT", "DELETE"]:
        r = reg.request(method, bogus, params={"digest": sha256(b"")} if method == "PUT" else None,
                        data=b"x" if method in ("PATCH", "PUT") else None)
        assert_error(r, 404, "BLOB_UPLOAD_UNKNOWN")
    r = reg.request("GET", f"{repo}/blobs/uploads/../../etc")
    assert 400 <= r.status_code < 500
    # An upload of one repository is unknown to another.
    loc = reg.start_upload(repo).headers["Location"]
    other = make_repo(ecr, "cthttp")
    foreign = loc.replace(f"/v2/{repo}/", f"/v2/{other}/")
    assert_error(reg.request("PATCH", foreign, data=b"abc"), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(reg.request("GET", foreign), 404, "BLOB_UPLOAD_UNKNOWN")


def test_a_cancelled_upload_is_gone(reg, repo):
    loc = reg.start_upload(repo).headers["Location"]
    reg.request("PATCH", loc, data=b"abc")
    r = reg.request("DELETE", loc)
    assert r.status_code == 204
    assert_error(reg.request("GET", loc), 404, "BLOB_UPLOAD_UNKNOWN")
    r = reg.request("PUT", loc, params={"digest": sha256(b"abc")})
    assert_error(r, 404, "BLOB_UPLOAD_UNKNOWN")


def test_uploads_into_unknown_repositories(reg):
    name = f"cthttp/{unique('nope')}"
    assert_error(reg.start_upload(name), 404, "NAME_UNKNOWN")
    r = reg.request("POST", f"{name}/blobs/uploads/", params={"digest": sha256(b"a")}, data=b"a")
    assert_error(r, 404, "NAME_UNKNOWN")


# ---------------------------------------------------------------------------
# Blob downloads
# ---------------------------------------------------------------------------


def test_blob_ranges(reg, repo):
    data = bytes(range(256)) * 40
    digest = reg.push_blob(repo, data)
    size = len(data)
    cases = {
        "bytes=0-99": (0, 99),
        "bytes=100-": (100, size - 1),
        "bytes=-10": (size - 10, size - 1),
        "bytes=5000-99999": (5000, size - 1),
    }
    for header, (a, b) in cases.items():
        r = reg.blob(repo, digest, headers={"Range": header})
        assert r.status_code == 206, (header, r.status_code)
        assert r.headers["Content-Range"] == f"bytes {a}-{b}/{size}"
        assert r.content == data[a:b + 1]
        assert r.headers["Content-Length"] == str(b - a + 1)
    r = reg.blob(repo, digest, headers={"Range": f"bytes={size}-"})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == f"bytes */{size}"
    full = reg.blob(repo, digest)
    assert full.status_code == 200 and full.content == data
    assert full.headers["Content-Length"] == str(size)
    assert full.headers["Docker-Content-Digest"] == digest


def test_an_empty_blob(reg, repo):
    digest = reg.push_blob(repo, b"")
    r = reg.blob(repo, digest)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["Content-Length"] == "0"


def test_unknown_blobs(reg, repo):
    digest = sha256(random_blob(10))
    assert_error(reg.blob(repo, digest), 404, "BLOB_UNKNOWN")
    h = head_blob(reg, repo, digest)
    assert h.status_code == 404 and h.content == b""
    assert_error(reg.blob(f"cthttp/{unique('nope')}", digest), 404, "NAME_UNKNOWN")


def test_blob_deletes_are_unsupported(reg, repo):
    digest = reg.push_blob(repo, b"keep me")
    r = reg.request("DELETE", f"{repo}/blobs/{digest}")
    assert_error(r, 405, "UNSUPPORTED")
    assert reg.blob(repo, digest).content == b"keep me"


# ---------------------------------------------------------------------------
# Manifests
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("media_type", [DOCKER_MANIFEST, OCI_MANIFEST])
def test_manifest_by_tag_and_digest(reg, repo, media_type):
    digest, body, _ = reg.push_image(repo, "v1", media_type=media_type)
    for ref in ["v1", digest]:
        r = reg.manifest(repo, ref, accept=media_type)
        assert r.status_code == 200
        assert r.content == body, "the manifest comes back byte for byte"
        assert r.headers["Content-Type"] == media_type
        assert r.headers["Docker-Content-Digest"] == digest
        h = reg.manifest(repo, ref, accept=media_type, head=True)
        assert h.status_code == 200 and h.content == b""
        assert h.headers["Docker-Content-Digest"] == digest
        assert h.headers["Content-Length"] == str(len(body))
    # A push by digest makes an untagged image.
    d2, body2, _ = reg.push_image(repo, None, media_type=media_type)
    assert reg.manifest(repo, d2).content == body2
    tags = reg.request("GET", f"{repo}/tags/list").json()["tags"]
    assert tags == ["v1"]


def test_put_manifest_answers_location_and_digest(reg, repo):
    digest, body, _ = reg.push_image(repo, "loc")
    r = reg.put_manifest(repo, "loc2", body, DOCKER_MANIFEST)
    assert r.status_code == 201
    assert r.headers["Location"].endswith(f"/v2/{repo}/manifests/{digest}")
    assert r.headers["Docker-Content-Digest"] == digest


def test_a_manifest_pushed_by_a_sha512_digest(reg, repo):
    _, body, _ = reg.push_image(repo, "base")
    d512 = sha512(body)
    r = reg.put_manifest(repo, d512, body, DOCKER_MANIFEST)
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == d512
    assert reg.manifest(repo, d512).content == body


def test_a_by_digest_push_must_match_its_digest(reg, repo):
    _, body, _ = reg.push_image(repo, "base")
    wrong = sha256(body + b" ")
    r = reg.put_manifest(repo, wrong, body, DOCKER_MANIFEST)
    assert_error(r, 400, "DIGEST_INVALID")
    assert_error(reg.manifest(repo, wrong), 404, "MANIFEST_UNKNOWN")


def test_accept_negotiation(reg, repo):
    docker_digest, _, _ = reg.push_image(repo, "docker", media_type=DOCKER_MANIFEST)
    oci_digest, _, _ = reg.push_image(repo, "oci", media_type=OCI_MANIFEST)
    both = f"{OCI_MANIFEST}, {DOCKER_MANIFEST};q=0.9, {OCI_INDEX}"
    assert reg.manifest(repo, "docker", accept=both).headers["Content-Type"] == DOCKER_MANIFEST
    assert reg.manifest(repo, "oci", accept=both).headers["Content-Type"] == OCI_MANIFEST
    # No Accept (or */*): whatever is stored.
    assert reg.manifest(repo, "oci").headers["Content-Type"] == OCI_MANIFEST
    assert reg.manifest(repo, "docker", accept="*/*").headers["Docker-Content-Digest"] == docker_digest
    # Only another kind is acceptable: no 200 with a type the client refused.
    r = reg.manifest(repo, "oci", accept=DOCKER_MANIFEST)
    assert 400 <= r.status_code < 500, r.status_code
    error_codes(r)
    r = reg.manifest(repo, "docker", accept=OCI_MANIFEST)
    assert 400 <= r.status_code < 500
    assert reg.manifest(repo, oci_digest, accept=OCI_MANIFEST).status_code == 200


@pytest.mark.parametrize("kind,child", [(OCI_INDEX, OCI_MANIFEST), (DOCKER_LIST, DOCKER_MANIFEST)])
def test_an_index_of_images(reg, repo, kind, child):
    children = [reg.push_image(repo, None, media_type=child) for _ in range(2)]
    index = {
        "schemaVersion": 2,
        "mediaType": kind,
        "manifests": [
            {"mediaType": child, "digest": d, "size": len(b),
             "platform": {"architecture": arch, "os": "linux"}}
            for (d, b, _), arch in zip(children, ["amd64", "arm64"])
        ],
    }
    body = json.dumps(index).encode()
    r = reg.put_manifest(repo, "multi", body, kind)
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == sha256(body)
    got = reg.manifest(repo, "multi", accept=f"{kind}, {child}")
    assert got.status_code == 200
    assert got.headers["Content-Type"] == kind
    assert got.content == body
    # An index naming manifests the repository lacks is refused with the spec's code for
    # "manifest references a manifest or blob unknown to registry".
    index["manifests"][0]["digest"] = sha256(b"no such manifest")
    r = reg.put_manifest(repo, "broken", json.dumps(index).encode(), kind)
    assert_error(r, 400, "MANIFEST_BLOB_UNKNOWN")
    assert index["manifests"][0]["digest"] in r.text
    assert_error(reg.manifest(repo, "broken"), 404, "MANIFEST_UNKNOWN")


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b"{}", b'{"schemaVersion":2}',
     b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{}}',
     b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
     b'"config":{"mediaType":"x/y","digest":"sha256:nothex","size":1},"layers":[]}',
     b"\xff\xfe\x00garbage"],
)
def test_malformed_manifests_are_manifest_invalid(reg, repo, body):
    r = reg.put_manifest(repo, "bad", body, OCI_MANIFEST)
    assert_error(r, 400, "MANIFEST_INVALID")
    assert_error(reg.manifest(repo, "bad"), 404, "MANIFEST_UNKNOWN")


def test_media_type_and_content_type_must_agree(reg, repo):
    digest, body, _ = reg.push_image(repo, None, media_type=OCI_MANIFEST)
    r = reg.put_manifest(repo, "mismatch", body, DOCKER_MANIFEST)
    assert_error(r, 400, "MANIFEST_INVALID")


def test_an_oversized_manifest_is_refused(reg, repo):
    body = b'{"schemaVersion":2,"pad":"' + b"x" * (4 * 1024 * 1024 + 10) + b'"}'
    try:
        r = reg.put_manifest(repo, "huge", body, OCI_MANIFEST)
    except requests.ConnectionError:
        r = None  # a server may close the connection on a body it refuses
    if r is not None:
        assert 400 <= r.status_code < 500, r.status_code
        error_codes(r)
    assert_error(reg.manifest(repo, "huge"), 404, "MANIFEST_UNKNOWN")


def test_a_manifest_referencing_missing_blobs(reg, repo):
    config = reg.push_blob(repo, b'{"os":"linux"}')
    missing = sha256(random_blob(64))
    manifest = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 14},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": missing, "size": 64}],
    }
    r = reg.put_manifest(repo, "missing", json.dumps(manifest).encode(), OCI_MANIFEST)
    assert_error(r, 400, "MANIFEST_BLOB_UNKNOWN")
    assert missing in r.text
    assert_error(reg.manifest(repo, "missing"), 404, "MANIFEST_UNKNOWN")


def test_a_blob_of_another_repository_does_not_count(reg, ecr, repo):
    digest, body, _ = reg.push_image(repo, "here")
    other = make_repo(ecr, "cthttp")
    r = reg.put_manifest(other, "there", body, DOCKER_MANIFEST)
    assert_error(r, 400, "MANIFEST_BLOB_UNKNOWN")


def test_unknown_repositories_tags_and_digests(reg, repo):
    assert_error(reg.manifest(f"cthttp/{unique('nope')}", "latest"), 404, "NAME_UNKNOWN")
    assert_error(reg.manifest(repo, "nosuchtag"), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.manifest(repo, sha256(b"nothing")), 404, "MANIFEST_UNKNOWN")
    h = reg.manifest(repo, "nosuchtag", head=True)
    assert h.status_code == 404 and h.content == b""
    r = reg.request("GET", f"/v2/{repo}/unknown-endpoint")
    assert 400 <= r.status_code < 500
    error_codes(r)


@pytest.mark.parametrize("tag", [".dot", "a" * 129, "with space", "semi;colon"])
def test_invalid_tags_are_refused(reg, repo, tag):
    _, body, _ = reg.push_image(repo, None)
    r = reg.put_manifest(repo, tag, body, DOCKER_MANIFEST)
    assert_error(r, 400, "TAG_INVALID")


def test_delete_by_digest(reg, repo):
    digest, _, blobs = reg.push_image(repo, "gone")
    keep, _, _ = reg.push_image(repo, "kept")
    r = reg.request("DELETE", f"{repo}/manifests/{digest}")
    assert r.status_code == 202, r.text
    assert_error(reg.manifest(repo, digest), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.manifest(repo, "gone"), 404, "MANIFEST_UNKNOWN")
    assert reg.request("GET", f"{repo}/tags/list").json()["tags"] == ["kept"]
    assert reg.manifest(repo, keep).status_code == 200
    assert_error(reg.request("DELETE", f"{repo}/manifests/{digest}"), 404, "MANIFEST_UNKNOWN")


def test_tags_move_and_an_untagged_image_stays(reg, ecr, repo):
    first, _, _ = reg.push_image(repo, "latest")
    second, _, _ = reg.push_image(repo, "latest")
    assert reg.manifest(repo, "latest").headers["Docker-Content-Digest"] == second
    details = {d["imageDigest"]: d for d in ecr.describe_images(repositoryName=repo)["imageDetails"]}
    assert details[second]["imageTags"] == ["latest"]
    assert "imageTags" not in details[first] or details[first]["imageTags"] == []
    assert reg.manifest(repo, first).status_code == 200


# ---------------------------------------------------------------------------
# Referrers
# ---------------------------------------------------------------------------


def _artifact(reg, repo, subject_digest, subject_size, artifact_type, annotations=None):
    empty = reg.push_blob(repo, b"{}")
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": OCI_EMPTY, "digest": empty, "size": 2},
        "layers": [{"mediaType": OCI_EMPTY, "digest": empty, "size": 2}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject_digest, "size": subject_size},
    }
    if annotations:
        manifest["annotations"] = annotations
    body = json.dumps(manifest).encode()
    r = reg.put_manifest(repo, sha256(body), body, OCI_MANIFEST)
    assert r.status_code == 201, r.text
    return r, sha256(body)


def test_referrers_api(reg, repo):
    subject, body, _ = reg.push_image(repo, "app", media_type=OCI_MANIFEST)
    r, sbom = _artifact(reg, repo, subject, len(body), "application/vnd.example.sbom",
                        {"org.example.kind": "sbom"})
    assert r.headers["OCI-Subject"] == subject
    _, sig = _artifact(reg, repo, subject, len(body), "application/vnd.example.signature")
    got = reg.request("GET", f"{repo}/referrers/{subject}")
    assert got.status_code == 200
    assert got.headers["Content-Type"].startswith(OCI_INDEX)
    index = got.json()
    assert index["schemaVersion"] == 2 and index["mediaType"] == OCI_INDEX
    by_digest = {m["digest"]: m for m in index["manifests"]}
    assert set(by_digest) == {sbom, sig}
    assert by_digest[sbom]["artifactType"] == "application/vnd.example.sbom"
    assert by_digest[sbom]["annotations"] == {"org.example.kind": "sbom"}
    assert by_digest[sbom]["mediaType"] == OCI_MANIFEST
    assert by_digest[sbom]["size"] > 0
    filtered = reg.request("GET", f"{repo}/referrers/{subject}",
                           params={"artifactType": "application/vnd.example.signature"})
    assert [m["digest"] for m in filtered.json()["manifests"]] == [sig]
    assert "artifactType" in filtered.headers.get("OCI-Filters-Applied", "")


def test_referrers_of_an_unknown_subject(reg, repo):
    # A subject may be pushed after its referrers; an unknown one just has none yet.
    ghost = sha256(b"not pushed yet")
    got = reg.request("GET", f"{repo}/referrers/{ghost}")
    assert got.status_code == 200
    assert got.json()["manifests"] == []
    _, art = _artifact(reg, repo, ghost, 100, "application/vnd.example.early")
    assert [m["digest"] for m in reg.request("GET", f"{repo}/referrers/{ghost}").json()["manifests"]] == [art]
    assert_error(reg.request("GET", f"{repo}/referrers/not-a-digest"), 400, "DIGEST_INVALID")
    assert_error(reg.request("GET", f"cthttp/{unique('nope')}/referrers/{ghost}"), 404, "NAME_UNKNOWN")


# ---------------------------------------------------------------------------
# Tags list
# ---------------------------------------------------------------------------


def test_tags_list_pages_with_link(reg, repo):
    digest, body, _ = reg.push_image(repo, "t0")
    tags = ["t0", "t1", "t2", "t3", "t4"]
    for t in tags[1:]:
        assert reg.put_manifest(repo, t, body, DOCKER_MANIFEST).status_code == 201
    r = reg.request("GET", f"{repo}/tags/list")
    assert r.json() == {"name": repo, "tags": tags}
    assert "Link" not in r.headers
    seen, url, pages = [], f"/v2/{repo}/tags/list?n=2", 0
    while url:
        r = reg.request("GET", url)
        assert r.status_code == 200
        page = r.json()["tags"]
        assert len(page) <= 2
        seen += page
        pages += 1
        link = r.headers.get("Link")
        if link:
            assert link.endswith('rel="next"')
            url = link.split(";")[0].strip().strip("<>")
            assert url.startswith(f"/v2/{repo}/tags/list?")
        else:
            url = None
    assert seen == tags and pages == 3
    r = reg.request("GET", f"{repo}/tags/list", params={"n": 10, "last": "t2"})
    assert r.json()["tags"] == ["t3", "t4"]
    assert reg.request("GET", f"{repo}/tags/list", params={"n": 0}).json()["tags"] == []


@pytest.mark.parametrize("n", ["abc", "-1", "1.5", "99999999999999999999999"])
def test_a_bad_page_size_is_a_400(reg, repo, n):
    r = reg.request("GET", f"{repo}/tags/list", params={"n": n})
    assert_error(r, 400, "PAGINATION_NUMBER_INVALID")


def test_tags_list_of_an_unknown_repository(reg):
    assert_error(reg.request("GET", f"cthttp/{unique('nope')}/tags/list"), 404, "NAME_UNKNOWN")


# ---------------------------------------------------------------------------
# Auth and errors
# ---------------------------------------------------------------------------


def test_no_credentials_get_a_basic_challenge(server, repo):
    for path in ["/v2/", f"/v2/{repo}/tags/list", f"/v2/{repo}/manifests/latest"]:
        r = requests.get(server.endpoint + path, timeout=10)
        assert_error(r, 401, "UNAUTHORIZED")
        challenge = r.headers["WWW-Authenticate"]
        assert challenge.startswith("Basic realm="), challenge
    r = requests.post(server.endpoint + f"/v2/{repo}/blobs/uploads/", timeout=10)
    assert_error(r, 401, "UNAUTHORIZED")


def test_the_base_endpoint_with_a_good_token(reg):
    r = reg.request("GET", "/v2/")
    assert r.status_code == 200
    assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def _forged_expired_password():
    payload = base64.urlsafe_b64encode(
        json.dumps({"a": "000000000000", "k": "test", "e": 1}).encode()
    ).rstrip(b"=").decode()
    return f"{payload}.{base64.urlsafe_b64encode(b'x' * 32).rstrip(b'=').decode()}"


def test_bad_tokens_are_refused(server, ecr, repo):
    good = auth_header(ecr)
    password = base64.b64decode(good.split()[1]).decode().split(":", 1)[1]
    flipped = password[:-3] + ("A" if password[-3] != "A" else "B") + password[-2:]
    bad_headers = [
        "Basic " + base64.b64encode(b"AWS:nope").decode(),
        "Basic " + base64.b64encode(f"AWS:{flipped}".encode()).decode(),
        "Basic " + base64.b64encode(f"bob:{password}".encode()).decode(),
        "Basic !!!not-base64!!!",
        "Basic",
        "Bearer garbage",
        "Bearer " + _forged_expired_password(),
        "Basic " + base64.b64encode(f"AWS:{_forged_expired_password()}".encode()).decode(),
        "Digest username=AWS",
        "",
    ]
    for h in bad_headers:
        r = requests.get(f"{server.endpoint}/v2/{repo}/tags/list", headers={"Authorization": h}, timeout=10)
        assert r.status_code in (401, 403), (h, r.status_code, r.text)
        assert error_codes(r)[0] in ("UNAUTHORIZED", "DENIED"), (h, r.text)
    ok = requests.get(f"{server.endpoint}/v2/{repo}/tags/list", headers={"Authorization": good}, timeout=10)
    assert ok.status_code == 200
    # The password also works as a Bearer token.
    ok = requests.get(f"{server.endpoint}/v2/{repo}/tags/list",
                      headers={"Authorization": f"Bearer {password}"}, timeout=10)
    assert ok.status_code == 200


def test_a_token_of_another_server_is_refused(server, fresh_server):
    foreign = auth_header(ecr_client(fresh_server.endpoint))
    r = requests.get(f"{server.endpoint}/v2/", headers={"Authorization": foreign}, timeout=10)
    assert_error(r, 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    "method,path",
    [
        ("PATCH", "{repo}/manifests/latest"),
        ("POST", "{repo}/manifests/latest"),
        ("PUT", "{repo}/blobs/sha256:" + "0" * 64),
        ("PUT", "{repo}/tags/list"),
        ("DELETE", "{repo}/tags/list"),
        ("GET", "{repo}/blobs/uploads/"),
        ("POST", "{repo}/referrers/sha256:" + "0" * 64),
        ("GET", "/v2/_catalog"),
        ("GET", "/v2/UPPER/tags/list"),
        ("GET", "/v2/a/tags/list"),
        ("GET", "{repo}/blobs/"),
        ("GET", "{repo}/manifests/"),
        ("PUT", "{repo}/manifests/" + "x" * 300),
    ],
)
def test_client_mistakes_are_4xx_oci_errors(reg, repo, method, path):
    r = reg.request(method, path.format(repo=repo), data=b"{}" if method in ("PUT", "POST", "PATCH") else None)
    assert 400 <= r.status_code < 500, (method, path, r.status_code, r.text)
    error_codes(r)
    assert r.headers["Content-Type"].startswith("application/json")


def _slow(data: bytes, pause: float = 0.8):
    """A chunked request body that stalls half-way, so two requests overlap."""
    half = len(data) // 2
    yield data[:half]
    time.sleep(pause)
    yield data[half:]


def _concurrently(*calls):
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = []
        for c in calls:
            futures.append(pool.submit(c))
            time.sleep(0.2)
        return [f.result() for f in futures]


def test_concurrent_chunks_at_the_same_offset_one_wins(reg, repo):
    a, b = random_blob(3 * 1024 * 1024), random_blob(3 * 1024 * 1024)
    loc = reg.start_upload(repo).headers["Location"]
    rng = {"Content-Range": f"0-{len(a) - 1}"}
    ra, rb = _concurrently(
        lambda: reg.request("PATCH", loc, data=_slow(a), headers=rng),
        lambda: reg.request("PATCH", loc, data=_slow(b), headers=rng),
    )
    assert sorted([ra.status_code, rb.status_code]) == [202, 416], (ra.text, rb.text)
    winner = a if ra.status_code == 202 else b
    assert reg.request("GET", loc).headers["Range"] == f"0-{len(winner) - 1}"
    r = reg.request("PUT", loc, params={"digest": sha256(winner)})
    assert r.status_code == 201, r.text
    assert reg.blob(repo, sha256(winner)).content == winner


def test_concurrent_appends_to_one_upload_never_interleave(reg, repo):
    a, b = random_blob(3 * 1024 * 1024), random_blob(3 * 1024 * 1024)
    loc = reg.start_upload(repo).headers["Location"]
    ra, rb = _concurrently(
        lambda: reg.request("PATCH", loc, data=_slow(a)),
        lambda: reg.request("PATCH", loc, data=_slow(b)),
    )
    assert ra.status_code == 202 and rb.status_code == 202, (ra.text, rb.text)
    ends = sorted([ra.headers["Range"], rb.headers["Range"]])
    assert ends == [f"0-{len(a) - 1}", f"0-{len(a) + len(b) - 1}"], ends
    whole = [a + b, b + a]
    r = reg.request("PUT", loc, params={"digest": sha256(a + b)})
    if r.status_code != 201:
        assert_error(r, 400, "DIGEST_INVALID")
        r = reg.request("PUT", loc, params={"digest": sha256(b + a)})
    assert r.status_code == 201, "the upload holds one chunk after the other"
    assert reg.blob(repo, r.headers["Docker-Content-Digest"]).content in whole


def test_a_download_url_needs_no_other_credentials(reg, ecr, repo):
    data = random_blob(70_000)
    digest = reg.push_blob(repo, data)
    url = ecr.get_download_url_for_layer(repositoryName=repo, layerDigest=digest)["downloadUrl"]
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, r.text
    assert r.content == data
    r = requests.get(url, headers={"Range": "bytes=10-19"}, timeout=10)
    assert r.status_code == 206 and r.content == data[10:20]
    # The URL's token is the credential: spoiled, it is refused.
    spoiled = url.replace("X-Berth-Token=", "X-Berth-Token=x")
    r = requests.get(spoiled, timeout=10)
    assert r.status_code in (401, 403)
    error_codes(r)
    # It is for blobs of that repository only, like any token of its account.
    other = url.replace(f"/v2/{repo}/", f"/v2/{repo}-other/")
    assert requests.get(other, timeout=10).status_code == 404


def test_a_refused_body_ends_the_connection_cleanly(server, ecr, repo):
    # A body the server never reads leaves the connection unusable: the answer says
    # `Connection: close`, so a client opens a new one instead of failing on the old one.
    reg = Registry(server.endpoint, ecr)
    digest, body, _ = reg.push_image(repo, "v1")
    missing = f"cthttp/{unique('nope')}"
    mistakes = [
        ("PUT", f"{missing}/manifests/v1", body),
        ("POST", f"{missing}/blobs/uploads/?digest={sha256(body)}", body),
        ("GET", f"{repo}/manifests/v1", b"{}" * 500),
        ("DELETE", f"{repo}/blobs/{digest}", random_blob(500)),
        ("POST", f"{repo}/referrers/{digest}", random_blob(500)),
    ]
    for method, path, data in mistakes:
        for _ in range(10):
            r = reg.request(method, path, data=data)
            assert r.headers.get("Connection", "").lower() == "close", (method, path, r.headers)
            assert r.status_code < 500
            follow = reg.request("GET", f"{repo}/tags/list")
            assert follow.status_code == 200
    # Without a body the connection stays open for the next request.
    r = reg.request("GET", f"{repo}/manifests/nosuch")
    assert r.headers.get("Connection", "").lower() != "close"
