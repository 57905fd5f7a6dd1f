//! Settles the durability of hot calls' staged writes on one thread: the handler applied
//! its changes in memory and returned, and the answer waits, as a future, for this thread to
//! make them durable — instead of each call holding a blocking thread parked until its
//! commit. After-actions (waking agents) run here, so they happen even if the caller left.

use std::sync::mpsc;

use berth_aws::AwsError;
use berth_commit::Durability;
use tokio::sync::oneshot;

struct Waiter {
    durability: Durability,
    answer: oneshot::Sender<Result<(), AwsError>>,
}

/// The durability waits of hot calls, served by one thread.
pub struct Committer {
    waiters: mpsc::Sender<Waiter>,
}

impl Committer {
    /// Starts the committing thread; it ends when the committer is dropped.
    pub fn start() -> std::io::Result<Self> {
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
                        let outcome = w.durability.wait().map_err(AwsError::from);
                        let _ = w.answer.send(outcome);
                    }
                }
            })?;
        Ok(Committer { waiters })
    }

    /// Waits, without blocking, until `durability` has settled.
    pub async fn settle(&self, durability: Durability) -> Result<(), AwsError> {
        if durability.is_settled() {
            // Nothing to wait for: only after-actions, which run at once.
            return durability.wait().map_err(AwsError::from);
        }
        let (answer, settled) = oneshot::channel();
        self.waiters
            .send(Waiter { durability, answer })
            .map_err(|_| stopped())?;
        settled.await.map_err(|_| stopped())?
    }
}

fn stopped() -> AwsError {
    AwsError::server("the committer has stopped")
}
