//! The Parameter Store's table, over berth-commit's write path.

use std::sync::Arc;

use berth_commit::Table;

use crate::error::{Result, SsmError};
use crate::records::*;

#[derive(Default, Clone)]
pub struct State {
    pub params: Table<ParamRec>,
}

impl berth_commit::Tables for State {
    type Error = SsmError;
}

pub type Db = berth_commit::Db<State>;
pub type Tx<'a> = berth_commit::Tx<'a, State>;

pub fn open(store: Arc<dyn berth_store::Store>) -> Result<Db> {
    Ok(Db::open(store, |l| l.load::<ParamRec>())?)
}

impl State {
    /// The account's parameters whose names start with `prefix`, in name order.
    pub fn under<'a>(
        &'a self,
        account: &str,
        prefix: &str,
    ) -> impl Iterator<Item = &'a Arc<ParamRec>> + 'a {
        let start = param_key(account, prefix);
        self.params
            .range(start.clone()..)
            .take_while(move |(k, _)| k.starts_with(&start))
            .map(|(_, p)| p)
    }
}
