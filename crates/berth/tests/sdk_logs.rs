//! CloudWatch Logs through aws-sdk-cloudwatchlogs against the real binary: groups, streams,
//! events, filters, errors, accounts, and durability under kill -9.

#![allow(clippy::unwrap_used)]

mod common;

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use common::Berth;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn event(ts: i64, msg: &str) -> InputLogEvent {
    InputLogEvent::builder()
        .timestamp(ts)
        .message(msg)
        .build()
        .expect("event")
}

async fn group_with_stream(logs: &Client, group: &str, stream: &str) {
    logs.create_log_group()
        .log_group_name(group)
        .send()
        .await
        .expect("group");
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
        .expect("stream");
}

#[tokio::test]
async fn groups_streams_events_and_filters() {
    let berth = Berth::start();
    let logs = berth.logs_client().await;
    group_with_stream(&logs, "/ecs/web", "web/app/1").await;
    let dup = logs
        .create_log_group()
        .log_group_name("/ecs/web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Some("ResourceAlreadyExistsException"));

    let t = now_ms();
    let put = logs
        .put_log_events()
        .log_group_name("/ecs/web")
        .log_stream_name("web/app/1")
        .log_events(event(t, "GET /index 200"))
        .log_events(event(t + 1, "ERROR something broke"))
        .log_events(event(t + 2, r#"{"level":"error","latency":120}"#))
        .send()
        .await
        .expect("put");
    assert!(put.next_sequence_token().is_some());
    assert!(put.rejected_log_events_info().is_none());

    let got = logs
        .get_log_events()
        .log_group_name("/ecs/web")
        .log_stream_name("web/app/1")
        .start_from_head(true)
        .send()
        .await
        .expect("get");
    let messages: Vec<&str> = got.events().iter().filter_map(|e| e.message()).collect();
    assert_eq!(
        messages,
        [
            "GET /index 200",
            "ERROR something broke",
            r#"{"level":"error","latency":120}"#
        ]
    );
    // At the end the forward token repeats.
    let token = got.next_forward_token().expect("token").to_owned();
    let again = logs
        .get_log_events()
        .log_group_name("/ecs/web")
        .log_stream_name("web/app/1")
        .next_token(&token)
        .send()
        .await
        .expect("get again");
    assert!(again.events().is_empty());
    assert_eq!(again.next_forward_token(), Some(token.as_str()));

    for (pattern, expected) in [
        ("ERROR", 1),
        ("{ $.latency > 100 }", 1),
        ("?GET ?broke", 2),
        ("", 3),
    ] {
        let found = logs
            .filter_log_events()
            .log_group_name("/ecs/web")
            .filter_pattern(pattern)
            .send()
            .await
            .expect("filter");
        assert_eq!(found.events().len(), expected, "pattern {pattern:?}");
    }
    let bad = logs
        .filter_log_events()
        .log_group_name("/ecs/web")
        .filter_pattern("{ $.x = ")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some("InvalidParameterException"));

    let streams = logs
        .describe_log_streams()
        .log_group_name("/ecs/web")
        .send()
        .await
        .expect("streams");
    let s = &streams.log_streams()[0];
    assert_eq!(s.first_event_timestamp(), Some(t));
    assert_eq!(s.last_event_timestamp(), Some(t + 2));

    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/ecs")
        .send()
        .await
        .expect("groups");
    assert_eq!(
        groups.log_groups()[0].arn(),
        Some("arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*")
    );
}

#[tokio::test]
async fn client_mistakes_are_4xx_and_change_nothing() {
    let berth = Berth::start();
    let logs = berth.logs_client().await;
    let missing = logs
        .put_log_events()
        .log_group_name("nope")
        .log_stream_name("s")
        .log_events(event(now_ms(), "x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));
    group_with_stream(&logs, "g", "s").await;
    let t = now_ms();
    let unordered = logs
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(t, "b"))
        .log_events(event(t - 5, "a"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(unordered.code(), Some("InvalidParameterException"));
    let bad_name = logs
        .create_log_group()
        .log_group_name("no spaces")
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad_name.code(), Some("InvalidParameterException"));
    let retention = logs
        .put_retention_policy()
        .log_group_name("g")
        .retention_in_days(2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(retention.code(), Some("InvalidParameterException"));
    let got = logs
        .get_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .send()
        .await
        .expect("get");
    assert!(got.events().is_empty(), "a refused batch stores nothing");
}

#[tokio::test]
async fn each_account_sees_its_own_log_groups() {
    let berth = Berth::start();
    let a = berth.logs_client_with("111111111111", "x").await;
    let b = berth.logs_client_with("222222222222", "y").await;
    a.create_log_group()
        .log_group_name("mine")
        .send()
        .await
        .expect("a");
    let seen_by_b = b.describe_log_groups().send().await.expect("b");
    assert!(seen_by_b.log_groups().is_empty());
    let seen_by_a = a.describe_log_groups().send().await.expect("a lists");
    assert_eq!(
        seen_by_a.log_groups()[0].log_group_arn(),
        Some("arn:aws:logs:us-east-1:111111111111:log-group:mine")
    );
}

/// kill -9 in the middle of concurrent PutLogEvents: every acknowledged event is there
/// after the restart.
#[tokio::test]
async fn kill_9_during_a_put_storm_loses_no_acknowledged_event() {
    let mut berth = Berth::start();
    let logs = berth.logs_client().await;
    group_with_stream(&logs, "storm", "s0").await;
    for i in 1..4 {
        logs.create_log_stream()
            .log_group_name("storm")
            .log_stream_name(format!("s{i}"))
            .send()
            .await
            .expect("stream");
    }
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let logs = logs.clone();
        let acked = acked.clone();
        writers.push(tokio::spawn(async move {
            for batch in 0..10_000 {
                let t = now_ms();
                let mut put = logs
                    .put_log_events()
                    .log_group_name("storm")
                    .log_stream_name(format!("s{w}"));
                let ids: Vec<String> = (0..100).map(|i| format!("w{w}-b{batch}-e{i}")).collect();
                for id in &ids {
                    put = put.log_events(event(t, id));
                }
                match put.send().await {
                    Ok(_) => acked.lock().expect("acked").extend(ids),
                    Err(_) => break,
                }
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    berth.kill_and_restart();
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().expect("acked").clone();
    assert!(
        acked.len() >= 100,
        "the storm acknowledged something ({})",
        acked.len()
    );
    let logs = berth.logs_client().await;
    let mut stored = std::collections::HashSet::new();
    let mut token: Option<String> = None;
    loop {
        let page = logs
            .filter_log_events()
            .log_group_name("storm")
            .set_next_token(token.clone())
            .send()
            .await
            .expect("filter");
        stored.extend(
            page.events()
                .iter()
                .filter_map(|e| e.message().map(str::to_owned)),
        );
        match page.next_token() {
            Some(t) => token = Some(t.to_owned()),
            None => break,
        }
    }
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
}

/// Metric and subscription filters, tags and retention through the Rust SDK.
#[tokio::test]
async fn filters_tags_and_retention() {
    use aws_sdk_cloudwatchlogs::types::MetricTransformation;
    let berth = Berth::start();
    let logs = berth.logs_client().await;
    logs.create_log_group()
        .log_group_name("app")
        .tags("team", "core")
        .send()
        .await
        .unwrap();
    logs.put_metric_filter()
        .log_group_name("app")
        .filter_name("errors")
        .filter_pattern("[ip, user, status = 5*, size]")
        .metric_transformations(
            MetricTransformation::builder()
                .metric_name("Errors")
                .metric_namespace("App")
                .metric_value("1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let described = logs
        .describe_metric_filters()
        .log_group_name("app")
        .send()
        .await
        .unwrap();
    assert_eq!(described.metric_filters()[0].filter_name(), Some("errors"));
    let tested = logs
        .test_metric_filter()
        .filter_pattern("[ip, user, status = 5*, size]")
        .log_event_messages("10.0.0.1 bob 503 120")
        .log_event_messages("10.0.0.1 bob 200 120")
        .send()
        .await
        .unwrap();
    assert_eq!(tested.matches().len(), 1);
    assert_eq!(
        tested.matches()[0]
            .extracted_values()
            .and_then(|v| v.get("$status"))
            .map(String::as_str),
        Some("503")
    );
    logs.put_subscription_filter()
        .log_group_name("app")
        .filter_name("ship")
        .filter_pattern("")
        .destination_arn("arn:aws:lambda:us-east-1:000000000000:function:f")
        .send()
        .await
        .unwrap();
    let subs = logs
        .describe_subscription_filters()
        .log_group_name("app")
        .send()
        .await
        .unwrap();
    assert_eq!(subs.subscription_filters().len(), 1);
    logs.delete_subscription_filter()
        .log_group_name("app")
        .filter_name("ship")
        .send()
        .await
        .unwrap();
    logs.delete_metric_filter()
        .log_group_name("app")
        .filter_name("errors")
        .send()
        .await
        .unwrap();

    let arn = "arn:aws:logs:us-east-1:000000000000:log-group:app";
    logs.tag_resource()
        .resource_arn(arn)
        .tags("env", "dev")
        .send()
        .await
        .unwrap();
    logs.untag_resource()
        .resource_arn(arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().map(|t| t.len()), Some(1));
    assert_eq!(
        tags.tags().and_then(|t| t.get("env")).map(String::as_str),
        Some("dev")
    );

    logs.put_retention_policy()
        .log_group_name("app")
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("app")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(7));
    logs.delete_retention_policy()
        .log_group_name("app")
        .send()
        .await
        .unwrap();
    logs.delete_log_stream()
        .log_group_name("app")
        .log_stream_name("none")
        .send()
        .await
        .unwrap_err();
    logs.delete_log_group()
        .log_group_name("app")
        .send()
        .await
        .unwrap();
    let gone = logs
        .describe_log_groups()
        .log_group_name_prefix("app")
        .send()
        .await
        .unwrap();
    assert!(gone.log_groups().is_empty());
}
