//! Response bodies on their way to a client, streamed frame by frame: a
//! target's body as hyper's client connection reads it, or a small
//! generated one.
//!
//! A target's body owns its connection and the request's in-flight count,
//! and drives the connection as it is read (see [`crate::upstream`]). Read
//! to its end, the connection goes back to the target's pool (when it may
//! carry another request) and the request stops counting as outstanding;
//! dropped early, the connection is closed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

use crate::target::InFlight;
use crate::upstream::Conn;

/// A response body on its way to a client.
pub(crate) struct ResponseBody(Kind);

enum Kind {
    Target(TargetBody),
    Full(Option<Bytes>),
}

impl ResponseBody {
    /// A target's body; `conn` goes back to the pool at its end when
    /// `keep_alive`.
    pub(crate) fn target(
        body: Incoming,
        conn: Conn,
        keep_alive: bool,
        in_flight: InFlight,
    ) -> ResponseBody {
        let mut body = TargetBody {
            body,
            conn: Some(conn),
            keep_alive,
            in_flight: Some(in_flight),
            done: false,
        };
        if body.body.is_end_stream() {
            body.finish();
        }
        ResponseBody(Kind::Target(body))
    }

    /// A generated body.
    pub(crate) fn full(bytes: Bytes) -> ResponseBody {
        ResponseBody(Kind::Full((!bytes.is_empty()).then_some(bytes)))
    }

    pub(crate) fn empty() -> ResponseBody {
        ResponseBody(Kind::Full(None))
    }
}

struct TargetBody {
    body: Incoming,
    /// `None` once finished or broken.
    conn: Option<Conn>,
    /// Whether the connection may carry another request after this one.
    keep_alive: bool,
    in_flight: Option<InFlight>,
    done: bool,
}

impl TargetBody {
    /// The body is complete: the connection may serve another request.
    fn finish(&mut self) {
        self.done = true;
        let conn = self.conn.take().filter(|_| self.keep_alive);
        if let Some(in_flight) = self.in_flight.take() {
            if let Some(conn) = conn {
                in_flight.target().pool.put(conn);
            }
        }
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Some(conn) = &mut self.conn {
            conn.poll_drive(cx);
        }
        match Pin::new(&mut self.body).poll_frame(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.finish();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(frame))) => {
                if self.body.is_end_stream() {
                    self.finish();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                // The connection broke: it is closed, the body ends in an
                // error.
                self.conn = None;
                self.in_flight = None;
                self.done = true;
                Poll::Ready(Some(Err(io::Error::other(e))))
            }
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match &mut self.get_mut().0 {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Target(body) => body.poll_next(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Full(bytes) => bytes.is_none(),
            Kind::Target(body) => body.done,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Target(body) if body.done => SizeHint::with_exact(0),
            Kind::Target(body) => body.body.size_hint(),
        }
    }
}
