from ctutil import capacity_provider_arn, expect_error, tags_dict, unique


def asg_arn(name):
    return (
        "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:"
        f"8d3b3c3e-1111-2222-3333-444455556666:autoScalingGroupName/{name}"
    )


def asg_provider(name, **overrides):
    provider = {
        "autoScalingGroupArn": asg_arn(name),
        "managedScaling": {
            "status": "ENABLED",
            "targetCapacity": 90,
            "minimumScalingStepSize": 1,
            "maximumScalingStepSize": 5,
            "instanceWarmupPeriod": 120,
        },
        "managedTerminationProtection": "DISABLED",
        "managedDraining": "ENABLED",
    }
    provider.update(overrides)
    return provider


def describe_cp(ecs, name, include=None):
    kwargs = {"capacityProviders": [name]}
    if include:
        kwargs["include"] = include
    resp = ecs.describe_capacity_providers(**kwargs)
    assert resp.get("failures", []) == [], resp.get("failures")
    assert len(resp["capacityProviders"]) == 1
    return resp["capacityProviders"][0]


def test_fargate_providers_exist(ecs):
    resp = ecs.describe_capacity_providers(capacityProviders=["FARGATE", "FARGATE_SPOT"])
    assert resp.get("failures", []) == []
    by_name = {cp["name"]: cp for cp in resp["capacityProviders"]}
    assert set(by_name) == {"FARGATE", "FARGATE_SPOT"}
    for name, cp in by_name.items():
        assert cp["status"] == "ACTIVE"
        assert cp["capacityProviderArn"] == capacity_provider_arn(name)


def test_describe_all_capacity_providers_includes_fargate(ecs):
    names = []
    token = None
    while True:
        kwargs = {"nextToken": token} if token else {}
        resp = ecs.describe_capacity_providers(**kwargs)
        names += [cp["name"] for cp in resp["capacityProviders"]]
        token = resp.get("nextToken")
        if not token:
            break
    assert {"FARGATE", "FARGATE_SPOT"} <= set(names)


def test_create_capacity_provider_roundtrips(ecs):
    name = unique("cp")
    provider = asg_provider(name)
    created = ecs.create_capacity_provider(
        name=name,
        autoScalingGroupProvider=provider,
        tags=[{"key": "owner", "value": "ct"}],
    )["capacityProvider"]
    assert created["name"] == name
    assert created["capacityProviderArn"] == capacity_provider_arn(name)
    assert created["status"] == "ACTIVE"
    assert created["autoScalingGroupProvider"] == provider

    described = describe_cp(ecs, name, include=["TAGS"])
    assert described["capacityProviderArn"] == created["capacityProviderArn"]
    assert described["autoScalingGroupProvider"] == provider
    assert tags_dict(described["tags"]) == {"owner": "ct"}

    by_arn = describe_cp(ecs, created["capacityProviderArn"])
    assert by_arn["name"] == name


def test_create_capacity_provider_accepts_asg_name(ecs):
    name = unique("cp")
    created = ecs.create_capacity_provider(
        name=name, autoScalingGroupProvider={"autoScalingGroupArn": f"asg-{name}"}
    )["capacityProvider"]
    assert created["autoScalingGroupProvider"]["autoScalingGroupArn"] == f"asg-{name}"


def test_create_duplicate_capacity_provider(ecs):
    name = unique("cp")
    ecs.create_capacity_provider(name=name, autoScalingGroupProvider=asg_provider(name))
    with expect_error("ClientException"):
        ecs.create_capacity_provider(
            name=name, autoScalingGroupProvider=asg_provider(name + "-other")
        )


def test_capacity_provider_name_cannot_use_reserved_prefix(ecs):
    for prefix in ("aws", "ecs", "fargate"):
        with expect_error("InvalidParameterException", "ClientException"):
            ecs.create_capacity_provider(
                name=f"{prefix}{unique('cp')}",
                autoScalingGroupProvider=asg_provider(unique("asg")),
            )


def test_update_capacity_provider(ecs):
    name = unique("cp")
    ecs.create_capacity_provider(name=name, autoScalingGroupProvider=asg_provider(name))
    new_scaling = {
        "status": "ENABLED",
        "targetCapacity": 75,
        "minimumScalingStepSize": 2,
        "maximumScalingStepSize": 10,
        "instanceWarmupPeriod": 60,
    }
    updated = ecs.update_capacity_provider(
        name=name,
        autoScalingGroupProvider={
            "managedScaling": new_scaling,
            "managedTerminationProtection": "DISABLED",
            "managedDraining": "DISABLED",
        },
    )["capacityProvider"]
    assert updated["name"] == name
    described = describe_cp(ecs, name)
    asg = described["autoScalingGroupProvider"]
    assert asg["managedScaling"] == new_scaling
    assert asg["managedDraining"] == "DISABLED"
    assert asg["autoScalingGroupArn"] == asg_arn(name), "update must not touch the ASG ARN"


