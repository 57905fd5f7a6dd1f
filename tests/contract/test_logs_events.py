"""CloudWatch Logs events: PutLogEvents (limits, rejected events) and GetLogEvents (paging)."""

from collections import Counter

import pytest

from ctutil import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    expect_error,
    log_group_arn,
    log_group_name,
    make_stream,
    now_ms,
    put_events,
)

MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26


def messages(events) -> list:
    return [e["message"] for e in events]


def read_all(logs, group, stream) -> list:
    """Every event of a stream, oldest first, by forward paging from the head."""
    events = []
    token = None
    for _ in range(50):
        kwargs = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token:
            kwargs["nextToken"] = token
        resp = logs.get_log_events(**kwargs)
        events += resp["events"]
        if resp["nextForwardToken"] == token:
            return events
        token = resp["nextForwardToken"]
    raise AssertionError("nextForwardToken never came back unchanged")


@pytest.fixture
def stream(logs):
    return make_stream(logs, log_group_name("ctev"))


@pytest.fixture
def five(logs, stream):
    """A stream holding five events one second apart, in one batch."""
    group, name = stream
    base = now_ms() - 10 * MINUTE_MS
    events = [(base + i * 1000, f"event {i}") for i in range(5)]
    put_events(logs, group, name, events)
    return group, name, base, [m for _, m in events]


# ---------------------------------------------------------------------------
# PutLogEvents
# ---------------------------------------------------------------------------


def test_put_log_events_returns_token_and_events_are_readable(logs, stream):
    group, name = stream
    t = now_ms() - MINUTE_MS
    before = now_ms()
    resp = put_events(logs, group, name, [(t, "hello"), (t + 1, "héllo ✓ 世界\ttab\nnewline")])
    after = now_ms()
    assert isinstance(resp["nextSequenceToken"], str) and resp["nextSequenceToken"]
    assert not resp.get("rejectedLogEventsInfo"), resp.get("rejectedLogEventsInfo")
    events = logs.get_log_events(logGroupName=group, logStreamName=name, startFromHead=True)["events"]
    assert [(e["timestamp"], e["message"]) for e in events] == [
        (t, "hello"), (t + 1, "héllo ✓ 世界\ttab\nnewline"),
    ]
    for e in events:
        assert before - 1000 <= e["ingestionTime"] <= after + 1000


def test_put_log_events_sequence_token_is_ignored(logs, stream):
    group, name = stream
    t = now_ms() - MINUTE_MS
    first = put_events(logs, group, name, [(t, "one")], sequenceToken="not-a-real-token")
    # The same (stale) token twice, then a made-up one: all accepted.
    put_events(logs, group, name, [(t + 1, "two")], sequenceToken=first["nextSequenceToken"])
    put_events(logs, group, name, [(t + 2, "three")], sequenceToken=first["nextSequenceToken"])
    put_events(logs, group, name, [(t + 3, "four")], sequenceToken="49039859" * 7)
    assert messages(read_all(logs, group, name)) == ["one", "two", "three", "four"]


def test_put_log_events_equal_timestamps(logs, stream):
    group, name = stream
    t = now_ms() - MINUTE_MS
    put_events(logs, group, name, [(t, "a"), (t, "b"), (t, "c")])
    events = read_all(logs, group, name)
    assert Counter(messages(events)) == Counter(["a", "b", "c"])
    assert {e["timestamp"] for e in events} == {t}


def test_put_log_events_unknown_stream(logs, stream):
    group, _ = stream
    with expect_error("ResourceNotFoundException", status=400):
        put_events(logs, group, "no-such-stream", [(now_ms(), "x")])


def test_put_log_events_unknown_group(logs):
    with expect_error("ResourceNotFoundException", status=400):
        put_events(logs, log_group_name("missing"), "s", [(now_ms(), "x")])


def test_put_log_events_out_of_order(logs, stream):
    group, name = stream
    t = now_ms() - MINUTE_MS
    with expect_error("InvalidParameterException", status=400):
        put_events(logs, group, name, [(t, "a"), (t + 2000, "b"), (t + 1000, "c")])
    assert read_all(logs, group, name) == [], "a refused batch stores nothing"


def test_put_log_events_batch_spanning_more_than_24_hours(logs, stream):
    group, name = stream
    t = now_ms()
    with expect_error("InvalidParameterException", status=400):
        put_events(logs, group, name, [(t - 25 * HOUR_MS, "old"), (t - MINUTE_MS, "new")])
    assert read_all(logs, group, name) == []


def test_put_log_events_batch_within_24_hours_is_accepted(logs, stream):
    group, name = stream
    t = now_ms()
    put_events(logs, group, name, [(t - 23 * HOUR_MS, "old"), (t - MINUTE_MS, "new")])
    assert messages(read_all(logs, group, name)) == ["old", "new"]


