//! A service's tables, its record kinds, and one write in progress.

use std::sync::Arc;

use serde::{de::DeserializeOwned, Serialize};

/// A table of records by store key; cloning is O(1). Records are shared (`Arc`), so the
/// copy-on-write of a persistent-map node copies pointers, not whole records.
pub type Table<T> = imbl::OrdMap<String, Arc<T>>;

/// An owned copy of a shared record, to change and put back.
pub trait Owned<T> {
    fn owned(self) -> Option<T>;
}

impl<T: Clone> Owned<T> for Option<&Arc<T>> {
    fn owned(self) -> Option<T> {
        self.map(|r| T::clone(r))
    }
}

/// Everything one service keeps: its tables and the indexes derived from them.
pub trait Tables: Clone + Default + Send + Sync + 'static {
    /// The service's error type, which its writes answer.
    type Error: From<crate::CommitError>;

    /// Called on the working state when a failed commit put it back to `self` (the visible
    /// state) and discarded newer changes; `lost` is the working state as it was. A service
    /// that keeps anything outside its tables by change number starts it over here.
    fn discarded(&mut self, lost: &Self) {
        let _ = lost;
    }
}

/// A record kind: how it is named in the store and where it lives in its service's state.
pub trait Record: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    type State: Tables;
    /// The store kind; each service names its kinds with its own prefix (`logs/group`), so
    /// services sharing a store never meet. (ECS's kinds predate the rule and are bare.)
    const KIND: &'static str;
    fn key(&self) -> String;
    fn table(state: &Self::State) -> &Table<Self>;
    fn table_mut(state: &mut Self::State) -> &mut Table<Self>;
    /// Keeps derived indexes in step when a record is replaced or removed.
    fn index(state: &mut Self::State, old: Option<&Self>, new: Option<&Self>) {
        let _ = (state, old, new);
    }
}

/// A record's encoding, deferred to the committing leader (outside the writer lock).
pub(crate) type Encode = Box<dyn FnOnce() -> serde_json::Result<Vec<u8>> + Send>;

/// A staged change; a put is encoded only when its batch is committed, and only if no later
/// change of the same batch replaces it.
pub(crate) enum Pending {
    Put {
        kind: &'static str,
        key: String,
        encode: Encode,
    },
    Delete {
        kind: &'static str,
        key: String,
    },
}

impl Pending {
    pub(crate) fn id(&self) -> (&'static str, &str) {
        match self {
            Pending::Put { kind, key, .. } | Pending::Delete { kind, key } => (kind, key),
        }
    }
}

/// Puts a record's previous version back (and its indexes).
type Undo<S> = Box<dyn FnOnce(&mut S) + Send>;

/// One write in progress. Its changes apply to the working state at once, so the write reads
/// what it wrote; if it fails — an error or a panic — they are undone in reverse order before
/// anyone else can look.
pub struct Tx<'a, S: Tables> {
    pub state: &'a mut S,
    pub(crate) ops: Vec<Pending>,
    undo: Vec<Undo<S>>,
    pub(crate) done: bool,
}

impl<'a, S: Tables> Tx<'a, S> {
    pub(crate) fn new(state: &'a mut S) -> Self {
        Tx {
            state,
            ops: Vec::new(),
            undo: Vec::new(),
            done: false,
        }
    }

    /// Puts `rec` (replacing the record with its key). Infallible; a `Result` so that
    /// handlers can write `tx.put(rec)?` in a chain of fallible steps.
    pub fn put<R: Record<State = S>>(&mut self, rec: R) -> Result<(), S::Error> {
        let key = rec.key();
        let rec = Arc::new(rec);
        let stored = rec.clone();
        self.ops.push(Pending::Put {
            kind: R::KIND,
            key: key.clone(),
            encode: Box::new(move || serde_json::to_vec(&*stored)),
        });
        let old = R::table_mut(self.state).insert(key.clone(), rec.clone());
        R::index(self.state, old.as_deref(), Some(&rec));
        self.undo.push(Box::new(move |s: &mut S| {
            restore(s, key, Some(&rec), old);
        }));
        Ok(())
    }

    pub fn delete<R: Record<State = S>>(&mut self, key: &str) {
        self.ops.push(Pending::Delete {
            kind: R::KIND,
            key: key.to_owned(),
        });
        let old = R::table_mut(self.state).remove(key);
        R::index(self.state, old.as_deref(), None);
        let key = key.to_owned();
        self.undo.push(Box::new(move |s: &mut S| {
            restore::<R>(s, key, None, old);
        }));
    }

    /// Where the write stands now, to undo back to with [`Tx::rollback_to`].
    pub fn savepoint(&self) -> Savepoint {
        Savepoint {
            ops: self.ops.len(),
            undo: self.undo.len(),
        }
    }

    /// Undoes every change made since `sp`; the changes before it stay.
    pub fn rollback_to(&mut self, sp: Savepoint) {
        while self.undo.len() > sp.undo {
            if let Some(undo) = self.undo.pop() {
                undo(self.state);
            }
        }
        self.ops.truncate(sp.ops);
    }
}

/// A point in a write to undo back to (one item of a batch that failed, say).
#[derive(Debug, Clone, Copy, Default)]
pub struct Savepoint {
    ops: usize,
    undo: usize,
}

/// Replaces `now` (the record under `key`, if any) with `before` again.
fn restore<R: Record>(s: &mut R::State, key: String, now: Option<&Arc<R>>, before: Option<Arc<R>>) {
    match &before {
        Some(b) => {
            R::table_mut(s).insert(key, b.clone());
        }
        None => {
            R::table_mut(s).remove(&key);
        }
    }
    R::index(s, now.map(|n| &**n), before.as_deref());
}

impl<S: Tables> Drop for Tx<'_, S> {
    fn drop(&mut self) {
        if !self.done {
            self.rollback_to(Savepoint::default());
        }
    }
}

/// Implements [`Record`] for a record type: `record!(State: MyRec, "svc/kind", table_field,
/// |r| key_expr)`, optionally followed by `index = |state, old, new| { … }` to keep derived
/// indexes in step.
#[macro_export]
macro_rules! record {
    ($state:ty : $ty:ty, $kind:literal, $field:ident, |$r:ident| $key:expr) => {
        $crate::record!($state : $ty, $kind, $field, |$r| $key, index = |_s, _old, _new| {});
    };
    ($state:ty : $ty:ty, $kind:literal, $field:ident, |$r:ident| $key:expr, index = |$s:ident, $old:ident, $new:ident| $index:block) => {
        impl $crate::Record for $ty {
            type State = $state;
            const KIND: &'static str = $kind;
            fn key(&self) -> String {
                let $r = self;
                $key
            }
            fn table(state: &$state) -> &$crate::Table<Self> {
                &state.$field
            }
            fn table_mut(state: &mut $state) -> &mut $crate::Table<Self> {
                &mut state.$field
            }
            fn index($s: &mut $state, $old: Option<&Self>, $new: Option<&Self>) $index
        }
    };
}
