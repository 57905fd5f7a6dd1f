//! Where shipped lines go: the [`LogSink`] trait, and [`CloudWatchLogs`], the CloudWatch Logs
//! service on Berth's endpoint (AWS JSON 1.1, `Logs_20140328.*`, signed for `logs`).

use std::sync::Mutex;
use std::time::Duration;

use berth_client::{Client, Endpoint, Error as ClientError, LOGS_PREFIX, LOGS_SERVICE};
use serde_json::{json, Value};

pub const ALREADY_EXISTS: &str = "ResourceAlreadyExistsException";
pub const NOT_FOUND: &str = "ResourceNotFoundException";
pub const INVALID_PARAMETER: &str = "InvalidParameterException";
/// What a control plane without the CloudWatch Logs service answers.
pub const UNKNOWN_OPERATION: &str = "UnknownOperationException";

/// One event of a PutLogEvents call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvent {
    /// ms since the epoch.
    pub timestamp: i64,
    pub message: String,
}

/// A failed call.
#[derive(Clone, Debug, thiserror::Error)]
pub enum SinkError {
    /// The service answered with an error.
    #[error("{code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// No answer (unreachable, cut off, too slow); the call may or may not have been applied.
    #[error("{0}")]
    Unavailable(String),
}

impl SinkError {
    pub fn api(status: u16, code: &str, message: &str) -> Self {
        SinkError::Api {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            SinkError::Api { code, .. } => Some(code),
            SinkError::Unavailable(_) => None,
        }
    }

    /// The group (for a stream) or the stream (for events) does not exist.
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(NOT_FOUND)
    }

    /// The endpoint does not serve CloudWatch Logs (a control plane older than the agent).
    pub fn is_unserved(&self) -> bool {
        self.code() == Some(UNKNOWN_OPERATION)
    }

    /// Worth trying again as it is: no answer, a server fault, or throttling.
    pub fn is_transient(&self) -> bool {
        match self {
            SinkError::Unavailable(_) => true,
            SinkError::Api { status, code, .. } => {
                *status >= 500
                    || matches!(
                        code.as_str(),
                        "ThrottlingException" | "ServiceUnavailableException"
                    )
            }
        }
    }
}

/// CloudWatch Logs as the agent uses it.
#[async_trait::async_trait]
pub trait LogSink: Send + Sync + 'static {
    /// CreateLogGroup; a group that exists already is fine.
    async fn ensure_group(&self, group: &str) -> Result<(), SinkError>;
    /// CreateLogStream; a stream that exists already is fine. ResourceNotFoundException:
    /// the group does not exist.
    async fn ensure_stream(&self, group: &str, stream: &str) -> Result<(), SinkError>;
    /// PutLogEvents; `events` are in timestamp order and within the service's limits.
    async fn put_events(
        &self,
        group: &str,
        stream: &str,
        events: &[LogEvent],
    ) -> Result<(), SinkError>;
}

/// How long one call may take.
const CALL_DEADLINE: Duration = Duration::from_secs(30);
/// Idle connections kept for the next calls.
const IDLE_CONNECTIONS: usize = 4;

/// The real sink: Berth's CloudWatch Logs over signed connections (a few kept open, so
/// shippers of several containers do not queue behind one another).
pub struct CloudWatchLogs {
    endpoint: Endpoint,
    idle: Mutex<Vec<Client>>,
}

impl CloudWatchLogs {
    pub fn new(endpoint: Endpoint) -> Self {
        CloudWatchLogs {
            endpoint,
            idle: Mutex::new(Vec::new()),
        }
    }

    async fn call(&self, op: &str, body: &Value) -> Result<Value, SinkError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut client = idle.unwrap_or_else(|| Client::new(self.endpoint.clone()));
        let target = format!("{LOGS_PREFIX}.{op}");
        let answer = client
            .call_service_within(CALL_DEADLINE, LOGS_SERVICE, &target, body)
            .await;
        let result = match answer {
            Ok(v) => Ok(v),
            Err(ClientError::Api(e)) => Err(SinkError::api(e.status, &e.code, &e.message)),
            // The connection may be broken: not kept.
            Err(e) => return Err(SinkError::Unavailable(e.to_string())),
        };
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < IDLE_CONNECTIONS {
            idle.push(client);
        }
        result
    }
}

