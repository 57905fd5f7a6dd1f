"""CloudWatch Logs tags (TagResource & co. and the older *LogGroup calls) and retention."""

import pytest

from ctutil import expect_error, get_group, log_group_arn, log_group_name

VALID_RETENTION = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                   1096, 1827, 2192, 2557, 2922, 3288, 3653]


@pytest.fixture
def group(logs):
    name = log_group_name("cttag")
    logs.create_log_group(logGroupName=name)
    return name


# ---------------------------------------------------------------------------
# TagResource / UntagResource / ListTagsForResource
# ---------------------------------------------------------------------------


def test_tag_resource_by_group_arn(logs, group):
    arn = log_group_arn(group)
    assert logs.list_tags_for_resource(resourceArn=arn).get("tags", {}) == {}
    logs.tag_resource(resourceArn=arn, tags={"team": "platform", "env": "dev"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "platform", "env": "dev"}
    # An existing key takes the new value; other keys stay.
    logs.tag_resource(resourceArn=arn, tags={"env": "prod", "cost": "42"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "team": "platform", "env": "prod", "cost": "42",
    }
    logs.untag_resource(resourceArn=arn, tagKeys=["team", "not-there"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "prod", "cost": "42"}


def test_tags_from_create_log_group_are_listed(logs):
    name = log_group_name("cttag")
    logs.create_log_group(logGroupName=name, tags={"k": "v"})
    assert logs.list_tags_for_resource(resourceArn=log_group_arn(name))["tags"] == {"k": "v"}


def test_tag_resource_unknown_group(logs):
    arn = log_group_arn(log_group_name("missing"))
    with expect_error("ResourceNotFoundException", status=400):
        logs.tag_resource(resourceArn=arn, tags={"k": "v"})
    with expect_error("ResourceNotFoundException", status=400):
        logs.list_tags_for_resource(resourceArn=arn)
    with expect_error("ResourceNotFoundException", status=400):
        logs.untag_resource(resourceArn=arn, tagKeys=["k"])


def test_tag_resource_more_than_50_tags(logs, group):
    arn = log_group_arn(group)
    logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    with expect_error("TooManyTagsException", "InvalidParameterException", status=400):
        logs.tag_resource(resourceArn=arn, tags={"one-too-many": "v"})
    assert len(logs.list_tags_for_resource(resourceArn=arn)["tags"]) == 50


def test_tags_go_with_the_group(logs):
    name = log_group_name("cttag")
    logs.create_log_group(logGroupName=name, tags={"old": "yes"})
    logs.delete_log_group(logGroupName=name)
    logs.create_log_group(logGroupName=name)
    assert logs.list_tags_for_resource(resourceArn=log_group_arn(name)).get("tags", {}) == {}


# ---------------------------------------------------------------------------
# TagLogGroup / UntagLogGroup / ListTagsLogGroup (deprecated, still served)
# ---------------------------------------------------------------------------


def test_tag_log_group_legacy_calls(logs, group):
    logs.tag_log_group(logGroupName=group, tags={"a": "1", "b": "2"})
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"a": "1", "b": "2"}
    # Both APIs see the same tags.
    assert logs.list_tags_for_resource(resourceArn=log_group_arn(group))["tags"] == {"a": "1", "b": "2"}
    logs.untag_log_group(logGroupName=group, tags=["a"])
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"b": "2"}
    logs.tag_resource(resourceArn=log_group_arn(group), tags={"c": "3"})
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"b": "2", "c": "3"}


def test_legacy_tag_calls_unknown_group(logs):
    missing = log_group_name("missing")
    with expect_error("ResourceNotFoundException", status=400):
        logs.tag_log_group(logGroupName=missing, tags={"a": "1"})
    with expect_error("ResourceNotFoundException", status=400):
        logs.list_tags_log_group(logGroupName=missing)
    with expect_error("ResourceNotFoundException", status=400):
        logs.untag_log_group(logGroupName=missing, tags=["a"])


# ---------------------------------------------------------------------------
# Retention
# ---------------------------------------------------------------------------


def test_put_retention_policy_shows_in_describe(logs, group):
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    assert get_group(logs, group)["retentionInDays"] == 7
    logs.put_retention_policy(logGroupName=group, retentionInDays=3653)
    assert get_group(logs, group)["retentionInDays"] == 3653


def test_every_documented_retention_value_is_accepted(logs, group):
    for days in VALID_RETENTION:
        logs.put_retention_policy(logGroupName=group, retentionInDays=days)
    assert get_group(logs, group)["retentionInDays"] == VALID_RETENTION[-1]


@pytest.mark.parametrize("days", [0, 2, 4, 8, 366, 3654, -1])
def test_put_retention_policy_invalid_value(logs, group, days):
    logs.put_retention_policy(logGroupName=group, retentionInDays=30)
    with expect_error("InvalidParameterException", status=400):
        logs.put_retention_policy(logGroupName=group, retentionInDays=days)
    assert get_group(logs, group)["retentionInDays"] == 30, "a refused value changes nothing"


def test_delete_retention_policy(logs, group):
    logs.put_retention_policy(logGroupName=group, retentionInDays=14)
    logs.delete_retention_policy(logGroupName=group)
    assert "retentionInDays" not in get_group(logs, group), "events no longer expire"


def test_retention_unknown_group(logs):
    missing = log_group_name("missing")
    with expect_error("ResourceNotFoundException", status=400):
        logs.put_retention_policy(logGroupName=missing, retentionInDays=7)
    with expect_error("ResourceNotFoundException", status=400):
        logs.delete_retention_policy(logGroupName=missing)
