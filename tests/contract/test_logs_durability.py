"""CloudWatch Logs: everything acknowledged survives kill -9 and a restart on the same data dir."""

from ctutil import MINUTE_MS, log_group_arn, log_group_name, now_ms, put_events


def snapshot(logs, group):
    groups = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    events = {
        s["logStreamName"]: logs.get_log_events(
            logGroupName=group, logStreamName=s["logStreamName"], startFromHead=True
        )["events"]
        for s in streams
    }
    filtered = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")["events"]
    tags = logs.list_tags_for_resource(resourceArn=log_group_arn(group))["tags"]
    metric = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    subs = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    return groups, streams, events, filtered, tags, metric, subs


def test_logs_state_survives_kill_9(fresh_server, restart):
    logs = fresh_server.logs_client()
    group = log_group_name("ctdur")
    logs.create_log_group(logGroupName=group, tags={"team": "dur"})
    logs.put_retention_policy(logGroupName=group, retentionInDays=30)
    t = now_ms() - 10 * MINUTE_MS
    for s in ("a", "b"):
        logs.create_log_stream(logGroupName=group, logStreamName=s)
    put_events(logs, group, "a", [(t, "INFO a0"), (t + 2, "ERROR a2")])
    put_events(logs, group, "b", [(t + 1, "ERROR b1")])
    put_events(logs, group, "a", [(t + 3, "INFO a3")])
    logs.put_metric_filter(
        logGroupName=group, filterName="errors", filterPattern="ERROR",
        metricTransformations=[{"metricName": "Errors", "metricNamespace": "ct-dur", "metricValue": "1"}],
    )
    logs.put_subscription_filter(
        logGroupName=group, filterName="ship", filterPattern="",
        destinationArn="arn:aws:lambda:us-east-1:000000000000:function:ship",
    )
    logs.delete_log_stream(logGroupName=group, logStreamName="b")
    logs.create_log_stream(logGroupName=group, logStreamName="b")
    put_events(logs, group, "b", [(t + 4, "ERROR b4")])
    before = snapshot(logs, group)
    assert [e["message"] for e in before[3]] == ["ERROR a2", "ERROR b4"]

    restart()
    logs = fresh_server.logs_client()
    assert snapshot(logs, group) == before

    # And the service goes on after the restart.
    put_events(logs, group, "a", [(t + 5, "ERROR a5")])
    got = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")["events"]
    assert [e["message"] for e in got] == ["ERROR a2", "ERROR b4", "ERROR a5"]
