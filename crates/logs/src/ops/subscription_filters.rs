//! PutSubscriptionFilter, DescribeSubscriptionFilters, DeleteSubscriptionFilter: stored;
//! Berth delivers to no destination yet.

use berth_aws::RequestContext;
use berth_logs_model::shapes::*;

use super::events_filter::pattern;
use super::{find_group, limit, page, Empty};
use crate::error::{LogsError, Result};
use crate::records::{child_key, children_of, SubscriptionFilterRec};
use crate::state::{delete_one, State};
use crate::Logs;

/// The most subscription filters a log group carries (CloudWatch's quota).
const MAX_SUBSCRIPTION_FILTERS: usize = 2;

impl Logs {
    pub(crate) fn put_subscription_filter(
        &self,
        ctx: &RequestContext,
        req: PutSubscriptionFilterRequest,
    ) -> Result<Empty> {
        let group = req.log_group_name.clone().unwrap_or_default();
        let name = req.filter_name.clone().unwrap_or_default();
        pattern(req.filter_pattern.as_deref())?;
        let destination = req.destination_arn.clone().unwrap_or_default();
        if berth_aws::arn::Arn::parse(&destination).is_none() {
            return Err(LogsError::invalid(format!(
                "Invalid destinationArn '{destination}'."
            )));
        }
        let now = self.now();
        self.db.write(|tx| {
            find_group(tx.state, ctx, &group)?;
            let key = child_key(&ctx.account, &group, &name);
            let existing = tx.state.subscription_filters.get(&key).cloned();
            let count = State::under(
                &tx.state.subscription_filters,
                &children_of(&ctx.account, &group),
            )
            .count();
            if existing.is_none() && count >= MAX_SUBSCRIPTION_FILTERS {
                return Err(LogsError::LimitExceeded("Resource limit exceeded.".into()));
            }
            tx.put(SubscriptionFilterRec {
                account: ctx.account.clone(),
                filter: SubscriptionFilter {
                    filter_name: Some(name.clone()),
                    log_group_name: Some(group.clone()),
                    filter_pattern: req.filter_pattern.clone(),
                    destination_arn: Some(destination.clone()),
                    role_arn: req.role_arn.clone(),
                    distribution: Some(
                        req.distribution
                            .clone()
                            .unwrap_or(Distribution::ByLogStream),
                    ),
                    apply_on_transformed_logs: req.apply_on_transformed_logs,
                    creation_time: Some(
                        existing.and_then(|e| e.filter.creation_time).unwrap_or(now),
                    ),
                    field_selection_criteria: req.field_selection_criteria.clone(),
                    emit_system_fields: req.emit_system_fields.clone(),
                },
            })
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn describe_subscription_filters(
        &self,
        ctx: &RequestContext,
        req: DescribeSubscriptionFiltersRequest,
    ) -> Result<DescribeSubscriptionFiltersResponse> {
        let group = req.log_group_name.unwrap_or_default();
        let state = self.db.snapshot();
        find_group(&state, ctx, &group)?;
        let prefix = format!(
            "{}{}",
            children_of(&ctx.account, &group),
            req.filter_name_prefix.as_deref().unwrap_or("")
        );
        let items = State::under(&state.subscription_filters, &prefix)
            .map(|(k, f)| (k.clone(), f.filter.clone()));
        let p = page(items, req.next_token.as_deref(), limit(req.limit, 50))?;
        Ok(DescribeSubscriptionFiltersResponse {
            subscription_filters: Some(p.items),
            next_token: p.next_token,
        })
    }

    pub(crate) fn delete_subscription_filter(
        &self,
        ctx: &RequestContext,
        req: DeleteSubscriptionFilterRequest,
    ) -> Result<Empty> {
        let group = req.log_group_name.unwrap_or_default();
        let name = req.filter_name.unwrap_or_default();
        self.db.write(|tx| {
            find_group(tx.state, ctx, &group)?;
            let key = child_key(&ctx.account, &group, &name);
            delete_one::<SubscriptionFilterRec>(
                tx,
                &key,
                "The specified subscription filter does not exist.",
            )
        })?;
        Ok(Empty::default())
    }
}
