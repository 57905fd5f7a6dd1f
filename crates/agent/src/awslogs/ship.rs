//! One container's shipper: follows its output from the cursor, assembles events, batches
//! them and puts each batch until CloudWatch Logs acknowledges it, then moves the cursor.
//!
//! A failed put is retried with backoff for as long as it takes (Berth down or restarting):
//! meanwhile nothing more is read, and the container's output waits in Docker's json-file
//! log. A stream or group that vanished is created again. A batch the service refuses as
//! invalid (InvalidParameterException) is logged and skipped, since sending it again cannot
//! help. The shipper ends once the container is not running and its output is shipped.
//!
//! A control plane that does not serve CloudWatch Logs at all (UnknownOperationException:
//! older than the agent) gets nothing: its containers keep their output in json-file only, as
//! before Berth had the service, rather than failing to start or waiting forever.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use regex::Regex;

use super::assemble::{Assembler, Line};
use super::batch::{Batch, Batcher, Limits};
use super::cursor::{CursorFile, Position, Positioner};
use super::sink::{LogSink, SinkError, INVALID_PARAMETER};
use crate::runtime::{Runtime, RuntimeError};

/// Timing of shippers.
#[derive(Clone, Debug)]
pub struct ShipSettings {
    /// Events wait at most this long before they are sent.
    pub flush_every: Duration,
    /// An open multiline event is closed when no line came for this long.
    pub event_idle: Duration,
    /// Backoff between retries, from `retry_min` doubling up to `retry_max`.
    pub retry_min: Duration,
    pub retry_max: Duration,
    /// Tries of creating the group and stream before the container starts, when the
    /// service does not answer.
    pub prepare_tries: u32,
}

impl Default for ShipSettings {
    fn default() -> Self {
        ShipSettings {
            // Docker's awslogs driver sends every 5 s; Berth's endpoint takes a small batch
            // cheaply, so a printed line is readable a fraction of a second later.
            flush_every: Duration::from_millis(200),
            event_idle: Duration::from_secs(1),
            retry_min: Duration::from_millis(200),
            retry_max: Duration::from_secs(30),
            prepare_tries: 5,
        }
    }
}

/// Where a container's lines go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub group: String,
    pub stream: String,
    /// Create the group first (`awslogs-create-group`).
    pub create_group: bool,
}

/// A doubling delay.
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    fn new(s: &ShipSettings) -> Self {
        Backoff {
            next: s.retry_min,
            max: s.retry_max,
        }
    }

    async fn wait(&mut self) {
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(self.max);
    }
}

async fn create(sink: &dyn LogSink, target: &Target) -> Result<(), (&'static str, SinkError)> {
    if target.create_group {
        sink.ensure_group(&target.group)
            .await
            .map_err(|e| ("failed to create Cloudwatch log group", e))?;
    }
    sink.ensure_stream(&target.group, &target.stream)
        .await
        .map_err(|e| ("failed to create Cloudwatch log stream", e))
}

/// Whether a container's output can be shipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prepared {
    /// The group and stream exist.
    Ready,
    /// The control plane does not serve CloudWatch Logs (see the module docs).
    Unserved,
}

/// Creates the group (with `create_group`) and the stream before the container starts, as
/// Docker's driver does. The error is why the container cannot start, worded as ECS words it
/// (`failed to initialize logging driver: failed to create Cloudwatch log stream:
/// ResourceNotFoundException: The specified log group does not exist.`).
pub async fn prepare(
    sink: &dyn LogSink,
    target: &Target,
    settings: &ShipSettings,
) -> Result<Prepared, String> {
    let mut backoff = Backoff::new(settings);
    let mut tries = 1;
    loop {
        match create(sink, target).await {
            Ok(()) => return Ok(Prepared::Ready),
            Err((_, e)) if e.is_unserved() => {
                tracing::warn!(group = %target.group, error = %e, "the control plane does not serve CloudWatch Logs: the container's output stays in Docker's json-file log");
                return Ok(Prepared::Unserved);
            }
            Err((_, e)) if e.is_transient() && tries < settings.prepare_tries => {
                tracing::warn!(group = %target.group, stream = %target.stream, error = %e, "log stream not created yet; retrying");
                tries += 1;
                backoff.wait().await;
            }
            Err((what, e)) => {
                return Err(format!("failed to initialize logging driver: {what}: {e}"))
            }
        }
    }
}

/// See the module docs.
pub struct Shipper {
    pub runtime: Arc<dyn Runtime>,
    pub sink: Arc<dyn LogSink>,
    pub settings: ShipSettings,
    pub container_id: String,
    pub target: Target,
    pub start: Option<Regex>,
    pub cursor: CursorFile,
}

/// A running shipper. Dropping it stops the shipper where it is (its cursor stays, so a
/// later shipper of the same container resumes there).
pub struct ShipperTask {
    handle: tokio::task::JoinHandle<()>,
    /// When it was started.
    pub since: Instant,
}

