"""The registry across kill -9: concurrent pushes are cut off by a SIGKILL, the server comes
back on the same data dir, and everything it acknowledged is there and intact."""

import json
import os
import random
import threading
import time

import requests

from ecrutil import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    Registry,
    assert_error,
    ecr_client,
    make_repo,
    sha256,
)

WORKERS = 6


class Acks:
    """What the server acknowledged (2xx), and anything it refused that it should not have."""

    def __init__(self):
        self.lock = threading.Lock()
        self.blobs: dict[tuple[str, str], bytes] = {}
        self.manifests: list[tuple[str, str, str, bytes]] = []
        # Chunked uploads cut off mid-way: id -> (repo, location, acknowledged length, data,
        # whether the closing PUT was sent).
        self.open_uploads: dict[str, tuple[str, str, int, bytes, bool]] = {}
        self.refusals: list[str] = []


def _ok(acks, r, *codes):
    if r.status_code not in codes:
        with acks.lock:
            acks.refusals.append(f"{r.request.method} {r.url}: {r.status_code} {r.text[:300]}")
        raise RuntimeError("refused")
    return r


def _push_blob(reg, acks, repo, data, how):
    digest = sha256(data)
    if how == 0:  # monolithic POST
        _ok(acks, reg.request("POST", f"{repo}/blobs/uploads/", params={"digest": digest}, data=data), 201)
    elif how == 1:  # POST, then PUT with the bytes
        loc = _ok(acks, reg.start_upload(repo), 202).headers["Location"]
        _ok(acks, reg.request("PUT", loc, params={"digest": digest}, data=data), 201)
    else:  # chunks of 64 KiB
        r = _ok(acks, reg.start_upload(repo), 202)
        loc, uid = r.headers["Location"], r.headers["Docker-Upload-UUID"]
        with acks.lock:
            acks.open_uploads[uid] = (repo, loc, 0, data, False)
        step = 64 * 1024
        for at in range(0, len(data), step):
            part = data[at:at + step]
            r = _ok(acks, reg.request("PATCH", loc, data=part,
                                      headers={"Content-Range": f"{at}-{at + len(part) - 1}"}), 202)
            assert r.headers["Range"] == f"0-{at + len(part) - 1}"
            with acks.lock:
                acks.open_uploads[uid] = (repo, loc, at + len(part), data, False)
        with acks.lock:
            acks.open_uploads[uid] = (repo, loc, len(data), data, True)
        _ok(acks, reg.request("PUT", loc, params={"digest": digest}), 201)
        with acks.lock:
            del acks.open_uploads[uid]
    with acks.lock:
        acks.blobs[(repo, digest)] = data
    return digest


def _worker(endpoint, ecr, repos, acks, n, stop):
    reg = Registry(endpoint, ecr)
    rnd = random.Random(n)
    i = 0
    while not stop.is_set():
        repo = repos[(n + i) % len(repos)]
        try:
            config = json.dumps({"os": "linux", "architecture": "amd64", "worker": n, "i": i}).encode()
            cfg = _push_blob(reg, acks, repo, config, i % 3)
            layers = []
            for j in range(rnd.randint(1, 3)):
                data = os.urandom(rnd.randint(1, 300_000))
                d = _push_blob(reg, acks, repo, data, (n + i + j) % 3)
                layers.append({"mediaType": DOCKER_LAYER, "size": len(data), "digest": d})
            body = json.dumps({
                "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                "config": {"mediaType": DOCKER_CONFIG, "size": len(config), "digest": cfg},
                "layers": layers,
            }).encode()
            tag = f"w{n}-{i}"
            _ok(acks, reg.put_manifest(repo, tag, body, DOCKER_MANIFEST), 201)
            with acks.lock:
                acks.manifests.append((repo, tag, sha256(body), body))
        except (requests.ConnectionError, requests.Timeout, RuntimeError):
            return  # the server is gone (or refused: recorded)
        i += 1


def test_acknowledged_pushes_survive_kill_9(fresh_server):
    ecr = ecr_client(fresh_server.endpoint)
    repos = [make_repo(ecr, "ctdur") for _ in range(2)]
    acks, stop = Acks(), threading.Event()
    threads = [threading.Thread(target=_worker, args=(fresh_server.endpoint, ecr, repos, acks, n, stop))
               for n in range(WORKERS)]
    reg = Registry(fresh_server.endpoint, ecr)  # its token is from before the kill
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (len(acks.manifests) < 30 or not acks.open_uploads):
        time.sleep(0.05)
    fresh_server.kill()  # SIGKILL in the middle of the pushes
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not acks.refusals, acks.refusals
    assert len(acks.manifests) >= 30 and len(acks.blobs) >= 60, "the pushes got going"

    fresh_server.start()
    # The token the clients had still works (the key is kept with the rest): `reg` reads.
    for (repo, digest), data in acks.blobs.items():
        r = reg.blob(repo, digest)
        assert r.status_code == 200, (repo, digest, r.text)
        assert r.content == data and sha256(r.content) == digest
    listed = {}
    for repo in repos:
        for d in ecr.describe_images(repositoryName=repo)["imageDetails"]:
            listed[d["imageDigest"]] = d
    for repo, tag, digest, body in acks.manifests:
        r = reg.manifest(repo, tag)
        assert r.status_code == 200, (repo, tag, r.text)
        assert r.content == body and r.headers["Docker-Content-Digest"] == digest
        assert tag in listed[digest]["imageTags"]
        for blob in [json.loads(body)["config"]] + json.loads(body)["layers"]:
            got = reg.blob(repo, blob["digest"])
            assert got.status_code == 200 and sha256(got.content) == blob["digest"]
    # Whatever else made it in (pushed but unacknowledged) is whole too.
    for repo in repos:
        for d in ecr.describe_images(repositoryName=repo)["imageDetails"]:
            m = reg.manifest(repo, d["imageDigest"])
            assert m.status_code == 200 and sha256(m.content) == d["imageDigest"]
            for blob in [json.loads(m.content)["config"]] + json.loads(m.content)["layers"]:
                got = reg.blob(repo, blob["digest"])
                assert got.status_code == 200 and sha256(got.content) == blob["digest"]
    # Uploads cut off mid-way hold at least what was acknowledged, and go on from there.
    for uid, (repo, loc, acked, data, finishing) in acks.open_uploads.items():
        s = reg.request("GET", loc)
        if finishing and s.status_code == 404:
            # The closing PUT was in flight: it completed the upload (the blob is there), or
            # it got as far as moving the bytes but not recording them, and the client,
            # never told 201, pushes the blob again.
            assert_error(s, 404, "BLOB_UPLOAD_UNKNOWN")
            got = reg.blob(repo, sha256(data))
            if got.status_code == 200:
                assert got.content == data
            else:
                assert reg.push_blob(repo, data) == sha256(data)
                assert reg.blob(repo, sha256(data)).content == data
            continue
        assert s.status_code == 204, s.text
        end = int(s.headers["Range"].split("-")[1])
        # "0-0" is both no bytes and one byte: with nothing acknowledged, start over.
        have = 0 if (acked == 0 and end == 0) else end + 1
        assert acked <= have <= len(data), (acked, have)
        r = reg.request("PATCH", loc, data=data[have:],
                        headers={"Content-Range": f"{have}-{len(data) - 1}"}) if have < len(data) else None
        assert r is None or r.status_code == 202, r.text
        done = reg.request("PUT", loc, params={"digest": sha256(data)})
        assert done.status_code == 201, done.text
        assert reg.blob(repo, sha256(data)).content == data
