//! The working state, the batch being filled, and the group commit (see the crate docs).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};

use berth_store::{Op, Store};

use crate::durability::{Durability, Settle, Staged};
use crate::tx::{Pending, Record, Tables, Tx};
use crate::CommitError;

/// How a staged write takes the writer lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Waits for it (a blocking thread).
    Wait,
    /// Gives up at once with [`CommitError::Busy`], changing nothing, if another writer holds
    /// it (an async worker, which must never wait for a lock held across a long write).
    TryOnce,
}

/// The writer side: the working state and the batch being filled.
struct Writer<S> {
    working: S,
    pending: Vec<Pending>,
    /// Sequence number of the batch being filled.
    open_batch: u64,
    /// The last batch given changes (0: none since the last failed commit, whose discarding
    /// left only durable changes).
    last_filled: u64,
}

/// Which batches are durable, and whether a leader is committing one.
#[derive(Default)]
struct Progress {
    durable: u64,
    /// Ranges of batches discarded after a failed commit (rare; never shrinks).
    failed: Vec<(u64, u64)>,
    committing: bool,
    /// Writers waiting, by the batch they wait for: a commit wakes only the writers it made
    /// durable, plus one writer of a later batch to lead the next commit.
    waiting: BTreeMap<u64, Arc<Condvar>>,
}

impl Progress {
    /// Whether a failed commit discarded any batch from `first` to `last`.
    fn discarded(&self, first: u64, last: u64) -> bool {
        self.failed
            .iter()
            .any(|(from, to)| *from <= last && first <= *to)
    }
}

/// What a commit made durable: every (kind, key) it put or deleted, for controllers that
/// reconcile what changed.
#[derive(Debug, Clone)]
pub struct Committed {
    pub batch: u64,
    pub changes: Vec<(&'static str, String)>,
}

/// Called with every durable batch, on the committing thread: it must only take note (queue
/// keys, wake a loop), never write.
pub type Feed = Box<dyn Fn(&Committed) + Send + Sync>;

struct Inner<S> {
    visible: RwLock<Arc<S>>,
    writer: Mutex<Writer<S>>,
    progress: Mutex<Progress>,
    store: Arc<dyn Store>,
    feeds: RwLock<Vec<Feed>>,
}

/// A service's state with its store: the only way its records change. Cloning gives another
/// handle to the same state.
pub struct Db<S: Tables> {
    inner: Arc<Inner<S>>,
}

impl<S: Tables> Clone for Db<S> {
    fn clone(&self) -> Self {
        Db {
            inner: self.inner.clone(),
        }
    }
}

/// Reads a service's records from the store into its state at open.
pub struct Loader<'a, S> {
    store: &'a dyn Store,
    state: S,
}

impl<S: Tables> Loader<'_, S> {
    /// Loads every record of `R`'s kind, with its indexes.
    pub fn load<R: Record<State = S>>(&mut self) -> Result<(), CommitError> {
        let rows = self
            .store
            .load(R::KIND)
            .map_err(|e| CommitError::Load(e.to_string()))?;
        for (key, bytes) in rows {
            let rec: R = serde_json::from_slice(&bytes).map_err(|e| CommitError::Unreadable {
                kind: R::KIND,
                key: key.clone(),
                reason: e.to_string(),
            })?;
            R::index(&mut self.state, None, Some(&rec));
            R::table_mut(&mut self.state).insert(key, Arc::new(rec));
        }
        Ok(())
    }

    /// The state loaded so far, for a service that derives more from it at open.
    pub fn state_mut(&mut self) -> &mut S {
        &mut self.state
    }
}

