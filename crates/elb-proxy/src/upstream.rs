//! Connections to targets, driven inline: the request's own task writes
//! the request and reads the response (and later, through
//! [`TargetBody`](crate::body), the response body) on the target's socket.
//! There is no connection task and no channel between the client side and
//! the target side, so a proxied request costs no task switches beyond
//! the client connection's own.
//!
//! HTTP/1.1 only; the head formats are in [`crate::wire`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use http::Method;
use http_body::Body;
use hyper::body::Incoming;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::chunked;
use crate::tls;
use crate::wire::{self, BodyFraming, HeadError, ResponseHead};

/// Reads reserve at least this much room.
const READ_CHUNK: usize = 8 * 1024;
/// A pooled connection idle longer than this is probed with a system call
/// before reuse.
const PEEK_AFTER: Duration = Duration::from_secs(1);

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

/// An HTTP/1.1 connection to a target.
pub(crate) struct Conn {
    pub stream: Stream,
    /// Bytes read and not yet consumed.
    pub buf: BytesMut,
    /// When it went back to the pool.
    pub idle_since: Instant,
}

/// Why no connection could be opened.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// Refused, unreachable, reset, or the TLS handshake failed.
    Failed(io::Error),
    /// No connection within the connect timeout.
    Timeout,
}

impl Conn {
    /// Opens a connection to `addr`, over TLS when `tls` (the target's
    /// certificate is not verified, as with ALB).
    pub(crate) async fn open(
        addr: SocketAddr,
        tls: bool,
        timeout: Duration,
    ) -> Result<Conn, ConnectError> {
        let open = async {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            if !tls {
                return Ok(Stream::Plain(stream));
            }
            let config = tls::client_config().map_err(io::Error::other)?;
            let connector = tokio_rustls::TlsConnector::from(Arc::clone(config));
            let tls = connector
                .connect(ServerName::IpAddress(addr.ip().into()), stream)
                .await?;
            Ok(Stream::Tls(Box::new(tls)))
        };
        match tokio::time::timeout(timeout, open).await {
            Ok(Ok(stream)) => Ok(Conn {
                stream,
                buf: BytesMut::new(),
                idle_since: Instant::now(),
            }),
            Ok(Err(e)) => Err(ConnectError::Failed(e)),
            Err(_) => Err(ConnectError::Timeout),
        }
    }

    /// Whether an idle connection is still usable: nothing unread, and the
    /// target has not closed it. A connection reused at once costs no
    /// system call unless its socket became readable (tokio tracks
    /// readiness); one idle for a while is also asked directly, in case the
    /// target's close is not through the event loop yet.
    pub(crate) fn still_open(&mut self, now: Instant) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        if now.saturating_duration_since(self.idle_since) > PEEK_AFTER {
            let tcp = match &self.stream {
                Stream::Plain(tcp) => tcp,
                Stream::Tls(tls) => tls.get_ref().0,
            };
            let mut probe = [std::mem::MaybeUninit::<u8>::uninit(); 1];
            match socket2::SockRef::from(tcp).peek(&mut probe) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                // Closed (0), reset, or bytes nobody asked for: on plain
                // HTTP those end the connection; over TLS they may be a
                // session ticket, which the read below takes in.
                Ok(n) if n > 0 && matches!(self.stream, Stream::Tls(_)) => {}
                _ => return false,
            }
        }
        let mut cx = Context::from_waker(Waker::noop());
        let mut probe = [0u8; 1];
        let mut probe = ReadBuf::new(&mut probe);
        matches!(
            Pin::new(&mut self.stream).poll_read(&mut cx, &mut probe),
            Poll::Pending
        )
    }

    /// Reads more into the buffer; `Ready(Ok(0))` at the end of the stream.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
            self.buf.reserve(READ_CHUNK);
        }
        let read = std::pin::pin!(self.stream.read_buf(&mut self.buf));
        read.poll(cx)
    }

    async fn fill(&mut self) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx)).await
    }
}

/// How an exchange failed.
pub(crate) enum ExchangeError {
    /// Not even the request head went out; the body is untouched.
    NotSent(Option<Incoming>),
    /// The request went out (its body consumed) and the connection broke
    /// before any byte of a response.
    Broken,
    /// The answer is not HTTP, broke off inside its head, or the client's
    /// body failed.
    Fatal(String),
}

/// Sends a request (its serialized head and the client's body) and reads
/// the response head.
pub(crate) async fn exchange(
    conn: &mut Conn,
    head: &[u8],
    body: Option<Incoming>,
    framing: BodyFraming,
    method: &Method,
) -> Result<ResponseHead, ExchangeError> {
    if conn.stream.write_all(head).await.is_err() {
        return Err(ExchangeError::NotSent(body));
    }
    if let Some(body) = body {
        send_body(&mut conn.stream, body, framing).await?;
    }
    if matches!(conn.stream, Stream::Tls(_)) && conn.stream.flush().await.is_err() {
        return Err(ExchangeError::Broken);
    }
    let mut heard = false;
    loop {
        match wire::parse_response(&mut conn.buf, method) {
            Ok(Some(head)) => return Ok(head),
            Ok(None) => {}
            Err(HeadError(why)) => return Err(ExchangeError::Fatal(why.to_owned())),
        }
        match conn.fill().await {
            Ok(0) | Err(_) if !heard => return Err(ExchangeError::Broken),
            Ok(0) => {
                return Err(ExchangeError::Fatal(
                    "closed inside the response head".to_owned(),
                ))
            }
            Err(e) => return Err(ExchangeError::Fatal(e.to_string())),
            Ok(_) => heard = true,
        }
    }
}

async fn send_body(
    stream: &mut Stream,
    mut body: Incoming,
    framing: BodyFraming,
) -> Result<(), ExchangeError> {
    let broken = |_| ExchangeError::Broken;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| ExchangeError::Fatal(format!("client body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers are not forwarded
        };
        if data.is_empty() {
            continue;
        }
        if framing == BodyFraming::Chunked {
            let mut piece = chunked::chunk_header(data.len());
            piece.extend_from_slice(&data);
            piece.extend_from_slice(b"\r\n");
            stream.write_all(&piece).await.map_err(broken)?;
        } else {
            stream.write_all(&data).await.map_err(broken)?;
        }
    }
    if framing == BodyFraming::Chunked {
        stream.write_all(b"0\r\n\r\n").await.map_err(broken)?;
    }
    Ok(())
}
