//! The embedded SQLite store: one file in the data directory, WAL journal, `synchronous=FULL`
//! so a committed batch survives `kill -9` and power loss.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection};

use crate::{Op, Store, StoreError};

/// A rowid table (values are kilobytes of JSON: too large for a WITHOUT ROWID table to
/// store efficiently) with the (kind, key) index beside it.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    kind  TEXT NOT NULL,
    key   TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (kind, key)
);
";

/// Page cache per connection, in KiB (negative pragma value). The store is only written
/// (and read once, at start), so the cache holds the B-tree's interior pages and recently
/// written leaves; a miss is a read from the OS's page cache, which is not this process's
/// memory. 32 MiB kept commits as fast as 128 MiB did at 150,000 tasks, with 96 MiB less RSS.
const CACHE_KIB: i64 = 32_768;

pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// Set by the checkpointer when the WAL has grown long: the writer then makes it start
    /// over after its next commit.
    restart_wanted: Arc<AtomicBool>,
    /// Dropped with the store, which stops the checkpointer.
    _checkpointer: std::sync::mpsc::Sender<()>,
}

/// How often the checkpointer moves committed pages from the WAL into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// WAL frames (pages) past which the checkpointer makes the WAL start over (64 MiB).
const RESTART_FRAMES: i64 = 8192;

/// The size the WAL file is cut back to when it starts over, in bytes.
const WAL_KEEP_BYTES: i64 = 128 * 1024 * 1024;

/// Checkpoints the WAL from its own connection and thread, so that no commit waits for one
/// (SQLite's automatic checkpoint runs inside whichever commit crosses its threshold: every
/// few megabytes, one commit took tens of milliseconds longer). A passive checkpoint never
/// blocks the writer, but the WAL only starts over when a checkpoint has copied all of it,
/// which never happens while commits keep coming: the WAL then grew by gigabytes, and every
/// commit wrote to new, zero-filled blocks. So once the WAL holds `restart_frames` frames,
/// the checkpointer asks the writer to restart it (see `SqliteStore::commit`).
fn start_checkpointer(
    path: &Path,
    restart_frames: i64,
    restart_wanted: Arc<AtomicBool>,
) -> Result<std::sync::mpsc::Sender<()>, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("berth-checkpoint".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(CHECKPOINT_EVERY)
            {
                // (busy, frames in the WAL, frames checkpointed)
                match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1)) {
                    Ok(frames) if frames >= restart_frames => {
                        restart_wanted.store(true, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; retrying"),
                }
            }
        })
        .map_err(|e| StoreError::Backend(format!("starting the checkpointer: {e}")))?;
    Ok(stop)
}