def test_put_log_events_10000_events_accepted_10001_refused(logs, stream):
    group, name = stream
    t = now_ms() - MINUTE_MS
    with expect_error("InvalidParameterException", status=400):
        put_events(logs, group, name, [(t, "x")] * 10_001)
    resp = put_events(logs, group, name, [(t, "x")] * 10_000)
    assert not resp.get("rejectedLogEventsInfo")


def test_put_log_events_batch_size_counts_26_bytes_per_event(logs, stream):
    group, name = stream
    t = now_ms() - MINUTE_MS
    # 8 × (131,046 + 26) = 1,048,576 bytes exactly: the largest batch allowed.
    fits = MAX_BATCH_BYTES // 8 - EVENT_OVERHEAD
    put_events(logs, group, name, [(t, "a" * fits)] * 8)
    # One byte more per message: the messages alone (1,048,376 bytes) are under the
    # limit, but with 26 bytes per event the batch is 8 bytes over it.
    with expect_error("InvalidParameterException", status=400):
        put_events(logs, group, name, [(t, "b" * (fits + 1))] * 8)


def test_put_log_events_full_batch_of_small_events(logs, stream):
    group, name = stream
    t = now_ms() - MINUTE_MS
    # 10,000 × (78 + 26) = 1,040,000 bytes: within both the count and the size limit,
    # although the JSON request that carries it is well over 1 MiB.
    resp = put_events(logs, group, name, [(t, "m" * 78)] * 10_000)
    assert not resp.get("rejectedLogEventsInfo")


def test_put_log_events_batch_size_counts_utf8_bytes(logs, stream):
    group, name = stream
    t = now_ms() - MINUTE_MS
    # 8 events of 65,524 'é': 524,192 characters but 1,048,384 UTF-8 bytes of
    # message, 1,048,592 bytes with the per-event overhead.
    with expect_error("InvalidParameterException", status=400):
        put_events(logs, group, name, [(t, "é" * 65_524)] * 8)


def test_put_log_events_too_old_and_too_new_are_rejected_rest_kept(logs, stream):
    group, name = stream
    t = now_ms()
    resp = put_events(
        logs, group, name,
        [
            (t - 20 * DAY_MS, "too old 0"),
            (t - 15 * DAY_MS, "too old 1"),
            (t - 2 * MINUTE_MS, "kept 2"),
            (t - 1 * MINUTE_MS, "kept 3"),
            (t + 3 * HOUR_MS, "too new 4"),
            (t + 4 * HOUR_MS, "too new 5"),
        ],
    )
    info = resp["rejectedLogEventsInfo"]
    assert info.get("tooOldLogEventEndIndex") == 2, info  # exclusive end
    assert info.get("tooNewLogEventStartIndex") == 4, info  # inclusive start
    assert "expiredLogEventEndIndex" not in info, info
    assert messages(read_all(logs, group, name)) == ["kept 2", "kept 3"]


def test_put_log_events_older_than_retention_are_expired(logs):
    group, name = make_stream(logs, log_group_name("ctret"))
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    t = now_ms()
    resp = put_events(
        logs, group, name,
        [(t - 3 * DAY_MS, "expired 0"), (t - 2 * DAY_MS, "expired 1"), (t - MINUTE_MS, "kept 2")],
    )
    info = resp["rejectedLogEventsInfo"]
    assert info.get("expiredLogEventEndIndex") == 2, info
    assert "tooNewLogEventStartIndex" not in info, info
    assert messages(read_all(logs, group, name)) == ["kept 2"]


@pytest.mark.parametrize(
    "offset,retention,field",
    [(-15 * DAY_MS, None, "tooOldLogEventEndIndex"),
     (3 * HOUR_MS, None, "tooNewLogEventStartIndex"),
     (-30 * HOUR_MS, 1, "expiredLogEventEndIndex")],
    ids=["too-old", "too-new", "expired"],
)
def test_put_log_events_single_rejected_event(logs, offset, retention, field):
    # One event, so no batch span is involved: only the per-event rule applies.
    group, name = make_stream(logs, log_group_name("ctrej"))
    if retention:
        logs.put_retention_policy(logGroupName=group, retentionInDays=retention)
    resp = put_events(logs, group, name, [(now_ms() + offset, "rejected")])
    expected = 0 if field == "tooNewLogEventStartIndex" else 1
    assert resp.get("rejectedLogEventsInfo") == {field: expected}, resp.get("rejectedLogEventsInfo")
    assert read_all(logs, group, name) == []


