"""10,000 concurrent connections: every one gets an AWS-shaped answer or a clean refusal,
and the server keeps serving signed requests afterwards."""

import asyncio
import json
import resource
from urllib.parse import urlsplit

from ctutil import raw_call, sign_headers, unique

CONNECTIONS = 10_000


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


async def _one(host, port, request, opened: asyncio.Event, counter: dict):
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
    except (OSError, asyncio.TimeoutError):
        counter["refused"] += 1
        return
    counter["open"] += 1
    if counter["open"] + counter["refused"] >= CONNECTIONS:
        opened.set()
    try:
        # Hold every connection open until all are established, then send at once.
        await asyncio.wait_for(opened.wait(), 60)
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await asyncio.wait_for(reader.readexactly(length), 60)
        if status == 400 and json.loads(body).get("__type") == "ClusterNotFoundException":
            counter["aws_4xx"] += 1
        elif status >= 500:
            counter["server_error"] += 1
        else:
            counter["other"] += 1
            counter["last_other"] = (status, body[:200])
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
        counter["refused"] += 1
        counter.setdefault("errors", {}).setdefault(type(e).__name__, 0)
        counter["errors"][type(e).__name__] += 1
    finally:
        writer.close()


async def _flood(endpoint: str, request: bytes) -> dict:
    parts = urlsplit(endpoint)
    opened = asyncio.Event()
    counter = {"open": 0, "refused": 0, "aws_4xx": 0, "server_error": 0, "other": 0}
    await asyncio.gather(*(_one(parts.hostname, parts.port, request, opened, counter) for _ in range(CONNECTIONS)))
    return counter


def test_ten_thousand_concurrent_connections(fresh_server):
    _raise_fd_limit(CONNECTIONS + 1024)
    endpoint = fresh_server.endpoint
    body = json.dumps({"cluster": unique("missing")}).encode()
    headers = sign_headers(
        endpoint,
        body,
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.DeleteCluster",
        },
    )
    host = urlsplit(endpoint).netloc
    lines = [b"POST / HTTP/1.1", f"Host: {host}".encode()]
    lines += [f"{k}: {v}".encode() for k, v in headers.items() if k.lower() != "host"]
    lines += [f"Content-Length: {len(body)}".encode(), b"Connection: close", b"", b""]
    request = b"\r\n".join(lines) + body

    counter = asyncio.run(_flood(endpoint, request))

    assert counter["server_error"] == 0, counter
    assert counter["other"] == 0, counter
    # Most connections must be served; the rest may only be refused cleanly.
    assert counter["aws_4xx"] >= CONNECTIONS * 0.9, counter
    assert counter["aws_4xx"] + counter["refused"] == CONNECTIONS, counter
    # And the server is still healthy and serving signed calls.
    resp = raw_call(endpoint, "ListClusters", {})
    assert resp.status == 200, resp.body
