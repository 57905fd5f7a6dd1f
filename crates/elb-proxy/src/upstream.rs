//! Connections to targets, over hyper's HTTP/1.1 client
//! (`hyper::client::conn::http1`).
//!
//! A connection is a socket (plain or TLS, `TCP_NODELAY` set) handed to
//! hyper's handshake. Its [`SendRequest`] half is what the request path and
//! the keep-alive pool ([`crate::pool`]) hold; its
//! [`Connection`](hyper::client::conn::http1::Connection) half, which does
//! the reading and writing, is driven by whoever uses the connection: the
//! request's own task polls it while waiting for the response head, and
//! the client connection's task while streaming the response body
//! ([`crate::body`]). So a proxied request runs in one task, with no
//! wake-up of another task at each step (hyper's channels between the
//! halves stay within the task). An idle pooled connection is polled when
//! taken, which is when a target's close is noticed. Connections that
//! may be upgraded (WebSocket) run their IO half as a task of their own
//! instead, since the tunnel outlives the request.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::client::conn::TrySendError;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::tls;

/// A socket to a target, plain or TLS.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// The body of a request to a target: the client's, or none.
pub(crate) enum RequestBody {
    Client(Incoming),
    Empty,
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            RequestBody::Client(body) => Pin::new(body).poll_frame(cx),
            RequestBody::Empty => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            RequestBody::Client(body) => body.is_end_stream(),
            RequestBody::Empty => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RequestBody::Client(body) => body.size_hint(),
            RequestBody::Empty => SizeHint::with_exact(0),
        }
    }
}

/// The IO half of a connection, driven by its user.
type Driver = Pin<Box<http1::Connection<TokioIo<Stream>, RequestBody>>>;

/// An HTTP/1.1 connection to a target.
pub(crate) struct Conn {
    sender: SendRequest<RequestBody>,
    /// The IO half, when the user drives it (`None`: it runs as its own
    /// task, or it has ended).
    driver: Option<Driver>,
    /// When it went back to the pool.
    pub idle_since: Instant,
}

/// Why no connection could be opened.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// Refused, unreachable, reset, or the TLS (or HTTP) handshake failed.
    Failed(io::Error),
    /// No connection within the connect timeout.
    Timeout,
}

/// Who drives a new connection's IO half.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Driven {
    /// Its user, by polling it ([`Conn::exchange`], [`Conn::poll_drive`]).
    ByUser,
    /// A task of its own on the current runtime, with upgrades enabled.
    OwnTask,
}

impl Conn {
    /// Opens a connection to `addr`, over TLS when `tls` (the target's
    /// certificate is not verified, as with ALB). With [`Driven::OwnTask`]
    /// its IO half runs as a task on the current runtime (the worker's own).
    pub(crate) async fn open(
        addr: SocketAddr,
        tls: bool,
        timeout: Duration,
        driven: Driven,
    ) -> Result<Conn, ConnectError> {
        let open = async {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let stream = if tls {
                let config = tls::client_config().map_err(io::Error::other)?;
                let connector = tokio_rustls::TlsConnector::from(Arc::clone(config));
                let tls = connector
                    .connect(ServerName::IpAddress(addr.ip().into()), stream)
                    .await?;
                Stream::Tls(Box::new(tls))
            } else {
                Stream::Plain(stream)
            };
            let (sender, connection) = http1::Builder::new()
                .handshake(TokioIo::new(stream))
                .await
                .map_err(io::Error::other)?;
            let driver = match driven {
                Driven::ByUser => Some(Box::pin(connection)),
                Driven::OwnTask => {
                    tokio::spawn(async move {
                        if let Err(e) = connection.with_upgrades().await {
                            tracing::debug!("connection to {addr} ended: {e}");
                        }
                    });
                    None
                }
            };
            Ok::<_, io::Error>((sender, driver))
        };
        match tokio::time::timeout(timeout, open).await {
            Ok(Ok((sender, driver))) => Ok(Conn {
                sender,
                driver,
                idle_since: Instant::now(),
            }),
            Ok(Err(e)) => Err(ConnectError::Failed(e)),
            Err(_) => Err(ConnectError::Timeout),
        }
    }
}

impl Conn {
    /// Sends `request` and waits for the response head, driving the
    /// connection meanwhile. The error hands back a request none of which
    /// went out, as [`SendRequest::try_send_request`] does.
    pub(crate) async fn exchange(
        &mut self,
        request: Request<RequestBody>,
    ) -> Result<Response<Incoming>, TrySendError<Request<RequestBody>>> {
        let mut sending = std::pin::pin!(self.sender.try_send_request(request));
        std::future::poll_fn(|cx| {
            // IO first: it may complete the exchange in this same poll.
            self.poll_drive(cx);
            sending.as_mut().poll(cx)
        })
        .await
    }

    /// Lets the IO half make progress (read the target's bytes into the
    /// response body, write the request's). Once it has ended, it is
    /// dropped: whatever still waits on it (a response, a body) then ends
    /// with an error rather than waiting forever.
    pub(crate) fn poll_drive(&mut self, cx: &mut Context<'_>) {
        if let Some(driver) = &mut self.driver {
            if let Poll::Ready(result) = driver.as_mut().poll(cx) {
                if let Err(e) = result {
                    tracing::debug!("connection to a target ended: {e}");
                }
                self.driver = None;
            }
        }
    }

    /// Whether the connection may carry another request: polled once (so a
    /// close by the target since it went idle is noticed) and still open.
    pub(crate) fn usable(&mut self) -> bool {
        if self.driver.is_some() {
            self.poll_drive(&mut Context::from_waker(Waker::noop()));
            if self.driver.is_none() {
                return false;
            }
        }
        !self.sender.is_closed()
    }
}
