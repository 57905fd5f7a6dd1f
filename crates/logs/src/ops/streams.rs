//! CreateLogStream, DescribeLogStreams, DeleteLogStream.

use berth_aws::RequestContext;
use berth_logs_model::shapes::*;

use super::{check_stream_name, find_group, group_name_of, limit, stream_arn, Empty};
use crate::error::{LogsError, Result};
use crate::records::{child_key, children_of, StreamRec};
use crate::state::{next_id, State};
use crate::Logs;

impl Logs {
    pub(crate) fn create_log_stream(
        &self,
        ctx: &RequestContext,
        req: CreateLogStreamRequest,
    ) -> Result<Empty> {
        let group = req.log_group_name.unwrap_or_default();
        let name = req.log_stream_name.unwrap_or_default();
        check_stream_name(&name)?;
        let now = self.now();
        self.db.write(|tx| {
            let g = find_group(tx.state, ctx, &group)?;
            let key = child_key(&ctx.account, &group, &name);
            if tx.state.streams.contains_key(&key) {
                return Err(LogsError::ResourceAlreadyExists(
                    "The specified log stream already exists".into(),
                ));
            }
            let id = next_id(tx)?;
            tx.put(StreamRec {
                account: ctx.account.clone(),
                group: group.clone(),
                group_id: g.id,
                name: name.clone(),
                id,
                creation_time: now,
            })
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn describe_log_streams(
        &self,
        ctx: &RequestContext,
        req: DescribeLogStreamsRequest,
    ) -> Result<DescribeLogStreamsResponse> {
        let group = group_name_of(
            ctx,
            req.log_group_name.as_deref(),
            req.log_group_identifier.as_deref(),
        )?;
        let by_time = req
            .order_by
            .as_ref()
            .is_some_and(|o| o.as_str() == "LastEventTime");
        if by_time && req.log_stream_name_prefix.is_some() {
            return Err(LogsError::invalid(
                "Cannot order by LastEventTime with a logStreamNamePrefix.",
            ));
        }
        let descending = req.descending.unwrap_or(false);
        let state = self.db.snapshot();
        find_group(&state, ctx, &group)?;
        let prefix = format!(
            "{}{}",
            children_of(&ctx.account, &group),
            req.log_stream_name_prefix.as_deref().unwrap_or("")
        );
        let mut streams: Vec<(String, LogStream)> = State::under(&state.streams, &prefix)
            .map(|(k, s)| (k.clone(), self.log_stream_view(ctx, s)))
            .collect();
        if by_time {
            // Keys that sort by last event time (streams without events first), then name.
            streams = streams
                .into_iter()
                .map(|(k, s)| {
                    let t = s.last_event_timestamp.unwrap_or(-1);
                    (format!("{:020}\u{1}{k}", t.saturating_add(1)), s)
                })
                .collect();
            streams.sort_by(|a, b| a.0.cmp(&b.0));
        }
        if descending {
            streams.reverse();
        }
        let p = berth_aws::page::paginate_ordered(
            streams,
            req.next_token.as_deref(),
            limit(req.limit, 50),
            descending,
        )
        .map_err(|_| super::bad_token())?;
        Ok(DescribeLogStreamsResponse {
            log_streams: Some(p.items),
            next_token: p.next_token,
        })
    }

    fn log_stream_view(&self, ctx: &RequestContext, s: &StreamRec) -> LogStream {
        let stats = self.events.stats(s.id);
        LogStream {
            log_stream_name: Some(s.name.clone()),
            creation_time: Some(s.creation_time),
            first_event_timestamp: stats.first_ts,
            last_event_timestamp: stats.last_ts,
            last_ingestion_time: stats.last_ingest,
            upload_sequence_token: Some(upload_token(s.id)),
            arn: Some(stream_arn(ctx, &s.group, &s.name)),
            stored_bytes: Some(0),
        }
    }

    pub(crate) fn delete_log_stream(
        &self,
        ctx: &RequestContext,
        req: DeleteLogStreamRequest,
    ) -> Result<Empty> {
        let group = req.log_group_name.unwrap_or_default();
        let name = req.log_stream_name.unwrap_or_default();
        let stream = self.db.write(|tx| {
            find_group(tx.state, ctx, &group)?;
            let key = child_key(&ctx.account, &group, &name);
            let s = tx
                .state
                .streams
                .get(&key)
                .cloned()
                .ok_or_else(LogsError::no_stream)?;
            tx.delete::<StreamRec>(&key);
            Ok(s)
        })?;
        self.events.drop_stream(stream.id)?;
        Ok(Empty::default())
    }

    /// The caller's stream `name` of `group`.
    pub(crate) fn find_stream(
        &self,
        ctx: &RequestContext,
        group: &str,
        name: &str,
    ) -> Result<std::sync::Arc<StreamRec>> {
        let state = self.db.snapshot();
        find_group(&state, ctx, group)?;
        state
            .streams
            .get(&child_key(&ctx.account, group, name))
            .cloned()
            .ok_or_else(LogsError::no_stream)
    }
}

/// Sequence tokens are accepted and ignored, as CloudWatch now does; the one handed out is
/// a fixed-width number, as CloudWatch's look.
pub(crate) fn upload_token(stream: u64) -> String {
    format!("{:056}", stream)
}
