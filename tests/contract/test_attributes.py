import pytest

from ctutil import expect_error, kv_dict, register_instance, short_id, unique


@pytest.fixture
def target(ecs):
    """A cluster with one bare instance: no agent attributes, no identity document."""
    cluster = unique()
    ecs.create_cluster(clusterName=cluster)
    ci = register_instance(ecs, cluster, standard_attributes=False, with_identity=False)
    return cluster, ci["containerInstanceArn"]


def list_attrs(ecs, cluster, **kwargs):
    out = []
    token = None
    while True:
        call = {"cluster": cluster, "targetType": "container-instance", **kwargs}
        if token:
            call["nextToken"] = token
        page = ecs.list_attributes(**call)
        out += page["attributes"]
        token = page.get("nextToken")
        if not token:
            return out


def instance_attrs(ecs, cluster, arn):
    ci = ecs.describe_container_instances(cluster=cluster, containerInstances=[arn])
    return kv_dict(ci["containerInstances"][0].get("attributes"))


def test_put_attributes_by_arn(ecs, target):
    cluster, arn = target
    out = ecs.put_attributes(
        cluster=cluster,
        attributes=[
            {"name": "stack", "value": "prod", "targetId": arn},
            {"name": "flag", "targetId": arn},
        ],
    )
    assert {a["name"] for a in out["attributes"]} == {"stack", "flag"}
    attrs = instance_attrs(ecs, cluster, arn)
    assert attrs["stack"] == "prod"
    assert "flag" in attrs


def test_put_attributes_by_short_id_needs_target_type(ecs, target):
    cluster, arn = target
    ecs.put_attributes(
        cluster=cluster,
        attributes=[
            {
                "name": "zone",
                "value": "z1",
                "targetType": "container-instance",
                "targetId": short_id(arn),
            }
        ],
    )
    assert instance_attrs(ecs, cluster, arn)["zone"] == "z1"


def test_put_attributes_overwrites_value(ecs, target):
    cluster, arn = target
    ecs.put_attributes(cluster=cluster, attributes=[{"name": "color", "value": "red", "targetId": arn}])
    ecs.put_attributes(cluster=cluster, attributes=[{"name": "color", "value": "green", "targetId": arn}])
    assert instance_attrs(ecs, cluster, arn)["color"] == "green"
    matching = list_attrs(ecs, cluster, attributeName="color")
    assert [(a["targetId"], a.get("value")) for a in matching] == [(arn, "green")]


def test_list_attributes_filters(ecs, target):
    cluster, arn = target
    other = register_instance(ecs, cluster, standard_attributes=False, with_identity=False)["containerInstanceArn"]
    ecs.put_attributes(
        cluster=cluster,
        attributes=[
            {"name": "tier", "value": "gold", "targetId": arn},
            {"name": "tier", "value": "silver", "targetId": other},
            {"name": "rack", "value": "r7", "targetId": arn},
        ],
    )
    everything = list_attrs(ecs, cluster)
    pairs = {(a["targetId"], a["name"], a.get("value")) for a in everything}
    assert {(arn, "tier", "gold"), (other, "tier", "silver"), (arn, "rack", "r7")} <= pairs
    for a in everything:
        assert a["targetType"] == "container-instance"

    by_name = list_attrs(ecs, cluster, attributeName="tier")
    assert {(a["targetId"], a["value"]) for a in by_name} == {(arn, "gold"), (other, "silver")}

    by_value = list_attrs(ecs, cluster, attributeName="tier", attributeValue="gold")
    assert [(a["targetId"], a["name"], a["value"]) for a in by_value] == [(arn, "tier", "gold")]


def test_list_attributes_paginates(ecs, target):
    cluster, arn = target
    ecs.put_attributes(
        cluster=cluster,
        attributes=[{"name": f"p{i}", "value": str(i), "targetId": arn} for i in range(5)],
    )
    first = ecs.list_attributes(cluster=cluster, targetType="container-instance", maxResults=2)
    assert len(first["attributes"]) == 2
    assert first.get("nextToken")
    names = {a["name"] for a in list_attrs(ecs, cluster)}
    assert {f"p{i}" for i in range(5)} <= names


def test_list_attributes_value_requires_name(ecs, target):
    cluster, _ = target
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.list_attributes(cluster=cluster, targetType="container-instance", attributeValue="x")


