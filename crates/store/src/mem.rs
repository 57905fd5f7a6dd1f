//! The in-memory fake store, for tests. It can be told to fail, to exercise error paths.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::{Op, Store, StoreError};

#[derive(Default)]
pub struct MemStore {
    records: Mutex<BTreeMap<(String, String), Vec<u8>>>,
    fail: AtomicBool,
}

impl MemStore {
    /// While set, every commit fails and changes nothing.
    pub fn set_failing(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }

    fn records(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), Vec<u8>>> {
        // A panic while holding this lock can only come from a bug in this file; the map
        // itself is always consistent, so recover it.
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for MemStore {
    fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("injected failure".into()));
        }
        let mut records = self.records();
        for op in ops {
            match op {
                Op::Put { kind, key, value } => {
                    records.insert((kind, key), value);
                }
                Op::Delete { kind, key } => {
                    records.remove(&(kind, key));
                }
            }
        }
        Ok(())
    }

    fn load(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        Ok(self
            .records()
            .iter()
            .filter(|((k, _), _)| k == kind)
            .map(|((_, key), v)| (key.clone(), v.clone()))
            .collect())
    }
}
