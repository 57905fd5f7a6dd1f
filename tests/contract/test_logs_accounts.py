"""CloudWatch Logs accounts on `berth dev`: a 12-digit access key id acts in that account."""

from ctutil import expect_error, get_group, log_group_arn, log_group_name, log_stream_arn, now_ms

ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"


def listed(logs, prefix) -> list:
    return [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]]


def test_log_group_is_only_seen_by_its_account(logs, logs_as):
    a, b = logs_as(ACCOUNT_A), logs_as(ACCOUNT_B)
    name = log_group_name("ctacct")
    a.create_log_group(logGroupName=name)
    group = get_group(a, name)
    assert group["arn"] == log_group_arn(name, ACCOUNT_A) + ":*"
    assert group["logGroupArn"] == log_group_arn(name, ACCOUNT_A)
    assert listed(b, name) == []
    assert listed(logs, name) == [], "the `test` key acts in 000000000000"
    assert listed(logs_as(ACCOUNT_A, "another-secret"), name) == [name]


def test_accounts_have_separate_namespaces(logs, logs_as):
    a, b = logs_as(ACCOUNT_A), logs_as(ACCOUNT_B)
    name = log_group_name("ctacct")
    a.create_log_group(logGroupName=name)
    b.create_log_group(logGroupName=name)  # no ResourceAlreadyExistsException
    logs.create_log_group(logGroupName=name)
    a.create_log_stream(logGroupName=name, logStreamName="s")
    assert a.describe_log_streams(logGroupName=name)["logStreams"][0]["arn"] == log_stream_arn(
        name, "s", ACCOUNT_A
    )
    assert b.describe_log_streams(logGroupName=name)["logStreams"] == []
    b.delete_log_group(logGroupName=name)
    assert listed(a, name) == [name]
    assert listed(logs, name) == [name]


def test_other_accounts_cannot_touch_a_group(logs_as):
    a, b = logs_as(ACCOUNT_A), logs_as(ACCOUNT_B)
    name = log_group_name("ctacct")
    a.create_log_group(logGroupName=name)
    a.create_log_stream(logGroupName=name, logStreamName="s")
    a.put_log_events(logGroupName=name, logStreamName="s",
                     logEvents=[{"timestamp": now_ms(), "message": "secret"}])
    with expect_error("ResourceNotFoundException"):
        b.put_log_events(logGroupName=name, logStreamName="s",
                         logEvents=[{"timestamp": now_ms(), "message": "intruder"}])
    with expect_error("ResourceNotFoundException"):
        b.get_log_events(logGroupName=name, logStreamName="s")
    with expect_error("ResourceNotFoundException"):
        b.filter_log_events(logGroupName=name)
    with expect_error("ResourceNotFoundException"):
        b.delete_log_group(logGroupName=name)
    with expect_error("ResourceNotFoundException"):
        b.list_tags_for_resource(resourceArn=log_group_arn(name, ACCOUNT_A))
    events = a.get_log_events(logGroupName=name, logStreamName="s")["events"]
    assert [e["message"] for e in events] == ["secret"]


def test_metric_filters_are_per_account(logs_as):
    a, b = logs_as(ACCOUNT_A), logs_as(ACCOUNT_B)
    name = log_group_name("ctacct")
    ns = name.strip("/").replace("/", "-")
    a.create_log_group(logGroupName=name)
    a.put_metric_filter(
        logGroupName=name, filterName="f", filterPattern="ERROR",
        metricTransformations=[{"metricName": "Errors", "metricNamespace": ns, "metricValue": "1"}],
    )
    assert len(a.describe_metric_filters(metricName="Errors", metricNamespace=ns)["metricFilters"]) == 1
    assert b.describe_metric_filters(metricName="Errors", metricNamespace=ns)["metricFilters"] == []
