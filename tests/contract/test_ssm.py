"""Systems Manager Parameter Store through boto3 and the AWS CLI: String, StringList and
SecureString parameters, versions and labels, paths, filters, tags, errors, accounts, and
SecureStrings sealed at rest across kill -9."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ctutil import ACCESS_KEY, REGION, SECRET_KEY, unique


def ssm_client(endpoint: str, access_key: str = ACCESS_KEY):
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    return session.client(
        "ssm", endpoint_url=endpoint,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture(scope="module")
def ssm(server):
    return ssm_client(server.endpoint)


def code(e) -> str:
    return e.value.response["Error"]["Code"]


def test_parameters_are_put_versioned_and_read(ssm):
    name = f"/{unique('app')}/db/host"
    assert ssm.put_parameter(Name=name, Value="db1", Type="String")["Version"] == 1
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["Value"] == "db1" and p["Type"] == "String" and p["Version"] == 1
    assert p["ARN"] == f"arn:aws:ssm:{REGION}:000000000000:parameter{name}"
    assert p["DataType"] == "text"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="db2", Type="String")
    assert code(e) == "ParameterAlreadyExists"
    assert ssm.put_parameter(Name=name, Value="db2", Overwrite=True)["Version"] == 2
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "db2"
    old = ssm.get_parameter(Name=f"{name}:1")["Parameter"]
    assert old["Value"] == "db1" and old["Selector"] == ":1"
    assert ssm.get_parameter(Name=p["ARN"])["Parameter"]["Value"] == "db2"
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [h["Value"] for h in history] == ["db1", "db2"]
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{name}:9")
    assert code(e) == "ParameterVersionNotFound"


def test_secure_strings_need_decryption(ssm):
    name = f"/{unique('sec')}/password"
    ssm.put_parameter(Name=name, Value="hunter2", Type="SecureString")
    hidden = ssm.get_parameter(Name=name)["Parameter"]
    assert hidden["Type"] == "SecureString" and hidden["Value"] != "hunter2"
    assert "hunter2" not in hidden["Value"]
    shown = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert shown["Value"] == "hunter2"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert meta[0]["KeyId"] == "alias/aws/ssm" and meta[0]["Type"] == "SecureString"
    hist = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert hist[0]["Value"] == "hunter2"


def test_string_lists_and_get_parameters(ssm):
    base = f"/{unique('list')}"
    ssm.put_parameter(Name=f"{base}/zones", Value="a,b,c", Type="StringList")
    ssm.put_parameter(Name=f"{base}/one", Value="1", Type="String")
    out = ssm.get_parameters(Names=[f"{base}/zones", f"{base}/one", f"{base}/missing"])
    assert {p["Name"]: p["Value"] for p in out["Parameters"]} == {f"{base}/zones": "a,b,c", f"{base}/one": "1"}
    assert out["InvalidParameters"] == [f"{base}/missing"]
    assert [p["Type"] for p in out["Parameters"] if p["Name"].endswith("zones")] == ["StringList"]


def test_paths_recursion_filters_and_pages(ssm):
    base = f"/{unique('tree')}"
    for n in ["a", "b", "c/d", "c/e/f"]:
        ssm.put_parameter(Name=f"{base}/{n}", Value=n, Type="SecureString" if n == "b" else "String")
    one = ssm.get_parameters_by_path(Path=base)["Parameters"]
    assert sorted(p["Name"] for p in one) == [f"{base}/a", f"{base}/b"]
    every = [p for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path=base, Recursive=True, WithDecryption=True, PaginationConfig={"PageSize": 2}) for p in page["Parameters"]]
    assert sorted(p["Value"] for p in every) == ["a", "b", "c/d", "c/e/f"]
    secure = ssm.get_parameters_by_path(Path=base, Recursive=True, ParameterFilters=[
        {"Key": "Type", "Values": ["SecureString"]}])["Parameters"]
    assert [p["Name"] for p in secure] == [f"{base}/b"]
    described = [p["Name"] for page in ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [f"{base}/c"]}]) for p in page["Parameters"]]
    assert sorted(described) == [f"{base}/c/d", f"{base}/c/e/f"]
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path=base, ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert code(e) == "InvalidFilterKey"
    with pytest.raises(ClientError) as e:
        ssm.get_parameters_by_path(Path="relative")
    assert code(e) == "ValidationException"


def test_labels_move_between_versions(ssm):
    name = f"/{unique('lbl')}/v"
    ssm.put_parameter(Name=name, Value="one", Type="String")
    ssm.put_parameter(Name=name, Value="two", Type="String", Overwrite=True)
    out = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod", "1bad"])
    assert out["InvalidLabels"] == ["1bad"] and out["ParameterVersion"] == 1
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "one"
    ssm.label_parameter_version(Name=name, Labels=["prod"])
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "two"
    hist = {h["Version"]: h["Labels"] for h in ssm.get_parameter_history(Name=name)["Parameters"]}
    assert hist == {1: [], 2: ["prod"]}
    labelled = ssm.get_parameters_by_path(Path=name.rsplit("/", 1)[0], ParameterFilters=[
        {"Key": "Label", "Values": ["prod"]}])["Parameters"]
    assert [p["Name"] for p in labelled] == [name]
    out = ssm.unlabel_parameter_version(Name=name, ParameterVersion=2, Labels=["prod", "nope"])
    assert out["RemovedLabels"] == ["prod"] and out["InvalidLabels"] == ["nope"]
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"{name}:prod")
    assert code(e) == "ParameterNotFound"


def test_patterns_tiers_tags_and_deletes(ssm):
    name = f"/{unique('pat')}/port"
    ssm.put_parameter(Name=name, Value="8080", Type="String", AllowedPattern=r"^\d+$",
                      Tags=[{"Key": "team", "Value": "web"}])
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="http", Overwrite=True)
    assert code(e) == "ParameterPatternMismatchException"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "8080"
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=f"{name}-big", Value="x" * 5000, Type="String")
    assert code(e) == "ValidationException"
    assert ssm.put_parameter(Name=f"{name}-big", Value="x" * 5000, Type="String",
                             Tier="Advanced")["Tier"] == "Advanced"
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "env", "Value": "prod"}])
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["team"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
        {"Key": "env", "Value": "prod"}]
    tagged = ssm.describe_parameters(ParameterFilters=[{"Key": "tag:env", "Values": ["prod"]},
                                                       {"Key": "Name", "Values": [name]}])["Parameters"]
    assert [p["Name"] for p in tagged] == [name]
    out = ssm.delete_parameters(Names=[name, f"{name}-big", f"{name}-none"])
    assert sorted(out["DeletedParameters"]) == sorted([name, f"{name}-big"])
    assert out["InvalidParameters"] == [f"{name}-none"]
    with pytest.raises(ClientError) as e:
        ssm.delete_parameter(Name=name)
    assert code(e) == "ParameterNotFound"


def test_bad_input_is_a_4xx_that_changes_nothing(ssm):
    for kwargs, want in [
        (dict(Name="a/b", Value="v", Type="String"), "ValidationException"),
        (dict(Name="/aws/mine", Value="v", Type="String"), "ValidationException"),
        (dict(Name="/" + "/".join("l" * 16), Value="v", Type="String"), "HierarchyLevelLimitExceededException"),
        (dict(Name=f"/{unique('x')}", Value="v", Type="String", AllowedPattern="("), "InvalidAllowedPatternException"),
        (dict(Name=f"/{unique('x')}", Value="v", Type="String", Overwrite=True,
              Tags=[{"Key": "a", "Value": "b"}]), "ValidationException"),
    ]:
        with pytest.raises(ClientError) as e:
            ssm.put_parameter(**kwargs)
        assert code(e) == want, (kwargs, e.value.response)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name=f"/{unique('missing')}")
    assert code(e) == "ParameterNotFound"
    with pytest.raises(ClientError) as e:
        ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=["i-0123456789abcdef0"])
    assert code(e) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as e:
        ssm.describe_parameters(NextToken="garbage")
    assert code(e) == "InvalidNextToken"


def test_accounts_do_not_see_each_others_parameters(server, ssm):
    name = f"/{unique('acct')}"
    ssm.put_parameter(Name=name, Value="mine", Type="String")
    other = ssm_client(server.endpoint, access_key="111122223333")
    with pytest.raises(ClientError) as e:
        other.get_parameter(Name=name)
    assert code(e) == "ParameterNotFound"


def test_the_aws_cli_drives_parameters(aws):
    name = f"/{unique('cli')}/token"
    out = aws("ssm", "put-parameter", "--name", name, "--value", "t0k3n", "--type", "SecureString")
    assert out["Version"] == 1
    got = aws("ssm", "get-parameter", "--name", name, "--with-decryption")
    assert got["Parameter"]["Value"] == "t0k3n"
    listed = aws("ssm", "get-parameters-by-path", "--path", name.rsplit("/", 1)[0])
    assert [p["Name"] for p in listed["Parameters"]] == [name]
    aws("ssm", "delete-parameter", "--name", name)


def test_secure_strings_are_sealed_at_rest_and_survive_kill_9(fresh_server):
    ssm = ssm_client(fresh_server.endpoint)
    marker = "marker-" + unique("value")
    ssm.put_parameter(Name="/durable/secret", Value=marker, Type="SecureString")
    ssm.put_parameter(Name="/durable/plain", Value="visible", Type="String")
    fresh_server.restart()
    ssm = ssm_client(fresh_server.endpoint)
    got = ssm.get_parameter(Name="/durable/secret", WithDecryption=True)["Parameter"]
    assert got["Value"] == marker
    assert ssm.get_parameter(Name="/durable/plain")["Parameter"]["Value"] == "visible"
    hits = [f.name for f in fresh_server.data_dir.rglob("*") if f.is_file() and marker.encode() in f.read_bytes()]
    assert hits == []
