import datetime
import json
import re

import pytest
from botocore.exceptions import ClientError

from ctutil import (
    CONTAINER_INSTANCE_ARN_RE,
    VERSION_INFO,
    expect_error,
    identity_document,
    kv_dict,
    register_instance,
    short_id,
    tags_dict,
    total_resources,
    unique,
)


@pytest.fixture
def cluster(ecs):
    name = unique()
    ecs.create_cluster(clusterName=name)
    return name


def describe_ci(ecs, cluster, ref, include=None):
    kwargs = {"cluster": cluster, "containerInstances": [ref]}
    if include:
        kwargs["include"] = include
    resp = ecs.describe_container_instances(**kwargs)
    assert resp["failures"] == [], resp["failures"]
    assert len(resp["containerInstances"]) == 1
    return resp["containerInstances"][0]


def resources_by_name(resources):
    field = {
        "INTEGER": "integerValue",
        "LONG": "longValue",
        "DOUBLE": "doubleValue",
        "STRINGSET": "stringSetValue",
    }
    out = {}
    for r in resources:
        value = r.get(field[r["type"]])
        if r["type"] == "STRINGSET":
            value = sorted(value or [])
        out[r["name"]] = (r["type"], value)
    return out


def list_all_instances(ecs, cluster, **kwargs):
    arns = []
    token = None
    while True:
        call = {"cluster": cluster, **kwargs}
        if token:
            call["nextToken"] = token
        page = ecs.list_container_instances(**call)
        arns += page["containerInstanceArns"]
        token = page.get("nextToken")
        if not token:
            return arns


# ---------------------------------------------------------------------------
# Register / describe
# ---------------------------------------------------------------------------


def test_register_container_instance_returns_active_instance(ecs, cluster):
    doc = identity_document(az="us-east-1b")
    ci = ecs.register_container_instance(
        cluster=cluster,
        instanceIdentityDocument=json.dumps(doc),
        instanceIdentityDocumentSignature="c2ln",
        totalResources=total_resources(cpu=4096, memory=7680),
        versionInfo=VERSION_INFO,
        attributes=[{"name": "ecs.os-type", "value": "linux"}],
    )["containerInstance"]
    assert re.match(CONTAINER_INSTANCE_ARN_RE.format(cluster=cluster), ci["containerInstanceArn"]), ci[
        "containerInstanceArn"
    ]
    assert ci["status"] == "ACTIVE"
    assert ci["ec2InstanceId"] == doc["instanceId"]
    assert ci["versionInfo"] == VERSION_INFO
    assert ci["runningTasksCount"] == 0
    assert ci["pendingTasksCount"] == 0
    assert isinstance(ci["agentConnected"], bool)
    assert isinstance(ci["registeredAt"], datetime.datetime)


def test_registered_and_remaining_resources(ecs, cluster):
    resources = total_resources(cpu=2048, memory=3943, ports=["22", "2375", "2376", "51678", "51679"], udp_ports=["161"])
    ci = register_instance(ecs, cluster, resources=resources)
    described = describe_ci(ecs, cluster, ci["containerInstanceArn"])
    expected = {
        "CPU": ("INTEGER", 2048),
        "MEMORY": ("INTEGER", 3943),
        "PORTS": ("STRINGSET", sorted(["22", "2375", "2376", "51678", "51679"])),
        "PORTS_UDP": ("STRINGSET", ["161"]),
    }
    assert resources_by_name(described["registeredResources"]) == expected
    assert resources_by_name(described["remainingResources"]) == expected, (
        "nothing runs yet, so everything registered is still available"
    )


def test_register_without_identity_document(ecs, cluster):
    ci = register_instance(ecs, cluster, with_identity=False)
    assert ci["status"] == "ACTIVE"
    described = describe_ci(ecs, cluster, ci["containerInstanceArn"])
    assert described["containerInstanceArn"] == ci["containerInstanceArn"]


def test_describe_includes_custom_and_agent_attributes(ecs, cluster):
    ci = register_instance(
        ecs, cluster, attributes=[{"name": "team", "value": "blue"}, {"name": "gpu"}]
    )
    described = describe_ci(ecs, cluster, ci["containerInstanceArn"])
    attrs = kv_dict(described["attributes"])
    assert attrs["team"] == "blue"
    assert "gpu" in attrs
    assert attrs["ecs.os-type"] == "linux"
    assert attrs["ecs.availability-zone"] == "us-east-1a"
    assert "com.amazonaws.ecs.capability.docker-remote-api.1.17" in attrs


