"""Everything acknowledged survives kill -9 and a restart on the same data dir."""

from ctutil import (
    container,
    kv_dict,
    register_instance,
    register_td,
    tags_dict,
    task_definition_arn,
    unique,
)


def snapshot(ecs, clusters, families, instance_cluster):
    described = ecs.describe_clusters(clusters=clusters, include=["TAGS", "SETTINGS"])
    tds = {}
    for family, revisions in families.items():
        for rev in revisions:
            td = ecs.describe_task_definition(
                taskDefinition=f"{family}:{rev}", include=["TAGS"]
            )
            tds[(family, rev)] = (td["taskDefinition"], td.get("tags", []))
    arns = ecs.list_container_instances(cluster=instance_cluster)["containerInstanceArns"]
    instances = ecs.describe_container_instances(
        cluster=instance_cluster, containerInstances=arns, include=["TAGS"]
    )["containerInstances"]
    return described, tds, instances


def test_state_survives_kill_9(fresh_server, fresh_ecs, restart):
    ecs = fresh_ecs
    clusters = [unique("dur") for _ in range(3)]
    for i, name in enumerate(clusters):
        ecs.create_cluster(
            clusterName=name,
            tags=[{"key": "idx", "value": str(i)}],
            settings=[{"name": "containerInsights", "value": "enabled"}],
        )
    ecs.put_cluster_capacity_providers(
        cluster=clusters[0],
        capacityProviders=["FARGATE"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 2, "base": 1}],
    )
    ecs.delete_cluster(cluster=clusters[2])

    fam_a, fam_b = unique("dura"), unique("durb")
    for _ in range(3):
        register_td(ecs, fam_a, [container(environment=[{"name": "K", "value": "v"}])],
                    tags=[{"key": "fam", "value": "a"}])
    register_td(ecs, fam_b)
    ecs.deregister_task_definition(taskDefinition=f"{fam_a}:2")

    instance = register_instance(
        ecs, clusters[0], attributes=[{"name": "team", "value": "blue"}],
        tags=[{"key": "host", "value": "h1"}],
    )
    ecs.put_attributes(
        cluster=clusters[0],
        attributes=[{"name": "late", "value": "yes", "targetId": instance["containerInstanceArn"]}],
    )
    ecs.update_container_instances_state(
        cluster=clusters[0], containerInstances=[instance["containerInstanceArn"]], status="DRAINING"
    )
    principal = f"arn:aws:iam::000000000000:user/{unique('u')}"
    ecs.put_account_setting(name="awsvpcTrunking", value="enabled", principalArn=principal)

    families = {fam_a: [1, 2, 3], fam_b: [1]}
    before = snapshot(ecs, clusters, families, clusters[0])

    ecs = restart()

    after = snapshot(ecs, clusters, families, clusters[0])
    b_clusters, b_tds, b_instances = before
    a_clusters, a_tds, a_instances = after

    assert a_clusters["failures"] == b_clusters["failures"] == []
    for b, a in zip(b_clusters["clusters"], a_clusters["clusters"]):
        assert a["clusterArn"] == b["clusterArn"]
        assert a["status"] == b["status"]
        assert tags_dict(a.get("tags")) == tags_dict(b.get("tags"))
        assert kv_dict(a.get("settings")) == kv_dict(b.get("settings"))
        assert a.get("capacityProviders") == b.get("capacityProviders")
        assert a.get("defaultCapacityProviderStrategy") == b.get("defaultCapacityProviderStrategy")
    assert [c["status"] for c in a_clusters["clusters"]] == ["ACTIVE", "ACTIVE", "INACTIVE"]

    assert a_tds == b_tds, "task definitions (with tags) must come back byte-for-byte"
    assert a_tds[(fam_a, 2)][0]["status"] == "INACTIVE"

    assert len(a_instances) == len(b_instances) == 1
    a_ci, b_ci = a_instances[0], b_instances[0]
    assert a_ci["containerInstanceArn"] == instance["containerInstanceArn"]
    assert a_ci["status"] == "DRAINING"
    assert kv_dict(a_ci["attributes"]) == kv_dict(b_ci["attributes"])
    assert kv_dict(a_ci["attributes"])["late"] == "yes"
    assert tags_dict(a_ci.get("tags")) == {"host": "h1"}
    assert a_ci["registeredResources"] == b_ci["registeredResources"]
    assert a_ci["versionInfo"] == b_ci["versionInfo"]

    settings = ecs.list_account_settings(principalArn=principal, name="awsvpcTrunking")["settings"]
    assert [(s["name"], s["value"]) for s in settings] == [("awsvpcTrunking", "enabled")]

    # Sequences continue where they stopped.
    assert register_td(ecs, fam_a)["revision"] == 4
    assert register_td(ecs, fam_b)["revision"] == 2


def test_acknowledged_writes_survive_immediate_kill(fresh_ecs, restart):
    family = unique("burst")
    arns = [register_td(fresh_ecs, family)["taskDefinitionArn"] for _ in range(30)]
    clusters = [unique("burst") for _ in range(10)]
    for name in clusters:
        fresh_ecs.create_cluster(clusterName=name)

    ecs = restart()  # no pause: the kill follows the last acknowledgement directly

    listed = []
    token = None
    while True:
        kwargs = {"familyPrefix": family}
        if token:
            kwargs["nextToken"] = token
        page = ecs.list_task_definitions(**kwargs)
        listed += page["taskDefinitionArns"]
        token = page.get("nextToken")
        if not token:
            break
    assert listed == arns == [task_definition_arn(family, r) for r in range(1, 31)]
    resp = ecs.describe_clusters(clusters=clusters)
    assert resp["failures"] == []
    assert all(c["status"] == "ACTIVE" for c in resp["clusters"])


def test_survives_repeated_restarts(fresh_ecs, restart):
    family = unique("rep")
    ecs = fresh_ecs
    for expected in range(1, 4):
        assert register_td(ecs, family)["revision"] == expected
        ecs = restart()
    assert ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["revision"] == 3


def test_restart_on_empty_data_dir_is_clean(fresh_ecs, restart):
    ecs = restart()
    assert ecs.list_clusters()["clusterArns"] == []
    assert ecs.list_task_definition_families()["families"] == []
