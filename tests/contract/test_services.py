"""Services through boto3 and the AWS CLI, against the control plane with hand-driven agents
(registered instances whose task reports the test submits): the API's validation and shapes,
the scheduler keeping desiredCount, rolling deployments, scale-in with task protection,
the circuit breaker, DeleteService draining, and `aws ecs wait services-stable`."""

import time

from ctutil import expect_error, register_instance, register_td, unique

NET = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}


def wait(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def describe(ecs, cluster, name):
    return ecs.describe_services(cluster=cluster, services=[name])["services"][0]


def service_tasks(ecs, cluster, name, desired="RUNNING"):
    arns = ecs.list_tasks(cluster=cluster, serviceName=name, desiredStatus=desired)["taskArns"]
    if not arns:
        return []
    return ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]


def report(ecs, cluster, task, status, exit_code=None):
    container = {"containerName": task["containers"][0]["name"], "status": "RUNNING" if status == "RUNNING" else "STOPPED"}
    if exit_code is not None:
        container["exitCode"] = exit_code
    ecs.submit_task_state_change(cluster=cluster, task=task["taskArn"], status=status, containers=[container])


def run_everything(ecs, cluster, name):
    """Plays the agents: every PENDING task of the service reports RUNNING, every task asked
    to stop reports STOPPED."""
    for t in service_tasks(ecs, cluster, name):
        if t["lastStatus"] != "RUNNING":
            report(ecs, cluster, t, "RUNNING")
    for t in service_tasks(ecs, cluster, name, desired="STOPPED"):
        if t["lastStatus"] != "STOPPED":
            report(ecs, cluster, t, "STOPPED", exit_code=0)


def setup_cluster(ecs, instances=2):
    cluster = unique("svc")
    ecs.create_cluster(clusterName=cluster)
    for i in range(instances):
        register_instance(ecs, cluster, az=f"us-east-1{'abc'[i % 3]}")
    return cluster


def test_create_validation_and_shape(ecs):
    cluster = setup_cluster(ecs)
    family = unique("td")
    register_td(ecs, family)
    name = unique("web")
    with expect_error("InvalidParameterException"):
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=family)  # no desiredCount
    with expect_error("InvalidParameterException"):
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=family, desiredCount=1, schedulingStrategy="DAEMON")
    with expect_error("ClientException"):
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=unique("nope"), desiredCount=1)
    with expect_error("ClusterNotFoundException"):
        ecs.create_service(cluster=unique("nocluster"), serviceName=name, taskDefinition=family, desiredCount=1)
    with expect_error("InvalidParameterException"):
        ecs.create_service(
            cluster=cluster, serviceName=name, taskDefinition=family, desiredCount=1,
            deploymentConfiguration={"minimumHealthyPercent": 150},
        )
    assert ecs.list_services(cluster=cluster)["serviceArns"] == []

    svc = ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=family, desiredCount=2, clientToken="tok-1")["service"]
    assert svc["serviceArn"].endswith(f":service/{cluster}/{name}")
    assert svc["status"] == "ACTIVE" and svc["desiredCount"] == 2
    assert svc["launchType"] == "EC2" and svc["schedulingStrategy"] == "REPLICA"
    config = svc["deploymentConfiguration"]
    assert config["maximumPercent"] == 200 and config["minimumHealthyPercent"] == 100
    assert config["deploymentCircuitBreaker"] == {"enable": False, "rollback": False}
    assert svc["deploymentController"] == {"type": "ECS"}
    [d] = svc["deployments"]
    assert d["status"] == "PRIMARY" and d["rolloutState"] == "IN_PROGRESS"
    assert d["id"].startswith("ecs-svc/") and d["taskDefinition"].endswith(f"{family}:1")
    # Same clientToken, same request: the same service. Another request: not idempotent.
    again = ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=family, desiredCount=2, clientToken="tok-1")["service"]
    assert again["serviceArn"] == svc["serviceArn"]
    with expect_error("InvalidParameterException"):
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=family, desiredCount=3)
    with expect_error("ClusterContainsServicesException"):
        ecs.delete_cluster(cluster=cluster)

    missing = ecs.describe_services(cluster=cluster, services=[unique("nope")])
    assert missing["services"] == [] and missing["failures"][0]["reason"] == "MISSING"
    with expect_error("ServiceNotFoundException"):
        ecs.update_service(cluster=cluster, service=unique("nope"), desiredCount=1)
    with expect_error("InvalidParameterException"):
        ecs.delete_service(cluster=cluster, service=name)  # scaled above 0, no force