fn tolerate_existing(r: Result<Value, SinkError>) -> Result<(), SinkError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some(ALREADY_EXISTS) => Ok(()),
        Err(e) => Err(e),
    }
}

#[async_trait::async_trait]
impl LogSink for CloudWatchLogs {
    async fn ensure_group(&self, group: &str) -> Result<(), SinkError> {
        tolerate_existing(
            self.call("CreateLogGroup", &json!({ "logGroupName": group }))
                .await,
        )
    }

    async fn ensure_stream(&self, group: &str, stream: &str) -> Result<(), SinkError> {
        let body = json!({ "logGroupName": group, "logStreamName": stream });
        tolerate_existing(self.call("CreateLogStream", &body).await)
    }

    async fn put_events(
        &self,
        group: &str,
        stream: &str,
        events: &[LogEvent],
    ) -> Result<(), SinkError> {
        let events: Vec<Value> = events
            .iter()
            .map(|e| json!({ "timestamp": e.timestamp, "message": e.message }))
            .collect();
        let body = json!({ "logGroupName": group, "logStreamName": stream, "logEvents": events });
        let answer = self.call("PutLogEvents", &body).await?;
        // Events too old or too far ahead are refused for good; the rest are in.
        if let Some(rejected) = answer.get("rejectedLogEventsInfo").filter(|r| !r.is_null()) {
            tracing::warn!(group, stream, %rejected, "CloudWatch Logs refused some events");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Logs endpoint that has group `g` only.
    async fn endpoint() -> (Endpoint, crate::test_endpoint::Calls) {
        crate::test_endpoint::serve(
            |target, body| match (target, body["logGroupName"].as_str()) {
                ("Logs_20140328.CreateLogGroup", Some("g")) => Err(ALREADY_EXISTS),
                ("Logs_20140328.CreateLogStream", Some("g")) => Err(ALREADY_EXISTS),
                ("Logs_20140328.CreateLogStream", _) => Err(NOT_FOUND),
                _ => Ok(json!({})),
            },
        )
        .await
    }

    #[tokio::test]
    async fn calls_carry_the_logs_operations_and_existing_resources_are_fine() {
        let (endpoint, calls) = endpoint().await;
        let sink = CloudWatchLogs::new(endpoint);
        sink.ensure_group("g").await.expect("exists is fine");
        sink.ensure_stream("g", "s").await.expect("exists is fine");
        let missing = sink.ensure_stream("nope", "s").await.expect_err("no group");
        assert!(missing.is_not_found(), "{missing}");
        let events = [
            LogEvent {
                timestamp: 1,
                message: "a".into(),
            },
            LogEvent {
                timestamp: 2,
                message: "b".into(),
            },
        ];
        sink.put_events("g", "s", &events).await.expect("put");
        let calls = calls.lock().expect("calls").clone();
        let targets: Vec<&str> = calls.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            targets,
            [
                "Logs_20140328.CreateLogGroup",
                "Logs_20140328.CreateLogStream",
                "Logs_20140328.CreateLogStream",
                "Logs_20140328.PutLogEvents"
            ]
        );
        assert_eq!(
            calls[3].1,
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [
                {"timestamp": 1, "message": "a"}, {"timestamp": 2, "message": "b"}]})
        );
    }

    #[test]
    fn which_errors_are_worth_retrying() {
        assert!(SinkError::Unavailable("down".into()).is_transient());
        assert!(SinkError::api(500, "InternalFailure", "").is_transient());
        assert!(SinkError::api(400, "ServiceUnavailableException", "").is_transient());
        assert!(SinkError::api(400, "ThrottlingException", "").is_transient());
        assert!(!SinkError::api(400, NOT_FOUND, "").is_transient());
        assert!(SinkError::api(400, NOT_FOUND, "").is_not_found());
    }
}
