//! PutRetentionPolicy, DeleteRetentionPolicy, and the sweeper that enforces retention.

use berth_aws::RequestContext;
use berth_logs_model::shapes::*;

use super::{find_group, Empty};
use crate::error::{LogsError, Result};
use crate::records::GroupRec;
use crate::Logs;

/// The retention periods CloudWatch accepts, in days.
pub const RETENTION_DAYS: &[i32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

const DAY_MS: i64 = 24 * 3_600_000;

impl Logs {
    pub(crate) fn put_retention_policy(
        &self,
        ctx: &RequestContext,
        req: PutRetentionPolicyRequest,
    ) -> Result<Empty> {
        let days = req.retention_in_days.unwrap_or_default();
        if !RETENTION_DAYS.contains(&days) {
            return Err(LogsError::invalid(format!(
                "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                RETENTION_DAYS.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
            )));
        }
        self.set_retention(
            ctx,
            req.log_group_name.as_deref().unwrap_or_default(),
            Some(days),
        )
    }

    pub(crate) fn delete_retention_policy(
        &self,
        ctx: &RequestContext,
        req: DeleteRetentionPolicyRequest,
    ) -> Result<Empty> {
        self.set_retention(ctx, req.log_group_name.as_deref().unwrap_or_default(), None)
    }

    fn set_retention(&self, ctx: &RequestContext, group: &str, days: Option<i32>) -> Result<Empty> {
        self.db.write(|tx| {
            let mut g: GroupRec = (*find_group(tx.state, ctx, group)?).clone();
            g.retention_in_days = days;
            tx.put(g)
        })?;
        Ok(Empty::default())
    }

    /// Drops events older than their group's retention, deleting segments left empty; the
    /// number of chunks dropped. The server runs it in the background.
    pub fn sweep_retention(&self) -> Result<usize> {
        let now = self.now();
        let groups: Vec<(u64, i32)> = self.db.read(|s| {
            s.groups
                .values()
                .filter_map(|g| Some((g.id, g.retention_in_days?)))
                .collect()
        });
        let mut dropped = 0;
        for (id, days) in groups {
            dropped += self.events.expire(id, now - i64::from(days) * DAY_MS)?;
        }
        Ok(dropped)
    }
}