def test_delete_attributes(ecs, target):
    cluster, arn = target
    ecs.put_attributes(
        cluster=cluster,
        attributes=[
            {"name": "keep", "value": "1", "targetId": arn},
            {"name": "drop", "value": "2", "targetId": arn},
        ],
    )
    out = ecs.delete_attributes(cluster=cluster, attributes=[{"name": "drop", "targetId": arn}])
    assert [a["name"] for a in out["attributes"]] == ["drop"]
    attrs = instance_attrs(ecs, cluster, arn)
    assert "drop" not in attrs
    assert attrs["keep"] == "1"
    assert list_attrs(ecs, cluster, attributeName="drop") == []


def test_attributes_visible_to_cluster_query_filter(ecs, target):
    cluster, arn = target
    ecs.put_attributes(cluster=cluster, attributes=[{"name": "purpose", "value": "batch", "targetId": arn}])
    listed = ecs.list_container_instances(cluster=cluster, filter="attribute:purpose == batch")
    assert listed["containerInstanceArns"] == [arn]


def test_put_attributes_unknown_target(ecs, target):
    cluster, _ = target
    missing = f"arn:aws:ecs:us-east-1:000000000000:container-instance/{cluster}/{'a' * 32}"
    with expect_error("TargetNotFoundException"):
        ecs.put_attributes(cluster=cluster, attributes=[{"name": "x", "value": "y", "targetId": missing}])


def test_delete_attributes_unknown_target(ecs, target):
    cluster, _ = target
    missing = f"arn:aws:ecs:us-east-1:000000000000:container-instance/{cluster}/{'b' * 32}"
    with expect_error("TargetNotFoundException"):
        ecs.delete_attributes(cluster=cluster, attributes=[{"name": "x", "targetId": missing}])


def test_put_attributes_unknown_cluster(ecs, target):
    _, arn = target
    with expect_error("ClusterNotFoundException"):
        ecs.put_attributes(
            cluster=unique("missing"), attributes=[{"name": "x", "value": "y", "targetId": arn}]
        )


def test_ten_custom_attributes_is_the_limit(ecs, target):
    cluster, arn = target
    ecs.put_attributes(
        cluster=cluster,
        attributes=[{"name": f"a{i}", "value": "v", "targetId": arn} for i in range(10)],
    )
    with expect_error("AttributeLimitExceededException"):
        ecs.put_attributes(cluster=cluster, attributes=[{"name": "eleventh", "value": "v", "targetId": arn}])
    # Replacing the value of an existing attribute does not add one.
    ecs.put_attributes(cluster=cluster, attributes=[{"name": "a0", "value": "changed", "targetId": arn}])
    assert instance_attrs(ecs, cluster, arn)["a0"] == "changed"
    assert "eleventh" not in instance_attrs(ecs, cluster, arn)
    # Freeing a slot makes room again.
    ecs.delete_attributes(cluster=cluster, attributes=[{"name": "a9", "targetId": arn}])
    ecs.put_attributes(cluster=cluster, attributes=[{"name": "eleventh", "value": "v", "targetId": arn}])


def test_more_than_ten_attributes_in_one_call(ecs, target):
    cluster, arn = target
    with expect_error("AttributeLimitExceededException", "InvalidParameterException"):
        ecs.put_attributes(
            cluster=cluster,
            attributes=[{"name": f"b{i}", "value": "v", "targetId": arn} for i in range(11)],
        )
    assert not any(n.startswith("b") and n[1:].isdigit() for n in instance_attrs(ecs, cluster, arn)), (
        "a rejected call must not apply any of its attributes"
    )


def test_attribute_name_and_value_character_rules_accept_documented_set(ecs, target):
    cluster, arn = target
    name = "Ab0-_/\\." + "n" * 100
    value = "Ab0-_.@/\\: v" + "x" * 100
    ecs.put_attributes(cluster=cluster, attributes=[{"name": name, "value": value, "targetId": arn}])
    assert instance_attrs(ecs, cluster, arn)[name] == value
    ecs.put_attributes(
        cluster=cluster, attributes=[{"name": "m" * 128, "value": "v" * 128, "targetId": arn}]
    )


@pytest.mark.parametrize(
    "name,value",
    [
        ("bad name", "v"),
        ("bad!name", "v"),
        ("n" * 129, "v"),
        ("okname", "v" * 129),
        ("okname", " leading-space"),
        ("okname", "trailing-space "),
        ("okname", "bad#value"),
    ],
    ids=["space-in-name", "bang-in-name", "name-129", "value-129", "value-leading-space",
         "value-trailing-space", "hash-in-value"],
)
def test_attribute_name_and_value_rules_enforced(ecs, target, name, value):
    cluster, arn = target
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.put_attributes(cluster=cluster, attributes=[{"name": name, "value": value, "targetId": arn}])
