"""Secrets Manager through boto3 and the AWS CLI: secrets, versions and staging labels,
deletion with a recovery window, filters, policies, tags, random passwords, errors, and
values sealed at rest across kill -9."""

from __future__ import annotations

import base64
import json
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import BERTH_BIN
from ctutil import ACCESS_KEY, REGION, SECRET_KEY, unique


def sm_client(endpoint: str, access_key: str = ACCESS_KEY):
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    return session.client(
        "secretsmanager",
        endpoint_url=endpoint,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture(scope="module")
def sm(server):
    return sm_client(server.endpoint)


def code(e) -> str:
    return e.value.response["Error"]["Code"]


def test_a_secret_is_created_read_and_described(sm):
    name = unique("app/db")
    created = sm.create_secret(
        Name=name, SecretString='{"user":"app","password":"pw1"}',
        Description="database", Tags=[{"Key": "team", "Value": "web"}],
    )
    arn = created["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:{REGION}:000000000000:secret:{name}-")
    assert len(arn.rsplit("-", 1)[1]) == 6
    version = created["VersionId"]
    # By name, full ARN, and ARN without the random suffix.
    for sid in (name, arn, arn.rsplit("-", 1)[0]):
        got = sm.get_secret_value(SecretId=sid)
        assert got["SecretString"] == '{"user":"app","password":"pw1"}'
        assert got["VersionId"] == version and got["VersionStages"] == ["AWSCURRENT"]
        assert got["ARN"] == arn and got["Name"] == name
    d = sm.describe_secret(SecretId=name)
    assert d["Description"] == "database"
    assert d["Tags"] == [{"Key": "team", "Value": "web"}]
    assert d["VersionIdsToStages"] == {version: ["AWSCURRENT"]}
    assert "LastAccessedDate" in d and "CreatedDate" in d
    assert "SecretString" not in d


def test_binary_secrets_round_trip(sm):
    name = unique("bin")
    blob = bytes(range(256))
    sm.create_secret(Name=name, SecretBinary=blob)
    got = sm.get_secret_value(SecretId=name)
    assert got["SecretBinary"] == blob and "SecretString" not in got


def test_new_versions_move_the_labels(sm):
    name = unique("rot")
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    prev = sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert prev["SecretString"] == "one" and prev["VersionId"] == v1
    v3 = sm.update_secret(SecretId=name, SecretString="three")["VersionId"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    # v1 lost its labels: listed only with IncludeDeprecated.
    ids = {v["VersionId"] for v in sm.list_secret_version_ids(SecretId=name)["Versions"]}
    assert ids == {v2, v3}
    ids = {v["VersionId"] for v in
           sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]}
    assert ids == {v1, v2, v3}
    assert sm.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == "one"
    # A custom label, then AWSCURRENT moved back by hand.
    v4 = sm.put_secret_value(SecretId=name, SecretString="four", VersionStages=["canary"])["VersionId"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "three"
    assert sm.get_secret_value(SecretId=name, VersionStage="canary")["VersionId"] == v4
    with pytest.raises(ClientError) as e:
        sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2)
    assert code(e) == "InvalidParameterException"
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT",
                                   MoveToVersionId=v2, RemoveFromVersionId=v3)
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v2: ["AWSCURRENT"], v3: ["AWSPREVIOUS"], v4: ["canary"]}
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=name, VersionId=v4, VersionStage="AWSCURRENT")
    assert code(e) == "InvalidRequestException"


def test_client_request_tokens_make_writes_idempotent(sm):
    name = unique("idem")
    token = "a" * 32
    first = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    again = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    assert again["ARN"] == first["ARN"] and again["VersionId"] == token
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name=name, SecretString="other", ClientRequestToken=token)
    assert code(e) == "ResourceExistsException"
    t2 = "b" * 32
    sm.put_secret_value(SecretId=name, SecretString="w", ClientRequestToken=t2)
    sm.put_secret_value(SecretId=name, SecretString="w", ClientRequestToken=t2)
    with pytest.raises(ClientError) as e:
        sm.put_secret_value(SecretId=name, SecretString="x", ClientRequestToken=t2)
    assert code(e) == "ResourceExistsException"
    assert len(sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]) == 2


