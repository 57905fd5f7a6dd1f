"""The unmodified AWS CLI, pointed at Berth with AWS_ENDPOINT_URL only."""

import json

import boto3
import pytest

from ctutil import REGION, AwsCliError, cluster_arn, task_definition_arn, unique


def test_cli_quickstart_flow(aws, tmp_path):
    cluster = unique("cli")
    family = unique("clitd")

    created = aws("ecs", "create-cluster", "--cluster-name", cluster)
    assert created["cluster"]["clusterArn"] == cluster_arn(cluster)
    assert created["cluster"]["status"] == "ACTIVE"

    spec = {
        "family": family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [
            {
                "name": "web",
                "image": "public.ecr.aws/nginx/nginx:latest",
                "essential": True,
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
            }
        ],
    }
    path = tmp_path / "taskdef.json"
    path.write_text(json.dumps(spec))
    first = aws("ecs", "register-task-definition", "--cli-input-json", f"file://{path}")
    assert first["taskDefinition"]["revision"] == 1
    assert first["taskDefinition"]["family"] == family

    second = aws(
        "ecs", "register-task-definition",
        "--family", family,
        "--container-definitions", json.dumps([{"name": "web", "image": "nginx", "memory": 128}]),
    )
    assert second["taskDefinition"]["revision"] == 2

    listed = aws("ecs", "list-task-definitions", "--family-prefix", family)
    assert listed["taskDefinitionArns"] == [
        task_definition_arn(family, 1),
        task_definition_arn(family, 2),
    ]

    described = aws("ecs", "describe-clusters", "--clusters", cluster)
    assert [c["clusterName"] for c in described["clusters"]] == [cluster]
    assert described["failures"] == []

    deleted = aws("ecs", "delete-cluster", "--cluster", cluster)
    assert deleted["cluster"]["status"] == "INACTIVE"


def test_cli_container_definitions_shorthand(aws):
    family = unique("clish")
    out = aws(
        "ecs", "register-task-definition",
        "--family", family,
        "--container-definitions", "name=app,image=busybox,memory=64,essential=true",
    )
    c = out["taskDefinition"]["containerDefinitions"][0]
    assert (c["name"], c["image"], c["memory"], c["essential"]) == ("app", "busybox", 64, True)


def test_cli_describe_task_definition_with_tags(aws):
    family = unique("clitag")
    aws(
        "ecs", "register-task-definition",
        "--family", family,
        "--container-definitions", json.dumps([{"name": "web", "image": "nginx", "memory": 128}]),
        "--tags", "key=team,value=cli",
    )
    out = aws("ecs", "describe-task-definition", "--task-definition", family, "--include", "TAGS")
    assert out["taskDefinition"]["revision"] == 1
    assert out["tags"] == [{"key": "team", "value": "cli"}]


def test_cli_auto_paginates_list_clusters(aws):
    names = [unique("clipg") for _ in range(3)]
    for n in names:
        aws("ecs", "create-cluster", "--cluster-name", n)
    out = aws("ecs", "list-clusters", "--page-size", "1")
    assert {cluster_arn(n) for n in names} <= set(out["clusterArns"])
    assert len(out["clusterArns"]) == len(set(out["clusterArns"]))


def test_cli_max_items_and_starting_token(aws):
    family = unique("climi")
    for _ in range(3):
        aws(
            "ecs", "register-task-definition", "--family", family,
            "--container-definitions", json.dumps([{"name": "w", "image": "nginx", "memory": 64}]),
        )
    first = aws("ecs", "list-task-definitions", "--family-prefix", family, "--max-items", "2")
    assert first["taskDefinitionArns"] == [task_definition_arn(family, 1), task_definition_arn(family, 2)]
    assert first.get("NextToken")
    rest = aws(
        "ecs", "list-task-definitions", "--family-prefix", family,
        "--max-items", "2", "--starting-token", first["NextToken"],
    )
    assert rest["taskDefinitionArns"] == [task_definition_arn(family, 3)]


