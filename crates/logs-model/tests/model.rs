//! The generated CloudWatch Logs model: JSON round trips, validation and protocol facts.

use berth_logs_model::operations::{self, Operation};
use berth_logs_model::shapes::*;
use berth_logs_model::Validate;
use serde_json::{json, Value};

/// Parses `body` as `T`, serializes it back, and checks nothing was lost or added.
fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(body: Value) -> T {
    let parsed: T = serde_json::from_value(body.clone()).expect("parses");
    assert_eq!(serde_json::to_value(&parsed).expect("serializes"), body);
    parsed
}

#[test]
fn put_log_events_request_round_trips() {
    let req: PutLogEventsRequest = round_trip(json!({
        "logGroupName": "/berth/web",
        "logStreamName": "web/app/0123",
        "logEvents": [
            {"timestamp": 1_700_000_000_123_i64, "message": "started"},
            {"timestamp": 1_700_000_000_456_i64, "message": "ready"}
        ]
    }));
    let events = req.log_events.as_deref().expect("events");
    assert_eq!(events[0].timestamp, Some(1_700_000_000_123));
    assert_eq!(events[1].message.as_deref(), Some("ready"));
    assert!(req.violations().is_empty());
}

#[test]
fn filter_log_events_response_round_trips() {
    let resp: FilterLogEventsResponse = round_trip(json!({
        "events": [{
            "logStreamName": "web/app/0123",
            "timestamp": 1_700_000_000_123_i64,
            "message": "started",
            "ingestionTime": 1_700_000_000_200_i64,
            "eventId": "3757"
        }],
        "searchedLogStreams": [{"logStreamName": "web/app/0123", "searchedCompletely": true}],
        "nextToken": "t1"
    }));
    let streams = resp.searched_log_streams.as_deref().expect("streams");
    assert_eq!(streams[0].searched_completely, Some(true));
}

#[test]
fn absent_numbers_stay_absent() {
    // `limit` has a minimum of 1 and `endTime` bounds the search: reading their absence as 0
    // would reject the request or match nothing.
    let req: DescribeLogGroupsRequest = round_trip(json!({}));
    assert_eq!(req.limit, None);
    assert!(req.violations().is_empty());
    let req: FilterLogEventsRequest = round_trip(json!({"logGroupName": "g"}));
    assert_eq!(req.end_time, None);
}

#[test]
fn violations_name_the_members() {
    let req: PutLogEventsRequest = serde_json::from_value(json!({
        "logGroupName": "",
        "logEvents": [{"message": "no time"}]
    }))
    .expect("parses");
    assert_eq!(
        req.violations(),
        [
            "Value at 'logGroupName' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "Value null at 'logStreamName' failed to satisfy constraint: Member must not be null",
            "Value null at 'logEvents.0.timestamp' failed to satisfy constraint: Member must not be null",
        ]
    );
}

#[test]
fn recursive_shapes_are_boxed() {
    let t: LogFieldType = round_trip(json!({
        "type": "array",
        "element": {"type": "struct", "fields": [{"logFieldName": "a", "logFieldType": {"type": "string"}}]}
    }));
    assert_eq!(
        t.element.expect("element").r#type.as_deref(),
        Some("struct")
    );
}

#[test]
fn protocol_facts() {
    assert_eq!(operations::TARGET_PREFIX, "Logs_20140328");
    assert_eq!(operations::SIGNING_NAME, "logs");
    assert_eq!(operations::ENDPOINT_PREFIX, "logs");
    assert_eq!(operations::JSON_VERSION, "1.1");
    assert_eq!(operations::API_VERSION, "2014-03-28");
    assert_eq!(operations::PROTOCOLS, ["json"]);
    for op in Operation::ALL {
        assert_eq!(Operation::from_name(op.name()), Some(*op));
    }
    let op = Operation::from_name("PutLogEvents").expect("known");
    assert_eq!(op.input_shape(), Some("PutLogEventsRequest"));
    assert_eq!(op.output_shape(), Some("PutLogEventsResponse"));
    assert_eq!(Operation::CreateLogGroup.output_shape(), None);
}

#[test]
fn error_table() {
    let e = operations::error_info("ResourceNotFoundException").expect("declared");
    assert_eq!(
        (e.code, e.http_status, e.sender_fault),
        ("ResourceNotFoundException", 400, true)
    );
    let e = operations::error_info("ServiceUnavailableException").expect("declared");
    assert_eq!((e.http_status, e.sender_fault), (500, false));
    assert!(operations::error_info("NoSuchThing").is_none());
    assert!(operations::ERRORS.iter().all(|e| !e.shape.is_empty()));
}