def test_deletion_waits_out_the_recovery_window_unless_forced(sm):
    name = unique("del")
    sm.create_secret(Name=name, SecretString="v")
    out = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert "DeletionDate" in out
    with pytest.raises(ClientError) as e:
        sm.get_secret_value(SecretId=name)
    assert code(e) == "InvalidRequestException"
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    names = [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]]
    assert names == []
    names = [s["Name"] for s in sm.list_secrets(
        IncludePlannedDeletion=True, Filters=[{"Key": "name", "Values": [name]}])["SecretList"]]
    assert names == [name]
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name=name, SecretString="again")
    assert code(e) == "InvalidRequestException"
    sm.restore_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    for bad in (dict(RecoveryWindowInDays=3), dict(RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)):
        with pytest.raises(ClientError) as e:
            sm.delete_secret(SecretId=name, **bad)
        assert code(e) == "InvalidParameterException"
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as e:
        sm.describe_secret(SecretId=name)
    assert code(e) == "ResourceNotFoundException"
    sm.create_secret(Name=name, SecretString="reborn")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "reborn"


def test_list_filters_sorting_pages_and_batch_get(sm):
    prefix = unique("flt")
    for i in range(5):
        sm.create_secret(Name=f"{prefix}/s{i}", SecretString=f"v{i}",
                         Tags=[{"Key": "env", "Value": "prod" if i % 2 == 0 else "dev"}])
    flt = [{"Key": "name", "Values": [prefix]}]
    listed = sm.list_secrets(Filters=flt, SortBy="name", SortOrder="desc")["SecretList"]
    assert [s["Name"] for s in listed] == [f"{prefix}/s{i}" for i in (4, 3, 2, 1, 0)]
    prod = sm.list_secrets(Filters=flt + [{"Key": "tag-value", "Values": ["prod"]}])["SecretList"]
    assert sorted(s["Name"] for s in prod) == [f"{prefix}/s{i}" for i in (0, 2, 4)]
    not_prod = sm.list_secrets(Filters=flt + [{"Key": "tag-value", "Values": ["!prod"]}])["SecretList"]
    assert sorted(s["Name"] for s in not_prod) == [f"{prefix}/s{i}" for i in (1, 3)]
    pages = list(sm.get_paginator("list_secrets").paginate(
        Filters=flt, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3 and sum(len(p["SecretList"]) for p in pages) == 5
    batch = sm.batch_get_secret_value(SecretIdList=[f"{prefix}/s1", f"{prefix}/nope"])
    assert [v["SecretString"] for v in batch["SecretValues"]] == ["v1"]
    assert batch["Errors"][0]["ErrorCode"] == "ResourceNotFoundException"
    batch = sm.batch_get_secret_value(Filters=flt)
    assert sorted(v["SecretString"] for v in batch["SecretValues"]) == [f"v{i}" for i in range(5)]


def test_resource_policies_are_validated(sm):
    name = unique("pol")
    sm.create_secret(Name=name, SecretString="v")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    sm.put_resource_policy(SecretId=name, ResourcePolicy=policy)
    assert json.loads(sm.get_resource_policy(SecretId=name)["ResourcePolicy"]) == json.loads(policy)
    with pytest.raises(ClientError) as e:
        sm.put_resource_policy(SecretId=name, ResourcePolicy='{"Statement": [{"Effect": "Maybe"}]}')
    assert code(e) == "MalformedPolicyDocumentException"
    public = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    with pytest.raises(ClientError) as e:
        sm.put_resource_policy(SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True)
    assert code(e) == "PublicPolicyException"
    v = sm.validate_resource_policy(ResourcePolicy='{"Statement": "x"}')
    assert v["PolicyValidationPassed"] is False and v["ValidationErrors"]
    assert sm.validate_resource_policy(ResourcePolicy=policy)["PolicyValidationPassed"] is True
    sm.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)


def test_tags_and_random_passwords(sm):
    name = unique("tag")
    sm.create_secret(Name=name, SecretString="v", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    sm.untag_resource(SecretId=name, TagKeys=["b"])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "a", "Value": "3"}]
    with pytest.raises(ClientError) as e:
        sm.tag_resource(SecretId=name, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert code(e) == "InvalidParameterException"
    p = sm.get_random_password(PasswordLength=40, ExcludePunctuation=True)["RandomPassword"]
    assert len(p) == 40 and p.isalnum()
    assert any(c.isdigit() for c in p) and any(c.isupper() for c in p) and any(c.islower() for c in p)
    assert len(sm.get_random_password()["RandomPassword"]) == 32


def test_bad_input_is_a_4xx_that_changes_nothing(sm):
    for call, kwargs, want in [
        (sm.create_secret, dict(Name="has space", SecretString="v"), "ValidationException"),
        (sm.create_secret, dict(Name=unique("x"), SecretString="v", SecretBinary=b"b"), "InvalidParameterException"),
        (sm.get_secret_value, dict(SecretId=unique("missing")), "ResourceNotFoundException"),
        (sm.get_secret_value, dict(SecretId="arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-abcdef"),
         "ResourceNotFoundException"),
        (sm.put_secret_value, dict(SecretId=unique("missing"), SecretString="v"), "ResourceNotFoundException"),
        (sm.rotate_secret, dict(SecretId="x"), "InvalidRequestException"),
        (sm.list_secrets, dict(NextToken="garbage"), "InvalidNextTokenException"),
    ]:
        with pytest.raises(ClientError) as e:
            call(**kwargs)
        assert code(e) == want, (call, kwargs, e.value.response)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    name = unique("dup")
    sm.create_secret(Name=name, SecretString="v")
    with pytest.raises(ClientError) as e:
        sm.create_secret(Name=name, SecretString="w")
    assert code(e) == "ResourceExistsException"
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"


def test_accounts_do_not_see_each_others_secrets(server, sm):
    name = unique("acct")
    sm.create_secret(Name=name, SecretString="mine")
    other = sm_client(server.endpoint, access_key="111122223333")
    with pytest.raises(ClientError) as e:
        other.get_secret_value(SecretId=name)
    assert code(e) == "ResourceNotFoundException"
    other.create_secret(Name=name, SecretString="theirs")
    assert other.get_secret_value(SecretId=name)["SecretString"] == "theirs"
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "mine"


def test_the_aws_cli_drives_secrets(aws):
    name = unique("cli")
    out = aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "s3cr3t")
    assert out["Name"] == name
    assert aws("secretsmanager", "get-secret-value", "--secret-id", name)["SecretString"] == "s3cr3t"
    aws("secretsmanager", "put-secret-value", "--secret-id", name, "--secret-string", "n3w")
    got = aws("secretsmanager", "get-secret-value", "--secret-id", name, "--version-stage", "AWSPREVIOUS")
    assert got["SecretString"] == "s3cr3t"
    listed = aws("secretsmanager", "list-secrets", "--filters", f"Key=name,Values={name}")
    assert [s["Name"] for s in listed["SecretList"]] == [name]
    aws("secretsmanager", "delete-secret", "--secret-id", name, "--force-delete-without-recovery")


