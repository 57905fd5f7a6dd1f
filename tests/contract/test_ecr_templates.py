"""Repository creation templates: a `docker push` to a repository that does not exist
creates it where a CREATE_ON_PUSH template covers its name, with the template's settings;
elsewhere the push is refused as before."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from ctutil import unique
from test_ecr_registry import docker, ecr_client, error_code
from test_ecr_tasks import build_image

LIFECYCLE = json.dumps({"rules": [{
    "rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5},
    "action": {"type": "expire"},
}]})


def test_a_push_creates_the_repository_its_template_describes(server):
    ecr = ecr_client(server.endpoint)
    host = server.endpoint.removeprefix("http://")
    prefix = unique("tpl")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Team", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": ["ecr:BatchGetImage"],
    }]})
    created = ecr.create_repository_creation_template(
        prefix=prefix, appliedFor=["CREATE_ON_PUSH"], description="team repos",
        imageTagMutability="IMMUTABLE", resourceTags=[{"Key": "team", "Value": "core"}],
        repositoryPolicy=policy, lifecyclePolicy=LIFECYCLE,
    )["repositoryCreationTemplate"]
    assert created["prefix"] == prefix and created["appliedFor"] == ["CREATE_ON_PUSH"]
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    docker("login", "--username", "AWS", "--password-stdin", host,
           input=base64.b64decode(token).decode().split(":", 1)[1])
    name = f"{prefix}/app"
    build_image(f"{host}/{name}:v1")
    try:
        docker("push", f"{host}/{name}:v1")
        repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        assert repo["imageTagMutability"] == "IMMUTABLE"
        tags = ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]
        assert tags == [{"Key": "team", "Value": "core"}]
        assert json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"])["Statement"][0]["Sid"] == "Team"
        assert ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
        assert ecr.describe_images(repositoryName=name)["imageDetails"][0]["imageTags"] == ["v1"]
        # A name no template covers is still refused.
        stray = f"{unique('stray')}/app"
        docker("tag", f"{host}/{name}:v1", f"{host}/{stray}:v1")
        out = docker("push", f"{host}/{stray}:v1", check=False)
        assert out.returncode != 0
        with pytest.raises(ClientError) as e:
            ecr.describe_repositories(repositoryNames=[stray])
        assert error_code(e) == "RepositoryNotFoundException"
        docker("rmi", "-f", f"{host}/{stray}:v1", check=False)
    finally:
        docker("rmi", "-f", f"{host}/{name}:v1", check=False)
        ecr.delete_repository_creation_template(prefix=prefix)


def test_templates_are_managed_with_ecrs_errors(server):
    ecr = ecr_client(server.endpoint)
    prefix = unique("tpl")
    ecr.create_repository_creation_template(prefix=prefix, appliedFor=["REPLICATION"])
    with pytest.raises(ClientError) as e:
        ecr.create_repository_creation_template(prefix=prefix, appliedFor=["REPLICATION"])
    assert error_code(e) == "TemplateAlreadyExistsException"
    for bad in (
        dict(prefix="Bad_Prefix", appliedFor=["REPLICATION"]),
        dict(prefix=unique("tpl"), appliedFor=[]),
        dict(prefix=unique("tpl"), appliedFor=["REPLICATION"], lifecyclePolicy="{not json"),
        dict(prefix=unique("tpl"), appliedFor=["REPLICATION"], repositoryPolicy="{}"),
    ):
        with pytest.raises(ClientError) as e:
            ecr.create_repository_creation_template(**bad)
        assert error_code(e) in ("InvalidParameterException", "ValidationException"), bad
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    updated = ecr.update_repository_creation_template(prefix=prefix, description="now described")
    assert updated["repositoryCreationTemplate"]["description"] == "now described"
    got = ecr.describe_repository_creation_templates(prefixes=[prefix])["repositoryCreationTemplates"]
    assert [t["description"] for t in got] == ["now described"]
    ecr.delete_repository_creation_template(prefix=prefix)
    with pytest.raises(ClientError) as e:
        ecr.delete_repository_creation_template(prefix=prefix)
    assert error_code(e) == "TemplateNotFoundException"
    with pytest.raises(ClientError) as e:
        ecr.update_repository_creation_template(prefix=prefix, description="x")
    assert error_code(e) == "TemplateNotFoundException"
