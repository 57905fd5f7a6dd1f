"""CloudWatch Logs log streams: CreateLogStream, DescribeLogStreams, DeleteLogStream."""

import pytest

from ctutil import (
    MINUTE_MS,
    expect_error,
    get_stream,
    log_group_arn,
    log_group_name,
    log_stream_arn,
    now_ms,
    put_events,
)


def names_of(resp) -> list:
    return [s["logStreamName"] for s in resp["logStreams"]]


@pytest.fixture
def group(logs):
    name = log_group_name("ctstream")
    logs.create_log_group(logGroupName=name)
    return name


def test_create_log_stream_then_describe(logs, group):
    before = now_ms()
    logs.create_log_stream(logGroupName=group, logStreamName="app/web-1")
    after = now_ms()
    stream = get_stream(logs, group, "app/web-1")
    assert stream["arn"] == log_stream_arn(group, "app/web-1")
    assert before - 1000 <= stream["creationTime"] <= after + 1000
    for absent in ("firstEventTimestamp", "lastEventTimestamp", "lastIngestionTime"):
        assert absent not in stream, f"{absent} only appears once the stream has events"


def test_create_duplicate_log_stream(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="dup")
    with expect_error("ResourceAlreadyExistsException", status=400):
        logs.create_log_stream(logGroupName=group, logStreamName="dup")
    assert names_of(logs.describe_log_streams(logGroupName=group)) == ["dup"]


def test_same_stream_name_in_two_groups(logs, group):
    other = log_group_name("ctstream")
    logs.create_log_group(logGroupName=other)
    logs.create_log_stream(logGroupName=group, logStreamName="same")
    logs.create_log_stream(logGroupName=other, logStreamName="same")
    assert get_stream(logs, other, "same")["arn"] == log_stream_arn(other, "same")


def test_create_log_stream_in_unknown_group(logs):
    with expect_error("ResourceNotFoundException", status=400):
        logs.create_log_stream(logGroupName=log_group_name("missing"), logStreamName="s")


@pytest.mark.parametrize("name", ["has:colon", "has*star"], ids=["colon", "asterisk"])
def test_create_log_stream_rejects_invalid_name(logs, group, name):
    with expect_error("InvalidParameterException"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)


def test_describe_log_streams_unknown_group(logs):
    with expect_error("ResourceNotFoundException", status=400):
        logs.describe_log_streams(logGroupName=log_group_name("missing"))


def test_describe_log_streams_prefix_and_name_order(logs, group):
    for n in ["web-2", "db-1", "web-10", "web-1", "Web-3"]:
        logs.create_log_stream(logGroupName=group, logStreamName=n)
    assert names_of(logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="web-")) == [
        "web-1", "web-10", "web-2",
    ]
    assert names_of(logs.describe_log_streams(logGroupName=group)) == [
        "Web-3", "db-1", "web-1", "web-10", "web-2",
    ]
    assert names_of(
        logs.describe_log_streams(logGroupName=group, orderBy="LogStreamName", descending=True)
    ) == ["web-2", "web-10", "web-1", "db-1", "Web-3"]


def test_describe_log_streams_by_group_arn(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    resp = logs.describe_log_streams(logGroupIdentifier=log_group_arn(group))
    assert names_of(resp) == ["s"]


def test_describe_log_streams_name_and_identifier_are_exclusive(logs, group):
    with expect_error("InvalidParameterException"):
        logs.describe_log_streams(logGroupName=group, logGroupIdentifier=log_group_arn(group))


def test_describe_log_streams_order_by_last_event_time(logs, group):
    base = now_ms() - 30 * MINUTE_MS
    # Name order a, b, c; last-event order b, c, a.
    last = {"a": base + 3000, "b": base + 1000, "c": base + 2000}
    for n, t in last.items():
        logs.create_log_stream(logGroupName=group, logStreamName=n)
        put_events(logs, group, n, [(t - 500, f"{n} first"), (t, f"{n} last")])
    asc = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime")
    assert names_of(asc) == ["b", "c", "a"]
    desc = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)
    assert names_of(desc) == ["a", "c", "b"]
    for s in desc["logStreams"]:
        assert s["lastEventTimestamp"] == last[s["logStreamName"]]


