//! PutLogEvents: CloudWatch's batch rules, then one durable append.

use berth_aws::RequestContext;
use berth_logs_model::shapes::*;

use super::find_group;
use crate::error::{LogsError, Result};
use crate::Logs;

/// The largest batch: message bytes plus 26 bytes per event.
pub const MAX_BATCH_BYTES: usize = 1_048_576;
pub const EVENT_OVERHEAD: usize = 26;
pub const MAX_EVENTS: usize = 10_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Which events of a sorted batch are refused, and the range kept.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Verdict {
    pub rejected: Option<RejectedLogEventsInfo>,
    pub keep: std::ops::Range<usize>,
}

/// Sorts out a batch (timestamps in order, already checked): events more than 2 h ahead
/// of `now` are too new, older than 14 days too old, older than the retention expired.
pub(crate) fn judge(timestamps: &[i64], now: i64, retention_days: Option<i32>) -> Verdict {
    let too_new_from = timestamps.iter().position(|t| *t > now + 2 * HOUR_MS);
    let too_old_upto = timestamps.iter().rposition(|t| *t < now - 14 * DAY_MS);
    let expired_upto = retention_days.and_then(|d| {
        timestamps
            .iter()
            .rposition(|t| *t < now - i64::from(d) * DAY_MS)
    });
    let start = too_old_upto.max(expired_upto).map_or(0, |i| i + 1);
    let end = too_new_from.unwrap_or(timestamps.len()).max(start);
    let rejected = (too_new_from.is_some() || too_old_upto.is_some() || expired_upto.is_some())
        .then(|| RejectedLogEventsInfo {
            too_new_log_event_start_index: too_new_from.map(|i| i as i32),
            too_old_log_event_end_index: too_old_upto.map(|i| i as i32),
            expired_log_event_end_index: expired_upto.map(|i| i as i32),
        });
    Verdict {
        rejected,
        keep: start..end,
    }
}

impl Logs {
    pub(crate) fn put_log_events(
        &self,
        ctx: &RequestContext,
        req: PutLogEventsRequest,
    ) -> Result<PutLogEventsResponse> {
        let group_name = req.log_group_name.unwrap_or_default();
        let stream_name = req.log_stream_name.unwrap_or_default();
        let events = req.log_events.unwrap_or_default();
        if events.len() > MAX_EVENTS {
            return Err(LogsError::invalid(format!(
                "The batch holds {} log events; at most {MAX_EVENTS} fit in one PutLogEvents request.",
                events.len()
            )));
        }
        let size: usize = events
            .iter()
            .map(|e| e.message.as_deref().map_or(0, str::len) + EVENT_OVERHEAD)
            .sum();
        if size > MAX_BATCH_BYTES {
            return Err(LogsError::invalid(format!(
                "Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
            )));
        }
        let timestamps: Vec<i64> = events
            .iter()
            .map(|e| e.timestamp.unwrap_or_default())
            .collect();
        if timestamps.windows(2).any(|w| w[1] < w[0]) {
            return Err(LogsError::invalid(
                "Log events in a single PutLogEvents request must be in chronological order.",
            ));
        }
        if let (Some(first), Some(last)) = (timestamps.first(), timestamps.last()) {
            if last - first > DAY_MS {
                return Err(LogsError::invalid(
                    "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
                ));
            }
        }
        let state = self.db.snapshot();
        let group = find_group(&state, ctx, &group_name)?;
        let stream = state
            .streams
            .get(&crate::records::child_key(
                &ctx.account,
                &group_name,
                &stream_name,
            ))
            .cloned()
            .ok_or_else(LogsError::no_stream)?;
        drop(state);
        let now = self.now();
        let verdict = judge(&timestamps, now, group.retention_in_days);
        let kept: Vec<(i64, &str)> = events[verdict.keep.clone()]
            .iter()
            .map(|e| {
                (
                    e.timestamp.unwrap_or_default(),
                    e.message.as_deref().unwrap_or_default(),
                )
            })
            .collect();
        self.events.append(group.id, stream.id, now, &kept)?;
        Ok(PutLogEventsResponse {
            next_sequence_token: Some(super::streams::upload_token(stream.id)),
            rejected_log_events_info: verdict.rejected,
            rejected_entity_info: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 100 * DAY_MS;

    #[test]
    fn too_old_expired_and_too_new_events_are_cut_from_the_ends() {
        let ts = [NOW - 15 * DAY_MS, NOW - 2 * DAY_MS, NOW, NOW + 3 * HOUR_MS];
        let v = judge(&ts, NOW, Some(1));
        assert_eq!(v.keep, 2..3);
        let r = v.rejected.expect("rejected");
        assert_eq!(r.too_old_log_event_end_index, Some(0));
        assert_eq!(r.expired_log_event_end_index, Some(1));
        assert_eq!(r.too_new_log_event_start_index, Some(3));
        assert_eq!(
            judge(&[NOW, NOW + 1], NOW, None),
            Verdict {
                rejected: None,
                keep: 0..2
            }
        );
        let all_new = judge(&[NOW + 3 * HOUR_MS], NOW, None);
        assert_eq!(all_new.keep, 0..0);
    }
}
