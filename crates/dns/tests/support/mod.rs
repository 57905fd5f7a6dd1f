//! What the integration tests share: a zone set, a server on a free port,
//! and clients speaking DNS over std sockets (hickory-proto builds and reads
//! the messages).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use berth_dns::{
    DnsServer, InstanceRecords, RecordKind, RecordSpec, Routing, ServiceRecords, Zone, ZoneHandle,
    ZoneSet,
};
use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RecordType};

/// `internal` with `api` (A, `count` instances) and `long` (eight SRV
/// targets with 63-character labels: more than 512 bytes).
pub fn zones(count: u8) -> ZoneSet {
    let api = (1..=count)
        .map(|i| InstanceRecords {
            id: format!("i-{i}"),
            ipv4: Some(Ipv4Addr::new(10, 0, 0, i)),
            ipv6: None,
            port: None,
            cname: None,
        })
        .collect();
    let long = (1..=8u8)
        .map(|i| InstanceRecords {
            id: format!("{i}{}", "y".repeat(62)),
            ipv4: Some(Ipv4Addr::new(10, 1, 0, i)),
            ipv6: Some(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, u16::from(i))),
            port: Some(443),
            cname: None,
        })
        .collect();
    let mut set = ZoneSet::new();
    set.add_zone(Zone {
        apex: "internal".into(),
        soa_ttl: 15,
        services: vec![
            ServiceRecords {
                name: "api".into(),
                routing: Routing::Multivalue,
                records: vec![RecordSpec {
                    kind: RecordKind::A,
                    ttl: 60,
                }],
                instances: api,
            },
            ServiceRecords {
                name: "long".into(),
                routing: Routing::Multivalue,
                records: vec![RecordSpec {
                    kind: RecordKind::Srv,
                    ttl: 20,
                }],
                instances: long,
            },
        ],
    });
    set
}

/// A runtime and a server in it on 127.0.0.1 (a free port).
pub struct Running {
    pub server: Option<DnsServer>,
    pub zones: Arc<ZoneHandle>,
    pub runtime: tokio::runtime::Runtime,
}

impl Running {
    pub fn start(zones: ZoneSet, upstreams: Vec<SocketAddr>) -> Running {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let zones = ZoneHandle::new(zones);
        let server = {
            let _entered = runtime.enter();
            DnsServer::start(
                "127.0.0.1:0".parse().unwrap(),
                Arc::clone(&zones),
                upstreams,
            )
            .unwrap()
        };
        Running {
            server: Some(server),
            zones,
            runtime,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().unwrap().local_addr()
    }
}

pub fn query(name: &str, kind: RecordType, id: u16) -> Vec<u8> {
    let mut message = Message::new();
    message
        .set_id(id)
        .set_recursion_desired(true)
        .add_query(Query::query(Name::from_ascii(name).unwrap(), kind));
    message.to_vec().unwrap()
}

/// Sends `bytes` over UDP and waits up to `wait` for the reply.
pub fn udp_ask_within(
    server: SocketAddr,
    bytes: &[u8],
    wait: Duration,
) -> std::io::Result<Message> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(wait))?;
    socket.send_to(bytes, server)?;
    let mut buffer = vec![0u8; 65535];
    let (len, _) = socket.recv_from(&mut buffer)?;
    Ok(Message::from_vec(&buffer[..len]).unwrap())
}

pub fn udp_ask(server: SocketAddr, bytes: &[u8]) -> Message {
    udp_ask_within(server, bytes, Duration::from_secs(5)).unwrap()
}

pub fn tcp_connect(server: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(server).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

pub fn write_frame(stream: &mut TcpStream, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).unwrap();
    stream.write_all(&len.to_be_bytes()).unwrap();
    stream.write_all(bytes).unwrap();
}

pub fn read_frame(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix)?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    stream.read_exact(&mut body)?;
    Ok(body)
}

pub fn tcp_ask(stream: &mut TcpStream, bytes: &[u8]) -> Message {
    write_frame(stream, bytes);
    Message::from_vec(&read_frame(stream).unwrap()).unwrap()
}
