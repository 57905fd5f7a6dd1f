//! Cloud Map's tables, over berth-commit's write path.

use std::sync::Arc;

use berth_commit::Table;

use crate::error::{CloudMapError, Result};
use crate::records::*;

#[derive(Default, Clone)]
pub struct State {
    pub namespaces: Table<NamespaceRec>,
    pub services: Table<ServiceRec>,
    pub instances: Table<InstanceRec>,
    pub operations: Table<OperationRec>,
}

impl berth_commit::Tables for State {
    type Error = CloudMapError;
}

pub type Db = berth_commit::Db<State>;
pub type Tx<'a> = berth_commit::Tx<'a, State>;

pub fn open(store: Arc<dyn berth_store::Store>) -> Result<Db> {
    Ok(Db::open(store, |l| {
        l.load::<NamespaceRec>()?;
        l.load::<ServiceRec>()?;
        l.load::<InstanceRec>()?;
        l.load::<OperationRec>()
    })?)
}

/// Records of one account: `<account>:` keys.
fn of_account<'a, T>(table: &'a Table<T>, account: &str) -> impl Iterator<Item = &'a Arc<T>> + 'a {
    let start = format!("{account}:");
    table
        .range(start.clone()..)
        .take_while(move |(k, _)| k.starts_with(&start))
        .map(|(_, v)| v)
}

impl State {
    pub fn namespaces_of<'a>(
        &'a self,
        account: &str,
    ) -> impl Iterator<Item = &'a Arc<NamespaceRec>> + 'a {
        of_account(&self.namespaces, account)
    }

    pub fn services_of<'a>(
        &'a self,
        account: &str,
    ) -> impl Iterator<Item = &'a Arc<ServiceRec>> + 'a {
        of_account(&self.services, account)
    }

    pub fn operations_of<'a>(
        &'a self,
        account: &str,
    ) -> impl Iterator<Item = &'a Arc<OperationRec>> + 'a {
        of_account(&self.operations, account)
    }

    /// The instances of a service, in id order.
    pub fn instances_of<'a>(
        &'a self,
        account: &str,
        service_id: &str,
    ) -> impl Iterator<Item = &'a Arc<InstanceRec>> + 'a {
        let start = format!("{account}:{service_id}:");
        self.instances
            .range(start.clone()..)
            .take_while(move |(k, _)| k.starts_with(&start))
            .map(|(_, v)| v)
    }

    /// The services of a namespace.
    pub fn services_in<'a>(
        &'a self,
        account: &str,
        namespace_id: &'a str,
    ) -> impl Iterator<Item = &'a Arc<ServiceRec>> + 'a {
        self.services_of(account)
            .filter(move |s| s.namespace_id == namespace_id)
    }
}
