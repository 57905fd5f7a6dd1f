//! One client connection: TLS, HTTP/1.1 or HTTP/2 (chosen by ALPN over
//! TLS, by the HTTP/2 preface on plain HTTP), the idle timeout, and closing
//! on request (a removed listener, shutdown).
//!
//! A connection's settings (TLS, HTTP/2, idle timeout, load balancer
//! counters) are read from its listener when it is accepted; its requests
//! read the listener's routing afresh each time, so an apply reaches open
//! connections at their next request.
//!
//! Watching costs next to nothing per request: the idle timeout is one
//! timer per connection (the stream marks activity on every read and
//! write; a tick every quarter of the timeout closes a connection that had
//! neither traffic nor a request being answered for four ticks in a row),
//! and a close request is an atomic flag plus a wake-up of the connection's
//! task, checked when the task runs anyway.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::io::MeteredIo;
use crate::service::{self, ConnCtx, ListenerShared};
use crate::stats::LbStats;

/// How long a client has for its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a connection takes from its listener when accepted.
pub(crate) struct ConnSettings {
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub idle_timeout: Duration,
    pub lb: Arc<LbStats>,
    protocols: Protocols,
}

/// The protocol builders. The protocol of a connection is decided first
/// (ALPN over TLS, the HTTP/2 preface on plain HTTP) and only that
/// protocol's connection state is allocated: a connection costs what its
/// protocol needs, not the larger of the two.
struct Protocols {
    http1: hyper::server::conn::http1::Builder,
    http2: Option<hyper::server::conn::http2::Builder<TokioExecutor>>,
}

impl ConnSettings {
    pub(crate) fn new(
        tls: Option<Arc<rustls::ServerConfig>>,
        http2: bool,
        idle_timeout: Duration,
        lb: Arc<LbStats>,
    ) -> ConnSettings {
        let mut http1 = hyper::server::conn::http1::Builder::new();
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(None)
            .keep_alive(true);
        let http2 = http2.then(|| {
            let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
            builder.timer(TokioTimer::new());
            builder
        });
        ConnSettings {
            tls: tls.map(tokio_rustls::TlsAcceptor::from),
            idle_timeout: idle_timeout.max(Duration::from_millis(10)),
            lb,
            protocols: Protocols { http1, http2 },
        }
    }
}

const RUNNING: u8 = 0;
const GRACEFUL: u8 = 1;
const HARD: u8 = 2;

/// How the rest of the proxy asks a connection to close.
#[derive(Default)]
pub(crate) struct CloseSignal {
    state: AtomicU8,
    waker: Mutex<Option<Waker>>,
}

impl CloseSignal {
    /// Finish the requests in flight, then close.
    pub(crate) fn graceful(&self) {
        let _ = self
            .state
            .compare_exchange(RUNNING, GRACEFUL, Ordering::AcqRel, Ordering::Acquire);
        self.wake();
    }

    /// Close now.
    pub(crate) fn hard(&self) {
        self.state.store(HARD, Ordering::Release);
        self.wake();
    }

    fn wake(&self) {
        let waker = self.waker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn register(&self, waker: &Waker) {
        *self.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(waker.clone());
    }
}

/// Serves one accepted connection until it ends.
pub(crate) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<ListenerShared>,
    settings: Arc<ConnSettings>,
    signal: Arc<CloseSignal>,
) {
    let ctx = Arc::new(ConnCtx::new(
        shared,
        Arc::clone(&settings.lb),
        peer,
        settings.tls.is_some(),
    ));
    let Some(acceptor) = &settings.tls else {
        let mut io = MeteredIo::new(stream, Arc::clone(&ctx));
        let prefix = match settings.protocols.http2 {
            Some(_) => match sniff(&mut io).await {
                Some(prefix) => prefix,
                None => return,
            },
            None => Prefix::default(),
        };
        let h2 = prefix.is_h2();
        drive(Rewind { prefix, io }, h2, ctx, &settings, &signal).await;
        return;
    };
    // Boxed: the TLS state is only allocated for TLS connections.
    Box::pin(serve_tls(acceptor, stream, ctx, &settings, &signal)).await;
}

async fn serve_tls(
    acceptor: &tokio_rustls::TlsAcceptor,
    stream: TcpStream,
    ctx: Arc<ConnCtx>,
    settings: &ConnSettings,
    signal: &CloseSignal,
) {
    let peer = ctx.peer;
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => {
            let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2")
                && settings.protocols.http2.is_some();
            let io = Rewind {
                prefix: Prefix::default(),
                io: MeteredIo::new(tls, Arc::clone(&ctx)),
            };
            drive(io, h2, ctx, settings, signal).await;
        }
        Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
        Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
    }
}

/// Serves HTTP/1.1 (with upgrades) or HTTP/2 on an established stream.
async fn drive<T>(io: T, h2: bool, ctx: Arc<ConnCtx>, settings: &ConnSettings, signal: &CloseSignal)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let handler_ctx = Arc::clone(&ctx);
    let service = service_fn(move |request| service::handle(Arc::clone(&handler_ctx), request));
    let io = TokioIo::new(io);
    let tick = settings.idle_timeout / 4;
    match (&settings.protocols.http2, h2) {
        (Some(builder), true) => {
            let connection = Box::pin(builder.serve_connection(io, service));
            watch(
                connection,
                |c| c.get_mut().as_mut().graceful_shutdown(),
                &ctx,
                signal,
                tick,
            )
            .await;
        }
        _ => {
            let connection = Box::pin(
                settings
                    .protocols
                    .http1
                    .serve_connection(io, service)
                    .with_upgrades(),
            );
            watch(
                connection,
                |c| c.get_mut().as_mut().graceful_shutdown(),
                &ctx,
                signal,
                tick,
            )
            .await;
        }
    }
}

