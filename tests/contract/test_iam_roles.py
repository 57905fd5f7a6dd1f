"""IAM roles and managed policies, and STS's temporary credentials, through boto3 and the AWS
CLI against the real binary: trust policies decide who may assume a role; the session signs
as the assumed role, its role's policies (inline and attached, AWS managed ones included)
and its session policy decide its calls in every protocol; GetSessionToken's limits; a
session of a deleted role, a tampered token and a revoked session are refused; roles and
policies survive kill -9."""

from __future__ import annotations

import datetime
import json
import subprocess
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ctutil import ACCOUNT, REGION, SECRET_KEY, unique


def client(service: str, endpoint: str, key: str = "test", secret: str = SECRET_KEY, token: str | None = None):
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                    aws_session_token=token, region_name=REGION)
    return session.client(service, endpoint_url=endpoint,
                          config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def as_session(service: str, endpoint: str, creds: dict):
    return client(service, endpoint, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def code(e) -> str:
    return e.value.response["Error"]["Code"]


def status(e) -> int:
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def trust(principal: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def allow(*actions: str, resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": resource}]})


ACCOUNT_TRUST = trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})


def new_role(iam, doc: str = ACCOUNT_TRUST, **kw) -> str:
    name = unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc, **kw)
    return name


def role_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:role{path}{name}"


def test_roles_are_created_described_updated_and_deleted(server):
    iam = client("iam", server.endpoint)
    name = unique("role")
    role = iam.create_role(RoleName=name, Path="/svc/", AssumeRolePolicyDocument=ACCOUNT_TRUST,
                           Description="app", MaxSessionDuration=7200,
                           Tags=[{"Key": "team", "Value": "web"}])["Role"]
    assert role["Arn"] == role_arn(name, "/svc/")
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 20
    got = iam.get_role(RoleName=name)["Role"]
    # boto3 decodes the URL-encoded document into a dict.
    assert got["AssumeRolePolicyDocument"] == json.loads(ACCOUNT_TRUST)
    assert got["MaxSessionDuration"] == 7200 and got["Description"] == "app"
    assert got["Tags"] == [{"Key": "team", "Value": "web"}]
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=name.upper(), AssumeRolePolicyDocument=ACCOUNT_TRUST)
    assert code(e) == "EntityAlreadyExists" and status(e) == 409
    names = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate(
        PathPrefix="/svc/", PaginationConfig={"PageSize": 1}) for r in page["Roles"]]
    assert name in names
    iam.update_role(RoleName=name, Description="app v2", MaxSessionDuration=3600)
    iam.tag_role(RoleName=name, Tags=[{"Key": "env", "Value": "dev"}])
    iam.untag_role(RoleName=name, TagKeys=["team"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "env", "Value": "dev"}]
    new_trust = trust({"Service": "ecs-tasks.amazonaws.com"})
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=new_trust)
    got = iam.get_role(RoleName=name)["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(new_trust)
    assert got["Description"] == "app v2" and got["MaxSessionDuration"] == 3600
    # Inline and attached policies keep a role from being deleted.
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=allow("ecs:Describe*"))
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["read"]
    assert json.loads(json.dumps(iam.get_role_policy(RoleName=name, PolicyName="read")["PolicyDocument"])) \
        == json.loads(allow("ecs:Describe*"))
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=name)
    assert code(e) == "DeleteConflict"
    iam.delete_role_policy(RoleName=name, PolicyName="read")
    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=name)
    assert code(e) == "NoSuchEntity" and status(e) == 404


@pytest.mark.parametrize("doc,expect", [
    ("not json", "MalformedPolicyDocument"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}),
     "MalformedPolicyDocument"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                          "Action": "sts:AssumeRole", "Resource": "*"}]}),
     "MalformedPolicyDocument"),
])
def test_bad_trust_policies_are_refused_and_change_nothing(server, doc, expect):
    iam = client("iam", server.endpoint)
    name = unique("role")
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc)
    assert code(e) == expect and status(e) == 400
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=name)
    assert code(e) == "NoSuchEntity"


