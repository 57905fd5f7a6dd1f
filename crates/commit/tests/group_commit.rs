//! The group commit: durability, visibility, failure and undo, through the public API.

use std::sync::{Arc, Condvar, Mutex};

use berth_commit::{CommitError, Committed, Db, Lock, Record, Table, Tables};
use berth_store::{MemStore, Op, Store, StoreError};

#[derive(Clone, Default)]
struct State {
    clusters: Table<Cluster>,
}

impl Tables for State {
    type Error = CommitError;
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Cluster {
    name: String,
}

impl Record for Cluster {
    type State = State;
    const KIND: &'static str = "test/cluster";
    fn key(&self) -> String {
        self.name.clone()
    }
    fn table(s: &State) -> &Table<Self> {
        &s.clusters
    }
    fn table_mut(s: &mut State) -> &mut Table<Self> {
        &mut s.clusters
    }
}

fn cluster(name: &str) -> Cluster {
    Cluster { name: name.into() }
}

fn open_db(store: Arc<dyn Store>) -> Db<State> {
    Db::open(store, |l| l.load::<Cluster>()).expect("open")
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
        let db = open_db(store.clone());
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
    let db = open_db(Arc::new(PanicOnceStore::default()));
    assert!(matches!(
        db.write(|tx| tx.put(cluster("a"))),
        Err(CommitError::NotSaved)
    ));
    assert!(!db.read(|s| s.clusters.contains_key("a")));
    db.write(|tx| tx.put(cluster("b"))).expect("next write");
    assert!(db.read(|s| s.clusters.contains_key("b") && !s.clusters.contains_key("a")));
}

/// A TryOnce write gives up, changing nothing, rather than wait for a writer lock someone
/// else holds; a staged write is durable (and its after-action runs) once waited for.
#[test]
fn a_try_once_write_gives_up_on_a_held_writer_lock() {
    let db = open_db(Arc::new(MemStore::default()));
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
    let gave_up = db.stage(Lock::TryOnce, |tx| tx.put(cluster("b")));
    assert!(matches!(gave_up, Err(CommitError::Busy)));
    release.send(()).expect("release");
    holder.join().expect("holder").expect("write a");
    assert!(
        !db.read(|s| s.clusters.contains_key("b")),
        "nothing of the first try"
    );

    let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = ran.clone();
    let staged = db
        .stage(Lock::TryOnce, |tx| tx.put(cluster("b")))
        .expect("stage b")
        .then(move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
    assert!(
        !db.read(|s| s.clusters.contains_key("b")),
        "not visible before durable"
    );
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    staged.wait().expect("durable");
    assert!(ran.load(std::sync::atomic::Ordering::SeqCst));
    assert!(db.read(|s| s.clusters.contains_key("b")));
}

/// Feeds hear of every durable change, and of nothing discarded.
#[test]
fn a_feed_hears_committed_changes() {
    let store = Arc::new(MemStore::default());
    let db = open_db(store.clone());
    let heard = Arc::new(Mutex::new(Vec::new()));
    let h = heard.clone();
    db.subscribe(Box::new(move |c: &Committed| {
        h.lock().expect("heard").extend(c.changes.iter().cloned());
    }));
    db.write(|tx| tx.put(cluster("a"))).expect("write");
    store.set_failing(true);
    assert!(db.write(|tx| tx.put(cluster("lost"))).is_err());
    store.set_failing(false);
    db.write(|tx| {
        tx.delete::<Cluster>("a");
        Ok(())
    })
    .expect("delete");
    assert_eq!(
        *heard.lock().expect("heard"),
        vec![
            ("test/cluster", "a".to_owned()),
            ("test/cluster", "a".to_owned())
        ]
    );
}

#[test]
fn concurrent_writers_all_become_durable_and_visible() {
    let store = Arc::new(MemStore::default());
    let db = open_db(store.clone());
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
    assert_eq!(store.load("test/cluster").expect("load").len(), 32);
}

#[test]
fn a_failed_commit_discards_the_change_and_later_writes_work() {
    let store = Arc::new(MemStore::default());
    let db = open_db(store.clone());
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
    assert_eq!(store.load("test/cluster").expect("load").len(), 1);
}

#[test]
fn a_failing_closure_changes_nothing() {
    let store = Arc::new(MemStore::default());
    let db = open_db(store.clone());
    let r: Result<(), CommitError> = db.write(|tx| {
        tx.put(cluster("half"))?;
        Err(CommitError::Load("refused".into()))
    });
    assert!(r.is_err());
    assert!(!db.read(|s| s.clusters.contains_key("half")));
    assert!(store.load("test/cluster").expect("load").is_empty());
}

#[test]
fn a_write_reads_its_own_changes_and_a_failed_one_is_undone() {
    let store = Arc::new(MemStore::default());
    let db = open_db(store.clone());
    db.write(|tx| tx.put(cluster("kept"))).expect("write");
    let r: Result<(), CommitError> = db.write(|tx| {
        tx.put(cluster("half"))?;
        assert!(tx.state.clusters.contains_key("half"), "reads its own put");
        tx.delete::<Cluster>("kept");
        assert!(
            !tx.state.clusters.contains_key("kept"),
            "reads its own delete"
        );
        Err(CommitError::Load("refused".into()))
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
    let db = open_db(Arc::new(MemStore::default()));
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
