"""Traffic through Berth's load balancers: curl by DNS name through the system resolver,
Berth's DNS answering the name, round robin across targets, host and path rules, fixed
responses, redirects, weighted forwards, health checks moving targets in and out,
deregistration draining, two load balancers on port 80, and serving again after kill -9."""

from __future__ import annotations

import http.client
import http.server
import socket
import subprocess
import threading
import time
from collections import Counter

import pytest

from ctutil import unique
from test_elbv2_api import default_subnets, default_vpc, elb_client


class Target:
    """A tiny HTTP server on 127.0.0.1 answering its name; `/health` answers `health`."""

    def __init__(self, name: str):
        self.name = name
        self.health = 200
        self.hits = 0
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (the stdlib's name)
                if self.path.startswith("/health"):
                    status, body = target.health, b"ok"
                else:
                    target.hits += 1
                    status = 200
                    body = f"{target.name} {self.path} xff={self.headers.get('X-Forwarded-For')}".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def targets():
    made = []

    def make(name):
        t = Target(name)
        made.append(t)
        return t

    yield make
    for t in made:
        try:
            t.stop()
        except OSError:
            pass


def get(host: str, path: str = "/", port: int = 80, headers=None, timeout: float = 5):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read().decode(errors="replace")
    finally:
        conn.close()


def wait_for(what, check, timeout=30.0, every=0.1):
    """Polls `check` (a listener not yet serving refuses: that is a no) until it answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = check()
        except OSError:
            got = None
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(every)


def states(elb, tg):
    out = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return {(d["Target"]["Id"], d["Target"]["Port"]): d["TargetHealth"] for d in out}


def setup(elb, targets_list, interval=5, **tg_args):
    lb = elb.create_load_balancer(Name=unique("lb")[:32], Subnets=default_subnets()[:2])["LoadBalancers"][0]
    tg = elb.create_target_group(
        Name=unique("tg")[:32], Protocol="HTTP", Port=80, VpcId=default_vpc(), TargetType="ip",
        HealthCheckPath="/health", HealthCheckIntervalSeconds=interval, HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2, UnhealthyThresholdCount=2, **tg_args,
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "3"}])
    if targets_list:
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": t.port} for t in targets_list])
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    return lb, tg, listener["ListenerArn"]


def resolves(name: str) -> str | None:
    try:
        return socket.gethostbyname(name)
    except OSError:
        return None


@pytest.fixture(scope="module")
def elb(server):
    return elb_client(server.endpoint)


def test_a_load_balancer_answers_by_name_and_spreads_over_healthy_targets(server, elb, targets):
    a, b = targets("a"), targets("b")
    lb, tg, _ = setup(elb, [a, b])
    name = lb["DNSName"]
    # The system resolver (the hosts file) and Berth's DNS both know the name.
    ip = wait_for("the name in the hosts file", lambda: resolves(name))
    dug = subprocess.run(["dig", "+short", "@127.0.0.1", "-p", str(server.dns_port), name],
                         capture_output=True, text=True, timeout=10).stdout.split()
    assert dug == [ip]
    wait_for("both targets healthy", lambda: all(h["State"] == "healthy" for h in states(elb, tg).values()), timeout=30)
    out = subprocess.run(["curl", "-s", "-m", "5", f"http://{name}/hello"], capture_output=True, text=True, timeout=10)
    assert out.stdout.startswith(("a /hello", "b /hello")), out
    assert "xff=127.0.0.1" in out.stdout or "xff=169.254." in out.stdout
    seen = Counter(get(name, "/x")[2].split()[0] for _ in range(20))
    assert seen["a"] >= 5 and seen["b"] >= 5, seen


def test_rules_route_by_host_and_path_with_fixed_responses_redirects_and_weights(elb, targets):
    a, b, c = targets("a"), targets("b"), targets("c")
    lb, tg_a, listener = setup(elb, [a])
    mk = lambda t: setup_group(elb, t)  # noqa: E731
    tg_b, tg_c = mk(b), mk(c)
    elb.create_rule(ListenerArn=listener, Priority=5, Conditions=[{"Field": "path-pattern", "Values": ["/b/*"]}],
                    Actions=[{"Type": "forward", "TargetGroupArn": tg_b}])
    elb.create_rule(ListenerArn=listener, Priority=6, Conditions=[{"Field": "host-header", "Values": ["c.example.com"]}],
                    Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                        {"TargetGroupArn": tg_c, "Weight": 1}, {"TargetGroupArn": tg_b, "Weight": 0}]}}])
    elb.create_rule(ListenerArn=listener, Priority=7, Conditions=[{"Field": "path-pattern", "Values": ["/gone"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                        "StatusCode": "410", "ContentType": "text/plain", "MessageBody": "gone for good"}}])
    elb.create_rule(ListenerArn=listener, Priority=8, Conditions=[{"Field": "path-pattern", "Values": ["/old/*"]}],
                    Actions=[{"Type": "redirect", "RedirectConfig": {"Path": "/new/#{path}", "StatusCode": "HTTP_301"}}])
    elb.create_rule(ListenerArn=listener, Priority=9, Conditions=[
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["canary*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": tg_c}])
    host = lb["DNSName"]
    wait_for("the rules in service", lambda: get(host, "/gone")[0] == 410)
    assert get(host, "/gone")[2] == "gone for good"
    assert get(host, "/b/1")[2].startswith("b /b/1")
    for _ in range(10):
        assert get(host, "/", headers={"Host": "c.example.com"})[2].startswith("c /")
    assert get(host, "/", headers={"X-Env": "canary-7"})[2].startswith("c /")
    assert get(host, "/other")[2].startswith("a /other")
    status, headers, _ = get(host, "/old/page?x=1")
    assert status == 301
    assert headers["location"] == f"http://{host}:80/new/old/page?x=1"


def setup_group(elb, t):
    tg = elb.create_target_group(
        Name=unique("tg")[:32], Protocol="HTTP", Port=80, VpcId=default_vpc(), TargetType="ip",
        HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": t.port}])
    return tg


def test_health_checks_move_traffic_and_deregistration_drains(elb, targets):
    a, b = targets("a"), targets("b")
    lb, tg, _ = setup(elb, [a, b], interval=5)
    host = lb["DNSName"]
    wait_for("both healthy", lambda: all(h["State"] == "healthy" for h in states(elb, tg).values()))
    b.health = 500
    got = wait_for("b unhealthy", lambda: (lambda s: s if s["State"] == "unhealthy" else None)(states(elb, tg)[("127.0.0.1", b.port)]), timeout=20)
    assert got["Reason"] == "Target.ResponseCodeMismatch"
    for _ in range(10):
        got_a = get(host)
        assert got_a[2].startswith("a "), got_a
    # A target that stops answering is out within two intervals.
    b.health = 200
    wait_for("b healthy again", lambda: states(elb, tg)[("127.0.0.1", b.port)]["State"] == "healthy", timeout=20)
    a.stop()
    stopped = time.monotonic()
    wait_for("a unhealthy", lambda: states(elb, tg)[("127.0.0.1", a.port)]["State"] == "unhealthy", timeout=20)
    assert time.monotonic() - stopped < 2 * 5 + 3
    for _ in range(10):
        got_b = get(host)
        assert got_b[2].startswith("b "), got_b
    elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": b.port}])
    after = states(elb, tg)
    assert after.get(("127.0.0.1", b.port), {}).get("State") in ("draining", None)
    wait_for("b gone", lambda: ("127.0.0.1", b.port) not in states(elb, tg), timeout=10)
    hits = b.hits
    for _ in range(5):
        get(host)  # a alone is left, unhealthy: ALB fails open to it
    assert b.hits == hits


def test_two_load_balancers_both_listen_on_port_80(elb, targets):
    a, b = targets("a"), targets("b")
    lb1, _, _ = setup(elb, [a])
    lb2, _, _ = setup(elb, [b])
    assert lb1["DNSName"] != lb2["DNSName"]
    wait_for("both answering", lambda: get(lb1["DNSName"])[2].startswith("a ") and get(lb2["DNSName"])[2].startswith("b "))


def test_load_balancers_serve_again_after_kill_9(fresh_server, targets):
    elb = elb_client(fresh_server.endpoint)
    a = targets("a")
    lb, tg, _ = setup(elb, [a])
    host = lb["DNSName"]
    wait_for("serving", lambda: get(host)[0] == 200)
    fresh_server.kill()
    fresh_server.start()
    wait_for("serving again", lambda: get(host)[0] == 200, timeout=30)
    assert get(host)[2].startswith("a ")
