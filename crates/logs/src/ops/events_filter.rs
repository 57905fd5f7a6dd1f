//! FilterLogEvents: the events of many streams of a group, interleaved by time, that a
//! filter pattern matches.

use std::collections::HashMap;

use berth_aws::RequestContext;
use berth_log_filter::FilterPattern;
use berth_logs_model::shapes::*;

use super::events_get::cap_bytes;
use super::{bad_token, find_group, group_name_of, limit};
use crate::error::{LogsError, Result};
use crate::events::{Direction, Position, Window};
use crate::records::children_of;
use crate::state::State;
use crate::Logs;

/// A filter pattern, or the InvalidParameterException naming what is wrong with it.
pub(crate) fn pattern(text: Option<&str>) -> Result<FilterPattern> {
    let text = text.unwrap_or("");
    if text.len() > 1024 {
        return Err(LogsError::invalid(
            "The filter pattern is longer than 1024 characters.",
        ));
    }
    FilterPattern::parse(text).map_err(|e| LogsError::invalid(e.to_string()))
}

impl Logs {
    pub(crate) fn filter_log_events(
        &self,
        ctx: &RequestContext,
        req: FilterLogEventsRequest,
    ) -> Result<FilterLogEventsResponse> {
        let group = group_name_of(
            ctx,
            req.log_group_name.as_deref(),
            req.log_group_identifier.as_deref(),
        )?;
        if req.log_stream_names.is_some() && req.log_stream_name_prefix.is_some() {
            return Err(LogsError::invalid(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.",
            ));
        }
        let pattern = pattern(req.filter_pattern.as_deref())?;
        let state = self.db.snapshot();
        find_group(&state, ctx, &group)?;
        let prefix = format!(
            "{}{}",
            children_of(&ctx.account, &group),
            req.log_stream_name_prefix.as_deref().unwrap_or("")
        );
        let names = req.log_stream_names.as_ref();
        let streams: Vec<_> = State::under(&state.streams, &prefix)
            .filter(|(_, s)| names.is_none_or(|n| n.contains(&s.name)))
            .map(|(_, s)| s.clone())
            .collect();
        drop(state);
        let by_id: HashMap<u64, &str> = streams.iter().map(|s| (s.id, s.name.as_str())).collect();
        let from = match req.next_token.as_deref() {
            Some(t) => {
                let (ts, seq) = t.split_once(':').ok_or_else(bad_token)?;
                Position {
                    ts: ts.parse().map_err(|_| bad_token())?,
                    seq: seq.parse().map_err(|_| bad_token())?,
                }
            }
            None => Position::START,
        };
        let size = limit(req.limit, 10_000);
        let window = Window {
            start: req.start_time.unwrap_or(i64::MIN),
            end: req.end_time.unwrap_or(i64::MAX),
            from,
            direction: Direction::Forward,
            limit: size + 1,
        };
        let ids: Vec<(u64, u64)> = streams.iter().map(|s| (s.id, s.group_id)).collect();
        let mut found = self.events.scan(&ids, &window, &|m| pattern.matches(m))?;
        let more = found.len() > size;
        found.truncate(size);
        let before = found.len();
        let found = cap_bytes(found, |f| f.message.len());
        let cut = more || found.len() < before;
        let next_token = cut
            .then(|| found.last().map(|f| format!("{}:{}", f.ts, f.seq)))
            .flatten();
        Ok(FilterLogEventsResponse {
            events: Some(
                found
                    .into_iter()
                    .map(|f| FilteredLogEvent {
                        log_stream_name: by_id.get(&f.stream).map(|n| (*n).to_owned()),
                        timestamp: Some(f.ts),
                        message: Some(f.message),
                        ingestion_time: Some(f.ingest),
                        event_id: Some(format!("{:056}", f.seq)),
                    })
                    .collect(),
            ),
            searched_log_streams: Some(
                streams
                    .iter()
                    .take(100)
                    .map(|s| SearchedLogStream {
                        log_stream_name: Some(s.name.clone()),
                        searched_completely: Some(true),
                    })
                    .collect(),
            ),
            next_token,
        })
    }
}
