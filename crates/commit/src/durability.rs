//! A write's answer and the durability it waits for, as values.

use std::sync::Arc;

use crate::CommitError;

/// What can make a range of batches durable (a [`crate::Db`]).
pub(crate) trait Settle: Send + Sync {
    /// Blocks until batches `first..=last` are durable, committing them if nobody else is;
    /// an error if any of them was discarded.
    fn settle(&self, first: u64, last: u64) -> Result<(), CommitError>;
}

type Action = Box<dyn FnOnce() + Send>;

/// The batches a staged write went into, and what to do once they are durable. Settle it
/// with [`Durability::wait`] (blocking) before the write's answer is given.
#[must_use = "a staged write is not durable until its durability is waited for"]
#[derive(Default)]
pub struct Durability {
    batches: Vec<(Arc<dyn Settle>, u64, u64)>,
    after: Vec<Action>,
}

impl Durability {
    /// Nothing to wait for.
    pub fn settled() -> Self {
        Durability::default()
    }

    pub(crate) fn of(db: Arc<dyn Settle>, first: u64, last: u64) -> Self {
        Durability {
            batches: if last > 0 {
                vec![(db, first, last)]
            } else {
                Vec::new()
            },
            after: Vec::new(),
        }
    }

    /// Whether there is nothing to wait for (the after-actions may still be pending).
    pub fn is_settled(&self) -> bool {
        self.batches.is_empty()
    }

    /// Runs `action` once the write is durable (or known lost), whoever waits for it.
    pub fn then(&mut self, action: impl FnOnce() + Send + 'static) {
        self.after.push(Box::new(action));
    }

    /// Adds another write's durability: both must settle.
    pub fn join(&mut self, other: Durability) {
        self.batches.extend(other.batches);
        self.after.extend(other.after);
    }

    /// Blocks until every batch is durable, then runs the after-actions (also when a batch
    /// was lost: waking a poller early is harmless, never waking it is not).
    pub fn wait(self) -> Result<(), CommitError> {
        let mut outcome = Ok(());
        for (db, first, last) in &self.batches {
            let settled =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| db.settle(*first, *last)))
                    .unwrap_or(Err(CommitError::NotSaved));
            if let Err(e) = settled {
                outcome = Err(e);
                break;
            }
        }
        for action in self.after {
            action();
        }
        outcome
    }
}

/// A write applied in memory: its answer, durable once [`Staged::wait`] (or the
/// [`Durability`] from [`Staged::into_parts`]) says so.
#[must_use = "a staged write is not durable until it is waited for"]
pub struct Staged<R> {
    value: R,
    durability: Durability,
}

impl<R> Staged<R> {
    pub fn new(value: R, durability: Durability) -> Self {
        Staged { value, durability }
    }

    /// An answer that waits for nothing (it changed nothing, or was already durable).
    pub fn settled(value: R) -> Self {
        Staged::new(value, Durability::settled())
    }

    /// What the write answered, before it is durable: only for deciding what to do next
    /// (never to acknowledge it).
    pub fn peek(&self) -> &R {
        &self.value
    }

    pub fn map<T>(self, f: impl FnOnce(R) -> T) -> Staged<T> {
        Staged {
            value: f(self.value),
            durability: self.durability,
        }
    }

    /// See [`Durability::then`].
    pub fn then(mut self, action: impl FnOnce() + Send + 'static) -> Self {
        self.durability.then(action);
        self
    }

    /// Blocks until durable; the answer, or why it was lost.
    pub fn wait(self) -> Result<R, CommitError> {
        self.durability.wait()?;
        Ok(self.value)
    }

    pub fn into_parts(self) -> (R, Durability) {
        (self.value, self.durability)
    }
}
