"""The unmodified AWS CLI v1 (`aws logs ...`), pointed at Berth with AWS_ENDPOINT_URL only."""

import json

import pytest

from ctutil import AwsCliError, log_group_arn, log_group_name, now_ms


def test_cli_log_group_stream_events_flow(aws):
    group = log_group_name("ctcli")
    assert aws("logs", "create-log-group", "--log-group-name", group, "--tags", "team=cli,env=dev") is None
    aws("logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "web")
    t = now_ms() - 60_000
    put = aws(
        "logs", "put-log-events", "--log-group-name", group, "--log-stream-name", "web",
        "--log-events", f"timestamp={t},message=INFO started", f"timestamp={t + 1},message=ERROR boom",
    )
    assert put["nextSequenceToken"]
    assert not put.get("rejectedLogEventsInfo")

    got = aws("logs", "get-log-events", "--log-group-name", group, "--log-stream-name", "web",
              "--start-from-head")
    assert [(e["timestamp"], e["message"]) for e in got["events"]] == [
        (t, "INFO started"), (t + 1, "ERROR boom"),
    ]
    assert got["nextForwardToken"] and got["nextBackwardToken"]

    found = aws("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", "ERROR")
    assert [(e["logStreamName"], e["message"]) for e in found["events"]] == [("web", "ERROR boom")]

    aws("logs", "put-retention-policy", "--log-group-name", group, "--retention-in-days", "7")
    described = aws("logs", "describe-log-groups", "--log-group-name-prefix", group)
    [g] = described["logGroups"]
    assert g["logGroupName"] == group
    assert g["retentionInDays"] == 7
    assert g["arn"] == log_group_arn(group) + ":*"

    tags = aws("logs", "list-tags-for-resource", "--resource-arn", log_group_arn(group))
    assert tags["tags"] == {"team": "cli", "env": "dev"}

    aws("logs", "delete-log-group", "--log-group-name", group)
    assert aws("logs", "describe-log-groups", "--log-group-name-prefix", group)["logGroups"] == []


def test_cli_duplicate_log_group_error_code(aws):
    group = log_group_name("ctcli")
    aws("logs", "create-log-group", "--log-group-name", group)
    with pytest.raises(AwsCliError) as ei:
        aws("logs", "create-log-group", "--log-group-name", group)
    assert ei.value.code == "ResourceAlreadyExistsException"
    assert ei.value.returncode != 0


def test_cli_invalid_retention_error_code(aws):
    group = log_group_name("ctcli")
    aws("logs", "create-log-group", "--log-group-name", group)
    with pytest.raises(AwsCliError) as ei:
        aws("logs", "put-retention-policy", "--log-group-name", group, "--retention-in-days", "2")
    assert ei.value.code == "InvalidParameterException"


def test_cli_auto_paginates_describe_log_groups(aws):
    base = log_group_name("ctclipg")
    names = [f"{base}/{i}" for i in range(3)]
    for n in names:
        aws("logs", "create-log-group", "--log-group-name", n)
    out = aws("logs", "describe-log-groups", "--log-group-name-prefix", base, "--page-size", "1")
    assert [g["logGroupName"] for g in out["logGroups"]] == names


def test_cli_filter_log_events_auto_paginates(aws, tmp_path):
    group = log_group_name("ctclipg")
    aws("logs", "create-log-group", "--log-group-name", group)
    aws("logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "s")
    t = now_ms() - 60_000
    events = [{"timestamp": t + i, "message": f"line {i}"} for i in range(7)]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events))
    aws("logs", "put-log-events", "--log-group-name", group, "--log-stream-name", "s",
        "--log-events", f"file://{path}")
    out = aws("logs", "filter-log-events", "--log-group-name", group, "--page-size", "2")
    assert [e["message"] for e in out["events"]] == [e["message"] for e in events]


def test_cli_describe_log_streams_by_last_event_time(aws):
    group = log_group_name("ctcli")
    aws("logs", "create-log-group", "--log-group-name", group)
    t = now_ms() - 60_000
    for name, offset in [("a", 2000), ("b", 1000)]:
        aws("logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", name)
        aws("logs", "put-log-events", "--log-group-name", group, "--log-stream-name", name,
            "--log-events", f"timestamp={t + offset},message={name}")
    out = aws("logs", "describe-log-streams", "--log-group-name", group,
              "--order-by", "LastEventTime", "--descending")
    assert [s["logStreamName"] for s in out["logStreams"]] == ["a", "b"]
    assert out["logStreams"][0]["lastEventTimestamp"] == t + 2000


def test_cli_metric_filter_and_test_metric_filter(aws):
    group = log_group_name("ctcli")
    aws("logs", "create-log-group", "--log-group-name", group)
    aws("logs", "put-metric-filter", "--log-group-name", group, "--filter-name", "errors",
        "--filter-pattern", "ERROR",
        "--metric-transformations", "metricName=Errors,metricNamespace=ct-cli,metricValue=1")
    out = aws("logs", "describe-metric-filters", "--log-group-name", group)
    [f] = out["metricFilters"]
    assert (f["filterName"], f["filterPattern"]) == ("errors", "ERROR")
    assert f["metricTransformations"][0]["metricName"] == "Errors"
    tested = aws("logs", "test-metric-filter", "--filter-pattern", "[ip, user, status, size]",
                 "--log-event-messages", "127.0.0.1 frank 200 512", "not enough")
    [m] = tested["matches"]
    assert m["eventMessage"] == "127.0.0.1 frank 200 512"
    assert m["extractedValues"]["$status"] == "200"
