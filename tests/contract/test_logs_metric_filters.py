"""CloudWatch Logs metric filters (incl. TestMetricFilter) and subscription filters."""

import pytest

from ctutil import ACCOUNT, REGION, expect_error, get_group, log_group_name, now_ms, unique

ACCESS_LOG = "[ip, user, status = 4*, size]"


@pytest.fixture
def group(logs):
    name = log_group_name("ctmf")
    logs.create_log_group(logGroupName=name)
    return name


def transformation(namespace: str, name: str = "ClientErrors", **extra) -> dict:
    t = {"metricName": name, "metricNamespace": namespace, "metricValue": "$size"}
    t.update(extra)
    return t


# ---------------------------------------------------------------------------
# Metric filters
# ---------------------------------------------------------------------------


def test_put_and_describe_metric_filter(logs, group):
    ns = unique("ct/ns")
    t = transformation(ns, defaultValue=0.0, unit="Bytes", dimensions={"Status": "$status"})
    before = now_ms()
    logs.put_metric_filter(
        logGroupName=group, filterName="client-errors", filterPattern=ACCESS_LOG,
        metricTransformations=[t],
    )
    after = now_ms()
    filters = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    assert len(filters) == 1, filters
    f = filters[0]
    assert f["filterName"] == "client-errors"
    assert f["filterPattern"] == ACCESS_LOG
    assert f["logGroupName"] == group
    assert f["metricTransformations"] == [t]
    assert before - 1000 <= f["creationTime"] <= after + 1000
    assert get_group(logs, group)["metricFilterCount"] == 1


def test_put_metric_filter_again_updates_it(logs, group):
    ns = unique("ct/ns")
    logs.put_metric_filter(logGroupName=group, filterName="f", filterPattern="ERROR",
                           metricTransformations=[transformation(ns, metricValue="1")])
    logs.put_metric_filter(logGroupName=group, filterName="f", filterPattern="WARN",
                           metricTransformations=[transformation(ns, metricValue="2")])
    filters = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    assert [(f["filterName"], f["filterPattern"]) for f in filters] == [("f", "WARN")]
    assert filters[0]["metricTransformations"][0]["metricValue"] == "2"
    assert get_group(logs, group)["metricFilterCount"] == 1


def test_describe_metric_filters_by_prefix_sorted(logs, group):
    ns = unique("ct/ns")
    for name in ["errors-5xx", "latency", "errors-4xx"]:
        logs.put_metric_filter(logGroupName=group, filterName=name, filterPattern="",
                               metricTransformations=[transformation(ns, metricValue="1")])
    got = logs.describe_metric_filters(logGroupName=group, filterNamePrefix="errors-")
    assert [f["filterName"] for f in got["metricFilters"]] == ["errors-4xx", "errors-5xx"]
    every = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    assert [f["filterName"] for f in every] == ["errors-4xx", "errors-5xx", "latency"]
    assert get_group(logs, group)["metricFilterCount"] == 3


def test_describe_metric_filters_by_metric_name_and_namespace(logs, group):
    other = log_group_name("ctmf")
    logs.create_log_group(logGroupName=other)
    ns = unique("ct/ns")
    logs.put_metric_filter(logGroupName=group, filterName="a", filterPattern="ERROR",
                           metricTransformations=[transformation(ns, "Errors", metricValue="1")])
    logs.put_metric_filter(logGroupName=other, filterName="b", filterPattern="ERROR",
                           metricTransformations=[transformation(ns, "Errors", metricValue="1")])
    logs.put_metric_filter(logGroupName=other, filterName="c", filterPattern="WARN",
                           metricTransformations=[transformation(ns, "Warnings", metricValue="1")])
    got = logs.describe_metric_filters(metricName="Errors", metricNamespace=ns)["metricFilters"]
    assert sorted((f["logGroupName"], f["filterName"]) for f in got) == sorted(
        [(group, "a"), (other, "b")]
    )


