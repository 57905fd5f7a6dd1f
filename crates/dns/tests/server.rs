//! The server over real sockets: UDP and TCP on one port, truncation and
//! the TCP retry, zone replacement, garbage, shutdown.

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use berth_dns::{DnsError, DnsServer, ZoneHandle};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;
use support::*;

fn a_count(reply: &Message) -> usize {
    reply
        .answers()
        .iter()
        .filter(|r| r.record_type() == RecordType::A)
        .count()
}

#[test]
fn udp_and_tcp_answer_on_the_same_port() {
    let running = Running::start(zones(3), vec![]);
    let addr = running.addr();
    assert_ne!(addr.port(), 0);

    let reply = udp_ask(addr, &query("api.internal.", RecordType::A, 11));
    assert_eq!(reply.id(), 11);
    assert!(reply.authoritative());
    assert_eq!(a_count(&reply), 3);

    // Several queries on one connection, answered in order.
    let mut stream = tcp_connect(addr);
    let first = tcp_ask(&mut stream, &query("api.internal.", RecordType::A, 12));
    assert_eq!((first.id(), a_count(&first)), (12, 3));
    let second = tcp_ask(&mut stream, &query("nope.internal.", RecordType::A, 13));
    assert_eq!(second.id(), 13);
    assert_eq!(second.response_code(), ResponseCode::NXDomain);
    assert_eq!(second.name_servers().len(), 1);
}

#[test]
fn truncated_udp_answers_are_complete_over_tcp() {
    let running = Running::start(zones(3), vec![]);
    let bytes = query("long.internal.", RecordType::SRV, 21);

    let reply = udp_ask(running.addr(), &bytes);
    assert!(reply.truncated());
    assert!(reply.answers().is_empty());

    let reply = tcp_ask(&mut tcp_connect(running.addr()), &bytes);
    assert_eq!(reply.id(), 21);
    assert!(!reply.truncated());
    assert_eq!(reply.answers().len(), 8);
    assert_eq!(reply.additionals().len(), 16);
}

#[test]
fn replacing_the_zones_changes_the_next_answer() {
    let running = Running::start(zones(3), vec![]);
    assert_eq!(
        a_count(&udp_ask(
            running.addr(),
            &query("api.internal.", RecordType::A, 1)
        )),
        3
    );
    running.zones.replace(zones(1));
    assert_eq!(
        a_count(&udp_ask(
            running.addr(),
            &query("api.internal.", RecordType::A, 2)
        )),
        1
    );
    let mut stream = tcp_connect(running.addr());
    assert_eq!(
        a_count(&tcp_ask(
            &mut stream,
            &query("api.internal.", RecordType::A, 3)
        )),
        1
    );
    running.zones.replace(berth_dns::ZoneSet::new());
    // No zone left: the name is forwarded, and with no upstream refused.
    let reply = tcp_ask(&mut stream, &query("api.internal.", RecordType::A, 4));
    assert_eq!(reply.response_code(), ResponseCode::Refused);
}

/// 20,000 datagrams of random bytes and of queries with random bytes
/// overwritten, then garbage over TCP: the server still answers at once.
#[test]
fn garbage_does_not_wedge_the_server() {
    let running = Running::start(zones(3), vec![]);
    let addr = running.addr();
    let mut rng = fastrand::Rng::with_seed(20_000);
    let fuzzer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let templates = [
        query("api.internal.", RecordType::A, 1),
        query("long.internal.", RecordType::SRV, 2),
        query("example.org.", RecordType::AAAA, 3),
    ];
    for round in 0..20_000 {
        let packet: Vec<u8> = if round % 2 == 0 {
            let len = rng.usize(0..600);
            (0..len).map(|_| rng.u8(..)).collect()
        } else {
            let mut packet = templates[round % templates.len()].clone();
            for _ in 0..rng.usize(1..5) {
                let at = rng.usize(..packet.len());
                packet[at] = rng.u8(..);
            }
            packet
        };
        // A full receive queue drops datagrams; that is fine here.
        let _ = fuzzer.send_to(&packet, addr);
    }
    let mut garbage = TcpStream::connect(addr).unwrap();
    for _ in 0..200 {
        let len = rng.usize(0..300);
        let mut frame = u16::try_from(len).unwrap().to_be_bytes().to_vec();
        frame.extend((0..len).map(|_| rng.u8(..)));
        if garbage.write_all(&frame).is_err() {
            break;
        }
    }

    let started = Instant::now();
    let reply = udp_ask_within(
        addr,
        &query("api.internal.", RecordType::A, 77),
        Duration::from_secs(1),
    )
    .unwrap();
    assert_eq!(reply.id(), 77);
    assert_eq!(a_count(&reply), 3);
    assert!(started.elapsed() < Duration::from_secs(1));
    let reply = tcp_ask(
        &mut tcp_connect(addr),
        &query("api.internal.", RecordType::A, 78),
    );
    assert_eq!((reply.id(), a_count(&reply)), (78, 3));
}

#[test]
fn shutdown_stops_udp_and_tcp_promptly() {
    let mut running = Running::start(zones(3), vec![]);
    let addr = running.addr();
    assert_eq!(
        a_count(&udp_ask(addr, &query("api.internal.", RecordType::A, 1))),
        3
    );
    let started = Instant::now();
    running.server.take().unwrap().shutdown();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(udp_ask_within(
        addr,
        &query("api.internal.", RecordType::A, 2),
        Duration::from_millis(300)
    )
    .is_err());
    // The TCP listener goes with its aborted task.
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(addr).is_ok() {
        assert!(
            Instant::now() < deadline,
            "TCP still accepting after shutdown"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Both ports are free again.
    let _entered = running.runtime.enter();
    let again = DnsServer::start(addr, running.zones.clone(), vec![]).unwrap();
    assert_eq!(again.local_addr(), addr);
}

#[test]
fn starting_outside_a_runtime_fails() {
    let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let error = DnsServer::start(listen, ZoneHandle::new(zones(1)), vec![]).unwrap_err();
    assert!(matches!(error, DnsError::NoRuntime));
}

#[test]
fn a_port_in_use_is_a_bind_error() {
    let running = Running::start(zones(1), vec![]);
    let _entered = running.runtime.enter();
    let taken = running.addr();
    let error = DnsServer::start(taken, running.zones.clone(), vec![]).unwrap_err();
    assert!(matches!(error, DnsError::Bind { .. }), "{error}");
}
