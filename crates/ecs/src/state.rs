//! The control plane's working state: every record in memory, loaded from the store at
//! start, changed only through [`Tx`] so that a change is durable before anyone sees it.
//!
//! A write runs under the single writer lock: it reads the current state, stages records in a
//! `Tx`, commits the staged batch to the store (the durable point) and only then applies it to
//! memory. Readers never wait for the disk, and two writers can never both read the same
//! "before" (no lost updates: two registrations of one family get different revisions).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use berth_store::{Op, Store};
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{EcsError, Result};
use crate::records::*;

pub type Table<T> = BTreeMap<String, T>;

/// Everything the control plane knows, keyed as in the store.
#[derive(Default)]
pub struct State {
    pub clusters: Table<ClusterRec>,
    pub families: Table<FamilyRec>,
    pub task_definitions: Table<TaskDefinitionRec>,
    pub container_instances: Table<ContainerInstanceRec>,
    pub capacity_providers: Table<CapacityProviderRec>,
    pub account_settings: Table<AccountSettingRec>,
}

/// A record kind: how it is named in the store and where it lives in [`State`].
pub trait Record: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    const KIND: &'static str;
    fn key(&self) -> String;
    fn table(state: &State) -> &Table<Self>;
    fn table_mut(state: &mut State) -> &mut Table<Self>;
}

type Apply = Box<dyn FnOnce(&mut State) + Send>;

/// The records one write stages; nothing is visible until the batch is committed.
pub struct Tx<'a> {
    pub state: &'a State,
    ops: Vec<Op>,
    applies: Vec<Apply>,
}

impl<'a> Tx<'a> {
    pub fn put<R: Record>(&mut self, rec: R) -> Result<()> {
        let key = rec.key();
        let value = serde_json::to_vec(&rec)
            .map_err(|e| EcsError::Server(format!("could not encode {}: {e}", R::KIND)))?;
        self.ops.push(Op::put(R::KIND, &key, value));
        self.applies.push(Box::new(move |s: &mut State| {
            R::table_mut(s).insert(key, rec);
        }));
        Ok(())
    }

    pub fn delete<R: Record>(&mut self, key: &str) {
        self.ops.push(Op::delete(R::KIND, key));
        let key = key.to_owned();
        self.applies.push(Box::new(move |s: &mut State| {
            R::table_mut(s).remove(&key);
        }));
    }
}

/// The state with its store: the only way records change.
pub struct Db {
    state: RwLock<State>,
    writer: Mutex<()>,
    store: Arc<dyn Store>,
}

impl Db {
    /// Rebuilds the state from every record in the store.
    pub fn open(store: Arc<dyn Store>) -> Result<Self> {
        let mut state = State::default();
        load::<ClusterRec>(&*store, &mut state)?;
        load::<FamilyRec>(&*store, &mut state)?;
        load::<TaskDefinitionRec>(&*store, &mut state)?;
        load::<ContainerInstanceRec>(&*store, &mut state)?;
        load::<CapacityProviderRec>(&*store, &mut state)?;
        load::<AccountSettingRec>(&*store, &mut state)?;
        Ok(Db {
            state: RwLock::new(state),
            writer: Mutex::new(()),
            store,
        })
    }

    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        // Poisoning cannot leave `State` half-changed: applies only insert or remove whole
        // records, so recovering the guard is safe.
        let state = self.state.read().unwrap_or_else(|p| p.into_inner());
        f(&state)
    }

    /// Runs `f` as one durable write. If `f` fails or the store refuses the batch, nothing
    /// changes.
    pub fn write<R>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<R>) -> Result<R> {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let (result, ops, applies) = {
            let state = self.state.read().unwrap_or_else(|p| p.into_inner());
            let mut tx = Tx {
                state: &state,
                ops: Vec::new(),
                applies: Vec::new(),
            };
            let result = f(&mut tx)?;
            (result, tx.ops, tx.applies)
        };
        if !ops.is_empty() {
            self.store.commit(ops)?;
            let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
            for apply in applies {
                apply(&mut state);
            }
        }
        Ok(result)
    }
}

fn load<R: Record>(store: &dyn Store, state: &mut State) -> Result<()> {
    for (key, bytes) in store.load(R::KIND)? {
        let rec: R = serde_json::from_slice(&bytes).map_err(|e| {
            EcsError::Server(format!(
                "stored {} record {key} is unreadable: {e}",
                R::KIND
            ))
        })?;
        R::table_mut(state).insert(key, rec);
    }
    Ok(())
}
