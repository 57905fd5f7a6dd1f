//! The Logs service's tables, over berth-commit's write path.

use std::sync::Arc;

use berth_commit::Table;

use crate::error::{LogsError, Result};
use crate::records::*;

#[derive(Default, Clone)]
pub struct State {
    pub groups: Table<GroupRec>,
    pub streams: Table<StreamRec>,
    pub metric_filters: Table<MetricFilterRec>,
    pub subscription_filters: Table<SubscriptionFilterRec>,
    pub ids: Table<IdsRec>,
}

impl berth_commit::Tables for State {
    type Error = LogsError;
}

pub type Db = berth_commit::Db<State>;
pub type Tx<'a> = berth_commit::Tx<'a, State>;

pub fn open(store: Arc<dyn berth_store::Store>) -> Result<Db> {
    Ok(Db::open(store, |l| {
        l.load::<GroupRec>()?;
        l.load::<StreamRec>()?;
        l.load::<MetricFilterRec>()?;
        l.load::<SubscriptionFilterRec>()?;
        l.load::<IdsRec>()
    })?)
}

impl State {
    /// The records of `table` whose keys start with `prefix`, in key order.
    pub fn under<'a, T>(
        table: &'a Table<T>,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Arc<T>)> + 'a {
        table
            .range(prefix.to_owned()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
    }
}

/// Deletes every record of kind `R` whose key starts with `prefix` (a group's children).
pub fn delete_under<R: berth_commit::Record<State = State>>(tx: &mut Tx<'_>, prefix: &str) {
    let keys: Vec<String> = State::under(R::table(tx.state), prefix)
        .map(|(k, _)| k.clone())
        .collect();
    for k in keys {
        tx.delete::<R>(&k);
    }
}

/// Deletes the record of kind `R` under `key`, or answers `missing` as not found.
pub fn delete_one<R: berth_commit::Record<State = State>>(
    tx: &mut Tx<'_>,
    key: &str,
    missing: &str,
) -> Result<()> {
    if !R::table(tx.state).contains_key(key) {
        return Err(LogsError::ResourceNotFound(missing.to_owned()));
    }
    tx.delete::<R>(key);
    Ok(())
}

/// Gives out the next never-used id in a write.
pub fn next_id(tx: &mut Tx<'_>) -> Result<u64> {
    let last = tx.state.ids.get("ids").map_or(0, |r| r.last);
    tx.put(IdsRec { last: last + 1 })?;
    Ok(last + 1)
}
