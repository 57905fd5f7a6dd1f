//! The control plane's working state: every record in memory, loaded from the store at
//! start, changed only through [`Tx`] so that a change is durable before anyone sees it.
//!
//! ## The write path (group commit)
//!
//! A write runs under the writer lock against the *working* state: it reads, stages records
//! in a `Tx`, and — if it succeeds — its changes are applied to the working state and its ops
//! appended to the open batch. It then releases the lock and waits until its batch is durable.
//! The first waiter becomes the *leader*: it cuts the batch (ops plus an O(1) snapshot of the
//! working state, thanks to persistent maps), commits it to the store in one transaction, and
//! only then publishes the snapshot as the *visible* state and wakes the batch's writers.
//!
//! So: writers are serialised (no lost updates: two registrations of one family get different
//! revisions), many writes share one fsync, readers only ever see durable state and never wait
//! for the disk, and nothing is acknowledged before it is on disk. If a commit fails, every
//! write not yet durable is discarded (the working state goes back to the visible one) and
//! its writer gets an error.

use std::sync::{Arc, Condvar, Mutex, RwLock};

use berth_store::{Op, Store};
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{EcsError, Result};
use crate::records::*;

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

/// Everything the control plane knows, keyed as in the store.
#[derive(Default, Clone)]
pub struct State {
    pub clusters: Table<ClusterRec>,
    pub families: Table<FamilyRec>,
    pub task_definitions: Table<TaskDefinitionRec>,
    pub container_instances: Table<ContainerInstanceRec>,
    pub capacity_providers: Table<CapacityProviderRec>,
    pub account_settings: Table<AccountSettingRec>,
    pub tasks: Table<TaskRec>,
    pub client_tokens: Table<ClientTokenRec>,
    pub services: Table<ServiceRec>,
    /// Index: container instance id → (assignment sequence number, task id) of the tasks
    /// placed on it, so that a poll finds the changes after a sequence number directly.
    pub instance_tasks: imbl::OrdMap<String, imbl::OrdSet<(u64, String)>>,
    /// Index: container instance id → (task group → how many of the instance's tasks are in
    /// it), for placement candidates.
    pub instance_groups: imbl::OrdMap<String, imbl::OrdMap<String, usize>>,
    /// Index: container instance id → its pending and running task counts.
    pub instance_counts: imbl::OrdMap<String, TaskCounts>,
    /// Index: cluster name → its FARGATE tasks' pending and running counts (they run on
    /// the internal pool, not on the cluster's instances).
    pub fargate_counts: imbl::OrdMap<String, TaskCounts>,
    /// Index: service key (`<cluster>/<name>`) → the ids of its retained tasks.
    pub service_tasks: imbl::OrdMap<String, imbl::OrdSet<String>>,
    /// Index: change mark → container instance id, one entry per instance: the last change
    /// placement would see (its record, or the tasks on it). Placement candidates are
    /// refreshed from the marks after the last one they saw, not rebuilt.
    pub instance_changes: imbl::OrdMap<u64, String>,
    /// Index: container instance id → its entry in `instance_changes`.
    pub instance_marks: imbl::OrdMap<String, u64>,
    /// The last change mark given out.
    pub last_mark: u64,
    /// Moves on each time a failed commit discards changes: the working state then goes back
    /// to the visible one and change marks are given out again, so anything kept by mark
    /// (placement candidates) must start over.
    pub mark_epoch: u64,
}

impl State {
    /// The pending and running task counts of an instance.
    pub fn task_counts(&self, instance_id: &str) -> TaskCounts {
        self.instance_counts
            .get(instance_id)
            .copied()
            .unwrap_or_default()
    }

    /// Records that what placement sees of an instance changed.
    pub fn touch_instance(&mut self, instance_id: &str) {
        self.last_mark += 1;
        let mark = self.last_mark;
        if let Some(old) = self.instance_marks.insert(instance_id.to_owned(), mark) {
            self.instance_changes.remove(&old);
        }
        self.instance_changes.insert(mark, instance_id.to_owned());
    }
}