def test_bad_role_input_gets_iam_errors(server):
    iam = client("iam", server.endpoint)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="a b", AssumeRolePolicyDocument=ACCOUNT_TRUST)
    assert code(e) == "ValidationError"
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName="no-such-role", PolicyName="p", PolicyDocument=allow("ecs:*"))
    assert code(e) == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(RoleName=new_role(iam), PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/none")
    assert code(e) == "NoSuchEntity"


def test_managed_policies_have_versions_and_attach(server):
    iam = client("iam", server.endpoint)
    name = unique("pol")
    policy = iam.create_policy(PolicyName=name, Path="/team/", PolicyDocument=allow("ecs:List*"),
                               Description="lists")["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/team/{name}"
    assert policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=allow("ecs:*"), SetAsDefault=True)
    assert v2["PolicyVersion"]["VersionId"] == "v2" and v2["PolicyVersion"]["IsDefaultVersion"]
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v2", True), ("v1", False)]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert doc == json.loads(allow("ecs:List*"))
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=allow("ecs:List*"))
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=allow("ecs:List*"))
    assert code(e) == "LimitExceeded"
    with pytest.raises(ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert code(e) == "DeleteConflict"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    role = new_role(iam)
    user = unique("user")
    iam.create_user(UserName=user)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 2
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == [
        {"PolicyName": name, "PolicyArn": arn}]
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role]
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [user]
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert code(e) == "DeleteConflict"
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName=user)
    assert code(e) == "DeleteConflict"
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.detach_user_policy(UserName=user, PolicyArn=arn)
    assert code(e) == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert code(e) == "DeleteConflict", "non-default versions first"
    for v in ["v2", "v3", "v4", "v5"]:
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=arn)
    assert code(e) == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=unique("pol"), PolicyDocument='{"Statement": []}')
    assert code(e) == "MalformedPolicyDocument"


