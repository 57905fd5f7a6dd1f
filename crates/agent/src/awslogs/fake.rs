//! An in-memory [`LogSink`] for tests: groups and streams behave as CloudWatch Logs' do
//! (a stream needs its group; events need their stream and must be in timestamp order), every
//! call is recorded, and a test can make the next PutLogEvents calls fail.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;

use super::sink::{LogEvent, LogSink, SinkError, INVALID_PARAMETER, NOT_FOUND, UNKNOWN_OPERATION};

#[derive(Default)]
struct Inner {
    groups: BTreeSet<String>,
    streams: BTreeMap<(String, String), Vec<LogEvent>>,
    put_failures: VecDeque<SinkError>,
    calls: Vec<String>,
    unserved: bool,
}

/// See the module docs.
#[derive(Default)]
pub struct FakeSink {
    inner: Mutex<Inner>,
}

impl FakeSink {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answers every call as a control plane without CloudWatch Logs does.
    pub fn unserved(&self) {
        self.lock().unserved = true;
    }

    /// A group that exists from the start.
    pub fn add_group(&self, group: &str) {
        self.lock().groups.insert(group.to_owned());
    }

    /// The next PutLogEvents calls fail with these errors, one each, without being applied.
    pub fn fail_puts(&self, errors: impl IntoIterator<Item = SinkError>) {
        self.lock().put_failures.extend(errors);
    }

    pub fn groups(&self) -> Vec<String> {
        self.lock().groups.iter().cloned().collect()
    }

    /// Streams, as (group, stream).
    pub fn streams(&self) -> Vec<(String, String)> {
        self.lock().streams.keys().cloned().collect()
    }

    /// The events a stream holds, in the order they were put.
    pub fn events(&self, group: &str, stream: &str) -> Vec<LogEvent> {
        self.lock()
            .streams
            .get(&(group.to_owned(), stream.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// The messages of every stream of a group, in order.
    pub fn messages(&self, group: &str, stream: &str) -> Vec<String> {
        self.events(group, stream)
            .into_iter()
            .map(|e| e.message)
            .collect()
    }

    /// Every call, as `Operation group/stream` (`CreateLogGroup g`, `PutLogEvents g/s`, …).
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    /// How many calls of `operation` (`PutLogEvents`, …) were made.
    pub fn count(&self, operation: &str) -> usize {
        let prefix = format!("{operation} ");
        self.lock()
            .calls
            .iter()
            .filter(|c| c.starts_with(&prefix))
            .count()
    }
}

fn not_found(what: &str) -> SinkError {
    SinkError::api(
        400,
        NOT_FOUND,
        &format!("The specified {what} does not exist."),
    )
}

impl Inner {
    /// Records a call; refuses it if CloudWatch Logs is not served.
    fn call(&mut self, call: String) -> Result<(), SinkError> {
        let op = call.split(' ').next().unwrap_or_default().to_owned();
        self.calls.push(call);
        if self.unserved {
            let message = format!("Unknown operation Logs_20140328.{op}");
            return Err(SinkError::api(400, UNKNOWN_OPERATION, &message));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl LogSink for FakeSink {
    async fn ensure_group(&self, group: &str) -> Result<(), SinkError> {
        let mut inner = self.lock();
        inner.call(format!("CreateLogGroup {group}"))?;
        inner.groups.insert(group.to_owned());
        Ok(())
    }

    async fn ensure_stream(&self, group: &str, stream: &str) -> Result<(), SinkError> {
        let mut inner = self.lock();
        inner.call(format!("CreateLogStream {group}/{stream}"))?;
        if !inner.groups.contains(group) {
            return Err(not_found("log group"));
        }
        inner
            .streams
            .entry((group.to_owned(), stream.to_owned()))
            .or_default();
        Ok(())
    }

    async fn put_events(
        &self,
        group: &str,
        stream: &str,
        events: &[LogEvent],
    ) -> Result<(), SinkError> {
        let mut inner = self.lock();
        inner.call(format!("PutLogEvents {group}/{stream}"))?;
        if let Some(e) = inner.put_failures.pop_front() {
            return Err(e);
        }
        if events.windows(2).any(|w| w[0].timestamp > w[1].timestamp) {
            return Err(SinkError::api(
                400,
                INVALID_PARAMETER,
                "Log events in a single PutLogEvents request must be in chronological order.",
            ));
        }
        let Some(held) = inner
            .streams
            .get_mut(&(group.to_owned(), stream.to_owned()))
        else {
            return Err(not_found("log stream"));
        };
        held.extend_from_slice(events);
        Ok(())
    }
}
