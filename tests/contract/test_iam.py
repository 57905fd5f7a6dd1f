"""IAM over AWS Query through boto3 and the AWS CLI: users and access keys, and those keys
signing requests to every service as their user; inactive, deleted and wrong keys refused;
users and keys survive kill -9 with the secret sealed at rest."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ctutil import REGION, SECRET_KEY, unique


def client(service: str, endpoint: str, key: str = "test", secret: str = SECRET_KEY):
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION)
    return session.client(service, endpoint_url=endpoint,
                          config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def code(e) -> str:
    return e.value.response["Error"]["Code"]


def new_user_key(iam) -> tuple[str, str, str]:
    name = unique("user")
    iam.create_user(UserName=name, Path="/ci/")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, key["AccessKeyId"], key["SecretAccessKey"]


def test_users_are_created_listed_and_deleted(server):
    iam = client("iam", server.endpoint)
    name = unique("user")
    user = iam.create_user(UserName=name, Path="/team/", Tags=[{"Key": "team", "Value": "web"}])["User"]
    assert user["Arn"] == f"arn:aws:iam::000000000000:user/team/{name}"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 20
    assert iam.get_user(UserName=name)["User"]["Tags"] == [{"Key": "team", "Value": "web"}]
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=name.upper())
    assert code(e) == "EntityAlreadyExists"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    listed = [u["UserName"] for page in iam.get_paginator("list_users").paginate(
        PathPrefix="/team/", PaginationConfig={"PageSize": 1}) for u in page["Users"]]
    assert name in listed
    iam.delete_user(UserName=name)
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName=name)
    assert code(e) == "NoSuchEntity"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


ALLOW_ALL = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'


def test_access_keys_sign_requests_as_their_user(strict_server):
    iam = client("iam", strict_server.endpoint)
    name, key, secret = new_user_key(iam)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=ALLOW_ALL)
    me = client("sts", strict_server.endpoint, key, secret).get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::000000000000:user/ci/{name}"
    assert me["UserId"] == iam.get_user(UserName=name)["User"]["UserId"]
    assert me["Account"] == "000000000000"
    # Every service takes the key.
    assert "clusterArns" in client("ecs", strict_server.endpoint, key, secret).list_clusters()
    client("logs", strict_server.endpoint, key, secret).describe_log_groups()
    # GetUser without a name is the caller's own user.
    assert client("iam", strict_server.endpoint, key, secret).get_user()["User"]["UserName"] == name
    with pytest.raises(ClientError) as e:
        client("sts", strict_server.endpoint, key, "wrong-secret").get_caller_identity()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # Inactive: refused; active again: taken.
    iam.update_access_key(UserName=name, AccessKeyId=key, Status="Inactive")
    with pytest.raises(ClientError) as e:
        client("ecs", strict_server.endpoint, key, secret).list_clusters()
    assert code(e) == "InvalidClientTokenId"
    iam.update_access_key(UserName=name, AccessKeyId=key, Status="Active")
    client("ecs", strict_server.endpoint, key, secret).list_clusters()
    # Deleted: unknown to a strict server.
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=name)
    assert code(e) == "DeleteConflict"
    iam.delete_access_key(UserName=name, AccessKeyId=key)
    with pytest.raises(ClientError) as e:
        client("ecs", strict_server.endpoint, key, secret).list_clusters()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=name)
    assert code(e) == "DeleteConflict", "its policy is still attached"
    iam.delete_user_policy(UserName=name, PolicyName="all")
    iam.delete_user(UserName=name)


def test_key_limits_and_listing(server):
    iam = client("iam", server.endpoint)
    name, key, _ = new_user_key(iam)
    second = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName=name)
    assert code(e) == "LimitExceeded"
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([key, second])
    assert all(k["Status"] == "Active" and "SecretAccessKey" not in k for k in listed)
    with pytest.raises(ClientError) as e:
        iam.delete_access_key(UserName=name, AccessKeyId="AKIANOSUCHKEY0000000")
    assert code(e) == "NoSuchEntity"
    for bad in (dict(UserName="has space"), dict(UserName=unique("p"), Path="nopath")):
        with pytest.raises(ClientError) as e:
            iam.create_user(**bad)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, bad
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="nobody", Password="x-Y-z-123456")
    assert code(e) == "InvalidAction"


def test_the_aws_cli_manages_users(aws):
    name = unique("cli")
    assert aws("iam", "create-user", "--user-name", name)["User"]["UserName"] == name
    key = aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    aws("iam", "delete-access-key", "--user-name", name, "--access-key-id", key["AccessKeyId"])
    aws("iam", "delete-user", "--user-name", name)


def test_users_and_keys_survive_kill_9_sealed(fresh_server):
    iam = client("iam", fresh_server.endpoint)
    name, key, secret = new_user_key(iam)
    fresh_server.restart()
    me = client("sts", fresh_server.endpoint, key, secret).get_caller_identity()
    assert me["Arn"].endswith(f":user/ci/{name}")
    hits = [f.name for f in fresh_server.data_dir.rglob("*") if f.is_file() and secret.encode() in f.read_bytes()]
    assert hits == []


DESCRIBE_ONLY = """{"Version": "2012-10-17", "Statement": [
  {"Sid": "Read", "Effect": "Allow", "Action": ["ecs:Describe*", "ecs:List*"], "Resource": "*"},
  {"Sid": "NoLogGroups", "Effect": "Deny", "Action": "logs:*", "Resource": "*"},
  {"Sid": "LogsRead", "Effect": "Allow", "Action": "logs:Describe*", "Resource": "*"}
]}"""


def test_a_users_policies_decide_its_calls_in_every_protocol(strict_server):
    iam = client("iam", strict_server.endpoint)
    name, key, secret = new_user_key(iam)
    ecs = client("ecs", strict_server.endpoint, key, secret)
    # No policy: nothing is allowed, but who you are always is.
    with pytest.raises(ClientError) as e:
        ecs.list_clusters()
    assert code(e) == "AccessDeniedException"
    assert "is not authorized to perform: ecs:ListClusters" in e.value.response["Error"]["Message"]
    assert client("sts", strict_server.endpoint, key, secret).get_caller_identity()["Arn"].endswith(name)
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=DESCRIBE_ONLY)
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["read"]
    got = iam.get_user_policy(UserName=name, PolicyName="read")["PolicyDocument"]
    assert got["Statement"][0]["Sid"] == "Read"
    ecs.list_clusters()
    ecs.describe_clusters(clusters=["default"])
    for call, kwargs in ((ecs.create_cluster, dict(clusterName=unique("c"))),
                         (ecs.run_task, dict(cluster="default", taskDefinition="nope"))):
        with pytest.raises(ClientError) as e:
            call(**kwargs)
        assert code(e) == "AccessDeniedException", e.value.response
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # An explicit deny wins over an allow.
    with pytest.raises(ClientError) as e:
        client("logs", strict_server.endpoint, key, secret).describe_log_groups()
    assert "explicit deny" in e.value.response["Error"]["Message"]
    # In AWS Query too.
    with pytest.raises(ClientError) as e:
        client("iam", strict_server.endpoint, key, secret).list_users()
    assert code(e) == "AccessDenied"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # The root is not bound by them; the policy goes, and so does the access.
    iam.delete_user_policy(UserName=name, PolicyName="read")
    with pytest.raises(ClientError) as e:
        ecs.list_clusters()
    assert code(e) == "AccessDeniedException"


def test_malformed_policies_are_refused(server):
    iam = client("iam", server.endpoint)
    name = unique("pol")
    iam.create_user(UserName=name)
    for bad in ("{", '{"Statement": [{"Effect": "Allow", "Action": "ecs:*", "Resource": "*", "Principal": "*"}]}',
                '{"Statement": [{"Effect": "Maybe", "Action": "ecs:*", "Resource": "*"}]}'):
        with pytest.raises(ClientError) as e:
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=bad)
        assert code(e) == "MalformedPolicyDocument", bad
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == []
    with pytest.raises(ClientError) as e:
        iam.get_user_policy(UserName=name, PolicyName="p")
    assert code(e) == "NoSuchEntity"