impl SqliteStore {
    /// Opens (creating if needed) `<dir>/berth.db`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, RESTART_FRAMES)
    }

    fn open_with(dir: &Path, restart_frames: i64) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Backend(format!("create {}: {e}", dir.display())))?;
        let path = dir.join("berth.db");
        let conn = Connection::open(&path)?;
        // Only takes effect when the file is created; larger pages suit kilobyte values.
        conn.pragma_update(None, "page_size", 8192)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "journal_size_limit", WAL_KEEP_BYTES)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        let restart_wanted = Arc::new(AtomicBool::new(false));
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            _checkpointer: start_checkpointer(&path, restart_frames, restart_wanted.clone())?,
            restart_wanted,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // The connection holds no invariant of ours that a panic could break: a failed
        // transaction is rolled back when it is dropped.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for SqliteStore {
    fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT INTO records (kind, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
            )?;
            let mut del = tx.prepare_cached("DELETE FROM records WHERE kind = ?1 AND key = ?2")?;
            for op in &ops {
                match op {
                    Op::Put { kind, key, value } => {
                        put.execute(params![kind, key, value])?;
                    }
                    Op::Delete { kind, key } => {
                        del.execute(params![kind, key])?;
                    }
                }
            }
        }
        tx.commit()?;
        if self.restart_wanted.swap(false, Ordering::Relaxed) {
            // The checkpointer has copied nearly all of the WAL; copying the rest here, where
            // no other write can start, lets the next commit write from its start again. The
            // batch is already durable: a checkpoint that cannot finish now is tried again.
            match conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0)) {
                Ok(0) => {}
                Ok(_) => self.restart_wanted.store(true, Ordering::Relaxed),
                Err(e) => {
                    tracing::warn!(error = %e, "WAL restart failed; retrying");
                    self.restart_wanted.store(true, Ordering::Relaxed);
                }
            }
        }
        Ok(())
    }

    fn load(&self, kind: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT key, value FROM records WHERE kind = ?1 ORDER BY key")?;
        let rows = stmt.query_map(params![kind], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkpointer_moves_commits_into_the_database_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = SqliteStore::open(dir.path()).expect("open");
        let db = dir.path().join("berth.db");
        let before = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        let ops = (0..256)
            .map(|i| Op::put("big", &format!("{i:04}"), vec![b'x'; 4096]))
            .collect();
        s.commit(ops).expect("commit");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let now = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
            if now >= before + 1024 * 1024 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the database file never grew: {now} bytes"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Under commits that never pause, the WAL still starts over instead of growing.
    #[test]
    fn the_wal_stays_bounded_under_continuous_commits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = SqliteStore::open_with(dir.path(), 64).expect("open");
        let wal = dir.path().join("berth.db-wal");
        let started = std::time::Instant::now();
        let mut largest = 0;
        let mut i = 0u64;
        while started.elapsed() < std::time::Duration::from_secs(2) {
            // Six pages a commit, over enough keys (up to 400 MB) that a checkpoint
            // takes longer than the gap between two commits.
            let ops = (0..6)
                .map(|j| {
                    Op::put(
                        "big",
                        &format!("{:05}", (i * 6 + j) % 65_536),
                        vec![b'x'; 6000],
                    )
                })
                .collect();
            s.commit(ops).expect("commit");
            i += 1;
            largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        }
        // Without restarts the WAL holds every frame ever written (more than the batches'
        // pages); with them, at most what a few checkpoint intervals write.
        let written = i * 6 * 8192;
        assert!(
            largest < written / 2,
            "the WAL grew to {largest} bytes; {written} bytes of pages were written in {i} commits"
        );
    }

    #[test]
    fn batches_survive_reopen_and_deletes_apply() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let s = SqliteStore::open(dir.path()).expect("open");
            s.commit(vec![
                Op::put("a", "1", b"x".to_vec()),
                Op::put("a", "2", b"y".to_vec()),
            ])
            .expect("commit");
            s.commit(vec![Op::delete("a", "1"), Op::put("b", "1", b"z".to_vec())])
                .expect("commit");
        }
        let s = SqliteStore::open(dir.path()).expect("reopen");
        assert_eq!(
            s.load("a").expect("load"),
            vec![("2".to_string(), b"y".to_vec())]
        );
        assert_eq!(
            s.load("b").expect("load"),
            vec![("1".to_string(), b"z".to_vec())]
        );
        assert!(s.load("c").expect("load").is_empty());
    }

    #[test]
    fn overwrite_keeps_one_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = SqliteStore::open(dir.path()).expect("open");
        s.commit(vec![Op::put("a", "k", b"1".to_vec())])
            .expect("commit");
        s.commit(vec![Op::put("a", "k", b"2".to_vec())])
            .expect("commit");
        assert_eq!(
            s.load("a").expect("load"),
            vec![("k".to_string(), b"2".to_vec())]
        );
    }

    #[test]
    fn mem_store_failure_changes_nothing() {
        let s = crate::MemStore::default();
        s.set_failing(true);
        assert!(s.commit(vec![Op::put("a", "k", vec![])]).is_err());
        s.set_failing(false);
        assert!(s.load("a").expect("load").is_empty());
    }
}
