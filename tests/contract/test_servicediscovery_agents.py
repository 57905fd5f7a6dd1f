"""A `berth agent` on another host serves Cloud Map's DNS namespaces itself, from what the
control plane streams to it: a registration answers there at once, a deregistration leaves,
and it keeps answering while the control plane is down."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from conftest import BERTH_BIN, BerthServer, _free_port, _start_or_fail
from ctutil import ACCESS_KEY, REGION, SECRET_KEY, unique
from test_ecr_tasks import _remove_containers
from test_servicediscovery import dns_service, private_namespace, sd_client


def answers_at(port, name):
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+time=1", "+tries=1", "+short", name],
                         capture_output=True, text=True, timeout=10).stdout
    return sorted(line for line in out.splitlines() if line and not line.startswith(";"))


def wait_answers(port, name, want, timeout=10.0):
    deadline = time.monotonic() + timeout
    while (got := answers_at(port, name)) != want:
        if time.monotonic() > deadline:
            pytest.fail(f"{name} answers {got}, not {want}")
        time.sleep(0.05)


def test_a_remote_agent_answers_from_what_the_control_plane_streams(tmp_path):
    plane = BerthServer("sd-plane", tmp_path / "data", tmp_path)
    _start_or_fail(plane)
    agent_dns = _free_port()
    cluster = unique("sd-agent")
    plane.client().create_cluster(clusterName=cluster)
    log = open(tmp_path / "agent.log", "wb")
    agent = subprocess.Popen(
        [str(BERTH_BIN), "agent", "--endpoint", plane.endpoint, "--cluster", cluster,
         "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY, "--region", REGION,
         "--metadata-port", "0", "--data-dir", str(tmp_path / "agent"),
         "--dns-listen", f"127.0.0.1:{agent_dns}"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "RUST_LOG": "info"},
    )
    try:
        sd = sd_client(plane.endpoint)
        ns_name, ns_id = private_namespace(sd)
        svc = dns_service(sd, ns_id, name="api")
        sd.register_instance(ServiceId=svc["Id"], InstanceId="a", Attributes={"AWS_INSTANCE_IPV4": "10.5.0.1"})
        wait_answers(agent_dns, f"api.{ns_name}", ["10.5.0.1"], timeout=30)
        assert agent.poll() is None, (tmp_path / "agent.log").read_text()
        # A change reaches the agent as the long poll returns, well within a second.
        started = time.monotonic()
        sd.register_instance(ServiceId=svc["Id"], InstanceId="b", Attributes={"AWS_INSTANCE_IPV4": "10.5.0.2"})
        wait_answers(agent_dns, f"api.{ns_name}", ["10.5.0.1", "10.5.0.2"], timeout=5)
        assert time.monotonic() - started < 1.0
        sd.deregister_instance(ServiceId=svc["Id"], InstanceId="a")
        wait_answers(agent_dns, f"api.{ns_name}", ["10.5.0.2"], timeout=5)
        # The control plane down: the agent answers what it has.
        plane.kill()
        assert answers_at(agent_dns, f"api.{ns_name}") == ["10.5.0.2"]
        # Back up, with a change made: the agent catches up.
        plane.start()
        sd = sd_client(plane.endpoint)
        sd.register_instance(ServiceId=svc["Id"], InstanceId="c", Attributes={"AWS_INSTANCE_IPV4": "10.5.0.3"})
        wait_answers(agent_dns, f"api.{ns_name}", ["10.5.0.2", "10.5.0.3"], timeout=15)
    finally:
        agent.kill()
        agent.wait()
        log.close()
        _remove_containers(tmp_path / "agent")
        plane.stop()


def test_bad_zone_polls_get_a_4xx(server):
    from ctutil import raw_call

    r = raw_call(server.endpoint, "BerthDnsV1.GetZones", b'{"after": "x"}', service="servicediscovery")
    assert r.status == 400 and r.json["__type"] == "SerializationException", r.body
    r = raw_call(server.endpoint, "BerthDnsV1.GetZones", b'{"after": 1, "waitSeconds": 0}', service="servicediscovery")
    assert r.status == 200 and "zones" in r.json and isinstance(r.json["revision"], int)
    assert server.alive()