def test_describe_log_streams_prefix_with_last_event_time_is_rejected(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    with expect_error("InvalidParameterException", status=400):
        logs.describe_log_streams(
            logGroupName=group, logStreamNamePrefix="s", orderBy="LastEventTime"
        )


def test_describe_log_streams_pagination(logs, group):
    names = [f"s{i:02d}" for i in range(7)]
    for n in reversed(names):
        logs.create_log_stream(logGroupName=group, logStreamName=n)
    seen = []
    token = None
    for _ in range(10):
        kwargs = {"logGroupName": group, "limit": 3}
        if token:
            kwargs["nextToken"] = token
        resp = logs.describe_log_streams(**kwargs)
        assert len(resp["logStreams"]) <= 3
        seen += names_of(resp)
        token = resp.get("nextToken")
        if not token:
            break
    assert token is None, "pagination did not end"
    assert seen == names
    paged = []
    for page in logs.get_paginator("describe_log_streams").paginate(
        logGroupName=group, descending=True, PaginationConfig={"PageSize": 2}
    ):
        paged += names_of(page)
    assert paged == list(reversed(names))


def test_describe_log_streams_last_event_time_pagination(logs, group):
    base = now_ms() - 30 * MINUTE_MS
    # Name order is the reverse of last-event order, so a token that forgets the
    # ordering shows.
    names = [f"s{i}" for i in range(5)]
    for i, n in enumerate(names):
        logs.create_log_stream(logGroupName=group, logStreamName=n)
        put_events(logs, group, n, [(base + (10 - i) * 1000, n)])
    seen = []
    for page in logs.get_paginator("describe_log_streams").paginate(
        logGroupName=group, orderBy="LastEventTime", PaginationConfig={"PageSize": 2}
    ):
        assert len(page["logStreams"]) <= 2
        seen += names_of(page)
    assert seen == list(reversed(names))


def test_stream_event_times_after_puts(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t0 = now_ms() - 20 * MINUTE_MS
    before = now_ms()
    put_events(logs, group, "s", [(t0 + 1000, "one"), (t0 + 2000, "two")])
    put_events(logs, group, "s", [(t0, "earlier"), (t0 + 5000, "later")])
    after = now_ms()
    stream = get_stream(logs, group, "s")
    assert stream["firstEventTimestamp"] == t0
    assert stream["lastEventTimestamp"] == t0 + 5000
    assert before - 1000 <= stream["lastIngestionTime"] <= after + 1000


def test_delete_log_stream(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="gone")
    logs.create_log_stream(logGroupName=group, logStreamName="kept")
    put_events(logs, group, "gone", [(now_ms(), "bye")])
    logs.delete_log_stream(logGroupName=group, logStreamName="gone")
    assert names_of(logs.describe_log_streams(logGroupName=group)) == ["kept"]
    with expect_error("ResourceNotFoundException", status=400):
        logs.delete_log_stream(logGroupName=group, logStreamName="gone")
    with expect_error("ResourceNotFoundException"):
        logs.get_log_events(logGroupName=group, logStreamName="gone")
    with expect_error("ResourceNotFoundException"):
        put_events(logs, group, "gone", [(now_ms(), "again")])
    # Recreated, it holds none of the old events.
    logs.create_log_stream(logGroupName=group, logStreamName="gone")
    assert logs.get_log_events(logGroupName=group, logStreamName="gone")["events"] == []


def test_delete_log_stream_in_unknown_group(logs):
    with expect_error("ResourceNotFoundException"):
        logs.delete_log_stream(logGroupName=log_group_name("missing"), logStreamName="s")
