//! Listening sockets: binding, the accept loop (on the caller's runtime,
//! handing each connection to a worker), and closing — a removed
//! listener's socket is closed before `stop` returns, and its connections
//! are asked to finish their requests in flight and close.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::connection::{self, CloseSignal, ConnSettings};
use crate::service::ListenerShared;
use crate::stats::LbStats;
use crate::workers::Workers;

/// The open client connections of the whole proxy: counted, so shutdown
/// can wait for them, and registered by listener, so they can be asked to
/// close.
pub(crate) struct ConnTracker {
    open: AtomicUsize,
    closed: Notify,
    signals: Mutex<Signals>,
    next_listener: AtomicU64,
}

#[derive(Default)]
struct Signals {
    /// (listener key, connection); dead entries are pruned as it grows.
    entries: Vec<(u64, Weak<CloseSignal>)>,
    prune_at: usize,
}

impl ConnTracker {
    pub(crate) fn new() -> ConnTracker {
        ConnTracker {
            open: AtomicUsize::new(0),
            closed: Notify::new(),
            signals: Mutex::new(Signals::default()),
            next_listener: AtomicU64::new(0),
        }
    }

    fn signals(&self) -> std::sync::MutexGuard<'_, Signals> {
        self.signals.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn register(&self, listener: u64) -> Arc<CloseSignal> {
        let signal = Arc::new(CloseSignal::default());
        let mut signals = self.signals();
        if signals.entries.len() >= signals.prune_at {
            signals.entries.retain(|(_, s)| s.strong_count() > 0);
            signals.prune_at = (signals.entries.len() * 2).max(64);
        }
        signals.entries.push((listener, Arc::downgrade(&signal)));
        signal
    }

    /// Asks the connections of one listener (or all) to close.
    fn close(&self, listener: Option<u64>, hard: bool) {
        let signals: Vec<Arc<CloseSignal>> = self
            .signals()
            .entries
            .iter()
            .filter(|(key, _)| listener.is_none_or(|l| l == *key))
            .filter_map(|(_, s)| s.upgrade())
            .collect();
        for signal in signals {
            if hard {
                signal.hard();
            } else {
                signal.graceful();
            }
        }
    }

    /// Every connection: close now.
    pub(crate) fn close_all_now(&self) {
        self.close(None, true);
    }

    /// Waits until no connection is open.
    pub(crate) async fn all_closed(&self) {
        loop {
            let notified = self.closed.notified();
            if self.open.load(Relaxed) == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// A running listener.
pub(crate) struct ListenerHandle {
    pub bind: SocketAddr,
    pub local_addr: SocketAddr,
    pub shared: Arc<ListenerShared>,
    pub settings: Arc<ArcSwap<ConnSettings>>,
    key: u64,
    tracker: Arc<ConnTracker>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ListenerHandle {
    /// Binds `bind` (SO_REUSEADDR, so a port an apply just closed can be
    /// bound again at once) and starts accepting.
    pub(crate) fn start(
        bind: SocketAddr,
        make_shared: impl FnOnce(u16) -> Arc<ListenerShared>,
        settings: ConnSettings,
        tracker: Arc<ConnTracker>,
        workers: Arc<Workers>,
    ) -> io::Result<ListenerHandle> {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(bind),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        socket.set_nonblocking(true)?;
        socket.bind(&bind.into())?;
        socket.listen(1024)?;
        let listener = TcpListener::from_std(socket.into())?;
        let local_addr = listener.local_addr()?;
        let shared = make_shared(local_addr.port());
        let settings = Arc::new(ArcSwap::from_pointee(settings));
        let key = tracker.next_listener.fetch_add(1, Relaxed);
        let (stop, stopped) = watch::channel(false);
        let accept = Accept {
            shared: Arc::clone(&shared),
            settings: Arc::clone(&settings),
            tracker: Arc::clone(&tracker),
            workers,
            key,
        };
        let task = tokio::spawn(accept.run(listener, stopped));
        Ok(ListenerHandle {
            bind,
            local_addr,
            shared,
            settings,
            key,
            tracker,
            stop,
            task,
        })
    }

    /// Stops accepting (the socket is closed when this returns); open
    /// connections finish their requests in flight and close.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.tracker.close(Some(self.key), false);
    }
}

struct Accept {
    shared: Arc<ListenerShared>,
    settings: Arc<ArcSwap<ConnSettings>>,
    tracker: Arc<ConnTracker>,
    workers: Arc<Workers>,
    key: u64,
}

impl Accept {
    async fn run(self, listener: TcpListener, mut stopped: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                biased;
                _ = stopped.changed() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => self.hand_off(stream, peer),
                    Err(e) => {
                        // Out of descriptors, most likely: let some close.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                },
            }
        }
    }

    fn hand_off(&self, stream: TcpStream, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let settings = self.settings.load_full();
        let open = Open::new(&settings.lb, &self.tracker);
        let signal = self.tracker.register(self.key);
        let shared = Arc::clone(&self.shared);
        let Some(worker) = self.workers.next() else {
            tokio::spawn(async move {
                connection::serve(stream, peer, shared, settings, signal).await;
                drop(open);
            });
            return;
        };
        // The connection leaves this runtime's event loop for the worker's.
        match stream.into_std() {
            Ok(stream) => {
                worker.spawn(async move {
                    match TcpStream::from_std(stream) {
                        Ok(stream) => {
                            connection::serve(stream, peer, shared, settings, signal).await
                        }
                        Err(e) => tracing::warn!("cannot hand a connection to a worker: {e}"),
                    }
                    drop(open);
                });
            }
            Err(e) => tracing::warn!("cannot hand a connection to a worker: {e}"),
        }
    }
}

/// Keeps the connection counters right however the connection ends.
struct Open {
    lb: Arc<LbStats>,
    tracker: Arc<ConnTracker>,
}

impl Open {
    fn new(lb: &Arc<LbStats>, tracker: &Arc<ConnTracker>) -> Open {
        tracker.open.fetch_add(1, Relaxed);
        lb.active_connections.fetch_add(1, Relaxed);
        lb.new_connections.fetch_add(1, Relaxed);
        Open {
            lb: Arc::clone(lb),
            tracker: Arc::clone(tracker),
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.lb.active_connections.fetch_sub(1, Relaxed);
        if self.tracker.open.fetch_sub(1, Relaxed) == 1 {
            self.tracker.closed.notify_waiters();
        }
    }
}
