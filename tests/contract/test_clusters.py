from ctutil import (
    cluster_arn,
    expect_error,
    kv_dict,
    register_instance,
    tags_dict,
    unique,
)


def describe_one(ecs, name, include=None):
    kwargs = {"clusters": [name]}
    if include:
        kwargs["include"] = include
    resp = ecs.describe_clusters(**kwargs)
    assert resp["failures"] == [], resp["failures"]
    assert len(resp["clusters"]) == 1
    return resp["clusters"][0]


def test_create_cluster_returns_active_cluster_with_arn(ecs):
    name = unique()
    cluster = ecs.create_cluster(clusterName=name)["cluster"]
    assert cluster["clusterName"] == name
    assert cluster["clusterArn"] == cluster_arn(name)
    assert cluster["status"] == "ACTIVE"
    assert cluster["registeredContainerInstancesCount"] == 0
    assert cluster["runningTasksCount"] == 0
    assert cluster["pendingTasksCount"] == 0
    assert cluster["activeServicesCount"] == 0


def test_create_cluster_is_idempotent_by_name(ecs):
    name = unique()
    first = ecs.create_cluster(clusterName=name)["cluster"]
    second = ecs.create_cluster(clusterName=name)["cluster"]
    assert second["clusterArn"] == first["clusterArn"]
    assert second["status"] == "ACTIVE"
    arns = []
    for page in ecs.get_paginator("list_clusters").paginate():
        arns += page["clusterArns"]
    assert arns.count(first["clusterArn"]) == 1


def test_create_cluster_without_name_creates_default(fresh_ecs):
    cluster = fresh_ecs.create_cluster()["cluster"]
    assert cluster["clusterName"] == "default"
    assert cluster["clusterArn"] == cluster_arn("default")


def test_create_cluster_rejects_invalid_name(ecs):
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.create_cluster(clusterName="not a valid name!")
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.create_cluster(clusterName="x" * 256)


def test_describe_clusters_by_name_and_by_arn(ecs):
    name = unique()
    arn = ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]
    resp = ecs.describe_clusters(clusters=[name, arn])
    assert resp["failures"] == []
    assert [c["clusterArn"] for c in resp["clusters"]] == [arn, arn]
    assert all(c["clusterName"] == name for c in resp["clusters"])


def test_describe_clusters_reports_missing_as_failure(ecs):
    known = unique()
    ecs.create_cluster(clusterName=known)
    missing = unique("missing")
    resp = ecs.describe_clusters(clusters=[known, missing])
    assert [c["clusterName"] for c in resp["clusters"]] == [known]
    assert len(resp["failures"]) == 1
    failure = resp["failures"][0]
    assert failure["reason"] == "MISSING"
    assert failure["arn"] == cluster_arn(missing)


def test_describe_clusters_missing_arn_echoes_arn(ecs):
    arn = cluster_arn(unique("missing"))
    resp = ecs.describe_clusters(clusters=[arn])
    assert resp["clusters"] == []
    assert len(resp["failures"]) == 1
    assert resp["failures"][0]["arn"] == arn
    assert resp["failures"][0]["reason"] == "MISSING"


def test_describe_clusters_include_tags(ecs):
    name = unique()
    tags = [{"key": "team", "value": "platform"}, {"key": "env", "value": "dev"}]
    ecs.create_cluster(clusterName=name, tags=tags)
    with_tags = describe_one(ecs, name, include=["TAGS"])
    assert tags_dict(with_tags["tags"]) == {"team": "platform", "env": "dev"}
    without = describe_one(ecs, name)
    assert not without.get("tags"), "tags must only be returned with include=[TAGS]"


def test_describe_clusters_include_settings(ecs):
    name = unique()
    ecs.create_cluster(
        clusterName=name, settings=[{"name": "containerInsights", "value": "enabled"}]
    )
    cluster = describe_one(ecs, name, include=["SETTINGS"])
    assert kv_dict(cluster["settings"])["containerInsights"] == "enabled"


def test_describe_clusters_include_statistics(ecs):
    name = unique()
    ecs.create_cluster(clusterName=name)
    cluster = describe_one(ecs, name, include=["STATISTICS"])
    stats = cluster["statistics"]
    assert isinstance(stats, list)
    for item in stats:
        assert set(item) >= {"name", "value"}
        assert item["value"] == "0", f"a brand-new cluster has no tasks or services: {item}"
    without = describe_one(ecs, name)
    assert not without.get("statistics")


def test_describe_clusters_include_configuration(ecs):
    name = unique()
    configuration = {
        "executeCommandConfiguration": {
            "kmsKeyId": "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "logging": "OVERRIDE",
            "logConfiguration": {
                "cloudWatchLogGroupName": "/ecs/exec",
                "cloudWatchEncryptionEnabled": True,
                "s3BucketName": "exec-logs",
                "s3EncryptionEnabled": False,
                "s3KeyPrefix": "exec/",
            },
        }
    }
    ecs.create_cluster(clusterName=name, configuration=configuration)
    cluster = describe_one(ecs, name, include=["CONFIGURATIONS"])
    assert cluster["configuration"] == configuration


