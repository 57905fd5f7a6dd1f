//! The routing table: one line per implemented operation, from the wire body to a handler.

use berth_aws::model::Validate;
use berth_aws::protocol::json::{self, BodyError};
use berth_aws::RequestContext;
use berth_logs_model::Operation;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{LogsError, Result};
use crate::Logs;

fn call<Req, Resp>(body: &[u8], f: impl FnOnce(Req) -> Result<Resp>) -> Result<Vec<u8>>
where
    Req: DeserializeOwned + Validate,
    Resp: Serialize,
{
    let req = json::parse(body).map_err(|e| match e {
        BodyError::Serialization(m) => LogsError::Serialization(m),
        BodyError::Invalid(m) => LogsError::InvalidParameter(m),
    })?;
    let resp = f(req)?;
    serde_json::to_vec(&resp).map_err(|e| LogsError::Service(format!("encoding response: {e}")))
}

impl Logs {
    /// Answers one Logs operation for the caller in `ctx`; `body` is the request's JSON.
    pub fn handle(&self, ctx: &RequestContext, op: Operation, body: &[u8]) -> Result<Vec<u8>> {
        use Operation as O;
        let c = ctx;
        match op {
            O::CreateLogGroup => call(body, |r| self.create_log_group(c, r)),
            O::DescribeLogGroups => call(body, |r| self.describe_log_groups(c, r)),
            O::DeleteLogGroup => call(body, |r| self.delete_log_group(c, r)),
            O::PutRetentionPolicy => call(body, |r| self.put_retention_policy(c, r)),
            O::DeleteRetentionPolicy => call(body, |r| self.delete_retention_policy(c, r)),
            O::CreateLogStream => call(body, |r| self.create_log_stream(c, r)),
            O::DescribeLogStreams => call(body, |r| self.describe_log_streams(c, r)),
            O::DeleteLogStream => call(body, |r| self.delete_log_stream(c, r)),
            O::PutLogEvents => call(body, |r| self.put_log_events(c, r)),
            O::GetLogEvents => call(body, |r| self.get_log_events(c, r)),
            O::FilterLogEvents => call(body, |r| self.filter_log_events(c, r)),
            O::PutMetricFilter => call(body, |r| self.put_metric_filter(c, r)),
            O::DescribeMetricFilters => call(body, |r| self.describe_metric_filters(c, r)),
            O::DeleteMetricFilter => call(body, |r| self.delete_metric_filter(c, r)),
            O::TestMetricFilter => call(body, |r| self.test_metric_filter(r)),
            O::PutSubscriptionFilter => call(body, |r| self.put_subscription_filter(c, r)),
            O::DescribeSubscriptionFilters => {
                call(body, |r| self.describe_subscription_filters(c, r))
            }
            O::DeleteSubscriptionFilter => call(body, |r| self.delete_subscription_filter(c, r)),
            O::TagResource => call(body, |r| self.tag_resource(c, r)),
            O::UntagResource => call(body, |r| self.untag_resource(c, r)),
            O::ListTagsForResource => call(body, |r| self.list_tags_for_resource(c, r)),
            O::TagLogGroup => call(body, |r| self.tag_log_group(c, r)),
            O::UntagLogGroup => call(body, |r| self.untag_log_group(c, r)),
            O::ListTagsLogGroup => call(body, |r| self.list_tags_log_group(c, r)),
            other => Err(LogsError::InvalidOperation(format!(
                "The operation {} is not supported by Berth yet.",
                other.name()
            ))),
        }
    }

    /// Whether Berth answers `op` (the others answer InvalidOperationException).
    pub fn implements(&self, op: Operation) -> bool {
        let ctx = RequestContext::for_account("000000000000", "us-east-1");
        !matches!(
            self.handle(&ctx, op, b"\0"),
            Err(LogsError::InvalidOperation(_))
        )
    }
}
