import pytest

from ctutil import (
    capacity_provider_arn,
    cluster_arn,
    expect_error,
    register_instance,
    register_td,
    tags_dict,
    task_definition_arn,
    unique,
)

# Tagging failures for a resource that does not exist: ECS's exact code varies
# by resource type; any of these is acceptable, a 5xx or a success is not.
NOT_FOUND_CODES = (
    "ResourceNotFoundException",
    "ClusterNotFoundException",
    "InvalidParameterException",
    "ClientException",
)
LIMIT_CODES = ("InvalidParameterException", "LimitExceededException")


def make_cluster(ecs):
    name = unique()
    return ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]


def make_task_definition(ecs):
    return register_td(ecs, unique("tagtd"))["taskDefinitionArn"]


def make_container_instance(ecs):
    cluster = unique()
    ecs.create_cluster(clusterName=cluster)
    return register_instance(ecs, cluster)["containerInstanceArn"]


def make_capacity_provider(ecs):
    name = unique("cp")
    return ecs.create_capacity_provider(
        name=name,
        autoScalingGroupProvider={
            "autoScalingGroupArn": f"arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:x:autoScalingGroupName/{name}"
        },
    )["capacityProvider"]["capacityProviderArn"]


def make_service(ecs):
    cluster = unique()
    ecs.create_cluster(clusterName=cluster)
    td = make_task_definition(ecs)
    return ecs.create_service(cluster=cluster, serviceName=unique("svc"), taskDefinition=td,
                              desiredCount=0)["service"]["serviceArn"]


def make_task(ecs):
    cluster = unique()
    ecs.create_cluster(clusterName=cluster)
    register_instance(ecs, cluster)
    td = make_task_definition(ecs)
    return ecs.run_task(cluster=cluster, taskDefinition=td)["tasks"][0]["taskArn"]


MAKERS = {
    "cluster": make_cluster,
    "task-definition": make_task_definition,
    "container-instance": make_container_instance,
    "capacity-provider": make_capacity_provider,
    "service": make_service,
    "task": make_task,
}


@pytest.fixture(params=sorted(MAKERS))
def resource_arn(request, ecs):
    return MAKERS[request.param](ecs)


def list_tags(ecs, arn):
    return tags_dict(ecs.list_tags_for_resource(resourceArn=arn)["tags"])


def test_new_resource_has_no_tags(ecs, resource_arn):
    assert list_tags(ecs, resource_arn) == {}


def test_tag_list_untag(ecs, resource_arn):
    ecs.tag_resource(
        resourceArn=resource_arn,
        tags=[{"key": "team", "value": "core"}, {"key": "env", "value": "test"}],
    )
    assert list_tags(ecs, resource_arn) == {"team": "core", "env": "test"}

    ecs.tag_resource(resourceArn=resource_arn, tags=[{"key": "env", "value": "prod"}])
    assert list_tags(ecs, resource_arn) == {"team": "core", "env": "prod"}, (
        "tagging overwrites the value of an existing key and leaves others alone"
    )

    ecs.untag_resource(resourceArn=resource_arn, tagKeys=["team", "not-there"])
    assert list_tags(ecs, resource_arn) == {"env": "prod"}


def test_tag_with_empty_value(ecs, resource_arn):
    ecs.tag_resource(resourceArn=resource_arn, tags=[{"key": "marker", "value": ""}])
    assert list_tags(ecs, resource_arn) == {"marker": ""}


def test_tags_given_at_creation_are_listed(ecs):
    name = unique()
    arn = ecs.create_cluster(clusterName=name, tags=[{"key": "a", "value": "1"}])["cluster"]["clusterArn"]
    assert list_tags(ecs, arn) == {"a": "1"}
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "b", "value": "2"}])
    described = ecs.describe_clusters(clusters=[name], include=["TAGS"])["clusters"][0]
    assert tags_dict(described["tags"]) == {"a": "1", "b": "2"}


def test_task_definition_tags_are_per_revision(ecs):
    family = unique("tagtd")
    one = register_td(ecs, family, tags=[{"key": "rev", "value": "1"}])
    two = register_td(ecs, family)
    assert list_tags(ecs, one["taskDefinitionArn"]) == {"rev": "1"}
    assert list_tags(ecs, two["taskDefinitionArn"]) == {}


