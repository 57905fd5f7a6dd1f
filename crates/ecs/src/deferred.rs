//! Deferred durability: a caller that can wait for the disk without parking a thread (the
//! HTTP server, on its async workers) runs a handler inside [`deferring`]. The handler's
//! writes then return as soon as they are applied to the working state, instead of each
//! waiting for its batch to be durable; the caller gets a [`Deferred`] saying which batches
//! must be durable before the handler's answer may be given ([`crate::Ecs::make_durable`]),
//! and the actions to run once they are (waking agents, whose polls read the durable state).
//!
//! Nothing changes for anyone else: outside a deferring scope a write waits as before.

use std::cell::RefCell;

/// The batches a deferred handler's writes went into: all must be durable before its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub(crate) first: u64,
    pub(crate) last: u64,
}

/// What a deferred handler left to do.
#[derive(Default)]
pub struct Deferred {
    ticket: Option<Ticket>,
    after: Vec<Box<dyn FnOnce() + Send>>,
    /// Set in a scope that must not block (an async worker's) when the handler's first
    /// write found the writer lock taken: the handler failed without changing anything, and
    /// the caller should run it again where blocking is allowed.
    would_block: bool,
    nonblocking: bool,
}

impl Deferred {
    /// Whether the handler gave up, unchanged, rather than wait for the writer lock.
    pub fn would_block(&self) -> bool {
        self.would_block
    }

    /// The batches to wait for; None if the handler wrote nothing.
    pub fn ticket(&self) -> Option<Ticket> {
        self.ticket
    }

    /// Runs the actions the handler left for after its writes are durable.
    pub fn run_after(self) {
        for action in self.after {
            action();
        }
    }
}

thread_local! {
    static SCOPE: RefCell<Option<Deferred>> = const { RefCell::new(None) };
}

/// Runs `f` with durability deferred (see the module docs). A scope inside another one keeps
/// its batches to itself: its caller is the one to wait for them. With `nonblocking`, the
/// handler's first write does not wait for the writer lock either (see
/// [`Deferred::would_block`]).
pub fn deferring<R>(nonblocking: bool, f: impl FnOnce() -> R) -> (R, Deferred) {
    /// Puts the enclosing scope back, also if `f` panics.
    struct Restore(Option<Deferred>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            SCOPE.with(|s| *s.borrow_mut() = outer);
        }
    }
    let scope = Deferred {
        nonblocking,
        ..Deferred::default()
    };
    let _restore = Restore(SCOPE.with(|s| s.borrow_mut().replace(scope)));
    let result = f();
    let mine = SCOPE.with(|s| s.borrow_mut().take()).unwrap_or_default();
    (result, mine)
}

/// Inside a deferring scope, records that the caller must wait for `batch` and returns true;
/// outside one, returns false (the writer waits itself).
pub(crate) fn defer(batch: u64) -> bool {
    SCOPE.with(|s| match s.borrow_mut().as_mut() {
        Some(d) => {
            if batch > 0 {
                d.ticket = Some(match d.ticket {
                    Some(t) => Ticket {
                        first: t.first.min(batch),
                        last: t.last.max(batch),
                    },
                    None => Ticket {
                        first: batch,
                        last: batch,
                    },
                });
            }
            true
        }
        None => false,
    })
}

/// Whether a write must not wait for the writer lock: in a nonblocking scope, before the
/// handler's first write (a later one would leave the handler half done if it gave up).
pub(crate) fn must_not_block() -> bool {
    SCOPE.with(|s| {
        s.borrow()
            .as_ref()
            .is_some_and(|d| d.nonblocking && d.ticket.is_none())
    })
}

/// Records that the handler gave up rather than wait for the writer lock.
pub(crate) fn gave_up() {
    SCOPE.with(|s| {
        if let Some(d) = s.borrow_mut().as_mut() {
            d.would_block = true;
        }
    });
}

/// Runs `action` once the current deferring scope's writes are durable, or at once outside
/// a deferring scope (where every write has already waited).
pub(crate) fn after_durable(action: Box<dyn FnOnce() + Send>) {
    let now = SCOPE.with(|s| match s.borrow_mut().as_mut() {
        Some(d) => {
            d.after.push(action);
            None
        }
        None => Some(action),
    });
    if let Some(action) = now {
        action();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_scope_collects_batches_and_actions_and_outside_one_nothing_waits() {
        let ran = Arc::new(AtomicUsize::new(0));
        let counter = ran.clone();
        let ((), d) = deferring(false, || {
            assert!(defer(4));
            assert!(defer(2));
            assert!(defer(0), "nothing to wait for, still deferred");
            after_durable(Box::new(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            }));
        });
        assert_eq!(d.ticket(), Some(Ticket { first: 2, last: 4 }));
        assert_eq!(
            ran.load(Ordering::SeqCst),
            0,
            "not before the caller says so"
        );
        d.run_after();
        assert_eq!(ran.load(Ordering::SeqCst), 1);

        // Outside a scope: no deferral, actions run at once.
        assert!(!defer(7));
        let counter = ran.clone();
        after_durable(Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }));
        assert_eq!(ran.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_panicking_handler_leaves_no_scope_behind() {
        let caught = std::panic::catch_unwind(|| deferring(true, || panic!("handler bug")));
        assert!(caught.is_err());
        assert!(!defer(1), "the scope ended with the panic");
        assert!(!must_not_block());
    }
}
