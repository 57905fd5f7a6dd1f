//! DNS over TCP (RFC 7766): each message a frame behind its 2-byte length,
//! several queries per connection answered in order, an idle connection
//! closed after [`IDLE_TIMEOUT`], at most [`MAX_CONNECTIONS`] at once (more
//! are closed on accept). Replies are never truncated.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::answer::{answer_into, Action};
use crate::forward::Forwarder;
use crate::handle::ZoneHandle;

/// How long a connection may wait for its next query (or take to send
/// one, or to take a reply) before it is closed.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once.
pub(crate) const MAX_CONNECTIONS: usize = 256;

/// Accepts and serves connections until the task is aborted; aborting it
/// drops every connection too.
pub(crate) async fn serve(
    listener: TcpListener,
    zones: Arc<ZoneHandle>,
    forwarder: Arc<Forwarder>,
) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        let accepted = listener.accept().await;
        while connections.try_join_next().is_some() {}
        let (stream, client) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, usually: wait for some to close.
                tracing::debug!(%error, "DNS TCP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            tracing::debug!(%client, "too many DNS TCP connections; closed");
            continue;
        };
        let zones = Arc::clone(&zones);
        let forwarder = Arc::clone(&forwarder);
        connections.spawn(async move {
            let _permit = permit;
            connection(stream, &zones, &forwarder).await;
        });
    }
}

async fn connection(mut stream: TcpStream, zones: &ZoneHandle, forwarder: &Forwarder) {
    let _ = stream.set_nodelay(true);
    let mut rng = fastrand::Rng::new();
    let mut query = Vec::new();
    let mut reply = Vec::new();
    loop {
        let mut prefix = [0u8; 2];
        if !matches!(
            timeout(IDLE_TIMEOUT, stream.read_exact(&mut prefix)).await,
            Ok(Ok(_))
        ) {
            return;
        }
        query.resize(usize::from(u16::from_be_bytes(prefix)), 0);
        if !matches!(
            timeout(IDLE_TIMEOUT, stream.read_exact(&mut query)).await,
            Ok(Ok(_))
        ) {
            return;
        }
        let action = {
            let zones = zones.load();
            answer_into(&zones, &query, None, &mut rng, &mut reply)
        };
        let sent = match action {
            Action::Reply => write_frame(&mut stream, &reply).await,
            Action::Forward => match forwarder.forward_tcp(&query).await {
                Some(forwarded) => write_frame(&mut stream, &forwarded).await,
                None => true,
            },
            Action::Drop => true,
        };
        if !sent {
            return;
        }
    }
}

/// Writes one length-prefixed message; false when the connection is done.
async fn write_frame(stream: &mut TcpStream, message: &[u8]) -> bool {
    let Ok(len) = u16::try_from(message.len()) else {
        return false;
    };
    let mut frame = Vec::with_capacity(message.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(message);
    matches!(
        timeout(IDLE_TIMEOUT, stream.write_all(&frame)).await,
        Ok(Ok(()))
    )
}
