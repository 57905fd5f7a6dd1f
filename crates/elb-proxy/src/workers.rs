//! The data plane's worker threads: single-threaded tokio runtimes, as
//! nginx has worker processes (by default one per core: see
//! [`Proxy::start`](crate::Proxy::start)).
//!
//! A client connection is accepted on the caller's runtime and handed, in
//! turn, to a worker, where it stays: its requests, the target connections
//! they use (each worker has its own keep-alive pool per target), its
//! HTTP/2 streams and its upgraded tunnels all run on that one thread.
//! Nothing on the request path wakes another thread, which a work-stealing
//! runtime does all the time under a proxy's load (a worker parks, the
//! next readiness event unparks it). The caller's runtime keeps the control
//! plane: applies, health checks, the reaper.

use std::cell::Cell;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

thread_local! {
    /// 1 + the index of the worker running on this thread; 0 elsewhere.
    static SLOT: Cell<usize> = const { Cell::new(0) };
}

/// The pool slot of the current thread: 0 off the workers, 1 + index on
/// worker `index`.
pub(crate) fn slot() -> usize {
    SLOT.with(Cell::get)
}

/// The running workers.
pub(crate) struct Workers {
    handles: Vec<Handle>,
    stops: Vec<oneshot::Sender<()>>,
    next: AtomicUsize,
}

impl Workers {
    /// Starts `count` workers.
    pub(crate) fn start(count: usize) -> io::Result<Workers> {
        let mut handles = Vec::with_capacity(count);
        let mut stops = Vec::with_capacity(count);
        for index in 0..count {
            let (stop, stopped) = oneshot::channel::<()>();
            let (ready, handle) = mpsc::channel();
            std::thread::Builder::new()
                .name(format!("elb-proxy-{index}"))
                .spawn(move || {
                    SLOT.with(|slot| slot.set(index + 1));
                    let runtime = match tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        Ok(runtime) => runtime,
                        Err(e) => {
                            let _ = ready.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready.send(Ok(runtime.handle().clone()));
                    runtime.block_on(async {
                        let _ = stopped.await;
                    });
                })?;
            let handle = handle
                .recv()
                .map_err(|_| io::Error::other("a proxy worker died while starting"))??;
            handles.push(handle);
            stops.push(stop);
        }
        Ok(Workers {
            handles,
            stops,
            next: AtomicUsize::new(0),
        })
    }

    /// How many pool slots a target needs: one per worker, and one for
    /// use off the workers.
    pub(crate) fn slots(&self) -> usize {
        self.handles.len() + 1
    }

    /// No workers: connections are served on the caller's runtime.
    pub(crate) fn none() -> Workers {
        Workers {
            handles: Vec::new(),
            stops: Vec::new(),
            next: AtomicUsize::new(0),
        }
    }

    /// The worker for the next connection (none without workers).
    pub(crate) fn next(&self) -> Option<&Handle> {
        if self.handles.is_empty() {
            return None;
        }
        let at = self.next.fetch_add(1, Relaxed) % self.handles.len();
        Some(&self.handles[at])
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        // Each runtime drops its remaining tasks (open connections) as its
        // thread leaves `block_on`.
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_run_tasks_on_their_own_threads_and_slots() {
        let workers = Workers::start(2).unwrap();
        assert_eq!(workers.slots(), 3);
        assert_eq!(slot(), 0);
        let mut seen = Vec::new();
        for _ in 0..4 {
            let (tx, rx) = mpsc::channel();
            workers.next().unwrap().spawn(async move {
                let _ = tx.send(slot());
            });
            seen.push(rx.recv().unwrap());
        }
        assert_eq!(seen, [1, 2, 1, 2], "round robin over the workers");
        assert!(Workers::none().next().is_none());
        assert_eq!(Workers::none().slots(), 1);
    }
}