def test_scheduler_runs_desired_count_and_reaches_steady_state(ecs, aws):
    cluster = setup_cluster(ecs)
    family = unique("td")
    register_td(ecs, family)
    name = unique("web")
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=family, desiredCount=2)
    tasks = wait(lambda: len(service_tasks(ecs, cluster, name)) == 2 and service_tasks(ecs, cluster, name), what="2 tasks")
    deployment = describe(ecs, cluster, name)["deployments"][0]["id"]
    for t in tasks:
        assert t["group"] == f"service:{name}" and t["startedBy"] == deployment
    # Spread across the two zones (ECS's default for services).
    assert sorted(t["availabilityZone"] for t in tasks) == ["us-east-1a", "us-east-1b"]
    assert describe(ecs, cluster, name)["pendingCount"] == 2
    run_everything(ecs, cluster, name)
    svc = wait(lambda: (s := describe(ecs, cluster, name))["deployments"][0]["rolloutState"] == "COMPLETED" and s, what="COMPLETED")
    assert svc["runningCount"] == 2 and svc["pendingCount"] == 0
    messages = [e["message"] for e in svc["events"]]
    assert f"(service {name}) has reached a steady state." in messages
    assert any(m.startswith(f"(service {name}) has started 2 tasks:") for m in messages)
    # The AWS CLI's waiter agrees.
    aws("ecs", "wait", "services-stable", "--cluster", cluster, "--services", name, timeout=60)

    # A task that dies is replaced.
    victim = service_tasks(ecs, cluster, name)[0]
    report(ecs, cluster, victim, "STOPPED", exit_code=1)
    wait(lambda: len([t for t in service_tasks(ecs, cluster, name) if t["taskArn"] != victim["taskArn"]]) == 2, what="a replacement")


def test_rolling_update_keeps_the_minimum_and_completes(ecs):
    cluster = setup_cluster(ecs, instances=3)
    family = unique("td")
    register_td(ecs, family)
    register_td(ecs, family)  # revision 2
    name = unique("web")
    ecs.create_service(
        cluster=cluster, serviceName=name, taskDefinition=f"{family}:1", desiredCount=4,
        deploymentConfiguration={"minimumHealthyPercent": 50, "maximumPercent": 150},
    )
    wait(lambda: len(service_tasks(ecs, cluster, name)) == 4, what="4 tasks")
    run_everything(ecs, cluster, name)
    wait(lambda: describe(ecs, cluster, name)["deployments"][0]["rolloutState"] == "COMPLETED", what="first rollout")
    ecs.update_service(cluster=cluster, service=name, taskDefinition=f"{family}:2")
    svc = describe(ecs, cluster, name)
    assert [d["status"] for d in svc["deployments"]] == ["PRIMARY", "ACTIVE"]
    assert svc["taskDefinition"].endswith(f"{family}:2")
    for _ in range(200):
        running = [t for t in service_tasks(ecs, cluster, name) if t["lastStatus"] == "RUNNING" and t["desiredStatus"] == "RUNNING"]
        live = service_tasks(ecs, cluster, name)
        assert len(running) >= 2, f"below minimumHealthyPercent: {len(running)} running"
        assert len(live) <= 6, f"above maximumPercent: {len(live)} tasks"
        run_everything(ecs, cluster, name)
        svc = describe(ecs, cluster, name)
        if len(svc["deployments"]) == 1 and svc["deployments"][0]["rolloutState"] == "COMPLETED":
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"rollout did not complete: {svc['deployments']}")
    final = service_tasks(ecs, cluster, name)
    assert len(final) == 4
    assert all(t["taskDefinitionArn"].endswith(f"{family}:2") for t in final)


