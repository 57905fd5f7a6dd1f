//! CreateLogGroup, DescribeLogGroups, DeleteLogGroup.

use std::collections::BTreeMap;

use berth_aws::RequestContext;
use berth_logs_model::shapes::*;

use super::Empty;

use super::{check_group_name, find_group, group_arn, group_arn_bare, limit, page};
use crate::error::{LogsError, Result};
use crate::records::{
    children_of, group_key, GroupRec, MetricFilterRec, StreamRec, SubscriptionFilterRec,
};
use crate::state::{delete_under, next_id, State};
use crate::Logs;

impl Logs {
    pub(crate) fn create_log_group(
        &self,
        ctx: &RequestContext,
        req: CreateLogGroupRequest,
    ) -> Result<Empty> {
        let name = req.log_group_name.unwrap_or_default();
        check_group_name(&name, "logGroupName")?;
        let tags = req.tags.unwrap_or_default();
        super::tags::check(&tags)?;
        let now = self.now();
        self.db.write(|tx| {
            let key = group_key(&ctx.account, &name);
            if tx.state.groups.contains_key(&key) {
                return Err(LogsError::ResourceAlreadyExists(
                    "The specified log group already exists".into(),
                ));
            }
            let id = next_id(tx)?;
            tx.put(GroupRec {
                account: ctx.account.clone(),
                name: name.clone(),
                id,
                creation_time: now,
                retention_in_days: None,
                log_group_class: req
                    .log_group_class
                    .as_ref()
                    .map_or("STANDARD".to_owned(), |c| c.as_str().to_owned()),
                kms_key_id: req.kms_key_id.clone(),
                deletion_protection: req.deletion_protection_enabled.unwrap_or(false),
                tags: tags.clone(),
            })
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn describe_log_groups(
        &self,
        ctx: &RequestContext,
        req: DescribeLogGroupsRequest,
    ) -> Result<DescribeLogGroupsResponse> {
        if req.log_group_name_prefix.is_some() && req.log_group_name_pattern.is_some() {
            return Err(LogsError::invalid(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
            ));
        }
        let state = self.db.snapshot();
        let prefix = format!(
            "{}/{}",
            ctx.account,
            req.log_group_name_prefix.as_deref().unwrap_or("")
        );
        let pattern = req.log_group_name_pattern.as_deref();
        let class = req.log_group_class.as_ref().map(|c| c.as_str().to_owned());
        let wanted: Option<Vec<String>> = req.log_group_identifiers.as_ref().map(|ids| {
            ids.iter()
                .filter_map(|id| super::group_name_of(ctx, None, Some(id)).ok())
                .collect()
        });
        let items = State::under(&state.groups, &prefix)
            .filter(|(_, g)| pattern.is_none_or(|p| g.name.contains(p)))
            .filter(|(_, g)| class.as_ref().is_none_or(|c| &g.log_group_class == c))
            .filter(|(_, g)| wanted.as_ref().is_none_or(|w| w.contains(&g.name)))
            .map(|(k, g)| (k.clone(), g.clone()));
        let p = page(items, req.next_token.as_deref(), limit(req.limit, 50))?;
        // With a name pattern CloudWatch answers only the name, ARN and creation time.
        let view = |g: &GroupRec| match pattern {
            Some(_) => LogGroup {
                log_group_name: Some(g.name.clone()),
                creation_time: Some(g.creation_time),
                arn: Some(group_arn(ctx, &g.name)),
                ..Default::default()
            },
            None => self.log_group_view(ctx, &state, g),
        };
        Ok(DescribeLogGroupsResponse {
            log_groups: Some(p.items.iter().map(|g| view(g)).collect()),
            next_token: p.next_token,
        })
    }

    fn log_group_view(&self, ctx: &RequestContext, state: &State, g: &GroupRec) -> LogGroup {
        let metric_filters =
            State::under(&state.metric_filters, &children_of(&ctx.account, &g.name)).count();
        LogGroup {
            log_group_name: Some(g.name.clone()),
            creation_time: Some(g.creation_time),
            retention_in_days: g.retention_in_days,
            metric_filter_count: Some(metric_filters as i32),
            arn: Some(group_arn(ctx, &g.name)),
            log_group_arn: Some(group_arn_bare(ctx, &g.name)),
            stored_bytes: Some(self.events.group_bytes(g.id) as i64),
            kms_key_id: g.kms_key_id.clone(),
            log_group_class: Some(LogGroupClass::parse(&g.log_group_class)),
            deletion_protection_enabled: Some(g.deletion_protection),
            ..Default::default()
        }
    }

    pub(crate) fn delete_log_group(
        &self,
        ctx: &RequestContext,
        req: DeleteLogGroupRequest,
    ) -> Result<Empty> {
        let name = req.log_group_name.unwrap_or_default();
        let group = self.db.write(|tx| {
            let g = find_group(tx.state, ctx, &name)?;
            if g.deletion_protection {
                return Err(LogsError::OperationAborted(
                    "The log group has deletion protection enabled.".into(),
                ));
            }
            let children = children_of(&ctx.account, &name);
            delete_under::<StreamRec>(tx, &children);
            delete_under::<MetricFilterRec>(tx, &children);
            delete_under::<SubscriptionFilterRec>(tx, &children);
            tx.delete::<GroupRec>(&group_key(&ctx.account, &name));
            Ok(g)
        })?;
        // The records are gone (durably): the events follow; a crash in between leaves a
        // directory no group names, which the next start removes.
        self.events.drop_group(group.id)?;
        Ok(Empty::default())
    }

    /// A group's tags (for the tagging operations).
    pub(crate) fn group_tags(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<BTreeMap<String, String>> {
        Ok(find_group(&self.db.snapshot(), ctx, name)?.tags.clone())
    }
}