def test_describe_by_short_id_and_by_arn(ecs, cluster):
    ci = register_instance(ecs, cluster)
    arn = ci["containerInstanceArn"]
    resp = ecs.describe_container_instances(cluster=cluster, containerInstances=[short_id(arn), arn])
    assert resp["failures"] == []
    assert [c["containerInstanceArn"] for c in resp["containerInstances"]] == [arn, arn]


def test_describe_missing_instance_is_a_failure(ecs, cluster):
    ci = register_instance(ecs, cluster)
    missing = f"arn:aws:ecs:us-east-1:000000000000:container-instance/{cluster}/{'0' * 32}"
    resp = ecs.describe_container_instances(
        cluster=cluster, containerInstances=[ci["containerInstanceArn"], missing]
    )
    assert [c["containerInstanceArn"] for c in resp["containerInstances"]] == [ci["containerInstanceArn"]]
    assert len(resp["failures"]) == 1
    assert resp["failures"][0]["reason"] == "MISSING"
    assert resp["failures"][0]["arn"] == missing


def test_describe_include_tags(ecs, cluster):
    ci = register_instance(ecs, cluster, tags=[{"key": "rack", "value": "r1"}])
    with_tags = describe_ci(ecs, cluster, ci["containerInstanceArn"], include=["TAGS"])
    assert tags_dict(with_tags["tags"]) == {"rack": "r1"}
    without = describe_ci(ecs, cluster, ci["containerInstanceArn"])
    assert not without.get("tags")


def test_instance_from_another_cluster_is_not_found(ecs, cluster):
    other = unique()
    ecs.create_cluster(clusterName=other)
    ci = register_instance(ecs, other)
    resp = ecs.describe_container_instances(
        cluster=cluster, containerInstances=[ci["containerInstanceArn"]]
    )
    assert resp["containerInstances"] == []
    assert resp["failures"][0]["reason"] == "MISSING"


def test_register_into_unknown_cluster(ecs):
    with expect_error("ClusterNotFoundException"):
        register_instance(ecs, unique("missing"))


def test_describe_in_unknown_cluster(ecs):
    with expect_error("ClusterNotFoundException"):
        ecs.describe_container_instances(cluster=unique("missing"), containerInstances=["abc"])


def test_reregistration_with_arn_keeps_identity(ecs, cluster):
    first = register_instance(ecs, cluster, attributes=[{"name": "gen", "value": "1"}])
    arn = first["containerInstanceArn"]
    again = register_instance(
        ecs,
        cluster,
        container_instance_arn=arn,
        resources=total_resources(cpu=8192, memory=15000),
        version_info={**VERSION_INFO, "agentVersion": "1.90.0"},
        attributes=[{"name": "gen", "value": "2"}],
    )
    assert again["containerInstanceArn"] == arn
    assert list_all_instances(ecs, cluster) == [arn]
    described = describe_ci(ecs, cluster, arn)
    assert resources_by_name(described["registeredResources"])["CPU"] == ("INTEGER", 8192)
    assert described["versionInfo"]["agentVersion"] == "1.90.0"
    assert kv_dict(described["attributes"])["gen"] == "2"
    assert ecs.describe_clusters(clusters=[cluster])["clusters"][0][
        "registeredContainerInstancesCount"
    ] == 1


# ---------------------------------------------------------------------------
# Listing and the cluster query language
# ---------------------------------------------------------------------------


@pytest.fixture
def fleet(ecs, cluster):
    a = register_instance(
        ecs, cluster, az="us-east-1a", instance_type="t3.large",
        attributes=[{"name": "team", "value": "blue"}], instance_id="i-0aaaaaaaaaaaaaaa1",
    )
    b = register_instance(
        ecs, cluster, az="us-east-1b", instance_type="m5.xlarge",
        attributes=[{"name": "team", "value": "red"}], instance_id="i-0bbbbbbbbbbbbbbb2",
    )
    c = register_instance(
        ecs, cluster, az="us-east-1a", instance_type="t3.small", instance_id="i-0ccccccccccccccc3",
    )
    return cluster, {
        "a": a["containerInstanceArn"],
        "b": b["containerInstanceArn"],
        "c": c["containerInstanceArn"],
    }


