//! Group fsync: every append waits until a sync that started after it has finished; the
//! first waiter syncs every file written since the last sync, for everyone.

use std::fs::File;
use std::sync::{Arc, Condvar, Mutex};

#[derive(Default)]
struct State {
    written: u64,
    synced: u64,
    syncing: bool,
    dirty: Vec<Arc<File>>,
    /// A sync failed for appends up to this number: they were never durable.
    failed_upto: u64,
}

#[derive(Default)]
pub struct Syncer {
    state: Mutex<State>,
    moved: Condvar,
}

impl Syncer {
    /// Records a write to `file`; the number to wait for.
    pub fn written(&self, file: &Arc<File>) -> u64 {
        let mut s = self.lock();
        s.written += 1;
        if !s.dirty.iter().any(|f| Arc::ptr_eq(f, file)) {
            s.dirty.push(file.clone());
        }
        s.written
    }

    /// Blocks until write `n` is durable.
    pub fn wait(&self, n: u64) -> std::io::Result<()> {
        let mut s = self.lock();
        loop {
            if s.synced >= n {
                return Ok(());
            }
            if s.failed_upto >= n {
                return Err(std::io::Error::other("syncing the log store failed"));
            }
            if s.syncing {
                s = self.moved.wait(s).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            s.syncing = true;
            let upto = s.written;
            let files = std::mem::take(&mut s.dirty);
            drop(s);
            let outcome = files.iter().try_for_each(|f| f.sync_data());
            s = self.lock();
            s.syncing = false;
            match outcome {
                Ok(()) => s.synced = upto,
                Err(e) => {
                    tracing::error!(error = %e, "log store sync failed");
                    s.failed_upto = upto;
                }
            }
            self.moved.notify_all();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
