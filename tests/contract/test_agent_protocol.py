"""The agent protocol over the wire: a long poll that wakes on RunTask, state reports through
boto3's SubmitTaskStateChange, and the stop request delivered through the same channel."""

import json
import threading
import time

from ctutil import raw_call, register_instance, register_td, total_resources, unique


def poll(endpoint, cluster, instance_arn, after_seq=0, wait=20):
    resp = raw_call(
        endpoint,
        "BerthAgentV1.Poll",
        {"cluster": cluster, "containerInstance": instance_arn, "afterSeq": after_seq, "waitSeconds": wait},
        timeout=wait + 10,
    )
    assert resp.status == 200, resp.body
    return resp.json


def cluster_with_instance(ecs):
    """A new cluster with one registered instance and a new task definition family."""
    cluster = unique("agent")
    ecs.create_cluster(clusterName=cluster)
    family = unique("td")
    register_td(ecs, family)
    return cluster, family, register_instance(ecs, cluster)["containerInstanceArn"]


def test_poll_wakes_on_run_task_and_reports_drive_the_lifecycle(ecs, endpoint):
    cluster, family, instance_arn = cluster_with_instance(ecs)

    first = poll(endpoint, cluster, instance_arn, wait=1)
    assert first["tasks"] == []

    got = {}
    waiter = threading.Thread(target=lambda: got.update(poll(endpoint, cluster, instance_arn, first["seq"])))
    waiter.start()
    time.sleep(0.3)
    run = ecs.run_task(cluster=cluster, taskDefinition=family)
    task_arn = run["tasks"][0]["taskArn"]
    waiter.join(timeout=15)
    assert not waiter.is_alive(), "the held poll was not woken by RunTask"
    assert [t["taskArn"] for t in got["tasks"]] == [task_arn]
    assert got["tasks"][0]["desiredStatus"] == "RUNNING"
    assert got["tasks"][0]["taskDefinition"]["family"] == family

    ack = ecs.submit_task_state_change(
        cluster=cluster,
        task=task_arn,
        status="RUNNING",
        containers=[{"containerName": "web", "status": "RUNNING", "runtimeId": "rt-1"}],
    )
    assert ack["acknowledgment"] == "ACK"
    task = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]
    assert task["lastStatus"] == "RUNNING"
    assert task["containers"][0]["runtimeId"] == "rt-1"

    asked = ecs.stop_task(cluster=cluster, task=task_arn, reason="done")["task"]
    # ECS's stoppingAt is when the stop was asked for; stoppedAt when the task ended.
    assert asked["stoppingAt"] and "stoppedAt" not in asked
    stop = poll(endpoint, cluster, instance_arn, got["seq"], wait=5)
    assert [(t["taskArn"], t["desiredStatus"]) for t in stop["tasks"]] == [(task_arn, "STOPPED")]
    time.sleep(0.05)
    ecs.submit_task_state_change(cluster=cluster, task=task_arn, status="STOPPED")
    task = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]
    assert task["lastStatus"] == "STOPPED"
    assert task["stoppedReason"] == "done"
    assert task["stoppingAt"] == asked["stoppingAt"] < task["stoppedAt"]


def test_discover_poll_endpoint_names_this_server(ecs, endpoint):
    cluster = unique("agent")
    ecs.create_cluster(clusterName=cluster)
    instance_arn = register_instance(ecs, cluster)["containerInstanceArn"]
    resp = ecs.discover_poll_endpoint(cluster=cluster, containerInstance=instance_arn)
    assert resp["endpoint"].rstrip("/") == endpoint.rstrip("/")


def test_poll_for_unknown_instance_is_a_client_error(endpoint, ecs):
    cluster = unique("agent")
    ecs.create_cluster(clusterName=cluster)
    resp = raw_call(endpoint, "BerthAgentV1.Poll", {"cluster": cluster, "containerInstance": "nope"})
    assert resp.status == 400
    assert resp.error_code == "InvalidParameterException"
    bad = raw_call(endpoint, "BerthAgentV1.Poll", json.dumps([1]))
    assert bad.status == 400 and bad.error_code == "SerializationException"