/// A record kind: how it is named in the store and where it lives in [`State`].
pub trait Record: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    const KIND: &'static str;
    fn key(&self) -> String;
    fn table(state: &State) -> &Table<Self>;
    fn table_mut(state: &mut State) -> &mut Table<Self>;
    /// Keeps derived indexes in step when a record is replaced or removed.
    fn index(state: &mut State, old: Option<&Self>, new: Option<&Self>);
}

/// A record's encoding, deferred to the committing leader (outside the writer lock).
type Encode = Box<dyn FnOnce() -> serde_json::Result<Vec<u8>> + Send>;

/// A staged change; a put is encoded only when its batch is committed, and only if no later
/// change of the same batch replaces it.
enum Pending {
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
    fn id(&self) -> (&'static str, &str) {
        match self {
            Pending::Put { kind, key, .. } | Pending::Delete { kind, key } => (kind, key),
        }
    }
}

/// One write in progress. Its changes apply to the working state at once, so the write reads
/// what it wrote (two placements in one write see each other's charges); if it fails — an
/// error or a panic — they are undone in reverse order before anyone else can look.
pub struct Tx<'a> {
    pub state: &'a mut State,
    ops: Vec<Pending>,
    undo: Vec<Undo>,
    done: bool,
}

/// Puts a record's previous version back (and its indexes).
type Undo = Box<dyn FnOnce(&mut State) + Send>;

