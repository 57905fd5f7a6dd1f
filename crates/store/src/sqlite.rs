//! The embedded SQLite store: one file in the data directory, WAL journal, `synchronous=FULL`
//! so a committed batch survives `kill -9` and power loss.

use std::path::Path;
use std::sync::Mutex;

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

/// Page cache per connection, in KiB (negative pragma value): the working set of a busy
/// control plane stays in memory instead of being re-read on every commit.
const CACHE_KIB: i64 = 131_072;

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) `<dir>/berth.db`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Backend(format!("create {}: {e}", dir.display())))?;
        let conn = Connection::open(dir.join("berth.db"))?;
        // Only takes effect when the file is created; larger pages suit kilobyte values.
        conn.pragma_update(None, "page_size", 8192)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
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