def filtered(ecs, cluster, expression, **kwargs):
    return set(list_all_instances(ecs, cluster, filter=expression, **kwargs))


def test_list_container_instances(ecs, fleet):
    cluster, arns = fleet
    assert set(list_all_instances(ecs, cluster)) == set(arns.values())


def test_list_container_instances_paginates(ecs, fleet):
    cluster, arns = fleet
    first = ecs.list_container_instances(cluster=cluster, maxResults=2)
    assert len(first["containerInstanceArns"]) == 2
    assert first.get("nextToken")
    second = ecs.list_container_instances(cluster=cluster, maxResults=2, nextToken=first["nextToken"])
    assert len(second["containerInstanceArns"]) == 1
    assert not second.get("nextToken")
    assert set(first["containerInstanceArns"] + second["containerInstanceArns"]) == set(arns.values())


def test_filter_attribute_equals(ecs, fleet):
    cluster, arns = fleet
    assert filtered(ecs, cluster, "attribute:ecs.availability-zone == us-east-1a") == {arns["a"], arns["c"]}
    assert filtered(ecs, cluster, "attribute:ecs.availability-zone == us-east-1b") == {arns["b"]}
    assert filtered(ecs, cluster, "attribute:ecs.availability-zone == eu-west-1a") == set()


def test_filter_attribute_not_equals(ecs, fleet):
    cluster, arns = fleet
    assert filtered(ecs, cluster, "attribute:ecs.availability-zone != us-east-1a") == {arns["b"]}


def test_filter_in_list(ecs, fleet):
    cluster, arns = fleet
    assert filtered(
        ecs, cluster, "attribute:ecs.instance-type in [t3.large, m5.xlarge]"
    ) == {arns["a"], arns["b"]}


def test_filter_exists(ecs, fleet):
    cluster, arns = fleet
    assert filtered(ecs, cluster, "attribute:team exists") == {arns["a"], arns["b"]}


def test_filter_matches_pattern(ecs, fleet):
    cluster, arns = fleet
    assert filtered(ecs, cluster, "attribute:ecs.instance-type =~ t3.*") == {arns["a"], arns["c"]}


def test_filter_compound_and_or(ecs, fleet):
    cluster, arns = fleet
    assert filtered(
        ecs, cluster, "attribute:ecs.availability-zone == us-east-1a and attribute:team == blue"
    ) == {arns["a"]}
    assert filtered(
        ecs, cluster, "attribute:team == red or attribute:ecs.instance-type == t3.small"
    ) == {arns["b"], arns["c"]}
    assert filtered(
        ecs,
        cluster,
        "(attribute:team == red or attribute:team == blue) and attribute:ecs.availability-zone == us-east-1a",
    ) == {arns["a"]}


def test_filter_by_ec2_instance_id(ecs, fleet):
    cluster, arns = fleet
    assert filtered(ecs, cluster, "ec2InstanceId == i-0bbbbbbbbbbbbbbb2") == {arns["b"]}


def test_filter_invalid_expression(ecs, fleet):
    cluster, _ = fleet
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.list_container_instances(cluster=cluster, filter="attribute:team ===")


def test_filter_combined_with_status(ecs, fleet):
    cluster, arns = fleet
    ecs.update_container_instances_state(
        cluster=cluster, containerInstances=[arns["a"]], status="DRAINING"
    )
    assert filtered(ecs, cluster, "attribute:ecs.availability-zone == us-east-1a", status="ACTIVE") == {
        arns["c"]
    }
    assert filtered(
        ecs, cluster, "attribute:ecs.availability-zone == us-east-1a", status="DRAINING"
    ) == {arns["a"]}


# ---------------------------------------------------------------------------
# State changes
# ---------------------------------------------------------------------------