impl ShipperTask {
    pub fn spawn(shipper: Shipper) -> Self {
        ShipperTask {
            handle: tokio::spawn(shipper.run()),
            since: Instant::now(),
        }
    }

    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Waits until the container's output is shipped.
    pub async fn finished(mut self) {
        let _ = (&mut self.handle).await;
    }
}

impl Drop for ShipperTask {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// What ended one pass over the output.
enum PassEnd {
    /// The output ended: the container stopped (or the Engine let go of the stream).
    Ended,
    /// Reading failed.
    Broken(RuntimeError),
    /// The control plane does not serve CloudWatch Logs: stop.
    Unserved,
}

impl Shipper {
    /// Ships until the container is not running and its output is shipped.
    pub async fn run(self) {
        let mut acked = self.cursor.load();
        let mut backoff = Backoff::new(&self.settings);
        loop {
            let before = acked;
            let end = self.pass(&mut acked).await;
            if acked != before {
                backoff = Backoff::new(&self.settings);
            }
            match (self.runtime.inspect(&self.container_id).await, end) {
                // Running again (a restart), or the stream broke: read on from the cursor.
                (_, PassEnd::Unserved) => return,
                (Ok(o), _) if o.running => backoff.wait().await,
                (Ok(_), PassEnd::Ended) => {
                    // The Engine's follower can end at the exit before the last output
                    // (a final line without newline) is in: read once more from the cursor.
                    self.pass(&mut acked).await;
                    return;
                }
                (Err(RuntimeError::NotFound(_)), _) => return,
                (_, PassEnd::Broken(e)) | (Err(e), PassEnd::Ended) => {
                    tracing::warn!(container = %self.container_id, error = %e, "following the container's output failed; retrying");
                    backoff.wait().await;
                }
            }
        }
    }

    /// Reads the output once through, shipping as it goes and all of it at the end.
    async fn pass(&self, acked: &mut Option<Position>) -> PassEnd {
        let since = acked.map(|p| p.ns).unwrap_or(0);
        let mut lines = self.runtime.follow_logs(&self.container_id, since);
        let mut positions = Positioner::default();
        let mut assembler = Assembler::new(self.start.clone());
        let mut batcher = Batcher::new(Limits::default());
        let mut last_line = Instant::now();
        let mut tick = tokio::time::interval(self.settings.flush_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let end = loop {
            tokio::select! {
                next = lines.next() => match next {
                    Some(Ok(line)) => {
                        let at = positions.place(line.timestamp_ns);
                        if acked.is_some_and(|a| at <= a) {
                            continue;
                        }
                        last_line = Instant::now();
                        if let Some(event) = assembler.push(Line { at, text: line.text }) {
                            batcher.push(event);
                        }
                    }
                    Some(Err(e)) => break PassEnd::Broken(e),
                    None => break PassEnd::Ended,
                },
                _ = tick.tick() => {
                    if last_line.elapsed() >= self.settings.event_idle {
                        if let Some(event) = assembler.flush() {
                            batcher.push(event);
                        }
                    }
                    batcher.seal();
                }
            }
            if !self.deliver_ready(&mut batcher, acked).await {
                return PassEnd::Unserved;
            }
        };
        if let Some(event) = assembler.flush() {
            batcher.push(event);
        }
        batcher.seal();
        if !self.deliver_ready(&mut batcher, acked).await {
            return PassEnd::Unserved;
        }
        end
    }

    /// Delivers the closed batches; `false`: CloudWatch Logs is not served.
    async fn deliver_ready(&self, batcher: &mut Batcher, acked: &mut Option<Position>) -> bool {
        while let Some(batch) = batcher.take_ready() {
            if !self.deliver(batch, acked).await {
                return false;
            }
        }
        true
    }

    /// Puts a batch until it is acknowledged (or refused as invalid), then saves the cursor.
    /// `false`: CloudWatch Logs is not served.
    async fn deliver(&self, batch: Batch, acked: &mut Option<Position>) -> bool {
        let Target { group, stream, .. } = &self.target;
        let mut backoff = Backoff::new(&self.settings);
        while !batch.events.is_empty() {
            let e = match self.sink.put_events(group, stream, &batch.events).await {
                Ok(()) => break,
                Err(e) => e,
            };
            if e.is_unserved() {
                tracing::warn!(%group, %stream, error = %e, "the control plane does not serve CloudWatch Logs: the container's output stays in Docker's json-file log");
                return false;
            }
            if e.code() == Some(INVALID_PARAMETER) {
                tracing::error!(%group, %stream, error = %e, events = batch.events.len(), "CloudWatch Logs refused a batch as invalid; skipping it");
                break;
            }
            tracing::warn!(%group, %stream, error = %e, "putting log events failed; retrying");
            if e.is_not_found() {
                if let Err((what, e)) = create(self.sink.as_ref(), &self.target).await {
                    tracing::warn!(%group, %stream, error = %e, "{what}");
                }
            }
            backoff.wait().await;
        }
        if let Some(through) = batch.through {
            *acked = Some(through);
            if let Err(e) = self.cursor.save(group, stream, through) {
                tracing::warn!(path = %self.cursor.path().display(), error = %e, "log cursor not saved");
            }
        }
        true
    }
}

#[cfg(test)]
mod tests;
