//! PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, TestMetricFilter. Metric
//! filters are stored and tested; they produce metrics once Berth serves CloudWatch metrics.

use berth_aws::RequestContext;
use berth_logs_model::shapes::*;

use super::events_filter::pattern;
use super::{find_group, limit, page, Empty};
use crate::error::{LogsError, Result};
use crate::records::{child_key, children_of, MetricFilterRec};
use crate::state::{delete_one, State};
use crate::Logs;

/// The most metric filters a log group carries.
const MAX_METRIC_FILTERS: usize = 100;

impl Logs {
    pub(crate) fn put_metric_filter(
        &self,
        ctx: &RequestContext,
        req: PutMetricFilterRequest,
    ) -> Result<Empty> {
        let group = req.log_group_name.unwrap_or_default();
        let name = req.filter_name.unwrap_or_default();
        let text = req.filter_pattern.unwrap_or_default();
        pattern(Some(&text))?;
        let transformations = req.metric_transformations.unwrap_or_default();
        if transformations.len() != 1 {
            return Err(LogsError::invalid(
                "A metric filter has exactly one metric transformation.",
            ));
        }
        for t in &transformations {
            let value = t.metric_value.as_deref().unwrap_or_default();
            let selector = value.starts_with("$.") || value.starts_with('$');
            if !selector && value.parse::<f64>().is_err() {
                return Err(LogsError::invalid(format!(
                    "Invalid metric value '{value}': a number or a field selector such as $.latency or $size."
                )));
            }
        }
        let now = self.now();
        self.db.write(|tx| {
            find_group(tx.state, ctx, &group)?;
            let key = child_key(&ctx.account, &group, &name);
            let count =
                State::under(&tx.state.metric_filters, &children_of(&ctx.account, &group)).count();
            let existing = tx.state.metric_filters.get(&key).cloned();
            if existing.is_none() && count >= MAX_METRIC_FILTERS {
                return Err(LogsError::LimitExceeded("Resource limit exceeded.".into()));
            }
            tx.put(MetricFilterRec {
                account: ctx.account.clone(),
                group: group.clone(),
                name: name.clone(),
                pattern: text.clone(),
                transformations: transformations.clone(),
                creation_time: existing.map_or(now, |e| e.creation_time),
                apply_on_transformed_logs: req.apply_on_transformed_logs,
                field_selection_criteria: req.field_selection_criteria.clone(),
                emit_system_field_dimensions: req.emit_system_field_dimensions.clone(),
            })
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn describe_metric_filters(
        &self,
        ctx: &RequestContext,
        req: DescribeMetricFiltersRequest,
    ) -> Result<DescribeMetricFiltersResponse> {
        if req.metric_name.is_some() != req.metric_namespace.is_some() {
            return Err(LogsError::invalid(
                "metricName and metricNamespace must be specified together.",
            ));
        }
        if req.filter_name_prefix.is_some() && req.log_group_name.is_none() {
            return Err(LogsError::invalid(
                "filterNamePrefix requires logGroupName.",
            ));
        }
        let state = self.db.snapshot();
        let prefix = match &req.log_group_name {
            Some(g) => {
                find_group(&state, ctx, g)?;
                format!(
                    "{}{}",
                    children_of(&ctx.account, g),
                    req.filter_name_prefix.as_deref().unwrap_or("")
                )
            }
            None => format!("{}/", ctx.account),
        };
        let metric = req
            .metric_name
            .as_deref()
            .zip(req.metric_namespace.as_deref());
        let items = State::under(&state.metric_filters, &prefix)
            .filter(|(_, f)| {
                metric.is_none_or(|(name, ns)| {
                    f.transformations.iter().any(|t| {
                        t.metric_name.as_deref() == Some(name)
                            && t.metric_namespace.as_deref() == Some(ns)
                    })
                })
            })
            .map(|(k, f)| (k.clone(), f.clone()));
        let p = page(items, req.next_token.as_deref(), limit(req.limit, 50))?;
        Ok(DescribeMetricFiltersResponse {
            metric_filters: Some(
                p.items
                    .iter()
                    .map(|f| MetricFilter {
                        filter_name: Some(f.name.clone()),
                        filter_pattern: Some(f.pattern.clone()),
                        metric_transformations: Some(f.transformations.clone()),
                        creation_time: Some(f.creation_time),
                        log_group_name: Some(f.group.clone()),
                        apply_on_transformed_logs: f.apply_on_transformed_logs,
                        field_selection_criteria: f.field_selection_criteria.clone(),
                        emit_system_field_dimensions: f.emit_system_field_dimensions.clone(),
                    })
                    .collect(),
            ),
            next_token: p.next_token,
        })
    }

    pub(crate) fn delete_metric_filter(
        &self,
        ctx: &RequestContext,
        req: DeleteMetricFilterRequest,
    ) -> Result<Empty> {
        let group = req.log_group_name.unwrap_or_default();
        let name = req.filter_name.unwrap_or_default();
        self.db.write(|tx| {
            find_group(tx.state, ctx, &group)?;
            let key = child_key(&ctx.account, &group, &name);
            delete_one::<MetricFilterRec>(tx, &key, "The specified filter does not exist.")
        })?;
        Ok(Empty::default())
    }

    pub(crate) fn test_metric_filter(
        &self,
        req: TestMetricFilterRequest,
    ) -> Result<TestMetricFilterResponse> {
        let pattern = pattern(req.filter_pattern.as_deref())?;
        let matches = req
            .log_event_messages
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .filter_map(|(i, message)| {
                let fields = pattern.extract(&message)?;
                Some(MetricFilterMatchRecord {
                    event_number: Some(i as i64),
                    extracted_values: Some(
                        fields
                            .iter()
                            // Keys as CloudWatch writes them: `$.field` for JSON selectors,
                            // `$name` for space-delimited fields.
                            .map(|(k, v)| {
                                let key = if k.starts_with('$') {
                                    k.to_owned()
                                } else {
                                    format!("${k}")
                                };
                                (key, v.to_owned())
                            })
                            .collect(),
                    ),
                    event_message: Some(message),
                })
            })
            .collect();
        Ok(TestMetricFilterResponse {
            matches: Some(matches),
        })
    }
}
