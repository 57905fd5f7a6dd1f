//! The records for one question: which zone holds the name, whether the
//! name exists, and what it holds of the asked type (Route 53's answers
//! for Cloud Map's records). The reply's header, question and size are
//! [`crate::answer`]'s business.

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, HINFO, SRV};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::choose::choose;
use crate::index::{CompiledService, CompiledZone, Node};
use crate::names::Key;
use crate::zones::ZoneSet;

/// What became of the question.
pub(crate) enum Resolution {
    /// `reply` holds the answer (records, or a negative or error code).
    Answered,
    /// No zone holds the name.
    Forward,
}

/// Answers `query` from `zones` into `reply` (which holds the question
/// and flags already).
pub(crate) fn resolve(
    zones: &ZoneSet,
    query: &Query,
    reply: &mut Message,
    rng: &mut fastrand::Rng,
) -> Resolution {
    let Some(key) = Key::of(query.name()) else {
        reply
            .set_authoritative(false)
            .set_response_code(ResponseCode::FormErr);
        return Resolution::Answered;
    };
    let Some(zone) = key.suffixes().find_map(|suffix| zones.compiled(suffix)) else {
        return Resolution::Forward;
    };
    let refused = !matches!(query.query_class(), DNSClass::IN | DNSClass::ANY)
        || matches!(query.query_type(), RecordType::AXFR | RecordType::IXFR);
    if refused {
        reply
            .set_authoritative(false)
            .set_response_code(ResponseCode::Refused);
        return Resolution::Answered;
    }
    match zone.node(key.as_bytes()) {
        None => {
            reply.set_response_code(ResponseCode::NXDomain);
            reply.add_name_server(zone.soa.clone());
        }
        Some(node) => {
            answer_node(zone, node, query, reply, rng);
            if reply.answers().is_empty() {
                reply.add_name_server(zone.soa.clone());
            }
        }
    }
    Resolution::Answered
}

/// The records at an existing name; none is NODATA.
fn answer_node(
    zone: &CompiledZone,
    node: &Node,
    query: &Query,
    reply: &mut Message,
    rng: &mut fastrand::Rng,
) {
    let owner = query.name();
    let service = node.service.map(|index| &zone.services[index]);
    if let Some(service) = service.filter(|service| service.cname.is_some()) {
        // A CNAME is the only record at its name: it answers every type.
        let ttl = service.cname.unwrap_or_default();
        for &index in choose(service.routing, &service.with_cname, rng).as_slice() {
            if let Some(target) = &service.instances[index].cname {
                reply.add_answer(record(owner, ttl, RData::CNAME(CNAME(target.clone()))));
            }
        }
        return;
    }
    let hosts = node
        .hosts
        .iter()
        .map(|&(service, instance)| (&zone.services[service], instance));
    match query.query_type() {
        RecordType::A => {
            if let Some((service, ttl)) = service.and_then(|s| s.a.map(|ttl| (s, ttl))) {
                for &index in choose(service.routing, &service.with_ipv4, rng).as_slice() {
                    add_a(reply, owner, ttl, service, index, Section::Answer);
                }
            }
            for (service, index) in hosts {
                add_a(
                    reply,
                    owner,
                    service.host_a_ttl,
                    service,
                    index,
                    Section::Answer,
                );
            }
        }
        RecordType::AAAA => {
            if let Some((service, ttl)) = service.and_then(|s| s.aaaa.map(|ttl| (s, ttl))) {
                for &index in choose(service.routing, &service.with_ipv6, rng).as_slice() {
                    add_aaaa(reply, owner, ttl, service, index, Section::Answer);
                }
            }
            for (service, index) in hosts {
                add_aaaa(
                    reply,
                    owner,
                    service.host_aaaa_ttl,
                    service,
                    index,
                    Section::Answer,
                );
            }
        }
        RecordType::SRV => {
            if let Some((service, ttl)) = service.and_then(|s| s.srv.map(|ttl| (s, ttl))) {
                add_srv(reply, owner, ttl, service, rng);
            }
        }
        RecordType::SOA if node.apex => {
            reply.add_answer(renamed(&zone.soa, owner));
        }
        RecordType::NS if node.apex => {
            reply.add_answer(renamed(&zone.ns, owner));
        }
        RecordType::ANY => {
            // RFC 8482: a name with records answers ANY with one synthesized
            // HINFO record instead of all of them.
            let exists = node.apex
                || !node.hosts.is_empty()
                || service.is_some_and(CompiledService::has_records);
            if exists {
                let hinfo = HINFO::new("RFC8482".into(), String::new());
                reply.add_answer(record(owner, zone.soa.ttl(), RData::HINFO(hinfo)));
            }
        }
        _ => {}
    }
}

#[derive(Clone, Copy)]
enum Section {
    Answer,
    Additional,
}

fn add(reply: &mut Message, section: Section, record: Record) {
    match section {
        Section::Answer => reply.add_answer(record),
        Section::Additional => reply.add_additional(record),
    };
}

fn add_a(
    reply: &mut Message,
    owner: &Name,
    ttl: u32,
    service: &CompiledService,
    index: usize,
    section: Section,
) {
    if let Some(ip) = service.instances[index].ipv4 {
        add(reply, section, record(owner, ttl, RData::A(A(ip))));
    }
}

fn add_aaaa(
    reply: &mut Message,
    owner: &Name,
    ttl: u32,
    service: &CompiledService,
    index: usize,
    section: Section,
) {
    if let Some(ip) = service.instances[index].ipv6 {
        add(reply, section, record(owner, ttl, RData::AAAA(AAAA(ip))));
    }
}

/// SRV `1 1 <port> <instance>.<service>.<apex>.` per chosen instance, and
/// each target's addresses in the additional section.
fn add_srv(
    reply: &mut Message,
    owner: &Name,
    ttl: u32,
    service: &CompiledService,
    rng: &mut fastrand::Rng,
) {
    for &index in choose(service.routing, &service.with_srv, rng).as_slice() {
        let instance = &service.instances[index];
        let (Some(port), Some(host)) = (instance.port, &instance.host) else {
            continue;
        };
        reply.add_answer(record(
            owner,
            ttl,
            RData::SRV(SRV::new(1, 1, port, host.clone())),
        ));
        add_a(
            reply,
            host,
            service.host_a_ttl,
            service,
            index,
            Section::Additional,
        );
        add_aaaa(
            reply,
            host,
            service.host_aaaa_ttl,
            service,
            index,
            Section::Additional,
        );
    }
}

fn record(owner: &Name, ttl: u32, data: RData) -> Record {
    Record::from_rdata(owner.clone(), ttl, data)
}

/// A zone record with the query's spelling of its owner name.
fn renamed(record: &Record, owner: &Name) -> Record {
    let mut record = record.clone();
    record.set_name(owner.clone());
    record
}