def test_drain_and_reactivate(ecs, fleet):
    cluster, arns = fleet
    out = ecs.update_container_instances_state(
        cluster=cluster, containerInstances=[arns["b"]], status="DRAINING"
    )
    assert out["failures"] == []
    assert [(c["containerInstanceArn"], c["status"]) for c in out["containerInstances"]] == [
        (arns["b"], "DRAINING")
    ]
    assert set(list_all_instances(ecs, cluster, status="DRAINING")) == {arns["b"]}
    assert set(list_all_instances(ecs, cluster, status="ACTIVE")) == {arns["a"], arns["c"]}
    assert set(list_all_instances(ecs, cluster)) == set(arns.values()), (
        "without a status filter, DRAINING instances are still listed"
    )
    assert describe_ci(ecs, cluster, arns["b"])["status"] == "DRAINING"

    back = ecs.update_container_instances_state(
        cluster=cluster, containerInstances=[short_id(arns["b"])], status="ACTIVE"
    )
    assert back["containerInstances"][0]["status"] == "ACTIVE"
    assert describe_ci(ecs, cluster, arns["b"])["status"] == "ACTIVE"


def test_update_state_reports_missing_instances(ecs, fleet):
    cluster, arns = fleet
    missing = f"arn:aws:ecs:us-east-1:000000000000:container-instance/{cluster}/{'f' * 32}"
    out = ecs.update_container_instances_state(
        cluster=cluster, containerInstances=[arns["a"], missing], status="DRAINING"
    )
    assert [c["containerInstanceArn"] for c in out["containerInstances"]] == [arns["a"]]
    assert len(out["failures"]) == 1
    assert out["failures"][0]["arn"] == missing
    assert out["failures"][0]["reason"] == "MISSING"


def test_update_state_rejects_invalid_target_status(ecs, fleet):
    cluster, arns = fleet
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.update_container_instances_state(
            cluster=cluster, containerInstances=[arns["a"]], status="REGISTERING"
        )


def test_deregister_container_instance(ecs, fleet):
    cluster, arns = fleet
    out = ecs.deregister_container_instance(
        cluster=cluster, containerInstance=arns["c"], force=True
    )["containerInstance"]
    assert out["containerInstanceArn"] == arns["c"]
    assert out["status"] == "INACTIVE"
    assert set(list_all_instances(ecs, cluster)) == {arns["a"], arns["b"]}
    resp = ecs.describe_container_instances(cluster=cluster, containerInstances=[arns["c"]])
    if resp["containerInstances"]:
        assert resp["containerInstances"][0]["status"] == "INACTIVE"
    else:
        assert resp["failures"][0]["reason"] == "MISSING"
    assert ecs.describe_clusters(clusters=[cluster])["clusters"][0][
        "registeredContainerInstancesCount"
    ] == 2


def test_deregister_by_short_id_without_force(ecs, cluster):
    ci = register_instance(ecs, cluster)
    out = ecs.deregister_container_instance(
        cluster=cluster, containerInstance=short_id(ci["containerInstanceArn"])
    )
    assert out["containerInstance"]["status"] == "INACTIVE"


def test_deregister_unknown_instance(ecs, cluster):
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.deregister_container_instance(
            cluster=cluster,
            containerInstance=f"arn:aws:ecs:us-east-1:000000000000:container-instance/{cluster}/{'e' * 32}",
            force=True,
        )


# ---------------------------------------------------------------------------
# UpdateContainerAgent
# ---------------------------------------------------------------------------


def test_update_container_agent_without_version_info(ecs, cluster):
    ci = register_instance(ecs, cluster, version_info=None)
    with expect_error("MissingVersionException"):
        ecs.update_container_agent(cluster=cluster, containerInstance=ci["containerInstanceArn"])


def test_update_container_agent_with_version_info(ecs, cluster):
    ci = register_instance(ecs, cluster)
    try:
        out = ecs.update_container_agent(
            cluster=cluster, containerInstance=ci["containerInstanceArn"]
        )
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        assert code in ("NoUpdateAvailableException", "UpdateInProgressException"), code
        assert exc.response["Error"]["Message"]
        return
    updated = out["containerInstance"]
    assert updated["containerInstanceArn"] == ci["containerInstanceArn"]
    assert updated["agentUpdateStatus"] in ("PENDING", "STAGING", "STAGED", "UPDATING", "UPDATED")


def test_update_container_agent_unknown_cluster(ecs):
    with expect_error("ClusterNotFoundException"):
        ecs.update_container_agent(cluster=unique("missing"), containerInstance="0" * 32)


def test_update_container_agent_unknown_instance(ecs, cluster):
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.update_container_agent(cluster=cluster, containerInstance="0" * 32)