def test_update_missing_capacity_provider(ecs):
    with expect_error("InvalidParameterException", "ClientException", "ResourceNotFoundException"):
        ecs.update_capacity_provider(
            name=unique("missing"),
            autoScalingGroupProvider={"managedDraining": "DISABLED"},
        )


def test_describe_missing_capacity_provider_is_a_failure(ecs):
    missing = unique("missing")
    resp = ecs.describe_capacity_providers(capacityProviders=["FARGATE", missing])
    assert [cp["name"] for cp in resp["capacityProviders"]] == ["FARGATE"]
    assert len(resp["failures"]) == 1
    assert resp["failures"][0]["reason"] == "MISSING"
    assert resp["failures"][0]["arn"] == capacity_provider_arn(missing)


def test_delete_capacity_provider(ecs):
    name = unique("cp")
    arn = ecs.create_capacity_provider(
        name=name, autoScalingGroupProvider=asg_provider(name)
    )["capacityProvider"]["capacityProviderArn"]
    deleted = ecs.delete_capacity_provider(capacityProvider=name)["capacityProvider"]
    assert deleted["capacityProviderArn"] == arn
    assert deleted.get("updateStatus") in ("DELETE_IN_PROGRESS", "DELETE_COMPLETE") or deleted[
        "status"
    ] == "INACTIVE"

    resp = ecs.describe_capacity_providers(capacityProviders=[name])
    live = [
        cp
        for cp in resp["capacityProviders"]
        if cp["status"] == "ACTIVE" and cp.get("updateStatus") not in ("DELETE_IN_PROGRESS", "DELETE_COMPLETE")
    ]
    assert live == [], "a deleted capacity provider must not look usable"


def test_delete_capacity_provider_by_arn(ecs):
    name = unique("cp")
    arn = ecs.create_capacity_provider(
        name=name, autoScalingGroupProvider=asg_provider(name)
    )["capacityProvider"]["capacityProviderArn"]
    assert ecs.delete_capacity_provider(capacityProvider=arn)["capacityProvider"]["name"] == name


def test_delete_missing_capacity_provider(ecs):
    with expect_error("InvalidParameterException", "ClientException", "ResourceNotFoundException"):
        ecs.delete_capacity_provider(capacityProvider=unique("missing"))


def test_fargate_capacity_providers_cannot_be_deleted(ecs):
    for name in ("FARGATE", "FARGATE_SPOT"):
        with expect_error("InvalidParameterException", "ClientException"):
            ecs.delete_capacity_provider(capacityProvider=name)
    assert describe_cp(ecs, "FARGATE")["status"] == "ACTIVE"


def test_capacity_provider_can_be_attached_to_cluster(ecs):
    cp = unique("cp")
    ecs.create_capacity_provider(name=cp, autoScalingGroupProvider=asg_provider(cp))
    cluster = unique()
    ecs.create_cluster(clusterName=cluster)
    out = ecs.put_cluster_capacity_providers(
        cluster=cluster,
        capacityProviders=[cp, "FARGATE"],
        defaultCapacityProviderStrategy=[{"capacityProvider": cp, "weight": 1, "base": 0}],
    )["cluster"]
    assert sorted(out["capacityProviders"]) == sorted([cp, "FARGATE"])
    assert [s["capacityProvider"] for s in out["defaultCapacityProviderStrategy"]] == [cp]


def test_capacity_provider_in_use_by_cluster_cannot_be_deleted(ecs):
    cp = unique("cp")
    ecs.create_capacity_provider(name=cp, autoScalingGroupProvider=asg_provider(cp))
    cluster = unique()
    ecs.create_cluster(clusterName=cluster)
    ecs.put_cluster_capacity_providers(
        cluster=cluster, capacityProviders=[cp], defaultCapacityProviderStrategy=[]
    )
    with expect_error("ResourceInUseException", "ClientException", "InvalidParameterException"):
        ecs.delete_capacity_provider(capacityProvider=cp)
    assert describe_cp(ecs, cp)["status"] == "ACTIVE"
