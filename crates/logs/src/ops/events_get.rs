//! GetLogEvents: one stream's events in time order, paged forward and backward with
//! tokens that repeat once the end is reached (as CloudWatch's do).

use berth_aws::RequestContext;
use berth_logs_model::shapes::*;

use super::{bad_token, group_name_of, limit};
use crate::error::Result;
use crate::events::{Direction, Position, Window};
use crate::Logs;

/// The most bytes of messages one answer carries (CloudWatch's 1 MB), beside the count.
pub(crate) const MAX_ANSWER_BYTES: usize = 1_048_576;

pub(crate) fn token(d: Direction, p: Position) -> String {
    let tag = match d {
        Direction::Forward => 'f',
        Direction::Backward => 'b',
    };
    format!("{tag}/{}/{}", p.ts, p.seq)
}

pub(crate) fn parse_token(t: &str) -> Result<(Direction, Position)> {
    let mut parts = t.splitn(3, '/');
    let d = match parts.next() {
        Some("f") => Direction::Forward,
        Some("b") => Direction::Backward,
        _ => return Err(bad_token()),
    };
    let ts = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad_token)?;
    let seq = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad_token)?;
    Ok((d, Position { ts, seq }))
}

/// Keeps the leading events (in scan order) whose messages fit in the answer's byte cap.
pub(crate) fn cap_bytes<T>(mut found: Vec<T>, len: impl Fn(&T) -> usize) -> Vec<T> {
    let mut total = 0usize;
    let keep = found
        .iter()
        .take_while(|e| {
            total += len(e) + 26;
            total <= MAX_ANSWER_BYTES
        })
        .count()
        .max(1);
    found.truncate(keep);
    found
}

impl Logs {
    pub(crate) fn get_log_events(
        &self,
        ctx: &RequestContext,
        req: GetLogEventsRequest,
    ) -> Result<GetLogEventsResponse> {
        let group = group_name_of(
            ctx,
            req.log_group_name.as_deref(),
            req.log_group_identifier.as_deref(),
        )?;
        let stream = self.find_stream(
            ctx,
            &group,
            req.log_stream_name.as_deref().unwrap_or_default(),
        )?;
        let (direction, from) = match req.next_token.as_deref() {
            Some(t) => parse_token(t)?,
            None if req.start_from_head.unwrap_or(false) => (Direction::Forward, Position::START),
            None => (Direction::Backward, Position::END),
        };
        let window = Window {
            start: req.start_time.unwrap_or(i64::MIN),
            end: req.end_time.unwrap_or(i64::MAX),
            from,
            direction,
            limit: limit(req.limit, 10_000),
        };
        let found = self
            .events
            .scan(&[(stream.id, stream.group_id)], &window, &|_| true)?;
        let mut found = cap_bytes(found, |f| f.message.len());
        if direction == Direction::Backward {
            found.reverse();
        }
        let (forward, backward) = match (found.first(), found.last()) {
            (Some(first), Some(last)) => (
                token(Direction::Forward, last.position()),
                token(Direction::Backward, first.position()),
            ),
            _ => (
                token(Direction::Forward, from),
                token(Direction::Backward, from),
            ),
        };
        Ok(GetLogEventsResponse {
            events: Some(
                found
                    .into_iter()
                    .map(|f| OutputLogEvent {
                        timestamp: Some(f.ts),
                        message: Some(f.message),
                        ingestion_time: Some(f.ingest),
                    })
                    .collect(),
            ),
            next_forward_token: Some(forward),
            next_backward_token: Some(backward),
        })
    }
}
