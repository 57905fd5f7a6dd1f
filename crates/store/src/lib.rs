//! Durable storage for Berth's control plane, behind the [`Store`] trait.
//!
//! The control plane keeps its working state in memory and uses a store as its durable
//! record: every change is a batch of [`Op`]s that [`Store::commit`] writes atomically and
//! durably *before* the change is applied in memory and acknowledged to a client. At start
//! the state is rebuilt with [`Store::load`], one record kind at a time.
//!
//! Records are opaque bytes addressed by `(kind, key)`; the store knows nothing of ECS.
//! That keeps backends small: [`SqliteStore`] (embedded, WAL, `synchronous=FULL`) is the real
//! one, [`MemStore`] the fake for tests, and a replicated backend can implement the same two
//! calls later.
//!
//! ```
//! use berth_store::{MemStore, Op, Store};
//! let store = MemStore::default();
//! store.commit(vec![Op::put("cluster", "default", b"{}".to_vec())]).unwrap();
//! assert_eq!(store.load("cluster").unwrap().len(), 1);
//! ```

mod mem;
mod namespaced;
mod sqlite;

pub use mem::MemStore;
pub use namespaced::Namespaced;
pub use sqlite::SqliteStore;

/// One change in a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Put {
        kind: String,
        key: String,
        value: Vec<u8>,
    },
    Delete {
        kind: String,
        key: String,
    },
}

impl Op {
    pub fn put(kind: &str, key: &str, value: Vec<u8>) -> Self {
        Op::Put {
            kind: kind.to_owned(),
            key: key.to_owned(),
            value,
        }
    }

    pub fn delete(kind: &str, key: &str) -> Self {
        Op::Delete {
            kind: kind.to_owned(),
            key: key.to_owned(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed; nothing of the batch was applied.
    #[error("store backend error: {0}")]
    Backend(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// A durable, atomic record store.
pub trait Store: Send + Sync {
    /// Applies every op of the batch, or none of them. Returns only once the batch is durable.
    fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError>;

    /// All records of one kind, ordered by key.
    fn load(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
}
