//! The one write path of every Berth service: a service's records live in memory, in
//! persistent tables it declares ([`Tables`]), loaded from the [`berth_store::Store`] at start
//! and changed only through a [`Tx`], so that a change is durable before anyone sees it.
//!
//! ## Group commit
//!
//! A write runs under the service's writer lock against the *working* state: it reads, puts
//! and deletes records through a `Tx` (each change applies at once, so the write reads its own
//! changes; if it fails or panics, an undo log restores every record and index). A successful
//! write appends its changes to the open batch. The first writer to wait becomes the
//! *leader*: it cuts the batch (changes plus an O(1) snapshot of the working state), commits
//! it to the store in one transaction — encoding records there, outside the writer lock —
//! and only then publishes the snapshot as the *visible* state that readers see, and wakes
//! the writers it made durable. Many writes share one fsync; readers never wait for the disk;
//! nothing is acknowledged before it is durable. If a commit fails, every write not yet
//! durable is discarded and answered with [`CommitError::NotSaved`].
//!
//! ## Durability in the type
//!
//! [`Db::write`] returns once the write is durable. [`Db::stage`] returns a [`Staged`]: the
//! write's answer, applied in memory, with the [`Durability`] that must settle before the
//! answer may be given. A blocking caller calls [`Staged::wait`]; an async caller hands the
//! durability to a committer thread (the server's) and awaits it. Actions that must not run
//! before the change is durable (waking a poller that reads the visible state) ride on the
//! durability with [`Staged::then`], and run once it settles — whoever settles it.
//!
//! ```
//! use std::sync::Arc;
//! use berth_commit::{Db, Record, Table, Tables, CommitError};
//!
//! #[derive(Clone, Default)]
//! struct Notes { notes: Table<Note> }
//! impl Tables for Notes { type Error = CommitError; }
//!
//! #[derive(Clone, serde::Serialize, serde::Deserialize)]
//! struct Note { id: String, text: String }
//! impl Record for Note {
//!     type State = Notes;
//!     const KIND: &'static str = "example/note";
//!     fn key(&self) -> String { self.id.clone() }
//!     fn table(s: &Notes) -> &Table<Self> { &s.notes }
//!     fn table_mut(s: &mut Notes) -> &mut Table<Self> { &mut s.notes }
//! }
//!
//! let store = Arc::new(berth_store::MemStore::default());
//! let db = Db::open(store.clone(), |loader| loader.load::<Note>()).unwrap();
//! db.write(|tx| tx.put(Note { id: "a".into(), text: "hi".into() })).unwrap();
//! assert!(db.read(|s| s.notes.contains_key("a")));
//! use berth_store::Store;
//! assert_eq!(store.load("example/note").unwrap().len(), 1);
//! ```

mod db;
mod durability;
mod error;
mod tx;

pub use db::{Committed, Db, Feed, Loader, Lock};
pub use durability::{Durability, Staged};
pub use error::CommitError;
pub use tx::{Owned, Record, Savepoint, Table, Tables, Tx};