def test_values_are_sealed_at_rest_and_survive_kill_9(fresh_server):
    sm = sm_client(fresh_server.endpoint)
    name = unique("durable")
    marker = "marker-" + unique("value")
    sm.create_secret(Name=name, SecretString=marker)
    sm.put_secret_value(SecretId=name, SecretBinary=marker.encode() + b"-bin")
    fresh_server.restart()
    sm = sm_client(fresh_server.endpoint)
    assert sm.get_secret_value(SecretId=name)["SecretBinary"] == marker.encode() + b"-bin"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == marker
    # Nothing in the data directory but the key ring holds the value in the clear.
    hits = []
    for f in fresh_server.data_dir.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            if marker.encode() in data or base64.b64encode(marker.encode()) in data:
                hits.append(f.name)
    assert hits == []
    assert (fresh_server.data_dir / "sealing.keys").stat().st_mode & 0o777 == 0o600


def test_a_rotated_key_still_opens_old_values_and_reseals_them(fresh_server):
    sm = sm_client(fresh_server.endpoint)
    name = unique("rotkey")
    sm.create_secret(Name=name, SecretString="before")
    ring = fresh_server.data_dir / "sealing.keys"
    out = subprocess.run([str(BERTH_BIN), "sealing-key", "rotate", "--file", str(ring)],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "k2"
    fresh_server.restart()
    sm = sm_client(fresh_server.endpoint)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "before"
    sm.put_secret_value(SecretId=name, SecretString="after")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "after"
    listed = subprocess.run([str(BERTH_BIN), "sealing-key", "list", "--file", str(ring)],
                            capture_output=True, text=True, check=True)
    assert listed.stdout.split() == ["k1", "k2"]
