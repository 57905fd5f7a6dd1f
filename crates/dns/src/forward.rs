//! Names outside Berth's zones: relayed to upstream resolvers.
//!
//! The client's query goes out unchanged from a fresh ephemeral socket (so
//! message ids of different clients never collide), to one upstream after
//! the other, each given 2 seconds; the first reply with the
//! query's id comes back unchanged. UDP queries are relayed over UDP, TCP
//! queries over TCP. When every upstream fails the client gets SERVFAIL;
//! with no upstream at all, REFUSED.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

use crate::answer::{error_for, is_response_to, message_id};

/// How long one upstream has to answer before the next is tried.
pub(crate) const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(2);
/// UDP queries being relayed at once; more are dropped (the client retries).
const MAX_UDP_IN_FLIGHT: usize = 1024;
/// Where the system's resolvers are listed.
const RESOLV_CONF: &str = "/etc/resolv.conf";

/// The system's resolvers: the `nameserver` lines of /etc/resolv.conf, on
/// port 53, without the addresses in `exclude` (Berth's own listen
/// address, so it never forwards to itself). Excluding an unspecified
/// address (`0.0.0.0` or `::`, listening everywhere) excludes loopback
/// nameservers too. An unreadable file gives no upstreams.
pub fn system_upstreams(exclude: &[IpAddr]) -> Vec<SocketAddr> {
    match std::fs::read_to_string(RESOLV_CONF) {
        Ok(text) => parse_resolv_conf(&text, exclude),
        Err(error) => {
            tracing::warn!(%error, path = RESOLV_CONF, "cannot read the system's resolvers; forwarding nothing");
            Vec::new()
        }
    }
}

fn parse_resolv_conf(text: &str, exclude: &[IpAddr]) -> Vec<SocketAddr> {
    let everywhere = exclude.iter().any(IpAddr::is_unspecified);
    let mut upstreams = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            continue;
        }
        // A scoped IPv6 address (`fe80::1%eth0`) does not parse: skipped.
        let Some(ip) = words.next().and_then(|word| word.parse::<IpAddr>().ok()) else {
            continue;
        };
        if exclude.contains(&ip) || (everywhere && ip.is_loopback()) {
            continue;
        }
        let upstream = SocketAddr::new(ip, 53);
        if !upstreams.contains(&upstream) {
            upstreams.push(upstream);
        }
    }
    upstreams
}

/// The servers' side of forwarding: the upstreams and the tasks relaying.
pub(crate) struct Forwarder {
    upstreams: Arc<[SocketAddr]>,
    runtime: tokio::runtime::Handle,
    in_flight: Arc<AtomicUsize>,
}

