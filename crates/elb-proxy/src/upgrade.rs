//! Upgraded connections (WebSocket and any other HTTP/1.1 `Upgrade`): once
//! the target answered 101 and both hyper connections (the client's and
//! the target's) switched, bytes are copied both ways until either side
//! closes. The tunnel counts as a request in flight to its target, so a
//! draining target waits for it (up to its deregistration delay).

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

use crate::target::InFlight;

/// Runs the tunnel between a client and a target in its own task.
pub(crate) fn tunnel(client: OnUpgrade, target: OnUpgrade, in_flight: InFlight) {
    tokio::spawn(async move {
        let (client, target) = match tokio::try_join!(client, target) {
            Ok(both) => both,
            Err(e) => {
                tracing::debug!("upgrade failed: {e}");
                return;
            }
        };
        // Whatever either side sent right after the 101 is in hyper's
        // `Upgraded` read buffers and comes out first.
        let (mut client, mut target) = (TokioIo::new(client), TokioIo::new(target));
        if let Err(e) = tokio::io::copy_bidirectional(&mut client, &mut target).await {
            tracing::debug!("upgraded connection ended: {e}");
        }
        drop(in_flight);
    });
}
