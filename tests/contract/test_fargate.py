"""FARGATE through boto3: tasks run on Berth's managed pool (hosts in an internal cluster
users never see), belong to the user's cluster, have no container instance, and count in the
cluster's statistics. Uses a fresh server so the pool starts empty."""

import pytest

from ctutil import expect_error, kv_dict, raw_call, register_instance, register_td, unique

POOL = "~fargate"
NET = {"awsvpcConfiguration": {"subnets": ["subnet-12345678"]}}


def fargate_td(ecs, family, **extra):
    return register_td(
        ecs,
        family,
        containers=[{"name": "app", "image": "app:1", "essential": True}],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        **extra,
    )


def test_no_pool_host_means_no_capacity(fresh_ecs):
    cluster = unique("fg")
    fresh_ecs.create_cluster(clusterName=cluster)
    family = unique("fg")
    fargate_td(fresh_ecs, family)
    out = fresh_ecs.run_task(cluster=cluster, taskDefinition=family, launchType="FARGATE", networkConfiguration=NET)
    assert out["tasks"] == []
    assert len(out["failures"]) == 1
    assert out["failures"][0]["reason"].startswith("Capacity is unavailable")


def test_fargate_requires_a_compatible_definition_and_no_placement(fresh_ecs):
    cluster = unique("fg")
    fresh_ecs.create_cluster(clusterName=cluster)
    bridge = unique("bridge")
    register_td(fresh_ecs, bridge)
    with expect_error("InvalidParameterException"):
        fresh_ecs.run_task(cluster=cluster, taskDefinition=bridge, launchType="FARGATE", networkConfiguration=NET)
    family = unique("fg")
    fargate_td(fresh_ecs, family)
    with expect_error("InvalidParameterException"):
        fresh_ecs.run_task(
            cluster=cluster,
            taskDefinition=family,
            launchType="FARGATE",
            networkConfiguration=NET,
            placementStrategy=[{"type": "binpack", "field": "memory"}],
        )
    with expect_error("InvalidParameterException"):
        # awsvpc needs its network configuration.
        fresh_ecs.run_task(cluster=cluster, taskDefinition=family, launchType="FARGATE")
    assert fresh_ecs.list_tasks(cluster=cluster)["taskArns"] == []


def test_fargate_task_runs_on_the_hidden_pool(fresh_ecs, fresh_server):
    endpoint = fresh_server.endpoint
    pool_host = register_instance(fresh_ecs, POOL, az="us-east-1b")["containerInstanceArn"]
    # The pool is invisible to users.
    assert all(POOL not in arn for arn in fresh_ecs.list_clusters()["clusterArns"])
    described = fresh_ecs.describe_clusters(clusters=[POOL])
    assert described["clusters"] == [] and described["failures"][0]["reason"] == "MISSING"
    with expect_error("ClusterNotFoundException"):
        fresh_ecs.delete_cluster(cluster=POOL)

    cluster = unique("fg")
    fresh_ecs.create_cluster(
        clusterName=cluster,
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
    )
    family = unique("fg")
    fargate_td(fresh_ecs, family)
    by_launch_type = fresh_ecs.run_task(
        cluster=cluster, taskDefinition=family, launchType="FARGATE", networkConfiguration=NET
    )["tasks"][0]
    assert by_launch_type["launchType"] == "FARGATE"
    assert "containerInstanceArn" not in by_launch_type
    assert by_launch_type["platformVersion"] == "1.4.0"
    assert by_launch_type["availabilityZone"] == "us-east-1b"
    assert by_launch_type["clusterArn"].endswith(f"cluster/{cluster}")
    assert by_launch_type["attachments"][0]["type"] == "ElasticNetworkInterface"
    # The cluster's default strategy chooses FARGATE_SPOT.
    by_default = fresh_ecs.run_task(cluster=cluster, taskDefinition=family, networkConfiguration=NET)["tasks"][0]
    assert by_default["launchType"] == "FARGATE"
    assert by_default["capacityProviderName"] == "FARGATE_SPOT"

    # The pool host's agent gets both tasks and reports them under the user's cluster.
    polled = raw_call(
        endpoint,
        "BerthAgentV1.Poll",
        {"cluster": POOL, "containerInstance": pool_host, "afterSeq": 0, "waitSeconds": 1},
    ).json
    arns = {t["taskArn"] for t in polled["tasks"]}
    assert arns == {by_launch_type["taskArn"], by_default["taskArn"]}
    fresh_ecs.submit_task_state_change(
        cluster=by_launch_type["clusterArn"],
        task=by_launch_type["taskArn"],
        status="RUNNING",
        containers=[{"containerName": "app", "status": "RUNNING"}],
    )
    c = fresh_ecs.describe_clusters(clusters=[cluster], include=["STATISTICS"])["clusters"][0]
    assert c["runningTasksCount"] == 1 and c["pendingTasksCount"] == 1
    stats = kv_dict(c["statistics"])
    assert stats["runningFargateTasksCount"] == "1"
    assert stats["pendingFargateTasksCount"] == "1"
    assert stats["runningEC2TasksCount"] == "0"
    listed = fresh_ecs.list_tasks(cluster=cluster, launchType="FARGATE")["taskArns"]
    assert sorted(listed) == sorted(arns)

    # Stopping reaches the pool host and the task ends STOPPED with its resources back.
    fresh_ecs.stop_task(cluster=cluster, task=by_launch_type["taskArn"], reason="done")
    after = raw_call(
        endpoint,
        "BerthAgentV1.Poll",
        {"cluster": POOL, "containerInstance": pool_host, "afterSeq": polled["seq"], "waitSeconds": 1},
    ).json
    assert [(t["taskArn"], t["desiredStatus"]) for t in after["tasks"]] == [(by_launch_type["taskArn"], "STOPPED")]
    fresh_ecs.submit_task_state_change(cluster=cluster, task=by_launch_type["taskArn"], status="STOPPED")
    task = fresh_ecs.describe_tasks(cluster=cluster, tasks=[by_launch_type["taskArn"]])["tasks"][0]
    assert task["lastStatus"] == "STOPPED" and task["stopCode"] == "UserInitiated"
    c = fresh_ecs.describe_clusters(clusters=[cluster])["clusters"][0]
    assert c["runningTasksCount"] == 0 and c["pendingTasksCount"] == 1