def test_describe_metric_filters_metric_name_needs_namespace(logs, group):
    with expect_error("InvalidParameterException"):
        logs.describe_metric_filters(metricName="Errors")


def test_delete_metric_filter(logs, group):
    ns = unique("ct/ns")
    logs.put_metric_filter(logGroupName=group, filterName="f", filterPattern="ERROR",
                           metricTransformations=[transformation(ns, metricValue="1")])
    logs.delete_metric_filter(logGroupName=group, filterName="f")
    assert logs.describe_metric_filters(logGroupName=group)["metricFilters"] == []
    assert get_group(logs, group)["metricFilterCount"] == 0
    with expect_error("ResourceNotFoundException", status=400):
        logs.delete_metric_filter(logGroupName=group, filterName="f")


def test_put_metric_filter_unknown_group(logs):
    with expect_error("ResourceNotFoundException", status=400):
        logs.put_metric_filter(
            logGroupName=log_group_name("missing"), filterName="f", filterPattern="ERROR",
            metricTransformations=[transformation(unique("ct/ns"), metricValue="1")],
        )


def test_put_metric_filter_invalid_pattern(logs, group):
    with expect_error("InvalidParameterException", status=400):
        logs.put_metric_filter(
            logGroupName=group, filterName="f", filterPattern='{ $.level = "error"',
            metricTransformations=[transformation(unique("ct/ns"), metricValue="1")],
        )
    assert logs.describe_metric_filters(logGroupName=group)["metricFilters"] == []


def test_test_metric_filter_delimited_extracts_values(logs):
    msgs = [
        "127.0.0.1 frank 404 512",
        "10.0.0.1 bob 200 100",
        "10.0.0.2 alice 403 7",
    ]
    matches = logs.test_metric_filter(filterPattern=ACCESS_LOG, logEventMessages=msgs)["matches"]
    assert [m["eventMessage"] for m in matches] == [msgs[0], msgs[2]]
    # eventNumber is the message's index in logEventMessages (the API reference's
    # sample numbers its first message 0).
    assert [m["eventNumber"] for m in matches] == [0, 2], matches
    assert matches[0]["extractedValues"] == {
        "$ip": "127.0.0.1", "$user": "frank", "$status": "404", "$size": "512",
    }
    assert matches[1]["extractedValues"] == {
        "$ip": "10.0.0.2", "$user": "alice", "$status": "403", "$size": "7",
    }


def test_test_metric_filter_terms_and_json(logs):
    msgs = ["ERROR one", "INFO two", "ERROR three"]
    got = logs.test_metric_filter(filterPattern="ERROR", logEventMessages=msgs)["matches"]
    assert [m["eventMessage"] for m in got] == ["ERROR one", "ERROR three"]
    json_msgs = ['{"level":"error","ms":12}', '{"level":"info","ms":3}']
    got = logs.test_metric_filter(
        filterPattern='{ $.level = "error" }', logEventMessages=json_msgs
    )["matches"]
    assert [m["eventMessage"] for m in got] == [json_msgs[0]]


def test_test_metric_filter_no_match(logs):
    got = logs.test_metric_filter(filterPattern="ERROR", logEventMessages=["INFO fine"])
    assert got.get("matches", []) == []


def test_test_metric_filter_invalid_pattern(logs):
    with expect_error("InvalidParameterException", status=400):
        logs.test_metric_filter(filterPattern="[ip, user", logEventMessages=["a b"])


# ---------------------------------------------------------------------------
# Subscription filters
# ---------------------------------------------------------------------------


def lambda_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def kinesis_arn(name: str) -> str:
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"


def test_put_and_describe_subscription_filter(logs, group):
    dest = lambda_arn(unique("fn"))
    before = now_ms()
    logs.put_subscription_filter(
        logGroupName=group, filterName="to-lambda", filterPattern="ERROR", destinationArn=dest
    )
    after = now_ms()
    got = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert len(got) == 1, got
    f = got[0]
    assert f["filterName"] == "to-lambda"
    assert f["logGroupName"] == group
    assert f["filterPattern"] == "ERROR"
    assert f["destinationArn"] == dest
    assert f["distribution"] == "ByLogStream", "log data is grouped by log stream by default"
    assert before - 1000 <= f["creationTime"] <= after + 1000