def test_describe_clusters_include_several_fields_at_once(ecs):
    name = unique()
    ecs.create_cluster(
        clusterName=name,
        tags=[{"key": "k", "value": "v"}],
        settings=[{"name": "containerInsights", "value": "disabled"}],
    )
    cluster = describe_one(ecs, name, include=["TAGS", "SETTINGS", "STATISTICS"])
    assert tags_dict(cluster["tags"]) == {"k": "v"}
    assert kv_dict(cluster["settings"])["containerInsights"] == "disabled"
    assert isinstance(cluster["statistics"], list)


def test_list_clusters_paginates_with_max_results(ecs):
    names = [unique("page") for _ in range(5)]
    for n in names:
        ecs.create_cluster(clusterName=n)
    seen = []
    token = None
    pages = 0
    while True:
        kwargs = {"maxResults": 2}
        if token:
            kwargs["nextToken"] = token
        page = ecs.list_clusters(**kwargs)
        pages += 1
        assert len(page["clusterArns"]) <= 2
        seen += page["clusterArns"]
        token = page.get("nextToken")
        if not token:
            break
        assert pages < 10_000
    assert len(seen) == len(set(seen)), "pagination returned a cluster twice"
    assert pages >= 3
    for n in names:
        assert cluster_arn(n) in seen


def test_list_clusters_boto3_paginator_sees_everything(ecs):
    names = [unique("pgn") for _ in range(4)]
    for n in names:
        ecs.create_cluster(clusterName=n)
    arns = []
    for page in ecs.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": 3}):
        arns += page["clusterArns"]
    assert {cluster_arn(n) for n in names} <= set(arns)
    assert len(arns) == len(set(arns))


def test_list_clusters_rejects_garbage_next_token(ecs):
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.list_clusters(nextToken="this-is-not-a-token")


def test_update_cluster_settings_container_insights(ecs):
    name = unique()
    ecs.create_cluster(clusterName=name)
    updated = ecs.update_cluster_settings(
        cluster=name, settings=[{"name": "containerInsights", "value": "enabled"}]
    )["cluster"]
    assert updated["clusterName"] == name
    assert kv_dict(updated["settings"])["containerInsights"] == "enabled"
    assert kv_dict(describe_one(ecs, name, include=["SETTINGS"])["settings"])[
        "containerInsights"
    ] == "enabled"
    ecs.update_cluster_settings(
        cluster=name, settings=[{"name": "containerInsights", "value": "disabled"}]
    )
    assert kv_dict(describe_one(ecs, name, include=["SETTINGS"])["settings"])[
        "containerInsights"
    ] == "disabled"


def test_update_cluster_settings_and_configuration(ecs):
    name = unique()
    arn = ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]
    configuration = {
        "executeCommandConfiguration": {
            "logging": "OVERRIDE",
            "logConfiguration": {"cloudWatchLogGroupName": "/ecs/updated"},
        }
    }
    updated = ecs.update_cluster(
        cluster=arn,
        settings=[{"name": "containerInsights", "value": "enhanced"}],
        configuration=configuration,
    )["cluster"]
    assert updated["clusterArn"] == arn
    assert kv_dict(updated["settings"])["containerInsights"] == "enhanced"
    described = describe_one(ecs, name, include=["CONFIGURATIONS", "SETTINGS"])
    assert described["configuration"]["executeCommandConfiguration"]["logging"] == "OVERRIDE"
    assert (
        described["configuration"]["executeCommandConfiguration"]["logConfiguration"][
            "cloudWatchLogGroupName"
        ]
        == "/ecs/updated"
    )
    assert kv_dict(described["settings"])["containerInsights"] == "enhanced"


def test_update_cluster_unknown_cluster(ecs):
    with expect_error("ClusterNotFoundException"):
        ecs.update_cluster(
            cluster=unique("missing"),
            settings=[{"name": "containerInsights", "value": "enabled"}],
        )
    with expect_error("ClusterNotFoundException"):
        ecs.update_cluster_settings(
            cluster=unique("missing"),
            settings=[{"name": "containerInsights", "value": "enabled"}],
        )