impl Tx<'_> {
    pub fn put<R: Record>(&mut self, rec: R) -> Result<()> {
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
        self.undo.push(Box::new(move |s: &mut State| {
            restore(s, key, Some(&rec), old);
        }));
        Ok(())
    }

    pub fn delete<R: Record>(&mut self, key: &str) {
        self.ops.push(Pending::Delete {
            kind: R::KIND,
            key: key.to_owned(),
        });
        let old = R::table_mut(self.state).remove(key);
        R::index(self.state, old.as_deref(), None);
        let key = key.to_owned();
        self.undo.push(Box::new(move |s: &mut State| {
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

    fn rollback(&mut self) {
        self.rollback_to(Savepoint::default());
    }
}

/// A point in a write to undo back to (one item of a batch that failed, say).
#[derive(Debug, Clone, Copy, Default)]
pub struct Savepoint {
    ops: usize,
    undo: usize,
}

/// Replaces `now` (the record under `key`, if any) with `before` again.
fn restore<R: Record>(s: &mut State, key: String, now: Option<&Arc<R>>, before: Option<Arc<R>>) {
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

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.rollback();
        }
    }
}

/// The writer side: the working state and the batch being filled.
struct Writer {
    working: State,
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
    /// durable, plus one writer of a later batch to lead the next commit (not every waiter,
    /// most of whom would only go back to sleep).
    waiting: std::collections::BTreeMap<u64, Arc<Condvar>>,
}

fn not_saved() -> EcsError {
    EcsError::Server("The service could not save the change; nothing was changed.".into())
}

impl Progress {
    /// Whether a failed commit discarded any batch from `first` to `last`.
    fn discarded(&self, first: u64, last: u64) -> bool {
        self.failed
            .iter()
            .any(|(from, to)| *from <= last && first <= *to)
    }
}

/// The state with its store: the only way records change.
pub struct Db {
    visible: RwLock<Arc<State>>,
    writer: Mutex<Writer>,
    progress: Mutex<Progress>,
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
        load::<TaskRec>(&*store, &mut state)?;
        load::<ClientTokenRec>(&*store, &mut state)?;
        load::<ServiceRec>(&*store, &mut state)?;
        Ok(Db {
            visible: RwLock::new(Arc::new(state.clone())),
            writer: Mutex::new(Writer {
                working: state,
                pending: Vec::new(),
                open_batch: 1,
                last_filled: 0,
            }),
            progress: Mutex::new(Progress::default()),
            store,
        })
    }

    /// Runs `f` on the durable state. Never waits for the disk.
    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        let snapshot = self
            .visible
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        f(&snapshot)
    }

    /// Runs `f` as one durable write and returns once its changes are on disk. If `f` fails,
    /// or the store refuses the batch, nothing changes.
    pub fn write<R>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<R>) -> Result<R> {
        let (result, batch) = {
            let mut w = if crate::deferred::must_not_block() {
                match self.writer.try_lock() {
                    Ok(w) => w,
                    Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                    Err(std::sync::TryLockError::WouldBlock) => {
                        crate::deferred::gave_up();
                        return Err(EcsError::Server(
                            "The writer is busy; the call is retried where it may wait.".into(),
                        ));
                    }
                }
            } else {
                self.writer()
            };
            let w = &mut *w;
            let mut tx = Tx {
                state: &mut w.working,
                ops: Vec::new(),
                undo: Vec::new(),
                done: false,
            };
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
        if !crate::deferred::defer(batch) {
            self.wait_durable(batch)?;
        }
        Ok(result)
    }

    /// Waits until every batch of `ticket` is durable, committing them if nobody else is; an
    /// error if any of them was discarded (see `crate::deferred`).
    pub fn make_durable(&self, ticket: crate::deferred::Ticket) -> Result<()> {
        self.wait_durable(ticket.last)?;
        if self.progress().discarded(ticket.first, ticket.last) {
            return Err(not_saved());
        }
        Ok(())
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        // Poisoning cannot leave the working state half-changed: a write that panics is undone
        // as its `Tx` is dropped, and changes insert or remove whole records.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `batch` is durable, committing it (and everything before it) as the leader
    /// if nobody else is.
    fn wait_durable(&self, batch: u64) -> Result<()> {
        let mut progress = self.progress();
        loop {
            if progress.discarded(batch, batch) {
                return Err(not_saved());
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
    fn commit_open_batch(&self) -> std::result::Result<u64, (u64, u64)> {
        let (ops, snapshot, batch) = {
            let mut w = self.writer();
            let batch = w.open_batch;
            w.open_batch += 1;
            (std::mem::take(&mut w.pending), w.working.clone(), batch)
        };
        // A panic in the store counts as a failed commit: the writers waiting on this batch
        // are told, and a later one leads the next commit.
        let saved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            encode(ops).and_then(|ops| self.store.commit(ops).map_err(|e| e.to_string()))
        }))
        .unwrap_or_else(|_| Err("the store panicked".to_owned()));
        match saved {
            Ok(()) => {
                let previous = std::mem::replace(
                    &mut *self.visible.write().unwrap_or_else(|p| p.into_inner()),
                    Arc::new(snapshot),
                );
                // Freeing what only the previous snapshot held happens outside the lock.
                drop(previous);
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
                let epoch = w.working.mark_epoch.max(visible.mark_epoch) + 1;
                w.working = (*visible).clone();
                w.working.mark_epoch = epoch;
                w.pending.clear();
                // Writes staged after the cut were built on the discarded changes: drop them too.
                let last = w.open_batch;
                w.open_batch += 1;
                w.last_filled = 0;
                Err((batch, last))
            }
        }
    }
}

/// The store ops of a batch: the last change of each record only (the batch is one atomic
/// transaction, so earlier versions would be overwritten within it anyway), encoded.
fn encode(pending: Vec<Pending>) -> std::result::Result<Vec<Op>, String> {
    let mut last = std::collections::HashMap::with_capacity(pending.len());
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
                Op::Put {
                    kind: kind.to_owned(),
                    key,
                    value,
                }
            }
            Pending::Delete { kind, key } => Op::Delete {
                kind: kind.to_owned(),
                key,
            },
        });
    }
    Ok(ops)
}