/// The HTTP/2 connection preface (RFC 9113 §3.4).
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The first bytes of a plain connection, read to tell HTTP/2 from 1.1.
#[derive(Default)]
struct Prefix {
    bytes: [u8; 24],
    len: u8,
    read: u8,
}

impl Prefix {
    fn is_h2(&self) -> bool {
        usize::from(self.len) == PREFACE.len() && &self.bytes == PREFACE
    }
}

/// Reads until the bytes are, or cannot be, the HTTP/2 preface. `None`:
/// the client went away first.
async fn sniff<T: AsyncRead + Unpin>(io: &mut T) -> Option<Prefix> {
    use tokio::io::AsyncReadExt;
    let mut prefix = Prefix::default();
    loop {
        let len = usize::from(prefix.len);
        if len == PREFACE.len() || prefix.bytes[..len] != PREFACE[..len] {
            return Some(prefix);
        }
        match io.read(&mut prefix.bytes[len..]).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => prefix.len += n as u8,
        }
    }
}

/// A stream whose first bytes were already read: they are read again.
struct Rewind<T> {
    prefix: Prefix,
    io: T,
}

impl<T: AsyncRead + Unpin> AsyncRead for Rewind<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let (read, len) = (usize::from(this.prefix.read), usize::from(this.prefix.len));
        if read < len {
            let n = (len - read).min(buf.remaining());
            buf.put_slice(&this.prefix.bytes[read..read + n]);
            this.prefix.read += n as u8;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Rewind<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Polls the connection to its end, closing it when idle or asked to.
async fn watch<C, E>(
    connection: C,
    mut graceful_shutdown: impl FnMut(Pin<&mut C>),
    ctx: &ConnCtx,
    signal: &CloseSignal,
    tick: Duration,
) where
    C: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut connection = std::pin::pin!(connection);
    let mut timer = Box::pin(tokio::time::sleep(tick));
    let mut registered: Option<Waker> = None;
    let mut closing = false;
    let mut idle_ticks = 0u32;
    std::future::poll_fn(|cx| {
        if !registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            signal.register(cx.waker());
            registered = Some(cx.waker().clone());
        }
        match signal.state.load(Ordering::Acquire) {
            HARD => return Poll::Ready(()),
            GRACEFUL if !closing => {
                closing = true;
                graceful_shutdown(connection.as_mut());
            }
            _ => {}
        }
        if let Poll::Ready(result) = connection.as_mut().poll(cx) {
            if let Err(e) = result {
                tracing::debug!("connection from {} ended: {e}", ctx.peer);
            }
            return Poll::Ready(());
        }
        while timer.as_mut().poll(cx).is_ready() {
            timer.as_mut().reset(tokio::time::Instant::now() + tick);
            let busy = ctx.active.load(Ordering::Relaxed) > 0;
            let heard = ctx.activity.swap(false, Ordering::Relaxed);
            if busy || heard {
                idle_ticks = 0;
                continue;
            }
            idle_ticks += 1;
            if idle_ticks >= 4 {
                if closing {
                    // Still open an idle timeout after being asked to
                    // close: drop it.
                    return Poll::Ready(());
                }
                closing = true;
                idle_ticks = 0;
                graceful_shutdown(connection.as_mut());
                // Let hyper act on it now.
                cx.waker().wake_by_ref();
            }
        }
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn the_preface_is_sniffed_and_replayed() {
        let (mut client, server) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut client, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nrest")
            .await
            .unwrap();
        let mut server = server;
        let prefix = sniff(&mut server).await.unwrap();
        assert!(prefix.is_h2());
        let mut rewound = Rewind { prefix, io: server };
        let mut all = vec![0u8; 28];
        rewound.read_exact(&mut all).await.unwrap();
        assert_eq!(&all, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nrest");

        let (mut client, mut server) = tokio::io::duplex(64);
        tokio::io::AsyncWriteExt::write_all(&mut client, b"GET / HTTP/1.1\r\n")
            .await
            .unwrap();
        let prefix = sniff(&mut server).await.unwrap();
        assert!(!prefix.is_h2());
        let mut rewound = Rewind { prefix, io: server };
        let mut all = vec![0u8; 16];
        rewound.read_exact(&mut all).await.unwrap();
        assert_eq!(&all, b"GET / HTTP/1.1\r\n");
    }

    #[test]
    fn a_connection_costs_little_before_its_protocol_is_known() {
        fn never<T>() -> T {
            unreachable!()
        }
        fn size_of_output<F>(_: &impl Fn() -> F) -> usize {
            std::mem::size_of::<F>()
        }
        let size = size_of_output(&|| serve(never(), never(), never(), never(), never()));
        assert!(size < 2048, "{size} bytes");
    }
}
