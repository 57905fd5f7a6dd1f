//! Response bodies on their way to a client, streamed frame by frame: a
//! target's body read straight off the target's connection (in the task
//! that writes it to the client), or a small generated one.
//!
//! A target's body owns its connection and the request's in-flight count.
//! Read to its end, the connection goes back to the target's pool (when it
//! may carry another request) and the request stops counting as
//! outstanding; dropped early, the connection is closed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::chunked::{Chunk, ChunkedDecoder};
use crate::target::InFlight;
use crate::upstream::Conn;
use crate::wire::Framing;

/// A response body on its way to a client.
pub(crate) struct ResponseBody(Kind);

enum Kind {
    Target(TargetBody),
    Full(Option<Bytes>),
}

impl ResponseBody {
    /// A target's body, read from `conn` as `framing` says.
    pub(crate) fn target(
        conn: Conn,
        framing: Framing,
        keep_alive: bool,
        in_flight: InFlight,
    ) -> ResponseBody {
        let decoder = match framing {
            Framing::Empty | Framing::Length(0) => Decoder::Done,
            Framing::Length(n) => Decoder::Length(n),
            Framing::Chunked => Decoder::Chunked(ChunkedDecoder::default()),
            Framing::UntilClose => Decoder::UntilClose,
        };
        let mut body = TargetBody {
            conn: Some(conn),
            decoder,
            keep_alive,
            in_flight: Some(in_flight),
        };
        if matches!(body.decoder, Decoder::Done) {
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
    /// `None` once finished or broken.
    conn: Option<Conn>,
    decoder: Decoder,
    keep_alive: bool,
    in_flight: Option<InFlight>,
}

enum Decoder {
    Length(u64),
    Chunked(ChunkedDecoder),
    UntilClose,
    Done,
}

impl TargetBody {
    /// The body is complete: the connection may serve another request.
    fn finish(&mut self) {
        self.decoder = Decoder::Done;
        let conn = self.conn.take();
        if let (Some(conn), Some(in_flight)) = (conn, self.in_flight.take()) {
            if self.keep_alive && conn.buf.is_empty() {
                in_flight.target().pool.put(conn);
            }
        }
    }

    /// The connection broke: it is closed, the body ends in an error.
    fn broken(&mut self, error: io::Error) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.conn = None;
        self.in_flight = None;
        self.decoder = Decoder::Done;
        Poll::Ready(Some(Err(error)))
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        loop {
            let Some(conn) = self.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match &mut self.decoder {
                Decoder::Done => {
                    self.finish();
                    return Poll::Ready(None);
                }
                Decoder::Length(left) if !conn.buf.is_empty() => {
                    let take = (*left).min(conn.buf.len() as u64);
                    *left -= take;
                    let data = conn.buf.split_to(take as usize).freeze();
                    if *left == 0 {
                        self.finish();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Decoder::Chunked(decoder) => match decoder.next(&mut conn.buf) {
                    Ok(Chunk::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(Chunk::Done) => {
                        self.finish();
                        return Poll::Ready(None);
                    }
                    Ok(Chunk::More) => {}
                    Err(e) => return self.broken(io::Error::new(io::ErrorKind::InvalidData, e)),
                },
                Decoder::UntilClose if !conn.buf.is_empty() => {
                    return Poll::Ready(Some(Ok(Frame::data(conn.buf.split().freeze()))));
                }
                Decoder::Length(_) | Decoder::UntilClose => {}
            }
            match conn.poll_fill(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) if matches!(self.decoder, Decoder::UntilClose) => {
                    self.keep_alive = false;
                    self.finish();
                    return Poll::Ready(None);
                }
                Poll::Ready(Ok(0)) => {
                    return self.broken(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the target closed the connection inside the body",
                    ))
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return self.broken(e),
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
            Kind::Target(body) => matches!(body.decoder, Decoder::Done),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Target(body) => match body.decoder {
                Decoder::Length(n) => SizeHint::with_exact(n),
                Decoder::Done => SizeHint::with_exact(0),
                _ => SizeHint::default(),
            },
        }
    }
}
