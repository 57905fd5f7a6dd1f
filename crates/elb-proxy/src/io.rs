//! The client connection's byte stream, metered: bytes in and out for
//! `ProcessedBytes`, and an activity flag for the idle timeout. The count
//! is kept in the connection and added to the load balancer's counter at
//! each flush (once per response or so), not per read.

use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::service::ConnCtx;

/// A stream that counts its bytes.
pub(crate) struct MeteredIo<T> {
    inner: T,
    ctx: Arc<ConnCtx>,
    bytes: u64,
}

impl<T> MeteredIo<T> {
    pub(crate) fn new(inner: T, ctx: Arc<ConnCtx>) -> Self {
        MeteredIo {
            inner,
            ctx,
            bytes: 0,
        }
    }

    fn count(&mut self, n: usize) {
        if n > 0 {
            self.bytes += n as u64;
            self.ctx.activity.store(true, Relaxed);
        }
    }

    fn publish(&mut self) {
        if self.bytes > 0 {
            self.ctx.lb.processed_bytes.fetch_add(self.bytes, Relaxed);
            self.bytes = 0;
        }
    }
}

impl<T> Drop for MeteredIo<T> {
    fn drop(&mut self) {
        self.publish();
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for MeteredIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.count(buf.filled().len() - before);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for MeteredIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.count(n);
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = polled {
            this.count(n);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.publish();
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.publish();
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}
