"""CloudWatch Logs log groups: CreateLogGroup, DescribeLogGroups, DeleteLogGroup."""

import pytest

from ctutil import (
    expect_error,
    get_group,
    log_group_arn,
    log_group_name,
    now_ms,
    unique,
)


def describe_all(logs, **kwargs) -> list:
    groups = []
    for page in logs.get_paginator("describe_log_groups").paginate(**kwargs):
        groups += page["logGroups"]
    return groups


def test_create_log_group_then_describe_fields(logs):
    name = log_group_name()
    before = now_ms()
    assert "ResponseMetadata" in logs.create_log_group(logGroupName=name)
    after = now_ms()
    group = get_group(logs, name)
    assert group["logGroupName"] == name
    assert group["arn"] == log_group_arn(name) + ":*"
    assert group["logGroupArn"] == log_group_arn(name)
    assert before - 1000 <= group["creationTime"] <= after + 1000, (
        "creationTime is epoch milliseconds", group["creationTime"], before, after,
    )
    assert group["storedBytes"] == 0
    assert group["metricFilterCount"] == 0
    assert "retentionInDays" not in group, "a new log group's events never expire"
    assert group["logGroupClass"] == "STANDARD"


def test_create_log_group_with_tags_and_class(logs):
    name = log_group_name()
    logs.create_log_group(
        logGroupName=name,
        tags={"team": "platform", "env": "dev"},
        logGroupClass="INFREQUENT_ACCESS",
    )
    assert get_group(logs, name)["logGroupClass"] == "INFREQUENT_ACCESS"
    tags = logs.list_tags_for_resource(resourceArn=log_group_arn(name))["tags"]
    assert tags == {"team": "platform", "env": "dev"}


def test_create_duplicate_log_group(logs):
    name = log_group_name()
    logs.create_log_group(logGroupName=name)
    with expect_error("ResourceAlreadyExistsException", status=400):
        logs.create_log_group(logGroupName=name)
    assert [g["logGroupName"] for g in describe_all(logs, logGroupNamePrefix=name)] == [name]


@pytest.mark.parametrize(
    "name",
    ["has space", "bad!char", "colon:name", "x" * 513],
    ids=["space", "bang", "colon", "513-chars"],
)
def test_create_log_group_rejects_invalid_name(logs, name):
    with expect_error("InvalidParameterException"):
        logs.create_log_group(logGroupName=name)


def test_create_log_group_rejects_unknown_class(logs):
    with expect_error("InvalidParameterException", "ValidationException"):
        logs.create_log_group(logGroupName=log_group_name(), logGroupClass="GLACIER")


def test_describe_log_groups_by_prefix_is_ascii_sorted(logs):
    base = log_group_name("ctpfx")
    names = [f"{base}/b", f"{base}/a", f"{base}/B", f"{base}/a/deeper"]
    for n in names:
        logs.create_log_group(logGroupName=n)
    logs.create_log_group(logGroupName=f"{base}-sibling")  # shares the text, not the prefix
    got = [g["logGroupName"] for g in describe_all(logs, logGroupNamePrefix=f"{base}/")]
    assert got == sorted(names), "results are ASCII-sorted by name ('B' < 'a' < 'a/deeper' < 'b')"


def make_pattern_groups(logs):
    # DescribeLogGroups' documented example: pattern DataLogs matches DataLogs,
    # aws/DataLogs and GroupDataLogs, but not datalogs, Data/log/s or Groupdata.
    uid = unique("p").replace("-", "")
    matching = [f"/ct/{uid}DataLogs", f"/ct/x/{uid}DataLogs", f"/ct/Group{uid}DataLogsMore"]
    for n in matching + [f"/ct/{uid}Data/log/s", f"/ct/{uid}Groupdata"]:
        logs.create_log_group(logGroupName=n)
    return uid, matching


def test_describe_log_groups_by_name_pattern_substring(logs):
    uid, matching = make_pattern_groups(logs)
    got = describe_all(logs, logGroupNamePattern=f"{uid}DataLogs")
    assert [g["logGroupName"] for g in got] == sorted(matching)
    for g in got:
        assert g["arn"] == log_group_arn(g["logGroupName"]) + ":*"
        assert isinstance(g["creationTime"], int)