def test_circuit_breaker_rolls_back(ecs):
    cluster = setup_cluster(ecs, instances=2)
    family = unique("td")
    register_td(ecs, family)
    register_td(ecs, family)
    name = unique("web")
    ecs.create_service(
        cluster=cluster, serviceName=name, taskDefinition=f"{family}:1", desiredCount=2,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )
    wait(lambda: len(service_tasks(ecs, cluster, name)) == 2, what="2 tasks")
    run_everything(ecs, cluster, name)
    wait(lambda: describe(ecs, cluster, name)["deployments"][0]["rolloutState"] == "COMPLETED", what="first rollout")
    ecs.update_service(cluster=cluster, service=name, taskDefinition=f"{family}:2")
    bad = describe(ecs, cluster, name)["deployments"][0]["id"]

    def fail_new_tasks():
        for t in service_tasks(ecs, cluster, name):
            if t["startedBy"] == bad and t["lastStatus"] != "STOPPED":
                report(ecs, cluster, t, "STOPPED", exit_code=1)
        for t in service_tasks(ecs, cluster, name, desired="STOPPED"):
            if t["lastStatus"] != "STOPPED":
                report(ecs, cluster, t, "STOPPED", exit_code=0)
        svc = describe(ecs, cluster, name)
        failed = [d for d in svc["deployments"] if d["id"] == bad and d.get("rolloutState") == "FAILED"]
        return svc if failed or all(d["id"] != bad for d in svc["deployments"]) else None

    svc = wait(fail_new_tasks, timeout=30, what="the breaker")
    primary = svc["deployments"][0]
    assert primary["status"] == "PRIMARY" and primary["id"] != bad
    assert primary["taskDefinition"].endswith(f"{family}:1"), "rolled back to the last good revision"
    assert svc["taskDefinition"].endswith(f"{family}:1")
    messages = " ".join(e["message"] for e in svc["events"])
    assert f"(deployment {bad}) deployment failed: tasks failed to start." in messages
    assert "rolling back to deployment" in messages


def test_scale_in_spares_protected_tasks_and_delete_drains(ecs):
    cluster = setup_cluster(ecs, instances=2)
    family = unique("td")
    register_td(ecs, family)
    name = unique("web")
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=family, desiredCount=3)
    wait(lambda: len(service_tasks(ecs, cluster, name)) == 3, what="3 tasks")
    run_everything(ecs, cluster, name)
    tasks = service_tasks(ecs, cluster, name)
    keep = [t["taskArn"] for t in tasks[:2]]
    out = ecs.update_task_protection(cluster=cluster, tasks=keep, protectionEnabled=True, expiresInMinutes=10)
    assert all(p["protectionEnabled"] for p in out["protectedTasks"])
    got = ecs.get_task_protection(cluster=cluster, tasks=keep)["protectedTasks"]
    assert all(p["protectionEnabled"] and p["expirationDate"] for p in got)
    ecs.update_service(cluster=cluster, service=name, desiredCount=2)
    wait(lambda: len(service_tasks(ecs, cluster, name)) == 2, what="scale-in")
    assert sorted(t["taskArn"] for t in service_tasks(ecs, cluster, name)) == sorted(keep)
    with expect_error("InvalidParameterException"):
        ecs.update_task_protection(cluster=cluster, tasks=keep, protectionEnabled=True, expiresInMinutes=0)

    deleted = ecs.delete_service(cluster=cluster, service=name, force=True)["service"]
    assert deleted["status"] == "DRAINING"
    wait(lambda: not service_tasks(ecs, cluster, name) or run_everything(ecs, cluster, name), what="tasks stopping")
    run_everything(ecs, cluster, name)
    wait(lambda: describe(ecs, cluster, name)["status"] == "INACTIVE", what="INACTIVE")
    assert ecs.list_services(cluster=cluster)["serviceArns"] == []
    with expect_error("ServiceNotActiveException"):
        ecs.update_service(cluster=cluster, service=name, desiredCount=1)