@pytest.mark.parametrize(
    "arn",
    [
        cluster_arn("ct-does-not-exist-4f1c"),
        task_definition_arn("ct-does-not-exist-4f1c", 1),
        "arn:aws:ecs:us-east-1:000000000000:container-instance/ct-does-not-exist-4f1c/" + "0" * 32,
        capacity_provider_arn("ct-does-not-exist-4f1c"),
        "arn:aws:ecs:us-east-1:000000000000:service/ct-does-not-exist-4f1c/web",
        "arn:aws:ecs:us-east-1:000000000000:task/ct-does-not-exist-4f1c/" + "0" * 32,
    ],
    ids=["cluster", "task-definition", "container-instance", "capacity-provider", "service", "task"],
)
def test_unknown_resource(ecs, arn):
    with expect_error(*NOT_FOUND_CODES):
        ecs.list_tags_for_resource(resourceArn=arn)
    with expect_error(*NOT_FOUND_CODES):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "v"}])
    with expect_error(*NOT_FOUND_CODES):
        ecs.untag_resource(resourceArn=arn, tagKeys=["k"])


def test_malformed_arn(ecs):
    with expect_error("InvalidParameterException", "ClientException"):
        ecs.list_tags_for_resource(resourceArn="not-an-arn")


def test_fifty_tags_allowed_fifty_one_rejected(ecs):
    arn = make_cluster(ecs)
    ecs.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])
    assert len(list_tags(ecs, arn)) == 50
    with expect_error(*LIMIT_CODES):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "one-too-many", "value": "v"}])
    assert len(list_tags(ecs, arn)) == 50
    # Overwriting an existing key is not a new tag.
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "k0", "value": "changed"}])
    assert list_tags(ecs, arn)["k0"] == "changed"


def test_fifty_one_tags_in_one_call_rejected(ecs):
    arn = make_cluster(ecs)
    with expect_error(*LIMIT_CODES):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(51)])
    assert list_tags(ecs, arn) == {}, "a rejected call applies nothing"


def test_fifty_one_tags_at_creation_rejected(ecs):
    with expect_error(*LIMIT_CODES):
        ecs.create_cluster(
            clusterName=unique(), tags=[{"key": f"k{i}", "value": "v"} for i in range(51)]
        )


def test_tag_key_and_value_lengths(ecs):
    arn = make_cluster(ecs)
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "k" * 128, "value": "v" * 256}])
    assert list_tags(ecs, arn)["k" * 128] == "v" * 256
    with expect_error("InvalidParameterException"):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "k" * 129, "value": "v"}])
    with expect_error("InvalidParameterException"):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "ok", "value": "v" * 257}])


def test_tag_lengths_count_characters_not_bytes(ecs):
    arn = make_cluster(ecs)
    key = "ü" * 128  # 256 bytes in UTF-8, 128 characters
    value = "é" * 256
    ecs.tag_resource(resourceArn=arn, tags=[{"key": key, "value": value}])
    assert list_tags(ecs, arn)[key] == value


@pytest.mark.parametrize("key", ["aws:owner", "AWS:owner", "Aws:owner", "aWs:x"])
def test_aws_prefix_is_reserved(ecs, key):
    arn = make_cluster(ecs)
    with expect_error("InvalidParameterException"):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": key, "value": "v"}])
    assert list_tags(ecs, arn) == {}


def test_aws_prefix_rejected_at_creation(ecs):
    with expect_error("InvalidParameterException"):
        ecs.create_cluster(clusterName=unique(), tags=[{"key": "aws:x", "value": "v"}])


def test_tag_key_with_disallowed_characters(ecs):
    arn = make_cluster(ecs)
    with expect_error("InvalidParameterException"):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "bad#key", "value": "v"}])


def test_tags_survive_only_with_their_resource(ecs):
    name = unique()
    arn = ecs.create_cluster(clusterName=name, tags=[{"key": "gen", "value": "1"}])["cluster"]["clusterArn"]
    ecs.delete_cluster(cluster=name)
    ecs.create_cluster(clusterName=name)
    described = ecs.describe_clusters(clusters=[arn], include=["TAGS"])["clusters"][0]
    assert tags_dict(described.get("tags")) == {}, "deleting a resource deletes its tags"


def test_service_and_task_tags_show_in_their_descriptions(ecs):
    arn = make_service(ecs)
    cluster = arn.split("/")[1]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "web"}])
    described = ecs.describe_services(cluster=cluster, services=[arn], include=["TAGS"])["services"][0]
    assert tags_dict(described["tags"]) == {"team": "web"}
    task = make_task(ecs)
    cluster = task.split("/")[1]
    ecs.tag_resource(resourceArn=task, tags=[{"key": "job", "value": "batch"}])
    described = ecs.describe_tasks(cluster=cluster, tasks=[task], include=["TAGS"])["tasks"][0]
    assert tags_dict(described["tags"]) == {"job": "batch"}