impl<S: Tables> Db<S> {
    /// Rebuilds the state from the store: `load` names the record kinds to read.
    pub fn open<E>(
        store: Arc<dyn Store>,
        load: impl FnOnce(&mut Loader<'_, S>) -> Result<(), E>,
    ) -> Result<Self, E> {
        let mut loader = Loader {
            store: &*store,
            state: S::default(),
        };
        load(&mut loader)?;
        let state = loader.state;
        Ok(Db {
            inner: Arc::new(Inner {
                visible: RwLock::new(Arc::new(state.clone())),
                writer: Mutex::new(Writer {
                    working: state,
                    pending: Vec::new(),
                    open_batch: 1,
                    last_filled: 0,
                }),
                progress: Mutex::new(Progress::default()),
                store,
                feeds: RwLock::new(Vec::new()),
            }),
        })
    }

    /// Runs `f` on the durable state. Never waits for the disk.
    pub fn read<R>(&self, f: impl FnOnce(&S) -> R) -> R {
        f(&self.snapshot())
    }

    /// The durable state as of now (an O(1) copy).
    pub fn snapshot(&self) -> Arc<S> {
        self.inner
            .visible
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Adds a feed of committed changes.
    pub fn subscribe(&self, feed: Feed) {
        self.inner
            .feeds
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(feed);
    }

    /// Runs `f` as one write and returns once its changes are durable. If `f` fails, or the
    /// store refuses the batch, nothing changes.
    pub fn write<R>(
        &self,
        f: impl FnOnce(&mut Tx<'_, S>) -> Result<R, S::Error>,
    ) -> Result<R, S::Error> {
        Ok(self.stage(Lock::Wait, f)?.wait()?)
    }

    /// Runs `f` as one write applied in memory: its answer is durable once the returned
    /// [`Staged`] is waited for (see the crate docs). If `f` fails nothing changes.
    pub fn stage<R>(
        &self,
        lock: Lock,
        f: impl FnOnce(&mut Tx<'_, S>) -> Result<R, S::Error>,
    ) -> Result<Staged<R>, S::Error> {
        let (result, batch) = {
            let mut w = match lock {
                Lock::Wait => self.writer(),
                Lock::TryOnce => match self.inner.writer.try_lock() {
                    Ok(w) => w,
                    Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                    Err(std::sync::TryLockError::WouldBlock) => {
                        return Err(CommitError::Busy.into())
                    }
                },
            };
            let w = &mut *w;
            let mut tx = Tx::new(&mut w.working);
            let result = f(&mut tx)?;
            tx.done = true;
            let ops = std::mem::take(&mut tx.ops);
            drop(tx);
            if ops.is_empty() {
                // Nothing to save, but what it answers may rest on other writes' changes:
                // it waits for them to be durable too.
                (result, w.last_filled)
            } else {
                w.pending.extend(ops);
                w.last_filled = w.open_batch;
                (result, w.open_batch)
            }
        };
        let settle: Arc<dyn Settle> = self.inner.clone();
        Ok(Staged::new(result, Durability::of(settle, batch, batch)))
    }

    fn writer(&self) -> MutexGuard<'_, Writer<S>> {
        self.inner.writer()
    }
}

impl<S: Tables> Inner<S> {
    fn writer(&self) -> MutexGuard<'_, Writer<S>> {
        // Poisoning cannot leave the working state half-changed: a write that panics is undone
        // as its `Tx` is dropped, and changes insert or remove whole records.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `batch` is durable, committing it (and everything before it) as the leader
    /// if nobody else is.
    fn wait_durable(&self, batch: u64) -> Result<(), CommitError> {
        let mut progress = self.progress();
        loop {
            if progress.discarded(batch, batch) {
                return Err(CommitError::NotSaved);
            }
            if progress.durable >= batch {
                return Ok(());
            }
            if progress.committing {
                let turn = progress.waiting.entry(batch).or_default().clone();
                progress = turn.wait(progress).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            progress.committing = true;
            drop(progress);
            let outcome = self.commit_open_batch();
            progress = self.progress();
            progress.committing = false;
            match outcome {
                Ok(committed) => {
                    progress.durable = committed;
                    // Everyone this commit made durable; then one writer of the next batch,
                    // to lead its commit.
                    let later = progress.waiting.split_off(&(committed + 1));
                    for turn in std::mem::replace(&mut progress.waiting, later).values() {
                        turn.notify_all();
                    }
                    if let Some(next) = progress.waiting.values().next() {
                        next.notify_one();
                    }
                }
                Err(discarded) => {
                    // Rare: wake every waiter to look at the outcome.
                    progress.failed.push(discarded);
                    for turn in std::mem::take(&mut progress.waiting).values() {
                        turn.notify_all();
                    }
                }
            }
        }
    }

    /// Cuts the open batch, commits it, publishes its state. On failure discards every
    /// change that is not durable and returns the range of discarded batch numbers.
    fn commit_open_batch(&self) -> Result<u64, (u64, u64)> {
        let (ops, snapshot, batch) = {
            let mut w = self.writer();
            let batch = w.open_batch;
            w.open_batch += 1;
            (std::mem::take(&mut w.pending), w.working.clone(), batch)
        };
        // A panic in the store counts as a failed commit: the writers waiting on this batch
        // are told, and a later one leads the next commit.
        let listened = !self
            .feeds
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty();
        let saved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let ops = encode(ops)?;
            // The changed keys are copied only for feeds that listen.
            let changes = if listened {
                ops.iter().map(change_of).collect::<Vec<_>>()
            } else {
                Vec::new()
            };
            let ops = ops.into_iter().map(|(_, op)| op).collect();
            self.store.commit(ops).map_err(|e| e.to_string())?;
            Ok::<_, String>(changes)
        }))
        .unwrap_or_else(|_| Err("the store panicked".to_owned()));
        match saved {
            Ok(changes) => {
                let previous = std::mem::replace(
                    &mut *self.visible.write().unwrap_or_else(|p| p.into_inner()),
                    Arc::new(snapshot),
                );
                // Freeing what only the previous snapshot held happens outside the lock.
                drop(previous);
                self.publish(batch, changes);
                Ok(batch)
            }
            Err(e) => {
                tracing::error!(error = %e, "store commit failed; discarding changes not yet durable");
                let mut w = self.writer();
                let visible = self
                    .visible
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                let lost = std::mem::replace(&mut w.working, (*visible).clone());
                w.working.discarded(&lost);
                w.pending.clear();
                // Writes staged after the cut were built on the discarded changes: drop them too.
                let last = w.open_batch;
                w.open_batch += 1;
                w.last_filled = 0;
                Err((batch, last))
            }
        }
    }

    fn publish(&self, batch: u64, changes: Vec<(&'static str, String)>) {
        let feeds = self.feeds.read().unwrap_or_else(|p| p.into_inner());
        if feeds.is_empty() || changes.is_empty() {
            return;
        }
        let committed = Committed { batch, changes };
        for feed in feeds.iter() {
            feed(&committed);
        }
    }
}

impl<S: Tables> Settle for Inner<S> {
    fn settle(&self, first: u64, last: u64) -> Result<(), CommitError> {
        self.wait_durable(last)?;
        if self.progress().discarded(first, last) {
            return Err(CommitError::NotSaved);
        }
        Ok(())
    }
}

/// The kind and key an encoded op changed. The kinds in a batch come from `Record::KIND`
/// constants, hence `'static`.
fn change_of(op: &(&'static str, Op)) -> (&'static str, String) {
    match &op.1 {
        Op::Put { key, .. } | Op::Delete { key, .. } => (op.0, key.clone()),
    }
}

/// The store ops of a batch: the last change of each record only (the batch is one atomic
/// transaction, so earlier versions would be overwritten within it anyway), encoded.
fn encode(pending: Vec<Pending>) -> Result<Vec<(&'static str, Op)>, String> {
    let mut last = HashMap::with_capacity(pending.len());
    for (i, p) in pending.iter().enumerate() {
        last.insert(p.id(), i);
    }
    let keep: Vec<bool> = pending
        .iter()
        .enumerate()
        .map(|(i, p)| last.get(&p.id()) == Some(&i))
        .collect();
    drop(last);
    let mut ops = Vec::with_capacity(keep.iter().filter(|k| **k).count());
    for (p, keep) in pending.into_iter().zip(keep) {
        if !keep {
            continue;
        }
        ops.push(match p {
            Pending::Put { kind, key, encode } => {
                let value = encode().map_err(|e| format!("could not encode {kind}: {e}"))?;
                (
                    kind,
                    Op::Put {
                        kind: kind.to_owned(),
                        key,
                        value,
                    },
                )
            }
            Pending::Delete { kind, key } => (
                kind,
                Op::Delete {
                    kind: kind.to_owned(),
                    key,
                },
            ),
        });
    }
    Ok(ops)
}
