//! The Secrets Manager tables, over berth-commit's write path.

use std::sync::Arc;

use berth_commit::Table;

use crate::error::{Result, SmError};
use crate::records::*;

#[derive(Default, Clone)]
pub struct State {
    pub secrets: Table<SecretRec>,
    pub versions: Table<VersionRec>,
}

impl berth_commit::Tables for State {
    type Error = SmError;
}

pub type Db = berth_commit::Db<State>;
pub type Tx<'a> = berth_commit::Tx<'a, State>;

pub fn open(store: Arc<dyn berth_store::Store>) -> Result<Db> {
    Ok(Db::open(store, |l| {
        l.load::<SecretRec>()?;
        l.load::<VersionRec>()
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

    /// A secret's versions, in key (version id) order.
    pub fn versions_of<'a>(
        &'a self,
        secret: &'a SecretRec,
    ) -> impl Iterator<Item = &'a Arc<VersionRec>> + 'a {
        let prefix = versions_prefix(&secret.account, &secret.name);
        self.versions
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v)
    }
}