def test_cli_reports_service_error_code(aws):
    with pytest.raises(AwsCliError) as ei:
        aws("ecs", "describe-task-definition", "--task-definition", f"{unique('nope')}:1")
    assert ei.value.code == "ClientException"
    assert ei.value.returncode != 0
    assert ei.value.message


def test_cli_delete_unknown_cluster(aws):
    with pytest.raises(AwsCliError) as ei:
        aws("ecs", "delete-cluster", "--cluster", unique("nope"))
    assert ei.value.code == "ClusterNotFoundException"


def test_cli_container_instance_and_attributes_flow(aws, tmp_path):
    cluster = unique("clici")
    aws("ecs", "create-cluster", "--cluster-name", cluster)
    reg = {
        "cluster": cluster,
        "totalResources": [
            {"name": "CPU", "type": "INTEGER", "integerValue": 1024},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": 2048},
        ],
        "versionInfo": {"agentVersion": "1.89.0", "agentHash": "abc", "dockerVersion": "25.0.8"},
        "attributes": [{"name": "ecs.availability-zone", "value": "us-east-1c"}],
    }
    path = tmp_path / "reg.json"
    path.write_text(json.dumps(reg))
    ci = aws("ecs", "register-container-instance", "--cli-input-json", f"file://{path}")
    arn = ci["containerInstance"]["containerInstanceArn"]

    aws("ecs", "put-attributes", "--cluster", cluster, "--attributes",
        f"name=stage,value=beta,targetId={arn}")
    listed = aws("ecs", "list-container-instances", "--cluster", cluster,
                 "--filter", "attribute:stage == beta")
    assert listed["containerInstanceArns"] == [arn]
    attrs = aws("ecs", "list-attributes", "--cluster", cluster,
                "--target-type", "container-instance", "--attribute-name", "stage")
    assert [(a["targetId"], a["value"]) for a in attrs["attributes"]] == [(arn, "beta")]

    drained = aws("ecs", "update-container-instances-state", "--cluster", cluster,
                  "--container-instances", arn, "--status", "DRAINING")
    assert drained["containerInstances"][0]["status"] == "DRAINING"
    aws("ecs", "deregister-container-instance", "--cluster", cluster,
        "--container-instance", arn, "--force")
    assert aws("ecs", "delete-cluster", "--cluster", cluster)["cluster"]["status"] == "INACTIVE"


def test_cli_tagging_flow(aws):
    cluster = unique("clitg")
    arn = aws("ecs", "create-cluster", "--cluster-name", cluster)["cluster"]["clusterArn"]
    aws("ecs", "tag-resource", "--resource-arn", arn, "--tags", "key=a,value=1", "key=b,value=2")
    tags = aws("ecs", "list-tags-for-resource", "--resource-arn", arn)["tags"]
    assert sorted((t["key"], t["value"]) for t in tags) == [("a", "1"), ("b", "2")]
    aws("ecs", "untag-resource", "--resource-arn", arn, "--tag-keys", "a")
    tags = aws("ecs", "list-tags-for-resource", "--resource-arn", arn)["tags"]
    assert tags == [{"key": "b", "value": "2"}]


def test_cli_account_settings(aws):
    principal = f"arn:aws:iam::000000000000:user/{unique('cliu')}"
    out = aws("ecs", "put-account-setting", "--name", "containerInsights", "--value", "enabled",
              "--principal-arn", principal)
    assert out["setting"]["value"] == "enabled"
    listed = aws("ecs", "list-account-settings", "--principal-arn", principal)
    assert [(s["name"], s["value"]) for s in listed["settings"]] == [("containerInsights", "enabled")]
    aws("ecs", "delete-account-setting", "--name", "containerInsights", "--principal-arn", principal)
    assert aws("ecs", "list-account-settings", "--principal-arn", principal)["settings"] == []


def test_boto3_honours_aws_endpoint_url(server, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    client = boto3.session.Session().client("ecs")
    name = unique("envurl")
    client.create_cluster(clusterName=name)
    assert client.describe_clusters(clusters=[name])["clusters"][0]["clusterName"] == name