impl Forwarder {
    pub(crate) fn new(upstreams: Vec<SocketAddr>, runtime: tokio::runtime::Handle) -> Forwarder {
        Forwarder {
            upstreams: upstreams.into(),
            runtime,
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Relays a UDP query on a tokio task and sends the reply to `client`
    /// from `socket`, so the calling worker goes straight back to its own
    /// queries. Without upstreams, answers REFUSED at once.
    pub(crate) fn forward_udp(&self, query: &[u8], client: SocketAddr, socket: &Arc<UdpSocket>) {
        if self.upstreams.is_empty() {
            if let Some(reply) = error_for(query, ResponseCode::Refused) {
                send(socket, &reply, client);
            }
            return;
        }
        let Some(slot) = Slot::take(&self.in_flight) else {
            tracing::debug!(%client, "too many forwarded queries in flight; dropped");
            return;
        };
        let upstreams = Arc::clone(&self.upstreams);
        let socket = Arc::clone(socket);
        let query = query.to_vec();
        self.runtime.spawn(async move {
            let _slot = slot;
            let reply = match relay_udp(&upstreams, &query).await {
                Some(reply) => Some(reply),
                None => error_for(&query, ResponseCode::ServFail),
            };
            if let Some(reply) = reply {
                send(&socket, &reply, client);
            }
        });
    }

    /// Relays a TCP query over TCP: the reply to send, REFUSED without
    /// upstreams, SERVFAIL when none answered.
    pub(crate) async fn forward_tcp(&self, query: &[u8]) -> Option<Vec<u8>> {
        if self.upstreams.is_empty() {
            return error_for(query, ResponseCode::Refused);
        }
        match relay_tcp(&self.upstreams, query).await {
            Some(reply) => Some(reply),
            None => error_for(query, ResponseCode::ServFail),
        }
    }
}

/// One of the [`MAX_UDP_IN_FLIGHT`] places, given back on drop.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(in_flight: &Arc<AtomicUsize>) -> Option<Slot> {
        if in_flight.fetch_add(1, Ordering::AcqRel) >= MAX_UDP_IN_FLIGHT {
            in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Slot(Arc::clone(in_flight)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn send(socket: &UdpSocket, reply: &[u8], client: SocketAddr) {
    if let Err(error) = socket.send_to(reply, client) {
        tracing::debug!(%error, %client, "cannot send a DNS reply");
    }
}

/// The first upstream reply to `query` over UDP.
async fn relay_udp(upstreams: &[SocketAddr], query: &[u8]) -> Option<Vec<u8>> {
    let id = message_id(query)?;
    for &upstream in upstreams {
        match timeout(UPSTREAM_TIMEOUT, ask_udp(upstream, id, query)).await {
            Ok(Ok(reply)) => return Some(reply),
            Ok(Err(error)) => tracing::debug!(%error, %upstream, "upstream failed over UDP"),
            Err(_) => tracing::debug!(%upstream, "upstream timed out over UDP"),
        }
    }
    None
}

async fn ask_udp(upstream: SocketAddr, id: u16, query: &[u8]) -> io::Result<Vec<u8>> {
    let socket = tokio::net::UdpSocket::bind(unspecified_for(upstream)).await?;
    // Connected: datagrams from anyone but the upstream are not delivered.
    socket.connect(upstream).await?;
    socket.send(query).await?;
    let mut buffer = vec![0u8; usize::from(u16::MAX)];
    loop {
        let len = socket.recv(&mut buffer).await?;
        if is_response_to(id, &buffer[..len]) {
            buffer.truncate(len);
            return Ok(buffer);
        }
    }
}

/// The first upstream reply to `query` over TCP.
async fn relay_tcp(upstreams: &[SocketAddr], query: &[u8]) -> Option<Vec<u8>> {
    let id = message_id(query)?;
    let len = u16::try_from(query.len()).ok()?;
    for &upstream in upstreams {
        match timeout(UPSTREAM_TIMEOUT, ask_tcp(upstream, len, query)).await {
            Ok(Ok(reply)) if is_response_to(id, &reply) => return Some(reply),
            Ok(Ok(_)) => tracing::debug!(%upstream, "upstream answered another message over TCP"),
            Ok(Err(error)) => tracing::debug!(%error, %upstream, "upstream failed over TCP"),
            Err(_) => tracing::debug!(%upstream, "upstream timed out over TCP"),
        }
    }
    None
}

async fn ask_tcp(upstream: SocketAddr, len: u16, query: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = tokio::net::TcpStream::connect(upstream).await?;
    let mut frame = Vec::with_capacity(query.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(query);
    stream.write_all(&frame).await?;
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix).await?;
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    stream.read_exact(&mut reply).await?;
    Ok(reply)
}

fn unspecified_for(upstream: SocketAddr) -> SocketAddr {
    match upstream {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESOLV: &str = "\
# generated
search example.internal
nameserver 10.0.0.2
nameserver 127.0.0.53
nameserver   2001:db8::1   # trailing words ignored
nameserver fe80::1%eth0
; nameserver 10.9.9.9
nameserver 10.0.0.2
options edns0 trust-ad
";

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn nameservers_on_port_53_in_order_without_duplicates() {
        assert_eq!(
            parse_resolv_conf(RESOLV, &[]),
            addrs(&["10.0.0.2:53", "127.0.0.53:53", "[2001:db8::1]:53"])
        );
    }

    #[test]
    fn excluded_addresses_are_skipped() {
        let exclude = ["10.0.0.2".parse().unwrap()];
        assert_eq!(
            parse_resolv_conf(RESOLV, &exclude),
            addrs(&["127.0.0.53:53", "[2001:db8::1]:53"])
        );
    }

    #[test]
    fn listening_everywhere_excludes_loopback_nameservers() {
        let exclude = ["0.0.0.0".parse().unwrap()];
        assert_eq!(
            parse_resolv_conf(RESOLV, &exclude),
            addrs(&["10.0.0.2:53", "[2001:db8::1]:53"])
        );
    }

    #[test]
    fn in_flight_slots_are_bounded_and_given_back() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let slots: Vec<Slot> = (0..MAX_UDP_IN_FLIGHT)
            .filter_map(|_| Slot::take(&in_flight))
            .collect();
        assert_eq!(slots.len(), MAX_UDP_IN_FLIGHT);
        assert!(Slot::take(&in_flight).is_none());
        drop(slots);
        assert_eq!(in_flight.load(Ordering::Acquire), 0);
        assert!(Slot::take(&in_flight).is_some());
    }
}
