//! Upgraded connections (WebSocket and any other HTTP/1.1 `Upgrade`): once
//! the target answered 101 and the client's side switched, bytes are copied
//! both ways until either side closes. The tunnel counts as a request in
//! flight to its target, so a draining target waits for it (up to its
//! deregistration delay).

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;

use crate::target::InFlight;
use crate::upstream::Conn;

/// Runs the tunnel between a client and a target in its own task.
pub(crate) fn tunnel(client: OnUpgrade, target: Conn, in_flight: InFlight) {
    tokio::spawn(async move {
        let mut client = match client.await {
            Ok(upgraded) => TokioIo::new(upgraded),
            Err(e) => {
                tracing::debug!("client upgrade failed: {e}");
                return;
            }
        };
        let Conn {
            mut stream, buf, ..
        } = target;
        // Whatever the target sent right after its 101 goes first.
        if !buf.is_empty() && client.write_all(&buf).await.is_err() {
            return;
        }
        if let Err(e) = tokio::io::copy_bidirectional(&mut client, &mut stream).await {
            tracing::debug!("upgraded connection ended: {e}");
        }
        drop(in_flight);
    });
}
