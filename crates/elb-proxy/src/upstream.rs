//! Connections to targets, over hyper's HTTP/1.1 client
//! (`hyper::client::conn::http1`).
//!
//! A connection is a socket (plain or TLS, `TCP_NODELAY` set) handed to
//! hyper's handshake: the [`Connection`](hyper::client::conn::http1::Connection)
//! future runs as a task on the worker that opened it (upgrades enabled,
//! for WebSocket), and the [`SendRequest`] half is what the request path
//! and the keep-alive pool ([`crate::pool`]) hold. hyper parses the
//! responses, frames the bodies both ways and notices a target closing an
//! idle connection.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
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

/// The request half of an HTTP/1.1 connection to a target.
pub(crate) struct Conn {
    pub sender: SendRequest<RequestBody>,
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

impl Conn {
    /// Opens a connection to `addr`, over TLS when `tls` (the target's
    /// certificate is not verified, as with ALB), and starts its hyper
    /// connection task on the current runtime (the worker's own).
    pub(crate) async fn open(
        addr: SocketAddr,
        tls: bool,
        timeout: Duration,
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
            tokio::spawn(async move {
                if let Err(e) = connection.with_upgrades().await {
                    tracing::debug!("connection to {addr} ended: {e}");
                }
            });
            Ok::<_, io::Error>(sender)
        };
        match tokio::time::timeout(timeout, open).await {
            Ok(Ok(sender)) => Ok(Conn {
                sender,
                idle_since: Instant::now(),
            }),
            Ok(Err(e)) => Err(ConnectError::Failed(e)),
            Err(_) => Err(ConnectError::Timeout),
        }
    }
}