def test_explain_run_task_is_a_dry_run_that_names_each_rejection(ecs, endpoint):
    cluster = unique("explain")
    ecs.create_cluster(clusterName=cluster)
    family = unique("td")
    register_td(ecs, family)
    small = total_resources(cpu=1024, memory=64)
    big_arn = register_instance(ecs, cluster, az="us-east-1a")["containerInstanceArn"]
    small_arn = register_instance(ecs, cluster, az="us-east-1b", resources=small)["containerInstanceArn"]
    body = {
        "cluster": cluster,
        "taskDefinition": family,
        "placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"}],
    }
    resp = raw_call(endpoint, "BerthV1.ExplainRunTask", body)
    assert resp.status == 200, resp.body
    doc = resp.json
    assert doc["placements"] == [big_arn]
    assert small_arn in doc["explanation"] and "RESOURCE:MEMORY" in doc["explanation"]
    # Nothing was created.
    assert ecs.list_tasks(cluster=cluster)["taskArns"] == []
    bad = raw_call(endpoint, "BerthV1.ExplainRunTask", dict(body, placementStrategy=[{"type": "binpack", "field": "disk"}]))
    assert bad.status == 400 and bad.error_code == "InvalidParameterException"


def test_batched_task_reports_apply_in_order_and_each_stands_alone(ecs, endpoint):
    cluster, family, instance_arn = cluster_with_instance(ecs)
    tasks = [t["taskArn"] for t in ecs.run_task(cluster=cluster, taskDefinition=family, count=2)["tasks"]]
    assert len(tasks) == 2
    changes = [
        {"cluster": cluster, "task": tasks[0], "status": "RUNNING",
         "containers": [{"containerName": "web", "status": "RUNNING"}]},
        {"cluster": cluster, "task": "arn:aws:ecs:us-east-1:000000000000:task/" + cluster + "/nope",
         "status": "RUNNING"},
        {"cluster": cluster, "task": tasks[1], "status": "RUNNING"},
        # Later in the same batch: applied after the RUNNING report above.
        {"cluster": cluster, "task": tasks[1], "status": "STOPPED", "reason": "done"},
        {"cluster": cluster, "task": tasks[0], "status": "NOT_A_STATUS"},
    ]
    resp = raw_call(endpoint, "BerthAgentV1.SubmitTaskStateChanges", {"changes": changes})
    assert resp.status == 200, resp.body
    results = resp.json["results"]
    assert [r.get("acknowledgment") for r in results] == ["ACK", None, "ACK", "ACK", None]
    assert results[1]["error"]["__type"] == "InvalidParameterException"
    assert results[4]["error"]["__type"] == "InvalidParameterException"
    described = {t["taskArn"]: t for t in ecs.describe_tasks(cluster=cluster, tasks=tasks)["tasks"]}
    assert described[tasks[0]]["lastStatus"] == "RUNNING"
    assert described[tasks[0]]["containers"][0]["lastStatus"] == "RUNNING"
    assert described[tasks[1]]["lastStatus"] == "STOPPED"
    assert described[tasks[1]]["startedAt"] is not None
    instance = ecs.describe_container_instances(cluster=cluster, containerInstances=[instance_arn])
    counts = instance["containerInstances"][0]
    assert (counts["runningTasksCount"], counts["pendingTasksCount"]) == (1, 0)

    too_many = raw_call(endpoint, "BerthAgentV1.SubmitTaskStateChanges", {"changes": [changes[0]] * 101})
    assert too_many.status == 400 and too_many.error_code == "InvalidParameterException"
    bad = raw_call(endpoint, "BerthAgentV1.SubmitTaskStateChanges", {"changes": "x"})
    assert bad.status == 400 and bad.error_code == "SerializationException"
