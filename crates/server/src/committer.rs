//! Runs hot write calls on the async workers with deferred durability (see
//! `berth_ecs::deferred`): the handler applies its changes in memory and returns, and the
//! answer waits, as a future, for one thread that makes the waiting calls' batches durable —
//! instead of each call holding a blocking thread parked until its commit.

use std::sync::mpsc;
use std::sync::Arc;

use berth_ecs::deferred::Ticket;
use berth_ecs::Ecs;
use tokio::sync::oneshot;

use crate::wire::WireError;

type Waiter = (Ticket, oneshot::Sender<berth_ecs::Result<()>>);

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
                    // Everyone queued so far; the first commit makes all of their batches
                    // durable (a commit takes every pending change), the rest only look.
                    let mut all = vec![first];
                    all.extend(queue.try_iter());
                    for (ticket, answer) in all {
                        let _ = answer.send(ecs.make_durable(ticket));
                    }
                }
            })?;
        Ok(Committer { waiters })
    }

    /// Runs `f` on this thread with durability deferred, then waits (without blocking the
    /// thread) until its writes are durable, and only then runs what it left for after
    /// (waking agents) and answers. A panic in `f` is a server error, as on a blocking thread.
    pub async fn run<T>(
        &self,
        ecs: &Ecs,
        f: impl FnOnce(&Ecs) -> berth_ecs::Result<T>,
    ) -> Result<T, WireError> {
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ecs.deferring(f)));
        let (result, deferred) =
            ran.map_err(|_| WireError::new(500, "ServerException", "handler failed: it panicked"))?;
        if let Some(ticket) = deferred.ticket() {
            let (answer, durable) = oneshot::channel();
            self.waiters.send((ticket, answer)).map_err(|_| stopped())?;
            let outcome = durable.await.map_err(|_| stopped())?;
            // Discarded changes wake nobody's agent to anything new; waking is harmless.
            deferred.run_after();
            outcome.map_err(WireError::from)?;
        } else {
            deferred.run_after();
        }
        result.map_err(WireError::from)
    }
}

fn stopped() -> WireError {
    WireError::new(500, "ServerException", "the committer has stopped")
}
