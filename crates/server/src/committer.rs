//! Runs hot write calls with deferred durability (see `berth_ecs::deferred`): the handler
//! applies its changes in memory and returns, and the answer waits, as a future, for one
//! thread that makes the waiting calls' batches durable — instead of each call holding a
//! blocking thread parked until its commit.
//!
//! The handler runs on the async worker itself when the writer lock is free; when another
//! writer holds it (a sweep, the service scheduler's pass), it runs again on the blocking
//! pool, so that no async worker ever waits for the lock.

use std::sync::mpsc;
use std::sync::Arc;

use berth_ecs::deferred::{Deferred, Ticket};
use berth_ecs::Ecs;
use tokio::sync::oneshot;

use crate::wire::WireError;

struct Waiter {
    ticket: Ticket,
    /// What the handler left for after its writes are durable; run by the committing
    /// thread, so that it happens even if the caller has gone away.
    after: Deferred,
    answer: oneshot::Sender<berth_ecs::Result<()>>,
}

/// The durability waits of deferred calls, served by one thread.
pub struct Committer {
    waiters: mpsc::Sender<Waiter>,
}

impl Committer {
    /// Starts the committing thread; it ends when the committer is dropped.
    pub fn start(ecs: Arc<Ecs>) -> std::io::Result<Self> {
        let (waiters, queue) = mpsc::channel::<Waiter>();
        std::thread::Builder::new()
            .name("berth-commit".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    // The calls queued so far; a commit takes every pending change, so most
                    // find their batches durable already.
                    let mut all = vec![first];
                    all.extend(queue.try_iter());
                    for w in all {
                        let outcome =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                ecs.make_durable(w.ticket)
                            }))
                            .unwrap_or_else(|_| {
                                Err(berth_ecs::EcsError::Server(
                                    "The change could not be saved.".into(),
                                ))
                            });
                        w.after.run_after();
                        let _ = w.answer.send(outcome);
                    }
                }
            })?;
        Ok(Committer { waiters })
    }

    /// Runs `f` with durability deferred (on this thread if the writer lock is free, else on
    /// the blocking pool), then waits without blocking until its writes are durable; only
    /// then are its after-actions run (waking agents) and its answer given. A panic in `f` is
    /// a server error, as on a blocking thread.
    pub async fn run<T, F>(&self, ecs: &Arc<Ecs>, f: F) -> Result<T, WireError>
    where
        T: Send + 'static,
        F: Fn(&Ecs) -> berth_ecs::Result<T> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let inline = {
            let f = f.clone();
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                ecs.deferring(true, |ecs| f(ecs))
            }))
            .map_err(|_| panicked())?
        };
        let (result, deferred) = if inline.1.would_block() {
            let ecs = ecs.clone();
            tokio::task::spawn_blocking(move || ecs.deferring(false, |ecs| f(ecs)))
                .await
                .map_err(|_| panicked())?
        } else {
            inline
        };
        match deferred.ticket() {
            Some(ticket) => {
                let (answer, durable) = oneshot::channel();
                let waiter = Waiter {
                    ticket,
                    after: deferred,
                    answer,
                };
                self.waiters.send(waiter).map_err(|_| stopped())?;
                durable
                    .await
                    .map_err(|_| stopped())?
                    .map_err(WireError::from)?;
            }
            None => deferred.run_after(),
        }
        result.map_err(WireError::from)
    }
}

fn panicked() -> WireError {
    WireError::new(500, "ServerException", "handler failed: it panicked")
}

fn stopped() -> WireError {
    WireError::new(500, "ServerException", "the committer has stopped")
}
