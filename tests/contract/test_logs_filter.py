"""CloudWatch Logs FilterLogEvents: streams, time ranges, filter patterns, pagination."""

import pytest

from ctutil import (
    MINUTE_MS,
    expect_error,
    filter_all,
    log_group_arn,
    log_group_name,
    now_ms,
    put_events,
)


def messages(events) -> list:
    return [e["message"] for e in events]


def make_group(logs, streams: dict, base: int | None = None):
    """A group whose streams hold ``{stream: [(offset_ms, message), ...]}``; returns (group, base)."""
    group = log_group_name("ctfilter")
    logs.create_log_group(logGroupName=group)
    base = base if base is not None else now_ms() - 30 * MINUTE_MS
    for stream, events in streams.items():
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        if events:
            put_events(logs, group, stream, [(base + off, msg) for off, msg in events])
    return group, base


@pytest.fixture
def interleaved(logs):
    group, base = make_group(logs, {
        "a": [(0, "a0"), (2000, "a2"), (4000, "a4")],
        "b": [(1000, "b1"), (3000, "b3")],
        "other": [(5000, "o5")],
    })
    return group, base


def test_filter_interleaves_streams_by_timestamp(logs, interleaved):
    group, base = interleaved
    before = now_ms()
    events = filter_all(logs, logGroupName=group)
    assert [(e["logStreamName"], e["message"], e["timestamp"]) for e in events] == [
        ("a", "a0", base), ("b", "b1", base + 1000), ("a", "a2", base + 2000),
        ("b", "b3", base + 3000), ("a", "a4", base + 4000), ("other", "o5", base + 5000),
    ]
    ids = [e["eventId"] for e in events]
    assert all(isinstance(i, str) and i for i in ids), ids
    assert len(set(ids)) == len(ids), "eventIds are unique"
    for e in events:
        assert e["ingestionTime"] <= before + 1000


def test_filter_by_log_stream_names(logs, interleaved):
    group, _ = interleaved
    assert messages(filter_all(logs, logGroupName=group, logStreamNames=["b"])) == ["b1", "b3"]
    assert messages(filter_all(logs, logGroupName=group, logStreamNames=["b", "other"])) == [
        "b1", "b3", "o5",
    ]


def test_filter_by_log_stream_name_prefix(logs):
    group, _ = make_group(logs, {
        "web-1": [(0, "w1")], "web-2": [(1000, "w2")], "db-1": [(500, "d1")],
    })
    assert messages(filter_all(logs, logGroupName=group, logStreamNamePrefix="web-")) == ["w1", "w2"]


def test_filter_stream_names_and_prefix_are_exclusive(logs, interleaved):
    group, _ = interleaved
    with expect_error("InvalidParameterException", status=400):
        logs.filter_log_events(logGroupName=group, logStreamNames=["a"], logStreamNamePrefix="a")


def test_filter_time_range(logs, interleaved):
    group, base = interleaved
    events = filter_all(logs, logGroupName=group, startTime=base + 1000, endTime=base + 3000)
    # Events before startTime and after endTime are left out; both bounds are kept.
    assert messages(events) == ["b1", "a2", "b3"]


def test_filter_by_group_arn(logs, interleaved):
    group, _ = interleaved
    assert messages(filter_all(logs, logGroupIdentifier=log_group_arn(group))) == [
        "a0", "b1", "a2", "b3", "a4", "o5",
    ]


def test_filter_name_and_identifier_are_exclusive(logs, interleaved):
    group, _ = interleaved
    with expect_error("InvalidParameterException"):
        logs.filter_log_events(logGroupName=group, logGroupIdentifier=log_group_arn(group))


def test_filter_unknown_group(logs):
    with expect_error("ResourceNotFoundException", status=400):
        logs.filter_log_events(logGroupName=log_group_name("missing"))


def test_filter_newest_first(logs, interleaved):
    group, base = interleaved
    events = filter_all(logs, logGroupName=group, startTime=base, startFromHead=False)
    assert messages(events) == ["o5", "a4", "b3", "a2", "b1", "a0"]