def test_list_services_filters_and_pages(ecs):
    cluster = setup_cluster(ecs, instances=1)
    family = unique("td")
    register_td(ecs, family)
    names = sorted(unique("s") for _ in range(3))
    for n in names:
        ecs.create_service(cluster=cluster, serviceName=n, taskDefinition=family, desiredCount=0)
    daemon = unique("d")
    ecs.create_service(cluster=cluster, serviceName=daemon, taskDefinition=family, schedulingStrategy="DAEMON")
    page = ecs.list_services(cluster=cluster, maxResults=2)
    assert len(page["serviceArns"]) == 2 and page["nextToken"]
    rest = ecs.list_services(cluster=cluster, nextToken=page["nextToken"])
    assert len(page["serviceArns"]) + len(rest["serviceArns"]) == 4
    daemons = ecs.list_services(cluster=cluster, schedulingStrategy="DAEMON")["serviceArns"]
    assert [a.rsplit("/", 1)[-1] for a in daemons] == [daemon]
    # The DAEMON service puts one task on the one instance.
    wait(lambda: len(service_tasks(ecs, cluster, daemon)) == 1, what="the daemon task")


def test_a_restarted_control_plane_finishes_the_deployment(fresh_ecs, restart):
    ecs = fresh_ecs
    cluster = setup_cluster(ecs, instances=2)
    family = unique("td")
    register_td(ecs, family)
    register_td(ecs, family)
    name = unique("web")
    ecs.create_service(
        cluster=cluster, serviceName=name, taskDefinition=f"{family}:1", desiredCount=2,
        deploymentConfiguration={"minimumHealthyPercent": 50, "maximumPercent": 100},
    )
    wait(lambda: len(service_tasks(ecs, cluster, name)) == 2, what="2 tasks")
    run_everything(ecs, cluster, name)
    wait(lambda: describe(ecs, cluster, name)["deployments"][0]["rolloutState"] == "COMPLETED", what="first rollout")
    ecs.update_service(cluster=cluster, service=name, taskDefinition=f"{family}:2")
    # One step of the rollout: an old task is asked to stop (100% maximum: no room to start first).
    wait(lambda: service_tasks(ecs, cluster, name, desired="STOPPED"), what="an old task stopping")
    ecs = restart()
    # The agents come back (the instances re-register) and carry on reporting.
    for arn in ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]:
        ecs.register_container_instance(cluster=cluster, containerInstanceArn=arn, totalResources=[
            {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": 3943},
        ])

    def progress():
        run_everything(ecs, cluster, name)
        svc = describe(ecs, cluster, name)
        done = len(svc["deployments"]) == 1 and svc["deployments"][0]["rolloutState"] == "COMPLETED"
        return svc if done else None

    svc = wait(progress, timeout=30, what="the rollout to finish after the restart")
    assert svc["taskDefinition"].endswith(f"{family}:2")
    tasks = service_tasks(ecs, cluster, name)
    assert len(tasks) == 2 and all(t["taskDefinitionArn"].endswith(f"{family}:2") for t in tasks)


def test_service_deployments_revisions_and_stopping_one(ecs):
    cluster = setup_cluster(ecs, instances=2)
    family = unique("td")
    register_td(ecs, family)
    register_td(ecs, family)
    name = unique("web")
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=f"{family}:1", desiredCount=1)
    wait(lambda: service_tasks(ecs, cluster, name), what="a task")
    run_everything(ecs, cluster, name)
    wait(lambda: describe(ecs, cluster, name)["deployments"][0]["rolloutState"] == "COMPLETED", what="first rollout")
    ecs.update_service(cluster=cluster, service=name, taskDefinition=f"{family}:2")

    listed = ecs.list_service_deployments(cluster=cluster, service=name)["serviceDeployments"]
    assert [d["status"] for d in listed] == ["IN_PROGRESS", "SUCCESSFUL"], listed
    newest, first = listed
    assert newest["serviceDeploymentArn"].split(":service-deployment/")[1].startswith(f"{cluster}/{name}/")
    assert first["finishedAt"] and "finishedAt" not in newest
    only_done = ecs.list_service_deployments(cluster=cluster, service=name, status=["SUCCESSFUL"])
    assert [d["serviceDeploymentArn"] for d in only_done["serviceDeployments"]] == [first["serviceDeploymentArn"]]

    described = ecs.describe_service_deployments(serviceDeploymentArns=[newest["serviceDeploymentArn"], "arn:aws:ecs:us-east-1:000000000000:service-deployment/x/y/1"])
    [d] = described["serviceDeployments"]
    assert described["failures"][0]["reason"] == "MISSING"
    assert d["targetServiceRevision"]["arn"] == newest["targetServiceRevisionArn"]
    assert d["targetServiceRevision"]["requestedTaskCount"] == 1
    assert [s["arn"] for s in d["sourceServiceRevisions"]] == [first["targetServiceRevisionArn"]]
    revisions = ecs.describe_service_revisions(serviceRevisionArns=[newest["targetServiceRevisionArn"]])["serviceRevisions"]
    assert revisions[0]["taskDefinition"].endswith(f"{family}:2")
    assert revisions[0]["containerImages"][0]["containerName"] == "web"

    # Stop the rollout: it rolls back to the last successful revision.
    ecs.stop_service_deployment(serviceDeploymentArn=newest["serviceDeploymentArn"], stopType="ROLLBACK")
    svc = describe(ecs, cluster, name)
    assert svc["taskDefinition"].endswith(f"{family}:1")
    assert svc["deployments"][0]["status"] == "PRIMARY" and svc["deployments"][0]["taskDefinition"].endswith(f"{family}:1")
    with expect_error("ConflictException"):
        ecs.stop_service_deployment(serviceDeploymentArn=newest["serviceDeploymentArn"])
    with expect_error("ServiceDeploymentNotFoundException"):
        ecs.stop_service_deployment(serviceDeploymentArn=f"arn:aws:ecs:us-east-1:000000000000:service-deployment/{cluster}/{name}/1")

    def settled():
        run_everything(ecs, cluster, name)
        s = describe(ecs, cluster, name)
        return len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED"

    wait(settled, what="the rollback to finish")
    statuses = [d["status"] for d in ecs.list_service_deployments(cluster=cluster, service=name)["serviceDeployments"]]
    assert statuses == ["SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "SUCCESSFUL"], statuses


def test_the_role_given_comes_back_as_an_arn(ecs):
    cluster = unique()
    ecs.create_cluster(clusterName=cluster)
    td = register_td(ecs, unique("td"))["taskDefinitionArn"]
    by_name = ecs.create_service(cluster=cluster, serviceName=unique("svc"), taskDefinition=td,
                                 desiredCount=0, role="ecsServiceRole")["service"]
    assert by_name["roleArn"] == "arn:aws:iam::000000000000:role/ecsServiceRole"
    arn = "arn:aws:iam::000000000000:role/team/lb-role"
    by_arn = ecs.create_service(cluster=cluster, serviceName=unique("svc"), taskDefinition=td,
                                desiredCount=0, role=arn)["service"]
    assert describe(ecs, cluster, by_arn["serviceName"])["roleArn"] == arn
    plain = ecs.create_service(cluster=cluster, serviceName=unique("svc"), taskDefinition=td,
                               desiredCount=0)["service"]
    assert "roleArn" not in plain