def test_describe_log_groups_by_name_pattern_is_case_sensitive(logs):
    # "a case-sensitive substring search ... datalogs ... would not match" (API reference).
    uid, matching = make_pattern_groups(logs)
    lower = f"/ct/{uid}datalogs"
    logs.create_log_group(logGroupName=lower)
    got = [g["logGroupName"] for g in describe_all(logs, logGroupNamePattern=f"{uid}DataLogs")]
    assert lower not in got, f"pattern {uid}DataLogs must not match {lower}: {got}"
    got = [g["logGroupName"] for g in describe_all(logs, logGroupNamePattern=f"{uid}datalogs")]
    assert got == [lower]


def test_describe_log_groups_by_name_pattern_returns_name_arn_time_only(logs):
    # "If you specify logGroupNamePattern in your request, then only arn, creationTime,
    # and logGroupName are included in the response."
    uid, matching = make_pattern_groups(logs)
    logs.put_retention_policy(logGroupName=matching[0], retentionInDays=7)
    got = describe_all(logs, logGroupNamePattern=f"{uid}DataLogs")
    assert got and all(set(g) <= {"arn", "creationTime", "logGroupName"} for g in got), got


def test_describe_log_groups_prefix_and_pattern_are_exclusive(logs):
    with expect_error("InvalidParameterException"):
        logs.describe_log_groups(logGroupNamePrefix="/ct/", logGroupNamePattern="ct")


def test_describe_log_groups_pagination_walks_every_group_once(logs):
    base = log_group_name("ctpage")
    names = sorted(f"{base}/g{i:02d}" for i in range(7))
    for n in names:
        logs.create_log_group(logGroupName=n)
    seen = []
    pages = []
    token = None
    for _ in range(10):
        kwargs = {"logGroupNamePrefix": base, "limit": 3}
        if token:
            kwargs["nextToken"] = token
        resp = logs.describe_log_groups(**kwargs)
        pages.append(len(resp["logGroups"]))
        assert len(resp["logGroups"]) <= 3
        seen += [g["logGroupName"] for g in resp["logGroups"]]
        token = resp.get("nextToken")
        if not token:
            break
    assert token is None, "pagination did not end"
    assert seen == names, f"every group exactly once, in order (pages: {pages})"
    # boto3's own paginator agrees.
    assert [g["logGroupName"] for g in describe_all(logs, logGroupNamePrefix=base,
                                                    PaginationConfig={"PageSize": 2})] == names


def test_describe_log_groups_limit_above_50_is_rejected(logs):
    with expect_error("InvalidParameterException"):
        logs.describe_log_groups(limit=51)


def test_describe_log_groups_by_class(logs):
    base = log_group_name("ctclass")
    logs.create_log_group(logGroupName=f"{base}/std")
    logs.create_log_group(logGroupName=f"{base}/ia", logGroupClass="INFREQUENT_ACCESS")
    ia = describe_all(logs, logGroupNamePrefix=base, logGroupClass="INFREQUENT_ACCESS")
    assert [g["logGroupName"] for g in ia] == [f"{base}/ia"]
    std = describe_all(logs, logGroupNamePrefix=base, logGroupClass="STANDARD")
    assert [g["logGroupName"] for g in std] == [f"{base}/std"]


def test_describe_log_groups_unknown_prefix_is_empty(logs):
    resp = logs.describe_log_groups(logGroupNamePrefix=log_group_name("nothing"))
    assert resp["logGroups"] == []
    assert not resp.get("nextToken")


def test_delete_log_group(logs):
    name = log_group_name()
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    logs.delete_log_group(logGroupName=name)
    assert describe_all(logs, logGroupNamePrefix=name) == []
    with expect_error("ResourceNotFoundException", status=400):
        logs.delete_log_group(logGroupName=name)
    with expect_error("ResourceNotFoundException"):
        logs.describe_log_streams(logGroupName=name)
    with expect_error("ResourceNotFoundException"):
        logs.create_log_stream(logGroupName=name, logStreamName="t")
    # The name is free again, and the new group starts empty.
    logs.create_log_group(logGroupName=name)
    assert logs.describe_log_streams(logGroupName=name)["logStreams"] == []


def test_delete_unknown_log_group(logs):
    with expect_error("ResourceNotFoundException", status=400):
        logs.delete_log_group(logGroupName=log_group_name("missing"))
