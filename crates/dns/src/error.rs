//! What can go wrong starting the server.

use std::net::SocketAddr;

/// Why [`crate::DnsServer::start`] failed.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// A socket could not be bound (address in use, no permission for a
    /// port below 1024, an address the host does not have).
    #[error("cannot bind DNS over {transport} on {addr}: {source}")]
    Bind {
        transport: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The server was started outside a tokio runtime.
    #[error("the DNS server must be started inside a tokio runtime")]
    NoRuntime,
    /// A UDP worker thread could not be started.
    #[error("cannot start a DNS worker thread: {0}")]
    Thread(#[source] std::io::Error),
}