def test_put_log_events_too_new_within_one_batch(logs, stream):
    group, name = stream
    t = now_ms()
    resp = put_events(logs, group, name, [(t - MINUTE_MS, "kept"), (t + 3 * HOUR_MS, "too new")])
    assert resp["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    assert messages(read_all(logs, group, name)) == ["kept"]


def test_put_log_events_all_rejected_stores_nothing(logs, stream):
    group, name = stream
    t = now_ms()
    resp = put_events(logs, group, name, [(t + 3 * HOUR_MS, "a"), (t + 4 * HOUR_MS, "b")])
    assert resp["rejectedLogEventsInfo"].get("tooNewLogEventStartIndex") == 0
    assert read_all(logs, group, name) == []


# ---------------------------------------------------------------------------
# GetLogEvents
# ---------------------------------------------------------------------------


def test_get_log_events_default_returns_latest(logs, five):
    group, name, _, msgs = five
    resp = logs.get_log_events(logGroupName=group, logStreamName=name)
    assert messages(resp["events"]) == msgs, "everything fits: oldest first within the page"
    latest = logs.get_log_events(logGroupName=group, logStreamName=name, limit=2)
    assert messages(latest["events"]) == msgs[3:], "startFromHead=false: the latest events"
    assert latest["nextForwardToken"] and latest["nextBackwardToken"]


def test_get_log_events_start_from_head(logs, five):
    group, name, _, msgs = five
    resp = logs.get_log_events(logGroupName=group, logStreamName=name, startFromHead=True, limit=2)
    assert messages(resp["events"]) == msgs[:2]


def test_get_log_events_time_range(logs, five):
    group, name, base, msgs = five
    resp = logs.get_log_events(
        logGroupName=group, logStreamName=name, startFromHead=True,
        startTime=base + 1000, endTime=base + 3000,
    )
    # startTime is inclusive, endTime exclusive.
    assert messages(resp["events"]) == msgs[1:3]


def test_get_log_events_forward_paging_until_token_repeats(logs, five):
    group, name, _, msgs = five
    seen = []
    token = None
    last_page = None
    for _ in range(20):
        kwargs = {"logGroupName": group, "logStreamName": name, "startFromHead": True, "limit": 2}
        if token:
            kwargs["nextToken"] = token
        resp = logs.get_log_events(**kwargs)
        assert len(resp["events"]) <= 2
        seen += messages(resp["events"])
        last_page = resp
        if resp["nextForwardToken"] == token:
            break
        token = resp["nextForwardToken"]
    else:
        pytest.fail("nextForwardToken never came back unchanged at the end of the stream")
    assert seen == msgs, "forward paging returns every event once, oldest first"
    assert last_page["events"] == []


def test_get_log_events_backward_paging(logs, five):
    group, name, _, msgs = five
    pages = []
    token = None
    for _ in range(20):
        kwargs = {"logGroupName": group, "logStreamName": name, "limit": 2}
        if token:
            kwargs["nextToken"] = token
        resp = logs.get_log_events(**kwargs)
        assert len(resp["events"]) <= 2
        pages.append(messages(resp["events"]))
        if resp["nextBackwardToken"] == token:
            break
        token = resp["nextBackwardToken"]
    else:
        pytest.fail("nextBackwardToken never came back unchanged at the start of the stream")
    assert pages[0] == msgs[3:]
    seen = [m for page in reversed(pages) for m in page]
    assert seen == msgs, f"backward paging returns every event once (pages {pages})"


def test_get_log_events_backward_then_forward(logs, five):
    group, name, _, msgs = five
    tail = logs.get_log_events(logGroupName=group, logStreamName=name, limit=2)
    assert messages(tail["events"]) == msgs[3:]
    back = logs.get_log_events(logGroupName=group, logStreamName=name, limit=2,
                               nextToken=tail["nextBackwardToken"])
    assert messages(back["events"]) == msgs[1:3]
    # From that page, forward goes to what follows it again.
    fwd = logs.get_log_events(logGroupName=group, logStreamName=name, limit=2,
                              startFromHead=True, nextToken=back["nextForwardToken"])
    assert messages(fwd["events"]) == msgs[3:]


def test_get_log_events_forward_token_sees_later_events(logs, five):
    group, name, base, msgs = five
    resp = logs.get_log_events(logGroupName=group, logStreamName=name, startFromHead=True)
    assert messages(resp["events"]) == msgs
    token = resp["nextForwardToken"]
    put_events(logs, group, name, [(base + 10_000, "event 5")])
    resp = logs.get_log_events(
        logGroupName=group, logStreamName=name, startFromHead=True, nextToken=token
    )
    assert messages(resp["events"]) == ["event 5"]


def test_get_log_events_by_group_arn(logs, five):
    group, name, _, msgs = five
    resp = logs.get_log_events(
        logGroupIdentifier=log_group_arn(group), logStreamName=name, startFromHead=True
    )
    assert messages(resp["events"]) == msgs


def test_get_log_events_name_and_identifier_are_exclusive(logs, five):
    group, name, _, _ = five
    with expect_error("InvalidParameterException"):
        logs.get_log_events(
            logGroupName=group, logGroupIdentifier=log_group_arn(group), logStreamName=name
        )


def test_get_log_events_unknown_stream(logs, stream):
    group, _ = stream
    with expect_error("ResourceNotFoundException", status=400):
        logs.get_log_events(logGroupName=group, logStreamName="nope")


def test_get_log_events_empty_stream(logs, stream):
    group, name = stream
    resp = logs.get_log_events(logGroupName=group, logStreamName=name)
    assert resp["events"] == []
    assert resp["nextForwardToken"] and resp["nextBackwardToken"], "the tokens are never null"