fn load<R: Record>(store: &dyn Store, state: &mut State) -> Result<()> {
    for (key, bytes) in store.load(R::KIND)? {
        let rec: R = serde_json::from_slice(&bytes).map_err(|e| {
            EcsError::Server(format!(
                "stored {} record {key} is unreadable: {e}",
                R::KIND
            ))
        })?;
        R::index(state, None, Some(&rec));
        R::table_mut(state).insert(key, Arc::new(rec));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_ecs_model::shapes::Cluster;
    use berth_store::{MemStore, StoreError};

    fn cluster(name: &str) -> ClusterRec {
        ClusterRec {
            cluster: Cluster {
                cluster_name: Some(name.into()),
                ..Default::default()
            },
        }
    }

    /// A store whose commits wait at a gate the test opens, then pass or fail.
    #[derive(Default)]
    struct GateStore {
        inner: MemStore,
        /// (commits waiting, the gate's verdict once opened: Some(pass))
        gate: Mutex<(usize, Option<bool>)>,
        moved: Condvar,
    }

    impl GateStore {
        fn open(&self, pass: bool) {
            self.gate.lock().expect("gate").1 = Some(pass);
            self.moved.notify_all();
        }

        fn wait_for_commit(&self) {
            let mut gate = self.gate.lock().expect("gate");
            while gate.0 == 0 {
                gate = self.moved.wait(gate).expect("gate");
            }
        }
    }

    impl Store for GateStore {
        fn commit(&self, ops: Vec<Op>) -> std::result::Result<(), StoreError> {
            let mut gate = self.gate.lock().expect("gate");
            gate.0 += 1;
            self.moved.notify_all();
            while gate.1.is_none() {
                gate = self.moved.wait(gate).expect("gate");
            }
            if gate.1 == Some(false) {
                return Err(StoreError::Backend("gate closed".into()));
            }
            drop(gate);
            self.inner.commit(ops)
        }

        fn load(&self, kind: &str) -> std::result::Result<Vec<(String, Vec<u8>)>, StoreError> {
            self.inner.load(kind)
        }
    }

    /// A write that changes nothing but saw another write's change answers only once that
    /// change is durable, and fails if it is discarded.
    #[test]
    fn a_write_without_changes_waits_for_the_changes_it_saw() {
        for pass in [true, false] {
            let store = Arc::new(GateStore::default());
            let db = Arc::new(Db::open(store.clone()).expect("open"));
            let writer = {
                let db = db.clone();
                std::thread::spawn(move || db.write(|tx| tx.put(cluster("c"))))
            };
            store.wait_for_commit();
            let (tx, rx) = std::sync::mpsc::channel();
            let reader = {
                let db = db.clone();
                std::thread::spawn(move || {
                    let answer = db.write(|tx| Ok(tx.state.clusters.contains_key("c")));
                    let _ = tx.send(answer.is_ok());
                    answer
                })
            };
            std::thread::sleep(std::time::Duration::from_millis(100));
            assert!(
                rx.try_recv().is_err(),
                "answered before the change was durable"
            );
            store.open(pass);
            assert_eq!(writer.join().expect("writer").is_ok(), pass);
            let answer = reader.join().expect("reader");
            assert_eq!(answer.is_ok(), pass);
            if pass {
                assert_eq!(answer.ok(), Some(true));
            }
            // Afterwards a write without changes answers at once, even after a failure.
            assert!(db.write(|_| Ok(())).is_ok());
        }
    }

    /// A store that panics on its first commit.
    #[derive(Default)]
    struct PanicOnceStore {
        inner: MemStore,
        panicked: std::sync::atomic::AtomicBool,
    }

    impl Store for PanicOnceStore {
        fn commit(&self, ops: Vec<Op>) -> std::result::Result<(), StoreError> {
            if !self
                .panicked
                .swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                panic!("the disk is on fire");
            }
            self.inner.commit(ops)
        }

        fn load(&self, kind: &str) -> std::result::Result<Vec<(String, Vec<u8>)>, StoreError> {
            self.inner.load(kind)
        }
    }

    #[test]
    fn a_store_that_panics_fails_that_write_and_not_the_next() {
        let db = Db::open(Arc::new(PanicOnceStore::default())).expect("open");
        assert!(matches!(
            db.write(|tx| tx.put(cluster("a"))),
            Err(EcsError::Server(_))
        ));
        assert!(!db.read(|s| s.clusters.contains_key("a")));
        db.write(|tx| tx.put(cluster("b"))).expect("next write");
        assert!(db.read(|s| s.clusters.contains_key("b") && !s.clusters.contains_key("a")));
    }

    /// On an async worker a handler's first write gives up, changing nothing, rather than
    /// wait for a writer lock someone else holds; where it may block, it waits and its batch
    /// is made durable by the caller.
    #[test]
    fn a_nonblocking_deferred_write_gives_up_on_a_held_writer_lock() {
        let db = Arc::new(Db::open(Arc::new(MemStore::default())).expect("open"));
        let (held, is_held) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let holder = {
            let db = db.clone();
            std::thread::spawn(move || {
                db.write(|tx| {
                    let _ = held.send(());
                    let _ = released.recv();
                    tx.put(cluster("a"))
                })
            })
        };
        is_held.recv().expect("lock held");
        let (gave_up, d) = crate::deferred::deferring(true, || db.write(|tx| tx.put(cluster("b"))));
        assert!(gave_up.is_err());
        assert!(d.would_block());
        assert_eq!(d.ticket(), None);
        release.send(()).expect("release");
        holder.join().expect("holder").expect("write a");
        assert!(
            !db.read(|s| s.clusters.contains_key("b")),
            "nothing of the first try"
        );

        let (wrote, d) = crate::deferred::deferring(false, || db.write(|tx| tx.put(cluster("b"))));
        wrote.expect("write b");
        assert!(!d.would_block());
        db.make_durable(d.ticket().expect("a batch"))
            .expect("durable");
        assert!(db.read(|s| s.clusters.contains_key("b")));
    }

    #[test]
    fn concurrent_writers_all_become_durable_and_visible() {
        let store = Arc::new(MemStore::default());
        let db = Arc::new(Db::open(store.clone()).expect("open"));
        let threads: Vec<_> = (0..32)
            .map(|i| {
                let db = db.clone();
                std::thread::spawn(move || {
                    db.write(|tx| tx.put(cluster(&format!("c{i}"))))
                        .expect("write");
                    // Acknowledged ⇒ visible to readers.
                    assert!(db.read(|s| s.clusters.contains_key(&format!("c{i}"))));
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        assert_eq!(store.load("cluster").expect("load").len(), 32);
    }

    #[test]
    fn a_failed_commit_discards_the_change_and_later_writes_work() {
        let store = Arc::new(MemStore::default());
        let db = Db::open(store.clone()).expect("open");
        store.set_failing(true);
        assert!(db.write(|tx| tx.put(cluster("lost"))).is_err());
        store.set_failing(false);
        assert!(!db.read(|s| s.clusters.contains_key("lost")));
        db.write(|tx| {
            assert!(
                !tx.state.clusters.contains_key("lost"),
                "working state was reset"
            );
            tx.put(cluster("kept"))
        })
        .expect("write");
        assert!(db.read(|s| s.clusters.contains_key("kept")));
        assert_eq!(store.load("cluster").expect("load").len(), 1);
    }

    #[test]
    fn a_batch_stores_the_last_change_of_each_record() {
        let pending = vec![
            Pending::Put {
                kind: "cluster",
                key: "a".into(),
                encode: Box::new(|| Ok(b"1".to_vec())),
            },
            Pending::Put {
                kind: "cluster",
                key: "b".into(),
                encode: Box::new(|| Ok(b"x".to_vec())),
            },
            Pending::Put {
                kind: "cluster",
                key: "a".into(),
                encode: Box::new(|| Ok(b"2".to_vec())),
            },
            Pending::Delete {
                kind: "cluster",
                key: "b".into(),
            },
            Pending::Put {
                kind: "task",
                key: "a".into(),
                encode: Box::new(|| Ok(b"t".to_vec())),
            },
        ];
        assert_eq!(
            encode(pending).expect("encode"),
            vec![
                Op::put("cluster", "a", b"2".to_vec()),
                Op::delete("cluster", "b"),
                Op::put("task", "a", b"t".to_vec()),
            ]
        );
    }

    #[test]
    fn a_failing_closure_changes_nothing() {
        let store = Arc::new(MemStore::default());
        let db = Db::open(store.clone()).expect("open");
        let r: Result<()> = db.write(|tx| {
            tx.put(cluster("half"))?;
            Err(EcsError::client("refused"))
        });
        assert!(r.is_err());
        assert!(!db.read(|s| s.clusters.contains_key("half")));
        assert!(store.load("cluster").expect("load").is_empty());
    }

    #[test]
    fn a_write_reads_its_own_changes_and_a_failed_one_is_undone() {
        let store = Arc::new(MemStore::default());
        let db = Db::open(store.clone()).expect("open");
        db.write(|tx| tx.put(cluster("kept"))).expect("write");
        let r: Result<()> = db.write(|tx| {
            tx.put(cluster("half"))?;
            assert!(tx.state.clusters.contains_key("half"), "reads its own put");
            tx.delete::<ClusterRec>("kept");
            assert!(
                !tx.state.clusters.contains_key("kept"),
                "reads its own delete"
            );
            Err(EcsError::client("refused"))
        });
        assert!(r.is_err());
        // The next write sees the working state as it was before the failed one.
        db.write(|tx| {
            assert!(!tx.state.clusters.contains_key("half"));
            assert!(tx.state.clusters.contains_key("kept"));
            Ok(())
        })
        .expect("read in a write");
    }

    #[test]
    fn a_panicking_write_is_undone() {
        let db = Arc::new(Db::open(Arc::new(MemStore::default())).expect("open"));
        let d = db.clone();
        let joined = std::thread::spawn(move || {
            let _ = d.write(|tx| {
                tx.put(cluster("boom"))?;
                panic!("a bug in an operation");
                #[allow(unreachable_code)]
                Ok(())
            });
        })
        .join();
        assert!(joined.is_err());
        db.write(|tx| {
            assert!(!tx.state.clusters.contains_key("boom"));
            Ok(())
        })
        .expect("the writer still works");
    }

    #[test]
    fn an_undone_task_leaves_the_instance_indexes_as_they_were() {
        let db = Db::open(Arc::new(MemStore::default())).expect("open");
        let task = TaskRec {
            cluster: "c".into(),
            id: "t1".into(),
            instance: Some("i1".into()),
            reservation: Some(Reservation::default()),
            seq: 1,
            task: berth_ecs_model::shapes::Task {
                group: Some("family:f".into()),
                last_status: Some("PENDING".into()),
                ..Default::default()
            },
            protected_until: None,
        };
        let before = db.write(|tx| Ok(tx.state.clone())).expect("state");
        let r: Result<()> = db.write(|tx| {
            tx.put(task.clone())?;
            assert_eq!(tx.state.task_counts("i1").pending, 1);
            Err(EcsError::client("refused"))
        });
        assert!(r.is_err());
        db.write(|tx| {
            assert_eq!(tx.state.task_counts("i1").pending, 0);
            assert!(tx
                .state
                .instance_tasks
                .get("i1")
                .is_none_or(|s| s.is_empty()));
            assert!(tx
                .state
                .instance_groups
                .get("i1")
                .is_none_or(|g| g.is_empty()));
            // The instance was touched twice (put, then undone): placement refreshes it.
            assert!(tx.state.last_mark > before.last_mark);
            Ok(())
        })
        .expect("read");
    }
}
