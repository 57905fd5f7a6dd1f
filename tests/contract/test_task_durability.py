"""kill -9 during a RunTask storm loses no acknowledged task, and the accounting of every
instance is consistent after the restart."""

import threading
import time

from botocore.exceptions import ClientError, EndpointConnectionError, ConnectionClosedError
from urllib3.exceptions import ProtocolError

from ctutil import register_instance, register_td, total_resources, unique


def _resource(instance, name):
    return next(r for r in instance["remainingResources"] if r["name"] == name)


def test_kill_during_run_task_storm_loses_nothing_acknowledged(fresh_server, restart):
    ecs = fresh_server.client()
    cluster = unique("storm")
    ecs.create_cluster(clusterName=cluster)
    family = unique("td")
    register_td(ecs, family, [{"name": "web", "image": "busybox", "cpu": 10, "memory": 16}])
    arns = [
        register_instance(ecs, cluster, resources=total_resources(cpu=100_000, memory=100_000))["containerInstanceArn"]
        for _ in range(4)
    ]

    acknowledged = []
    errors = []
    lock = threading.Lock()
    stop = threading.Event()

    def storm():
        client = fresh_server.client()
        while not stop.is_set():
            try:
                r = client.run_task(cluster=cluster, taskDefinition=family, count=5)
            except (ClientError, EndpointConnectionError, ConnectionClosedError, ProtocolError, OSError) as e:
                errors.append(e)
                return
            except Exception as e:  # the connection dies in many shapes under kill -9
                errors.append(e)
                return
            with lock:
                acknowledged.extend(t["taskArn"] for t in r["tasks"])

    threads = [threading.Thread(target=storm) for _ in range(8)]
    for t in threads:
        t.start()
    # Mid-storm: once it is well under way (a busy machine starts it slower), not at a fixed
    # moment.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(acknowledged) < 100 and not errors:
        time.sleep(0.02)
    assert not errors, f"the storm failed before the kill: {errors[:3]}"
    ecs = restart()  # kill -9 mid-storm, then start on the same data dir
    stop.set()
    for t in threads:
        t.join(timeout=30)

    assert len(acknowledged) >= 100, f"the storm did not get going: {len(acknowledged)}"
    found = set()
    for i in range(0, len(acknowledged), 100):
        d = ecs.describe_tasks(cluster=cluster, tasks=acknowledged[i : i + 100])
        assert d["failures"] == [], d["failures"][:3]
        found.update(t["taskArn"] for t in d["tasks"])
    assert found == set(acknowledged)

    # Accounting: every instance's remaining cpu/memory is exactly registered minus its tasks.
    all_tasks = []
    token = None
    while True:
        kw = {"cluster": cluster, "maxResults": 100}
        if token:
            kw["nextToken"] = token
        page = ecs.list_tasks(**kw)
        all_tasks += page["taskArns"]
        token = page.get("nextToken")
        if not token:
            break
    per_instance = {a: 0 for a in arns}
    for i in range(0, len(all_tasks), 100):
        for t in ecs.describe_tasks(cluster=cluster, tasks=all_tasks[i : i + 100])["tasks"]:
            per_instance[t["containerInstanceArn"]] += 1
    assert sum(per_instance.values()) == len(all_tasks) >= len(acknowledged)
    described = ecs.describe_container_instances(cluster=cluster, containerInstances=arns)["containerInstances"]
    for inst in described:
        n = per_instance[inst["containerInstanceArn"]]
        assert _resource(inst, "CPU")["integerValue"] == 100_000 - 10 * n
        assert _resource(inst, "MEMORY")["integerValue"] == 100_000 - 16 * n
        assert inst["pendingTasksCount"] == n
    cl = ecs.describe_clusters(clusters=[cluster])["clusters"][0]
    assert cl["pendingTasksCount"] == len(all_tasks)