def test_subscription_filter_role_and_distribution_are_stored(logs, group):
    dest = kinesis_arn(unique("ks"))
    role = f"arn:aws:iam::{ACCOUNT}:role/{unique('cwl')}"
    logs.put_subscription_filter(
        logGroupName=group, filterName="to-kinesis", filterPattern="",
        destinationArn=dest, roleArn=role, distribution="Random",
    )
    f = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"][0]
    assert (f["destinationArn"], f["roleArn"], f["distribution"]) == (dest, role, "Random")


def test_subscription_filters_at_most_two_per_group(logs, group):
    for name in ["one", "two"]:
        logs.put_subscription_filter(logGroupName=group, filterName=name, filterPattern="",
                                     destinationArn=lambda_arn(unique("fn")))
    with expect_error("LimitExceededException", status=400):
        logs.put_subscription_filter(logGroupName=group, filterName="three", filterPattern="",
                                     destinationArn=lambda_arn(unique("fn")))
    # Updating one of the two by name is fine.
    dest = lambda_arn(unique("fn"))
    logs.put_subscription_filter(logGroupName=group, filterName="two", filterPattern="WARN",
                                 destinationArn=dest)
    got = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert [(f["filterName"], f["filterPattern"]) for f in got] == [("one", ""), ("two", "WARN")]
    assert got[1]["destinationArn"] == dest


def test_describe_subscription_filters_by_prefix(logs, group):
    for name in ["ship-b", "audit"]:
        logs.put_subscription_filter(logGroupName=group, filterName=name, filterPattern="",
                                     destinationArn=lambda_arn(unique("fn")))
    got = logs.describe_subscription_filters(logGroupName=group, filterNamePrefix="ship")
    assert [f["filterName"] for f in got["subscriptionFilters"]] == ["ship-b"]


def test_delete_subscription_filter(logs, group):
    logs.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="",
                                 destinationArn=lambda_arn(unique("fn")))
    logs.delete_subscription_filter(logGroupName=group, filterName="f")
    assert logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"] == []
    with expect_error("ResourceNotFoundException", status=400):
        logs.delete_subscription_filter(logGroupName=group, filterName="f")


def test_subscription_filter_unknown_group(logs):
    missing = log_group_name("missing")
    with expect_error("ResourceNotFoundException", status=400):
        logs.put_subscription_filter(logGroupName=missing, filterName="f", filterPattern="",
                                     destinationArn=lambda_arn(unique("fn")))
    with expect_error("ResourceNotFoundException", status=400):
        logs.describe_subscription_filters(logGroupName=missing)


def test_subscription_filter_invalid_pattern(logs, group):
    with expect_error("InvalidParameterException", status=400):
        logs.put_subscription_filter(logGroupName=group, filterName="f",
                                     filterPattern="{ $.a = ", destinationArn=lambda_arn("fn"))


def test_deleting_a_group_deletes_its_filters(logs):
    name = log_group_name("ctmf")
    ns = unique("ct/ns")
    logs.create_log_group(logGroupName=name)
    logs.put_metric_filter(logGroupName=name, filterName="f", filterPattern="ERROR",
                           metricTransformations=[transformation(ns, "Errors", metricValue="1")])
    logs.put_subscription_filter(logGroupName=name, filterName="s", filterPattern="",
                                 destinationArn=lambda_arn(unique("fn")))
    logs.delete_log_group(logGroupName=name)
    assert logs.describe_metric_filters(metricName="Errors", metricNamespace=ns)["metricFilters"] == []
    logs.create_log_group(logGroupName=name)
    assert logs.describe_metric_filters(logGroupName=name)["metricFilters"] == []
    assert logs.describe_subscription_filters(logGroupName=name)["subscriptionFilters"] == []
    assert get_group(logs, name)["metricFilterCount"] == 0
