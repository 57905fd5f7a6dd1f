//! What the Logs service keeps in the record table: groups, streams and filters (never the
//! events, which live in `crate::events`). Keys start with the account, so accounts never
//! meet: `<account>/<group>` for a group, `<account>/<group>\u{1}<name>` for its streams and
//! filters.

use std::collections::BTreeMap;

use berth_logs_model::shapes::{MetricTransformation, SubscriptionFilter};
use serde::{Deserialize, Serialize};

use crate::state::State;

pub fn group_key(account: &str, group: &str) -> String {
    format!("{account}/{group}")
}

/// Streams and filters sort under their group's key (a `/` never ends a group's key part
/// here: the separator is `\u{1}`, which names cannot hold).
pub fn child_key(account: &str, group: &str, name: &str) -> String {
    format!("{account}/{group}\u{1}{name}")
}

/// The key range of a group's children.
pub fn children_of(account: &str, group: &str) -> String {
    format!("{account}/{group}\u{1}")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRec {
    pub account: String,
    pub name: String,
    /// Names the group's directory in the event store; never reused.
    pub id: u64,
    pub creation_time: i64,
    pub retention_in_days: Option<i32>,
    pub log_group_class: String,
    pub kms_key_id: Option<String>,
    pub deletion_protection: bool,
    pub tags: BTreeMap<String, String>,
}
berth_commit::record!(State: GroupRec, "logs/group", groups, |r| group_key(
    &r.account, &r.name
));

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRec {
    pub account: String,
    pub group: String,
    pub group_id: u64,
    pub name: String,
    /// Names the stream's events in the event store; never reused.
    pub id: u64,
    pub creation_time: i64,
}
berth_commit::record!(State: StreamRec, "logs/stream", streams, |r| child_key(
    &r.account, &r.group, &r.name
));

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricFilterRec {
    pub account: String,
    pub group: String,
    pub name: String,
    pub pattern: String,
    pub transformations: Vec<MetricTransformation>,
    pub creation_time: i64,
    pub apply_on_transformed_logs: Option<bool>,
    pub field_selection_criteria: Option<String>,
    pub emit_system_field_dimensions: Option<Vec<String>>,
}
berth_commit::record!(State: MetricFilterRec, "logs/metric-filter", metric_filters, |r| {
    child_key(&r.account, &r.group, &r.name)
});

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionFilterRec {
    pub account: String,
    pub filter: SubscriptionFilter,
}
berth_commit::record!(State: SubscriptionFilterRec,
    "logs/subscription-filter",
    subscription_filters,
    |r| child_key(
        &r.account,
        r.filter.log_group_name.as_deref().unwrap_or_default(),
        r.filter.filter_name.as_deref().unwrap_or_default()
    )
);

/// The last id given to a group or stream (ids are never reused, also across restarts).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IdsRec {
    pub last: u64,
}
berth_commit::record!(State: IdsRec, "logs/ids", ids, |_r| "ids".to_owned());