PATTERN_CASES = [
    # (id, pattern, messages, indexes of the messages that match)
    ("term", "ERROR",
     ["ERROR 400 bad request", "INFO all good", "error in lowercase", "WARN then ERROR later"],
     [0, 3]),
    ("all-terms", "ERROR ARGUMENTS",
     ["ERROR ARGUMENTS missing", "ERROR only", "ARGUMENTS only", "ARGUMENTS before ERROR"],
     [0, 3]),
    ("quoted-phrase", '"Exiting with ERRORCODE"',
     ["ERROR Exiting with ERRORCODE: -1", "Exiting ERRORCODE with", "exiting with errorcode",
      "Exiting with ERRORCODE"],
     [0, 3]),
    ("any-term", "?ERROR ?WARN",
     ["ERROR one", "WARN two", "INFO three", "DEBUG four"],
     [0, 1]),
    ("exclude-term", "ERROR -Exiting",
     ["ERROR 400 bad request", "ERROR Exiting with code 1", "INFO Exiting", "ERROR again"],
     [0, 3]),
    ("empty-matches-all", "",
     ["one", "two"],
     [0, 1]),
    ("json-string", '{ $.level = "error" }',
     ['{"level":"error","msg":"boom"}', '{"level":"info","msg":"ok"}',
      'level = error but not JSON', '{"msg":"no level"}', '{"level":"error"}'],
     [0, 4]),
    ("json-number", "{ $.latency > 100 }",
     ['{"latency": 250}', '{"latency": 50}', '{"latency": 100}', '{"other": 500}'],
     [0]),
    ("json-and", '{ ($.level = "error") && ($.code = 500) }',
     ['{"level":"error","code":500}', '{"level":"error","code":404}',
      '{"level":"info","code":500}'],
     [0]),
    ("json-nested", '{ $.user.id = 7 }',
     ['{"user":{"id":7}}', '{"user":{"id":8}}', '{"id":7}'],
     [0]),
    ("delimited-wildcard", "[ip, user, status = 4*, size]",
     ["127.0.0.1 frank 404 512", "10.0.0.1 bob 200 100", "10.0.0.2 alice 403 7",
      "10.0.0.3 carol 500 1"],
     [0, 2]),
    ("delimited-number", "[ip, user, status >= 500, size]",
     ["127.0.0.1 frank 404 512", "10.0.0.1 bob 200 100", "10.0.0.3 carol 503 1"],
     [2]),
    ("regex", "%ERROR-4[0-9]+%",
     ["ERROR-404 not found", "ERROR-500 oops", "WARN-401", "see ERROR-418"],
     [0, 3]),
]


@pytest.mark.parametrize(
    "pattern,msgs,expected",
    [c[1:] for c in PATTERN_CASES],
    ids=[c[0] for c in PATTERN_CASES],
)
def test_filter_pattern(logs, pattern, msgs, expected):
    group, _ = make_group(logs, {"s": [(i * 1000, m) for i, m in enumerate(msgs)]})
    got = messages(filter_all(logs, logGroupName=group, filterPattern=pattern))
    assert got == [msgs[i] for i in expected], f"pattern {pattern!r}"


@pytest.mark.parametrize(
    "pattern",
    ['{ $.level = "error"', "[ip, user", "{ $.level = }", '{ $.level "error" }'],
    ids=["unclosed-json", "unclosed-delimited", "json-missing-value", "json-missing-operator"],
)
def test_filter_invalid_pattern(logs, interleaved, pattern):
    group, _ = interleaved
    with expect_error("InvalidParameterException", status=400):
        logs.filter_log_events(logGroupName=group, filterPattern=pattern)


def test_filter_pagination_returns_every_event_once(logs):
    streams = {f"s{k}": [(i * 3 + k, f"s{k} event {i}") for i in range(9)] for k in range(3)}
    group, base = make_group(logs, streams)
    expected = sorted(
        ((base + off, msg) for evs in streams.values() for off, msg in evs)
    )
    pages = []
    token = None
    events = []
    for _ in range(100):
        kwargs = {"logGroupName": group, "limit": 4}
        if token:
            kwargs["nextToken"] = token
        resp = logs.filter_log_events(**kwargs)
        assert len(resp["events"]) <= 4
        pages.append(len(resp["events"]))
        events += resp["events"]
        token = resp.get("nextToken")
        if not token:
            break
    assert token is None, "pagination did not end"
    assert [(e["timestamp"], e["message"]) for e in events] == expected, pages
    assert len({e["eventId"] for e in events}) == len(expected)


def test_filter_pagination_with_pattern(logs):
    msgs = [("ERROR" if i % 3 == 0 else "INFO") + f" line {i}" for i in range(20)]
    group, _ = make_group(logs, {"s": [(i * 10, m) for i, m in enumerate(msgs)]})
    got = []
    for page in logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, filterPattern="ERROR", PaginationConfig={"PageSize": 2}
    ):
        got += messages(page["events"])
    assert got == [m for m in msgs if m.startswith("ERROR")]