def test_aws_managed_policies_are_listed_and_attachable(server):
    iam = client("iam", server.endpoint)
    arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    listed = [p["Arn"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS") for p in page["Policies"]]
    assert arn in listed and "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly" in listed
    doc = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert "ecr:BatchGetImage" in doc["Statement"][0]["Action"]
    role = new_role(iam, trust({"Service": "ecs-tasks.amazonaws.com"}))
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    only = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert arn in [p["Arn"] for p in only]
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert status(e) == 400


def test_a_trusted_caller_assumes_a_role_and_acts_as_it(strict_server):
    ep = strict_server.endpoint
    iam = client("iam", ep)
    role = new_role(iam)
    iam.put_role_policy(RoleName=role, PolicyName="describe", PolicyDocument=allow("ecs:Describe*"))
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
    out = client("sts", ep).assume_role(RoleArn=role_arn(role), RoleSessionName="deploy-1",
                                        Tags=[{"Key": "team", "Value": "web"}])
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/deploy-1"
    me = as_session("sts", ep, creds).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert me["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]
    assert me["UserId"].startswith(iam.get_role(RoleName=role)["Role"]["RoleId"] + ":")
    # The role's policies decide: inline, and the attached AWS managed one.
    as_session("ecs", ep, creds).describe_clusters(clusters=["default"])
    as_session("ecr", ep, creds).describe_repositories()
    with pytest.raises(ClientError) as e:
        as_session("ecs", ep, creds).run_task(taskDefinition="x")
    assert code(e) == "AccessDeniedException" and status(e) == 400
    assert f"assumed-role/{role}/deploy-1 is not authorized to perform: ecs:RunTask" in str(e.value)
    with pytest.raises(ClientError) as e:
        as_session("iam", ep, creds).list_roles()
    assert code(e) == "AccessDenied" and status(e) == 403
    # A changed role policy holds for sessions already given.
    iam.put_role_policy(RoleName=role, PolicyName="describe", PolicyDocument=allow("ecs:*"))
    as_session("ecs", ep, creds).list_clusters()
    # A tampered token is not a session.
    bad = dict(creds, SessionToken=creds["SessionToken"][:-4] + "AAAA")
    with pytest.raises(ClientError) as e:
        as_session("ecs", ep, bad).list_clusters()
    assert status(e) == 403
    # Deleting the role ends its sessions.
    iam.delete_role_policy(RoleName=role, PolicyName="describe")
    iam.detach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
    iam.delete_role(RoleName=role)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=ACCOUNT_TRUST)
    iam.put_role_policy(RoleName=role, PolicyName="all", PolicyDocument=allow("*"))
    with pytest.raises(ClientError) as e:
        as_session("ecs", ep, creds).list_clusters()
    assert code(e) == "AccessDeniedException", "a role made again is another role"


def test_trust_policies_decide_who_may_assume(strict_server):
    ep = strict_server.endpoint
    iam = client("iam", ep)
    only_ecs = new_role(iam, trust({"Service": "ecs-tasks.amazonaws.com"}))
    with pytest.raises(ClientError) as e:
        client("sts", ep).assume_role(RoleArn=role_arn(only_ecs), RoleSessionName="me")
    assert code(e) == "AccessDenied" and status(e) == 403
    with pytest.raises(ClientError) as e:
        client("sts", ep).assume_role(RoleArn=role_arn("no-such-role"), RoleSessionName="me")
    assert code(e) == "AccessDenied"
    # A user named in the trust policy, with sts:AssumeRole allowed, may; another may not.
    user = unique("user")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=allow("sts:AssumeRole"))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    role = new_role(iam, trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/{user}"}))
    sts_user = client("sts", ep, key["AccessKeyId"], key["SecretAccessKey"])
    creds = sts_user.assume_role(RoleArn=role_arn(role), RoleSessionName="uu")["Credentials"]
    assert as_session("sts", ep, creds).get_caller_identity()["Arn"].endswith(f"assumed-role/{role}/uu")
    with pytest.raises(ClientError) as e:
        sts_user.assume_role(RoleArn=role_arn(only_ecs), RoleSessionName="uu")
    assert code(e) == "AccessDenied"
    # Longer than the role allows: refused.
    with pytest.raises(ClientError) as e:
        sts_user.assume_role(RoleArn=role_arn(role), RoleSessionName="uu", DurationSeconds=7200)
    assert code(e) == "ValidationError"
    with pytest.raises(ClientError) as e:
        sts_user.assume_role(RoleArn=role_arn(role), RoleSessionName="x y")
    assert code(e) == "ValidationError"


def test_session_policies_narrow_a_session(strict_server):
    ep = strict_server.endpoint
    iam = client("iam", ep)
    role = new_role(iam)
    iam.put_role_policy(RoleName=role, PolicyName="all", PolicyDocument=allow("ecs:*", "logs:*"))
    creds = client("sts", ep).assume_role(RoleArn=role_arn(role), RoleSessionName="narrow",
                                          Policy=allow("ecs:List*"))["Credentials"]
    as_session("ecs", ep, creds).list_clusters()
    with pytest.raises(ClientError) as e:
        as_session("ecs", ep, creds).describe_clusters()
    assert code(e) == "AccessDeniedException" and "session policy" in str(e.value)
    with pytest.raises(ClientError) as e:
        client("sts", ep).assume_role(RoleArn=role_arn(role), RoleSessionName="bad", Policy="{nope")
    assert code(e) == "MalformedPolicyDocument"


def test_revoking_older_sessions_with_token_issue_time(strict_server):
    """AWS's way to revoke a role's sessions: deny everything to tokens issued before now."""
    ep = strict_server.endpoint
    iam = client("iam", ep)
    role = new_role(iam)
    iam.put_role_policy(RoleName=role, PolicyName="all", PolicyDocument=allow("ecs:*"))
    old = client("sts", ep).assume_role(RoleArn=role_arn(role), RoleSessionName="old")["Credentials"]
    as_session("ecs", ep, old).list_clusters()
    time.sleep(1.1)
    cutoff = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.1)
    iam.put_role_policy(RoleName=role, PolicyName="AWSRevokeOlderSessions", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                                 "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}}]}))
    with pytest.raises(ClientError) as e:
        as_session("ecs", ep, old).list_clusters()
    assert code(e) == "AccessDeniedException" and "explicit deny" in str(e.value)
    new = client("sts", ep).assume_role(RoleArn=role_arn(role), RoleSessionName="new")["Credentials"]
    as_session("ecs", ep, new).list_clusters()


def test_get_session_token_acts_as_the_user_with_its_limits(strict_server):
    ep = strict_server.endpoint
    iam = client("iam", ep)
    user = unique("user")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=allow("*"))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    creds = client("sts", ep, key["AccessKeyId"], key["SecretAccessKey"]).get_session_token(
        DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert as_session("sts", ep, creds).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{user}"
    as_session("ecs", ep, creds).list_clusters()
    with pytest.raises(ClientError) as e:
        as_session("iam", ep, creds).list_users()
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        as_session("sts", ep, creds).get_session_token()
    assert code(e) == "AccessDenied"
    # The account root's session may do what the root may, within the same limits.
    root = client("sts", ep).get_session_token(DurationSeconds=900)["Credentials"]
    assert as_session("sts", ep, root).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    as_session("ecs", ep, root).create_cluster(clusterName=unique("c"))
    with pytest.raises(ClientError) as e:
        client("sts", ep).get_session_token(DurationSeconds=7200)
    assert code(e) == "ValidationError"


def test_the_aws_cli_assumes_a_role(aws, server):
    iam = client("iam", server.endpoint)
    role = new_role(iam)
    creds = aws("sts", "assume-role", "--role-arn", role_arn(role), "--role-session-name", "cli")["Credentials"]
    env = aws.env()
    env.update(AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
               AWS_SESSION_TOKEN=creds["SessionToken"])
    proc = subprocess.run(aws.argv0 + ["sts", "get-caller-identity", "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/cli"


def test_roles_policies_and_sessions_survive_kill_9(fresh_server):
    ep = fresh_server.endpoint
    iam = client("iam", ep)
    role = new_role(iam)
    iam.put_role_policy(RoleName=role, PolicyName="ecs", PolicyDocument=allow("ecs:List*"))
    arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=allow("logs:Describe*"))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    creds = client("sts", ep).assume_role(RoleArn=role_arn(role), RoleSessionName="durable")["Credentials"]
    fresh_server.restart()
    ep = fresh_server.endpoint
    iam = client("iam", ep)
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"][0]["PolicyArn"] == arn
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["ecs"]
    # The session outlives the restart: its token is the sealed session.
    as_session("ecs", ep, creds).list_clusters()
    as_session("logs", ep, creds).describe_log_groups()
    # Nothing of the session's secret is in the database file.
    db = subprocess.run(["sh", "-c", f"cat {fresh_server.data_dir}/*"], capture_output=True).stdout
    assert creds["SecretAccessKey"].encode() not in db


def test_statements_naming_resources_allow_just_those(strict_server):
    ep = strict_server.endpoint
    iam = client("iam", ep)
    user = unique("user")
    iam.create_user(UserName=user)
    region_account = f"us-east-1:{ACCOUNT}"
    iam.put_user_policy(UserName=user, PolicyName="scoped", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ecs:DescribeClusters",
             "Resource": f"arn:aws:ecs:{region_account}:cluster/team-*"},
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": f"arn:aws:secretsmanager:{region_account}:secret:prod/*"},
            {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"],
             "Resource": f"arn:aws:ssm:{region_account}:parameter/app/*"},
            {"Effect": "Allow", "Action": "logs:CreateLogGroup",
             "Resource": f"arn:aws:logs:{region_account}:log-group:/ecs/*"},
        ]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    me = lambda svc: client(svc, ep, key["AccessKeyId"], key["SecretAccessKey"])  # noqa: E731
    ecs, sm, ssm = me("ecs"), me("secretsmanager"), me("ssm")
    ecs.describe_clusters(clusters=["team-web"])
    with pytest.raises(ClientError) as e:
        ecs.describe_clusters(clusters=["team-web", "billing"])
    assert code(e) == "AccessDeniedException" and "cluster/billing" in str(e.value)
    with pytest.raises(ClientError) as e:
        ecs.describe_clusters()
    assert "cluster/default" in str(e.value)
    root_sm = client("secretsmanager", ep)
    prod = root_sm.create_secret(Name=f"prod/{unique('db')}", SecretString="p")["Name"]
    dev = root_sm.create_secret(Name=f"dev/{unique('db')}", SecretString="d")["Name"]
    assert sm.get_secret_value(SecretId=prod)["SecretString"] == "p"
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=dev)
    assert code(e) == "AccessDeniedException" and ":secret:dev/" in str(e.value)
    root_ssm = client("ssm", ep)
    root_ssm.put_parameter(Name="/app/url", Value="u", Type="String")
    root_ssm.put_parameter(Name="/other/url", Value="o", Type="String")
    assert ssm.get_parameter(Name="/app/url")["Parameter"]["Value"] == "u"
    with pytest.raises(ClientError) as e:
        ssm.get_parameters(Names=["/app/url", "/other/url"])
    assert code(e) == "AccessDeniedException" and "parameter/other/url" in str(e.value)
    me("logs").create_log_group(logGroupName=f"/ecs/{unique('g')}")
    with pytest.raises(ClientError) as e:
        me("logs").create_log_group(logGroupName=f"/other/{unique('g')}")
    assert code(e) == "AccessDeniedException"


def test_a_secrets_resource_policy_allows_and_denies(strict_server):
    ep = strict_server.endpoint
    iam = client("iam", ep)
    sm = client("secretsmanager", ep)
    alice, bob = unique("alice"), unique("bob")
    keys = {}
    for u in (alice, bob):
        iam.create_user(UserName=u)
        keys[u] = iam.create_access_key(UserName=u)["AccessKey"]
    # Bob may do anything with secrets by his own policy; Alice has no policy at all.
    iam.put_user_policy(UserName=bob, PolicyName="all", PolicyDocument=allow("secretsmanager:*"))
    arn = sm.create_secret(Name=unique("shared"), SecretString="v")["ARN"]
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{alice}"},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{bob}"},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
        ]}))
    as_user = lambda u: client("secretsmanager", ep, keys[u]["AccessKeyId"], keys[u]["SecretAccessKey"])  # noqa: E731
    assert as_user(alice).get_secret_value(SecretId=arn)["SecretString"] == "v"
    with pytest.raises(ClientError) as e:
        as_user(alice).describe_secret(SecretId=arn)
    assert code(e) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        as_user(bob).get_secret_value(SecretId=arn)
    assert code(e) == "AccessDeniedException" and "resource-based policy" in str(e.value)
    as_user(bob).describe_secret(SecretId=arn)


def test_a_users_groups_policies_are_its_own(strict_server):
    ep = strict_server.endpoint
    iam = client("iam", ep)
    group, user = unique("devs"), unique("user")
    g = iam.create_group(GroupName=group, Path="/teams/")["Group"]
    assert g["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/teams/{group}" and g["GroupId"].startswith("AGPA")
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName=group.upper())
    assert code(e) == "EntityAlreadyExists"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    ecs = client("ecs", ep, key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError):
        ecs.list_clusters()
    iam.put_group_policy(GroupName=group, PolicyName="list", PolicyDocument=allow("ecs:List*"))
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
    iam.add_user_to_group(GroupName=group, UserName=user)
    ecs.list_clusters()
    client("ecr", ep, key["AccessKeyId"], key["SecretAccessKey"]).describe_repositories()
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [user]
    assert [x["GroupName"] for x in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["list"]
    assert group in [x["GroupName"] for x in iam.list_groups(PathPrefix="/teams/")["Groups"]]
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName=group)
    assert code(e) == "DeleteConflict"
    iam.remove_user_from_group(GroupName=group, UserName=user)
    with pytest.raises(ClientError):
        ecs.list_clusters()
    iam.delete_group_policy(GroupName=group, PolicyName="list")
    iam.detach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly")
    iam.delete_group(GroupName=group)
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName=group)
    assert code(e) == "NoSuchEntity"
