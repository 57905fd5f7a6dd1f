"""ECS services with `serviceRegistries` on the real Docker Engine: their tasks register in
Cloud Map once RUNNING, with the attributes ECS sets; Berth's DNS answers their addresses to
dig on the host and to a container's own resolver (busybox nslookup in a task); scaling
changes the answers."""

from __future__ import annotations

import subprocess
import time

import pytest

from ctutil import unique
from test_ecr_tasks import build_image, dev, wait_task  # noqa: F401
from test_servicediscovery import answers, dns_service, private_namespace, sd_client


@pytest.fixture(scope="module")
def image():
    tag = f"berth-test/sd:{unique('i')}"
    build_image(tag)
    return tag


def task_ips(ecs, cluster, service):
    arns = ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="RUNNING")["taskArns"]
    if not arns:
        return []
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]
    ips = []
    for t in tasks:
        if t["lastStatus"] != "RUNNING":
            continue
        for c in t["containers"]:
            for n in c.get("networkInterfaces", []):
                ips.append(n["privateIpv4Address"])
    return sorted(set(ips))


def wait_for(what, check, timeout=60.0, every=0.1):
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(every)


def test_service_tasks_register_and_resolve_from_host_and_containers(dev, image):
    ecs = dev.client()
    sd = sd_client(dev.endpoint)
    ns_name, ns_id = private_namespace(sd)
    registry = dns_service(sd, ns_id, name="api", records=(("A", 5),), HealthCheckCustomConfig={"FailureThreshold": 1})
    family = unique("sd")
    ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["EC2"],
        containerDefinitions=[{"name": "app", "image": image, "memory": 32, "essential": True,
                               "portMappings": [{"containerPort": 8080}]}],
    )
    service = unique("svc")
    ecs.create_service(
        cluster="default", serviceName=service, taskDefinition=family, desiredCount=2,
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
        serviceRegistries=[{"registryArn": registry["Arn"]}],
    )
    ips = wait_for("two running tasks", lambda: (lambda i: i if len(i) == 2 else None)(task_ips(ecs, "default", service)))
    seen = time.monotonic()
    wait_for("the tasks in DNS", lambda: answers(dev, f"api.{ns_name}") == ips, timeout=10, every=0.02)
    lag = time.monotonic() - seen
    assert lag < 5, f"{lag:.2f}s from RUNNING (as described) to answered"

    found = sd.discover_instances(NamespaceName=ns_name, ServiceName="api")["Instances"]
    assert sorted(i["Attributes"]["AWS_INSTANCE_IPV4"] for i in found) == ips
    attrs = found[0]["Attributes"]
    assert attrs["ECS_SERVICE_NAME"] == service and attrs["ECS_CLUSTER_NAME"] == "default"
    assert attrs["ECS_TASK_DEFINITION_FAMILY"] == family
    assert attrs["AVAILABILITY_ZONE"].startswith("us-east-1")
    task_ids = {a.rsplit("/", 1)[1] for a in ecs.list_tasks(cluster="default", serviceName=service)["taskArns"]}
    assert {i["InstanceId"] for i in found} == task_ids

    # A task's own resolver is Berth's: busybox nslookup inside a container finds them.
    client = unique("client")
    ecs.register_task_definition(
        family=client,
        containerDefinitions=[{"name": "c", "image": image, "memory": 32, "essential": True,
                               "command": ["sh", "-c", f"nslookup api.{ns_name}; cat /etc/resolv.conf; sleep 600"]}],
    )
    run = ecs.run_task(cluster="default", taskDefinition=client)["tasks"][0]
    task = wait_task(ecs, "default", run["taskArn"], {"RUNNING", "STOPPED"})
    docker_id = task["containers"][0]["runtimeId"]

    def logs():
        out = subprocess.run(["docker", "logs", docker_id], capture_output=True, text=True).stdout
        return out if all(ip in out for ip in ips) else None

    out = wait_for("nslookup in the container", logs, timeout=20, every=0.3)
    assert "169.254.169.253" in out or "169.254.171." in out, out
    ecs.stop_task(cluster="default", task=run["taskArn"])

    # Scaling in: the stopped task leaves the answers.
    ecs.update_service(cluster="default", service=service, desiredCount=1)
    wait_for("one answer", lambda: len(answers(dev, f"api.{ns_name}")) == 1, timeout=60)
    left = answers(dev, f"api.{ns_name}")
    assert left[0] in ips
    ecs.update_service(cluster="default", service=service, desiredCount=0)
    wait_for("no answers", lambda: answers(dev, f"api.{ns_name}") == [], timeout=60)
    wait_for("no instances", lambda: sd.list_instances(ServiceId=registry["Id"])["Instances"] == [], timeout=10)
    ecs.delete_service(cluster="default", service=service)


def test_bridge_tasks_register_their_instances_address_and_host_port(dev, image):
    ecs = dev.client()
    sd = sd_client(dev.endpoint)
    ns_name, ns_id = private_namespace(sd)
    registry = dns_service(sd, ns_id, name="web", records=(("SRV", 5),))
    family = unique("sdb")
    ecs.register_task_definition(
        family=family, networkMode="bridge",
        containerDefinitions=[{"name": "app", "image": image, "memory": 32, "essential": True,
                               "portMappings": [{"containerPort": 8080, "hostPort": 0}]}],
    )
    with pytest.raises(Exception) as e:
        ecs.create_service(cluster="default", serviceName=unique("bad"), taskDefinition=family, desiredCount=1,
                           serviceRegistries=[{"registryArn": registry["Arn"], "containerName": "nope", "containerPort": 8080}])
    assert "InvalidParameterException" in str(e.value)
    service = unique("svc")
    ecs.create_service(
        cluster="default", serviceName=service, taskDefinition=family, desiredCount=1,
        serviceRegistries=[{"registryArn": registry["Arn"], "containerName": "app", "containerPort": 8080}],
    )

    def registered():
        found = sd.discover_instances(NamespaceName=ns_name, ServiceName="web")["Instances"]
        return found or None

    found = wait_for("the bridge task registered", registered, timeout=60, every=0.2)
    arns = ecs.list_tasks(cluster="default", serviceName=service)["taskArns"]
    task = ecs.describe_tasks(cluster="default", tasks=arns)["tasks"][0]
    host_port = task["containers"][0]["networkBindings"][0]["hostPort"]
    attrs = found[0]["Attributes"]
    assert attrs["AWS_INSTANCE_PORT"] == str(host_port)
    ip = attrs["AWS_INSTANCE_IPV4"]
    assert not ip.startswith("127."), attrs
    srv = answers(dev, f"web.{ns_name}", "SRV")
    assert srv == [f"1 1 {host_port} {found[0]['InstanceId']}.web.{ns_name}."], srv
    assert answers(dev, f"{found[0]['InstanceId']}.web.{ns_name}") == [ip]
    ecs.update_service(cluster="default", service=service, desiredCount=0)
    wait_for("deregistered", lambda: sd.list_instances(ServiceId=registry["Id"])["Instances"] == [], timeout=60)
    ecs.delete_service(cluster="default", service=service)
