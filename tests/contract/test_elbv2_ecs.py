"""ECS services behind Berth's load balancers on the real Docker Engine: busybox httpd tasks
registered as `instance` targets (bridge network, dynamic host ports), healthy before the
rollout counts them, a rolling deployment to a new revision with zero failed requests from a
client hammering the load balancer, and a killed task's target out within two intervals."""

from __future__ import annotations

import http.client
import threading
import time

import pytest

from ctutil import unique
from test_ecr_registry import docker
from test_ecr_tasks import build_image, dev  # noqa: F401
from test_elbv2_api import default_subnets, default_vpc, elb_client
from test_elbv2_traffic import get as traffic_get
from test_elbv2_traffic import wait_for

INTERVAL = 5


@pytest.fixture(scope="module")
def image():
    tag = f"berth-test/elb:{unique('i')}"
    build_image(tag)
    return tag


def get(host: str, path: str = "/"):
    """(status, body) of one request through the load balancer."""
    status, _, body = traffic_get(host, path)
    return status, body.strip()


def revision(ecs, family: str, image: str, version: str) -> str:
    return ecs.register_task_definition(
        family=family, networkMode="bridge",
        containerDefinitions=[{
            "name": "web", "image": image, "memory": 32, "essential": True,
            "portMappings": [{"containerPort": 8080, "hostPort": 0}],
            "entryPoint": ["/bin/busybox"],
            "command": ["sh", "-c", f"mkdir -p /www && echo {version} > /www/index.html && exec httpd -f -p 8080 -h /www"],
        }],
    )["taskDefinition"]["taskDefinitionArn"]


class Hammer:
    """Requests the load balancer without pause; counts what did not answer 200."""

    def __init__(self, host: str):
        self.host, self.ok, self.failed, self.bodies = host, 0, [], set()
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        conn = None
        while self.running:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, 80, timeout=10)
                conn.request("GET", "/")
                r = conn.getresponse()
                body = r.read().decode(errors="replace").strip()
                if r.status == 200:
                    self.ok += 1
                    self.bodies.add(body)
                else:
                    self.failed.append((r.status, body))
            except (OSError, http.client.HTTPException) as e:
                self.failed.append(("error", repr(e)))
                conn = None

    def stop(self):
        self.running = False
        self.thread.join(timeout=15)


def test_a_service_behind_a_load_balancer_deploys_with_zero_failed_requests(dev, image):
    ecs, elb = dev.client(), elb_client(dev.endpoint)
    lb = elb.create_load_balancer(Name=unique("web")[:32], Subnets=default_subnets()[:2])["LoadBalancers"][0]
    tg = elb.create_target_group(
        Name=unique("web")[:32], Protocol="HTTP", Port=8080, VpcId=default_vpc(), TargetType="instance",
        HealthCheckIntervalSeconds=INTERVAL, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "3"}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    family = unique("web")
    v1 = revision(ecs, family, image, "v1")
    service = unique("svc")
    ecs.create_service(cluster="default", serviceName=service, taskDefinition=v1, desiredCount=2,
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 8080}],
                       deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200})
    host = lb["DNSName"]

    def healthy_targets():
        d = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        return [x for x in d if x["TargetHealth"]["State"] == "healthy"]

    wait_for("two healthy targets", lambda: len(healthy_targets()) == 2, timeout=90)
    targets = healthy_targets()
    assert all(t["Target"]["Id"].startswith("i-") for t in targets)
    assert len({t["Target"]["Port"] for t in targets}) == 2
    assert get(host) == (200, "v1")
    svc = ecs.describe_services(cluster="default", services=[service])["services"][0]
    assert svc["loadBalancers"][0]["targetGroupArn"] == tg
    wait_for("the first rollout completed", lambda: ecs.describe_services(cluster="default", services=[service])
             ["services"][0]["deployments"][0]["rolloutState"] == "COMPLETED", timeout=90)
    messages = [e["message"] for e in ecs.describe_services(cluster="default", services=[service])["services"][0]["events"]]
    assert any(m == f"(service {service}) registered 1 targets in (target-group {tg})" for m in messages), messages

    hammer = Hammer(host)
    try:
        v2 = revision(ecs, family, image, "v2")
        ecs.update_service(cluster="default", service=service, taskDefinition=v2)

        def rolled_out():
            s = ecs.describe_services(cluster="default", services=[service])["services"][0]
            return len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED"

        wait_for("the new revision rolled out", rolled_out, timeout=180)
        wait_for("only v2 answering", lambda: get(host) == (200, "v2"))
        time.sleep(1)
    finally:
        hammer.stop()
    assert hammer.ok > 100, hammer.ok
    assert hammer.failed == [], hammer.failed[:5]
    assert {"v1", "v2"} <= hammer.bodies

    # A killed task's target is out within two health check intervals; traffic goes on.
    arns = ecs.list_tasks(cluster="default", serviceName=service, desiredStatus="RUNNING")["taskArns"]
    victim = ecs.describe_tasks(cluster="default", tasks=arns[:1])["tasks"][0]
    port = victim["containers"][0]["networkBindings"][0]["hostPort"]
    docker("kill", victim["containers"][0]["runtimeId"])
    killed = time.monotonic()

    def victim_out():
        d = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        mine = [x for x in d if x["Target"]["Port"] == port]
        return not mine or mine[0]["TargetHealth"]["State"] in ("unhealthy", "draining", "unused")

    wait_for("the killed task's target out", victim_out, timeout=3 * INTERVAL + 5)
    assert time.monotonic() - killed < 2 * INTERVAL + 3
    for _ in range(10):
        assert get(host) == (200, "v2")
    wait_for("a replacement healthy", lambda: len(healthy_targets()) == 2, timeout=90)
    ecs.update_service(cluster="default", service=service, desiredCount=0)
    ecs.delete_service(cluster="default", service=service)
