//! Forwarding names outside the zones to upstream resolvers: fake upstreams
//! on loopback answer canned replies built with hickory-proto.

#![allow(clippy::unwrap_used)]

mod support;

use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{RData, Record, RecordType};
use support::*;

const CANNED: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 7);

/// The canned reply to `query`: its id and question, one A record.
fn canned_reply(query: &[u8], id: u16) -> Vec<u8> {
    let query = Message::from_vec(query).unwrap();
    let mut reply = Message::new();
    reply
        .set_id(id)
        .set_message_type(MessageType::Response)
        .set_recursion_available(true)
        .add_queries(query.queries().iter().cloned());
    let name = query.queries()[0].name().clone();
    reply.add_answer(Record::from_rdata(name, 300, RData::A(A(CANNED))));
    reply.to_vec().unwrap()
}

/// A fake upstream on a thread; stops when dropped. It hands every query
/// it receives (the raw bytes) to `received`.
struct Upstream {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    received: mpsc::Receiver<Vec<u8>>,
}

impl Upstream {
    /// Over UDP; `answer` false makes it swallow queries. Before each real
    /// reply it sends one with another id, which must be ignored.
    fn udp(answer: bool) -> Upstream {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        Upstream::run(addr, move |stop, sender| {
            let mut buffer = [0u8; 4096];
            while !stop.load(Ordering::Acquire) {
                let Ok((len, client)) = socket.recv_from(&mut buffer) else {
                    continue;
                };
                let query = buffer[..len].to_vec();
                let _ = sender.send(query.clone());
                if answer {
                    let id = Message::from_vec(&query).unwrap().id();
                    socket
                        .send_to(&canned_reply(&query, id.wrapping_add(1)), client)
                        .unwrap();
                    socket.send_to(&canned_reply(&query, id), client).unwrap();
                }
            }
        })
    }

    /// Over TCP: one query per connection.
    fn tcp() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        Upstream::run(addr, move |stop, sender| {
            while !stop.load(Ordering::Acquire) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(2)))
                    .unwrap();
                let Ok(query) = read_frame(&mut stream) else {
                    continue;
                };
                let _ = sender.send(query.clone());
                let id = Message::from_vec(&query).unwrap().id();
                write_frame(&mut stream, &canned_reply(&query, id));
            }
        })
    }

    fn run(
        addr: SocketAddr,
        serve: impl FnOnce(&AtomicBool, mpsc::Sender<Vec<u8>>) + Send + 'static,
    ) -> Upstream {
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, received) = mpsc::channel();
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || serve(&flag, sender));
        Upstream {
            addr,
            stop,
            thread: Some(thread),
            received,
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn canned_answer(reply: &Message) -> Option<Ipv4Addr> {
    reply
        .answers()
        .first()
        .and_then(|r| r.data().as_a())
        .map(|a| a.0)
}

#[test]
fn udp_queries_are_relayed_unchanged() {
    let upstream = Upstream::udp(true);
    let running = Running::start(zones(3), vec![upstream.addr]);
    let bytes = query("www.Example.org.", RecordType::A, 4242);
    let reply = udp_ask(running.addr(), &bytes);
    assert_eq!(reply.id(), 4242);
    assert_eq!(canned_answer(&reply), Some(CANNED));
    assert_eq!(
        upstream
            .received
            .recv_timeout(Duration::from_secs(1))
            .unwrap(),
        bytes
    );
    // The zones are still answered locally.
    let reply = udp_ask(running.addr(), &query("api.internal.", RecordType::A, 1));
    assert_eq!(reply.answers().len(), 3);
    assert!(upstream.received.try_recv().is_err());
}

#[test]
fn tcp_queries_are_relayed_over_tcp() {
    let upstream = Upstream::tcp();
    let running = Running::start(zones(3), vec![upstream.addr]);
    let bytes = query("example.org.", RecordType::A, 99);
    let mut stream = tcp_connect(running.addr());
    let reply = tcp_ask(&mut stream, &bytes);
    assert_eq!(reply.id(), 99);
    assert_eq!(canned_answer(&reply), Some(CANNED));
    assert_eq!(
        upstream
            .received
            .recv_timeout(Duration::from_secs(1))
            .unwrap(),
        bytes
    );
    // The same connection goes on serving.
    let reply = tcp_ask(&mut stream, &query("api.internal.", RecordType::A, 100));
    assert_eq!((reply.id(), reply.answers().len()), (100, 3));
}

#[test]
fn without_upstreams_other_names_are_refused() {
    let running = Running::start(zones(3), vec![]);
    let bytes = query("example.org.", RecordType::A, 5);
    let reply = udp_ask(running.addr(), &bytes);
    assert_eq!(
        (reply.id(), reply.response_code()),
        (5, ResponseCode::Refused)
    );
    assert_eq!(reply.queries().len(), 1);
    let reply = tcp_ask(&mut tcp_connect(running.addr()), &bytes);
    assert_eq!(
        (reply.id(), reply.response_code()),
        (5, ResponseCode::Refused)
    );
}

#[test]
fn a_silent_upstream_is_passed_over_then_servfail() {
    let silent = Upstream::udp(false);
    let answering = Upstream::udp(true);
    let running = Running::start(zones(3), vec![silent.addr, answering.addr]);
    let started = Instant::now();
    let reply = udp_ask(running.addr(), &query("example.org.", RecordType::A, 6));
    assert_eq!(canned_answer(&reply), Some(CANNED));
    assert!(started.elapsed() >= Duration::from_millis(1900));
    assert!(silent.received.try_recv().is_ok());

    // While that upstream is slow, the zones answer at once.
    let only_silent = Running::start(zones(3), vec![silent.addr]);
    let waiting = UdpSocket::bind("127.0.0.1:0").unwrap();
    waiting
        .send_to(&query("example.org.", RecordType::A, 7), only_silent.addr())
        .unwrap();
    let started = Instant::now();
    let reply = udp_ask(
        only_silent.addr(),
        &query("api.internal.", RecordType::A, 8),
    );
    assert_eq!(reply.answers().len(), 3);
    assert!(started.elapsed() < Duration::from_millis(500));
    // And when no upstream answers, the client hears SERVFAIL.
    waiting
        .set_read_timeout(Some(Duration::from_secs(4)))
        .unwrap();
    let mut buffer = [0u8; 512];
    let (len, _) = waiting.recv_from(&mut buffer).unwrap();
    let reply = Message::from_vec(&buffer[..len]).unwrap();
    assert_eq!(
        (reply.id(), reply.response_code()),
        (7, ResponseCode::ServFail)
    );
}
