//! **Berth's DNS server**: the authoritative answers for AWS Cloud Map DNS
//! namespaces, as Route 53 serves Cloud Map's auto-naming records, and a
//! relay to the upstream resolvers for every other name.
//!
//! # What it answers
//!
//! The caller describes each namespace as a [`Zone`]: its apex, the SOA
//! TTL, and per service ([`ServiceRecords`]) the record types Cloud Map
//! creates ([`RecordSpec`]), the routing policy ([`Routing`]) and the
//! *healthy* instances ([`InstanceRecords`]). For service `svc` in zone
//! `ns`:
//!
//! - **A / AAAA** at `svc.ns`: the instances' IPv4 / IPv6 addresses.
//! - **SRV** at `svc.ns`: `1 1 <port> <id>.svc.ns.` per instance with a
//!   port, the targets' A/AAAA records in the additional section; A/AAAA at
//!   each `<id>.svc.ns` (TTL of the service's A/AAAA record, else of its
//!   SRV record). The id becomes a valid label: lowercase, any character
//!   but `a-z`, `0-9` and `-` replaced by `-`, at most 63 characters.
//! - **CNAME** at `svc.ns` (Weighted services only): one instance's CNAME
//!   value, answering a query of any type. The target is not followed.
//! - **Routing**: Multivalue answers with every healthy instance in random
//!   order, or eight distinct ones at random when there are more; Weighted
//!   with one instance at random (Cloud Map's weights are all equal).
//! - **SOA** at the apex: `ns1.<apex>. hostmaster.<apex>.`, a serial
//!   derived from the zone's content, refresh 7200, retry 900, expire
//!   1209600, minimum and TTL the zone's `soa_ttl`. **NS** at the apex:
//!   `ns1.<apex>.` (which itself has no address record).
//! - **NXDOMAIN** for a name in a zone that does not exist; **NODATA**
//!   (NOERROR, no answer) for an existing name without the asked type — a
//!   service without healthy instances, an empty non-terminal such as
//!   `v1.ns` under service `api.v1`. Both carry the zone's SOA in the
//!   authority section. Answers from a zone are authoritative (AA); names
//!   match case-insensitively and the question is echoed as asked.
//! - **ANY**: per RFC 8482, one synthesized `HINFO "RFC8482" ""` record at
//!   a name that has records (NODATA at one that has none).
//! - Other classes than IN, and zone transfers (AXFR, IXFR): REFUSED.
//!
//! Names under no zone are **forwarded** (see [`forward`]) to the upstream
//! resolvers, e.g. [`system_upstreams`]; with none configured they are
//! REFUSED. Replies from the zones set RA, since the server resolves other
//! names for its clients.
//!
//! # The protocol's edges
//!
//! - A message that is a response is dropped; one too short for a header
//!   is dropped; one that does not parse, or has zero or several
//!   questions, gets FORMERR; an opcode other than QUERY gets NOTIMP; an
//!   EDNS version other than 0 gets BADVERS.
//! - UDP replies fit in 512 bytes, or in the client's EDNS payload size
//!   capped at [`MAX_UDP_PAYLOAD`] (answered with an OPT record when the
//!   client sent one). Too big, a reply first loses its additional records;
//!   still too big, it goes out with TC and no records, and the client asks
//!   again over TCP, where replies are up to 65535 bytes.
//!
//! # The pieces
//!
//! - [`zones`]: the data model. [`ZoneSet::add_zone`] compiles each zone's
//!   index (every existing name, keyed case-folded), so a query costs a few
//!   hash lookups; the index is rebuilt on deserialization.
//! - [`answer()`]: the pure core, from a [`ZoneSet`], the query's bytes and a
//!   seeded random generator to an [`Outcome`] (reply bytes, forward, or
//!   drop). Messages are read and written by `hickory-proto` only.
//! - [`ZoneHandle`]: the set in service, replaced atomically and read
//!   without locks by every query.
//! - [`DnsServer`]: UDP on one blocking thread per core, all reading one
//!   socket, each with its own buffers (`udp`);
//!   TCP on tokio, several queries per connection, 10 s idle timeout, at
//!   most 256 connections (`tcp`); forwarding on tokio tasks, at most 1024
//!   UDP queries in flight, so a slow upstream never holds up the zones'
//!   answers.
//!
//! # Limits
//!
//! No DNSSEC, no zone transfers, no dynamic update, no wildcard records,
//! no caching of forwarded answers; CNAME targets are not chased, not even
//! inside the zones; at most one instance's CNAME answers at a time.
//!
//! # Example
//!
//! ```
//! use berth_dns::{answer, InstanceRecords, Outcome, RecordKind, RecordSpec, Routing, ServiceRecords, Zone, ZoneSet};
//! use hickory_proto::op::{Message, Query};
//! use hickory_proto::rr::{Name, RData, RecordType};
//!
//! let mut zones = ZoneSet::new();
//! zones.add_zone(Zone {
//!     apex: "internal".into(),
//!     soa_ttl: 15,
//!     services: vec![ServiceRecords {
//!         name: "api".into(),
//!         routing: Routing::Multivalue,
//!         records: vec![RecordSpec { kind: RecordKind::A, ttl: 60 }],
//!         instances: vec![InstanceRecords {
//!             id: "task-1".into(),
//!             ipv4: Some("10.0.0.7".parse().unwrap()),
//!             ipv6: None,
//!             port: None,
//!             cname: None,
//!         }],
//!     }],
//! });
//!
//! let mut query = Message::new();
//! query.set_id(7).add_query(Query::query(Name::from_ascii("API.internal.").unwrap(), RecordType::A));
//! let mut rng = fastrand::Rng::with_seed(1);
//! let Outcome::Reply(bytes) = answer(&zones, &query.to_vec().unwrap(), Some(512), &mut rng) else {
//!     panic!("api.internal is in the zone");
//! };
//! let reply = Message::from_vec(&bytes).unwrap();
//! assert_eq!(reply.id(), 7);
//! assert!(reply.authoritative());
//! assert_eq!(reply.answers()[0].data(), &RData::A("10.0.0.7".parse().unwrap()));
//! assert_eq!(reply.answers()[0].ttl(), 60);
//!
//! // A name under no zone is for the upstream resolvers.
//! let mut other = Message::new();
//! other.set_id(8).add_query(Query::query(Name::from_ascii("example.org.").unwrap(), RecordType::A));
//! assert_eq!(answer(&zones, &other.to_vec().unwrap(), Some(512), &mut rng), Outcome::Forward);
//! ```
//!
//! Serving it (inside a tokio runtime):
//!
//! ```no_run
//! # async fn serve(zones: berth_dns::ZoneSet) -> Result<(), berth_dns::DnsError> {
//! use berth_dns::{system_upstreams, DnsServer, ZoneHandle};
//!
//! let listen = "127.0.0.1:5353".parse().unwrap();
//! let handle = ZoneHandle::new(zones);
//! let server = DnsServer::start(listen, handle.clone(), system_upstreams(&[listen.ip()]))?;
//! // ... later, when the namespaces change:
//! handle.replace(berth_dns::ZoneSet::new());
//! server.shutdown();
//! # Ok(())
//! # }
//! ```

// Tests may unwrap: a panic there is a failed test.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod answer;
mod choose;
mod error;
pub mod forward;
mod handle;
mod index;
mod names;
mod resolve;
mod server;
mod tcp;
mod udp;
pub mod zones;

pub use answer::{answer, Outcome, MAX_UDP_PAYLOAD};
pub use error::DnsError;
pub use forward::system_upstreams;
pub use handle::ZoneHandle;
pub use server::DnsServer;
pub use zones::{InstanceRecords, RecordKind, RecordSpec, Routing, ServiceRecords, Zone, ZoneSet};