def test_put_cluster_capacity_providers_fargate(ecs):
    name = unique()
    ecs.create_cluster(clusterName=name)
    strategy = [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 4},
    ]
    cluster = ecs.put_cluster_capacity_providers(
        cluster=name,
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=strategy,
    )["cluster"]
    assert sorted(cluster["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    by_cp = {s["capacityProvider"]: s for s in cluster["defaultCapacityProviderStrategy"]}
    assert by_cp["FARGATE"]["weight"] == 1 and by_cp["FARGATE"]["base"] == 1
    assert by_cp["FARGATE_SPOT"]["weight"] == 4
    assert by_cp["FARGATE_SPOT"].get("base", 0) == 0

    described = describe_one(ecs, name)
    assert sorted(described["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert {s["capacityProvider"] for s in described["defaultCapacityProviderStrategy"]} == {
        "FARGATE",
        "FARGATE_SPOT",
    }


def test_put_cluster_capacity_providers_can_clear(ecs):
    name = unique()
    ecs.create_cluster(
        clusterName=name,
        capacityProviders=["FARGATE"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
    )
    cluster = describe_one(ecs, name)
    assert cluster["capacityProviders"] == ["FARGATE"]
    cleared = ecs.put_cluster_capacity_providers(
        cluster=name, capacityProviders=[], defaultCapacityProviderStrategy=[]
    )["cluster"]
    assert not cleared.get("capacityProviders")
    assert not cleared.get("defaultCapacityProviderStrategy")


def test_put_cluster_capacity_providers_strategy_must_use_associated_provider(ecs):
    name = unique()
    ecs.create_cluster(clusterName=name)
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.put_cluster_capacity_providers(
            cluster=name,
            capacityProviders=["FARGATE"],
            defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        )


def test_put_cluster_capacity_providers_unknown_provider(ecs):
    name = unique()
    ecs.create_cluster(clusterName=name)
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.put_cluster_capacity_providers(
            cluster=name,
            capacityProviders=[unique("nope")],
            defaultCapacityProviderStrategy=[],
        )


def test_put_cluster_capacity_providers_unknown_cluster(ecs):
    with expect_error("ClusterNotFoundException"):
        ecs.put_cluster_capacity_providers(
            cluster=unique("missing"),
            capacityProviders=["FARGATE"],
            defaultCapacityProviderStrategy=[],
        )


def test_delete_cluster_marks_inactive_and_stays_describable(ecs):
    name = unique()
    arn = ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]
    deleted = ecs.delete_cluster(cluster=name)["cluster"]
    assert deleted["clusterArn"] == arn
    assert deleted["status"] == "INACTIVE"
    resp = ecs.describe_clusters(clusters=[arn])
    assert resp["failures"] == []
    assert resp["clusters"][0]["status"] == "INACTIVE"


def test_deleted_cluster_is_not_listed(ecs):
    name = unique()
    arn = ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]
    ecs.delete_cluster(cluster=arn)
    arns = []
    for page in ecs.get_paginator("list_clusters").paginate():
        arns += page["clusterArns"]
    assert arn not in arns


def test_recreating_deleted_cluster_reactivates_it(ecs):
    name = unique()
    arn = ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]
    ecs.delete_cluster(cluster=name)
    again = ecs.create_cluster(clusterName=name)["cluster"]
    assert again["clusterArn"] == arn
    assert again["status"] == "ACTIVE"
    assert describe_one(ecs, name)["status"] == "ACTIVE"


def test_delete_unknown_cluster(ecs):
    with expect_error("ClusterNotFoundException"):
        ecs.delete_cluster(cluster=unique("missing"))


def test_delete_cluster_refused_while_instance_registered(ecs):
    name = unique()
    ecs.create_cluster(clusterName=name)
    instance = register_instance(ecs, name)
    with expect_error("ClusterContainsContainerInstancesException"):
        ecs.delete_cluster(cluster=name)
    assert describe_one(ecs, name)["status"] == "ACTIVE"

    ecs.deregister_container_instance(
        cluster=name, containerInstance=instance["containerInstanceArn"], force=True
    )
    assert ecs.delete_cluster(cluster=name)["cluster"]["status"] == "INACTIVE"


def test_registered_instance_count_tracks_registrations(ecs):
    name = unique()
    ecs.create_cluster(clusterName=name)
    a = register_instance(ecs, name)
    register_instance(ecs, name)
    assert describe_one(ecs, name)["registeredContainerInstancesCount"] == 2
    ecs.deregister_container_instance(
        cluster=name, containerInstance=a["containerInstanceArn"], force=True
    )
    assert describe_one(ecs, name)["registeredContainerInstancesCount"] == 1


def test_describe_clusters_without_arguments_uses_default(fresh_ecs):
    resp = fresh_ecs.describe_clusters()
    assert resp["clusters"] == []
    assert len(resp["failures"]) == 1
    assert resp["failures"][0]["reason"] == "MISSING"
    assert resp["failures"][0]["arn"] == cluster_arn("default")

    fresh_ecs.create_cluster(clusterName="default")
    resp = fresh_ecs.describe_clusters()
    assert resp["failures"] == []
    assert [c["clusterName"] for c in resp["clusters"]] == ["default"]


def test_default_cluster_used_by_container_instance_calls(fresh_ecs):
    fresh_ecs.create_cluster()
    instance = register_instance(fresh_ecs)  # no cluster given
    arn = instance["containerInstanceArn"]
    assert ":container-instance/default/" in arn

    listed = fresh_ecs.list_container_instances()["containerInstanceArns"]
    assert listed == [arn]
    described = fresh_ecs.describe_container_instances(containerInstances=[arn])
    assert described["failures"] == []
    assert described["containerInstances"][0]["containerInstanceArn"] == arn
    assert fresh_ecs.describe_clusters()["clusters"][0]["registeredContainerInstancesCount"] == 1


def test_register_instance_without_default_cluster_fails(fresh_ecs):
    with expect_error("ClusterNotFoundException"):
        register_instance(fresh_ecs)


def test_list_clusters_on_empty_server(fresh_ecs):
    assert fresh_ecs.list_clusters()["clusterArns"] == []
