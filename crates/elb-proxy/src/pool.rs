//! A small keep-alive pool per target, of hyper client connections
//! ([`SendRequest`](hyper::client::conn::http1::SendRequest) halves).
//!
//! A connection goes back to its target's pool when its response body has
//! been read to the end (see [`crate::body`]) and the target did not ask to
//! close it; a response abandoned halfway closes its connection instead.
//! The pool is a short per-target mutex around a stack — the most recently
//! used connection first, so the idle ones age out at the bottom — never a
//! lock shared between targets, and each worker has its own slot.
//! Taking a connection skips the ones the target closed meanwhile (the
//! connection is polled once as it is taken: see [`Conn::usable`]).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::upstream::Conn;

/// Connections idle longer than this are not reused (targets commonly
/// close keep-alive connections after a minute or so).
const IDLE_FOR: Duration = Duration::from_secs(30);
/// At most this many idle connections are kept per target.
const MAX_IDLE: usize = 1024;

/// The idle connections of one target, kept per worker: a connection
/// is registered with the event loop of the worker that opened it and is
/// only used there.
pub(crate) struct Pool {
    slots: Box<[Mutex<Vec<Conn>>]>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool with one slot per worker (see [`crate::workers::slot`]).
    pub(crate) fn new(slots: usize) -> Pool {
        Pool {
            slots: (0..slots.max(1)).map(|_| Mutex::default()).collect(),
        }
    }

    /// A pooled connection that is still open, if any.
    pub(crate) fn take(&self, now: Instant) -> Option<Conn> {
        loop {
            let mut conn = self.lock().pop()?;
            if now.saturating_duration_since(conn.idle_since) < IDLE_FOR && conn.usable() {
                return Some(conn);
            }
        }
    }

    /// Returns a connection whose last response is complete.
    pub(crate) fn put(&self, mut conn: Conn) {
        conn.idle_since = Instant::now();
        let mut idle = self.lock();
        if idle.len() >= MAX_IDLE {
            idle.remove(0);
        }
        idle.push(conn);
    }

    /// Closes every idle connection.
    pub(crate) fn clear(&self) {
        for slot in self.slots.iter() {
            let drained: Vec<Conn> = std::mem::take(&mut *lock(slot));
            drop(drained);
        }
    }

    /// The current worker's slot.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Conn>> {
        lock(&self.slots[crate::workers::slot() % self.slots.len()])
    }
}

fn lock(slot: &Mutex<Vec<Conn>>) -> std::sync::MutexGuard<'_, Vec<Conn>> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
