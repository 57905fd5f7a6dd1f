//! The running server: UDP workers and the TCP task on one address.

use std::io;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::error::DnsError;
use crate::forward::Forwarder;
use crate::handle::ZoneHandle;
use crate::{tcp, udp};

/// Tries at finding a free port for both UDP and TCP when asked for port 0.
const BIND_ATTEMPTS: usize = 8;
/// UDP worker threads at most, whatever the core count.
const MAX_UDP_WORKERS: usize = 16;

/// A running DNS server; dropping it or [`DnsServer::shutdown`] stops it.
pub struct DnsServer {
    local: SocketAddr,
    stop: Arc<AtomicBool>,
    udp: Vec<JoinHandle<()>>,
    tcp: tokio::task::JoinHandle<()>,
}

impl DnsServer {
    /// Binds UDP and TCP on `listen` (port 0 allowed: both on the same
    /// chosen port) and serves `zones` until shut down, forwarding other
    /// names to `upstreams` (none: REFUSED). Must be called inside a tokio
    /// runtime, which runs the TCP connections and the forwarding; UDP
    /// queries are answered on one thread per core.
    pub fn start(
        listen: SocketAddr,
        zones: Arc<ZoneHandle>,
        upstreams: Vec<SocketAddr>,
    ) -> Result<DnsServer, DnsError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| DnsError::NoRuntime)?;
        let workers = std::thread::available_parallelism()
            .map_or(1, |cores| cores.get())
            .min(MAX_UDP_WORKERS);
        let (socket, listener) = bind_both(listen)?;
        let local = listener
            .local_addr()
            .map_err(|source| bind_error("TCP", listen, source))?;
        let listener = listener
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpListener::from_std(listener))
            .map_err(|source| bind_error("TCP", local, source))?;
        tracing::info!(%local, ?upstreams, workers, "DNS server listening");
        let forwarder = Arc::new(Forwarder::new(upstreams, runtime.clone()));
        let tcp = runtime.spawn(tcp::serve(
            listener,
            Arc::clone(&zones),
            Arc::clone(&forwarder),
        ));
        let stop = Arc::new(AtomicBool::new(false));
        match udp::spawn(socket, workers, &zones, &forwarder, &stop) {
            Ok(udp) => Ok(DnsServer {
                local,
                stop,
                udp,
                tcp,
            }),
            Err(error) => {
                tcp.abort();
                Err(DnsError::Thread(error))
            }
        }
    }

    /// The address served (with the chosen port when started on port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Stops serving: the UDP workers are joined (each notices within
    /// 100 ms), the TCP listener and its connections are aborted.
    /// Forwarded queries already in flight finish on their own (at most
    /// the upstream timeout per upstream).
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.tcp.abort();
        for thread in self.udp.drain(..) {
            let _ = thread.join();
        }
        tracing::debug!(local = %self.local, "DNS server stopped");
    }
}

impl std::fmt::Debug for DnsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsServer")
            .field("local", &self.local)
            .finish()
    }
}

/// The UDP socket first, then TCP on the port UDP got; with port 0 and
/// that TCP port taken, again with another port.
fn bind_both(listen: SocketAddr) -> Result<(UdpSocket, TcpListener), DnsError> {
    let mut attempt = 1;
    loop {
        let socket = udp::bind(listen).map_err(|source| bind_error("UDP", listen, source))?;
        let addr = socket
            .local_addr()
            .map_err(|source| bind_error("UDP", listen, source))?;
        match TcpListener::bind(addr) {
            Ok(listener) => return Ok((socket, listener)),
            Err(source)
                if listen.port() == 0
                    && source.kind() == io::ErrorKind::AddrInUse
                    && attempt < BIND_ATTEMPTS =>
            {
                tracing::debug!(%addr, "TCP port taken; binding another port");
                attempt += 1;
            }
            Err(source) => return Err(bind_error("TCP", addr, source)),
        }
    }
}

fn bind_error(transport: &'static str, addr: SocketAddr, source: io::Error) -> DnsError {
    DnsError::Bind {
        transport,
        addr,
        source,
    }
}
