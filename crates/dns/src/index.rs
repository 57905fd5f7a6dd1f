//! A zone compiled for answering: every name that exists in it, keyed for
//! one hash lookup, and per service the instances that can answer each type.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::rdata::{NS, SOA};
use hickory_proto::rr::{Name, RData, Record};

use crate::names::{self, Key};
use crate::zones::{RecordKind, Routing, ServiceRecords, Zone};

/// SOA timers (seconds), as Route 53 sets them for a hosted zone.
const SOA_REFRESH: i32 = 7200;
const SOA_RETRY: i32 = 900;
const SOA_EXPIRE: i32 = 1_209_600;

/// One zone ready to answer from.
#[derive(Clone, Debug)]
pub(crate) struct CompiledZone {
    /// The apex's SOA record; its TTL is also the negative-caching TTL.
    pub(crate) soa: Record,
    /// The apex's NS record (`ns1.<apex>.`).
    pub(crate) ns: Record,
    pub(crate) services: Vec<CompiledService>,
    /// Every name that exists in the zone (apex, services, instance hosts,
    /// and the empty non-terminals between them and the apex).
    names: HashMap<Box<[u8]>, Node>,
}

/// What one existing name holds. A name with none of these is an empty
/// non-terminal: it exists (NODATA, not NXDOMAIN) but has no records.
#[derive(Clone, Debug, Default)]
pub(crate) struct Node {
    pub(crate) apex: bool,
    /// The service whose owner name this is.
    pub(crate) service: Option<usize>,
    /// The SRV targets at this name: (service, instance) indexes.
    pub(crate) hosts: Vec<(usize, usize)>,
}

/// A service's records, as the answer needs them.
#[derive(Clone, Debug)]
pub(crate) struct CompiledService {
    pub(crate) routing: Routing,
    /// TTL of each record type the service has (CNAME only with Weighted).
    pub(crate) a: Option<u32>,
    pub(crate) aaaa: Option<u32>,
    pub(crate) srv: Option<u32>,
    pub(crate) cname: Option<u32>,
    /// TTLs of the A/AAAA records at the SRV targets: the service's A/AAAA
    /// TTL when it has one, else its SRV TTL.
    pub(crate) host_a_ttl: u32,
    pub(crate) host_aaaa_ttl: u32,
    pub(crate) instances: Vec<CompiledInstance>,
    /// Indexes of the instances that answer A, AAAA, SRV and CNAME.
    pub(crate) with_ipv4: Vec<usize>,
    pub(crate) with_ipv6: Vec<usize>,
    pub(crate) with_srv: Vec<usize>,
    pub(crate) with_cname: Vec<usize>,
}

/// One instance's record data.
#[derive(Clone, Debug)]
pub(crate) struct CompiledInstance {
    pub(crate) ipv4: Option<Ipv4Addr>,
    pub(crate) ipv6: Option<Ipv6Addr>,
    pub(crate) port: Option<u16>,
    pub(crate) cname: Option<Name>,
    /// The SRV target `<instance>.<service>.<apex>.` (services with SRV).
    pub(crate) host: Option<Name>,
}

impl CompiledZone {
    /// Compiles `zone`: its apex key and index, or `None` when the apex is
    /// not a domain name.
    pub(crate) fn build(zone: &Zone) -> Option<(Box<[u8]>, CompiledZone)> {
        let apex = names::domain(&zone.apex)?;
        let apex_key = names::owned_key(&apex)?;
        let mname = apex.prepend_label("ns1").ok()?;
        let rname = apex.prepend_label("hostmaster").ok()?;
        let soa = SOA::new(
            mname.clone(),
            rname,
            serial(zone),
            SOA_REFRESH,
            SOA_RETRY,
            SOA_EXPIRE,
            zone.soa_ttl,
        );
        let mut compiled = CompiledZone {
            soa: Record::from_rdata(apex.clone(), zone.soa_ttl, RData::SOA(soa)),
            ns: Record::from_rdata(apex.clone(), zone.soa_ttl, RData::NS(NS(mname))),
            services: Vec::with_capacity(zone.services.len()),
            names: HashMap::new(),
        };
        compiled.names.entry(apex_key.clone()).or_default().apex = true;
        for service in &zone.services {
            compiled.add_service(service, &apex, apex_key.len());
        }
        Some((apex_key, compiled))
    }

    /// What `key` (a name's full key) holds, if the name exists.
    pub(crate) fn node(&self, key: &[u8]) -> Option<&Node> {
        self.names.get(key)
    }

    fn add_service(&mut self, service: &ServiceRecords, apex: &Name, apex_len: usize) {
        let Some(owner) = names::under(&service.name, apex) else {
            tracing::warn!(apex = %apex, service = %service.name, "service name is not a valid name under its zone; not served");
            return;
        };
        let Some(owner_key) = Key::of(&owner) else {
            return;
        };
        let index = self.services.len();
        let compiled = CompiledService::build(service, &owner);
        for (instance, data) in compiled.instances.iter().enumerate() {
            let has_address = data.ipv4.is_some() || data.ipv6.is_some();
            if let (Some(host), true) = (&data.host, has_address) {
                if let Some(key) = Key::of(host) {
                    self.insert_with_ancestors(&key, apex_len)
                        .hosts
                        .push((index, instance));
                }
            }
        }
        let node = self.insert_with_ancestors(&owner_key, apex_len);
        if node.service.is_some() {
            tracing::warn!(apex = %apex, service = %service.name, "two services with one name; the later one answers");
        }
        node.service = Some(index);
        self.services.push(compiled);
    }

    /// The node at `key`, created (with every missing ancestor down to the
    /// apex, as an empty non-terminal) when the name did not exist yet.
    fn insert_with_ancestors(&mut self, key: &Key, apex_len: usize) -> &mut Node {
        for ancestor in key.suffixes().skip(1) {
            if ancestor.len() <= apex_len {
                break;
            }
            self.names.entry(ancestor.into()).or_default();
        }
        self.names.entry(key.as_bytes().into()).or_default()
    }
}

impl CompiledService {
    fn build(service: &ServiceRecords, owner: &Name) -> CompiledService {
        let mut compiled = CompiledService {
            routing: service.routing,
            a: None,
            aaaa: None,
            srv: None,
            cname: None,
            host_a_ttl: 0,
            host_aaaa_ttl: 0,
            instances: Vec::with_capacity(service.instances.len()),
            with_ipv4: Vec::new(),
            with_ipv6: Vec::new(),
            with_srv: Vec::new(),
            with_cname: Vec::new(),
        };
        for spec in &service.records {
            match spec.kind {
                RecordKind::A => compiled.a = Some(spec.ttl),
                RecordKind::Aaaa => compiled.aaaa = Some(spec.ttl),
                RecordKind::Srv => compiled.srv = Some(spec.ttl),
                RecordKind::Cname => match service.routing {
                    Routing::Weighted => compiled.cname = Some(spec.ttl),
                    Routing::Multivalue => {
                        tracing::warn!(service = %owner, "CNAME records need Weighted routing; ignored")
                    }
                },
            }
        }
        let srv_ttl = compiled.srv.unwrap_or(0);
        compiled.host_a_ttl = compiled.a.unwrap_or(srv_ttl);
        compiled.host_aaaa_ttl = compiled.aaaa.unwrap_or(srv_ttl);
        for (index, instance) in service.instances.iter().enumerate() {
            let cname = match (&compiled.cname, &instance.cname) {
                (Some(_), Some(text)) => {
                    let name = names::domain(text);
                    if name.is_none() {
                        tracing::warn!(service = %owner, instance = %instance.id, "instance CNAME is not a domain name; left out");
                    }
                    name
                }
                _ => None,
            };
            let host = match compiled.srv {
                Some(_) => names::instance_host(&instance.id, owner),
                None => None,
            };
            if compiled.a.is_some() && instance.ipv4.is_some() {
                compiled.with_ipv4.push(index);
            }
            if compiled.aaaa.is_some() && instance.ipv6.is_some() {
                compiled.with_ipv6.push(index);
            }
            if host.is_some() && instance.port.is_some() {
                compiled.with_srv.push(index);
            }
            if cname.is_some() {
                compiled.with_cname.push(index);
            }
            compiled.instances.push(CompiledInstance {
                ipv4: instance.ipv4,
                ipv6: instance.ipv6,
                port: instance.port,
                cname,
                host,
            });
        }
        compiled
    }

    /// Whether any record exists at the service's own name.
    pub(crate) fn has_records(&self) -> bool {
        if self.cname.is_some() {
            return !self.with_cname.is_empty();
        }
        !(self.with_ipv4.is_empty() && self.with_ipv6.is_empty() && self.with_srv.is_empty())
    }
}

/// The SOA serial: derived from the zone's content, so it changes when the
/// zone does and is the same for the same content (no zone transfers
/// compare it; it only has to differ between versions).
fn serial(zone: &Zone) -> u32 {
    let mut hasher = Fnv1a(0x811c_9dc5);
    zone.hash(&mut hasher);
    hasher.0
}

/// FNV-1a, 32 bits: deterministic across runs (std's default hasher is
/// randomly keyed), and a serial needs no more.
struct Fnv1a(u32);

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        }
    }

    fn finish(&self) -> u64 {
        u64::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zones::{InstanceRecords, RecordSpec};

    fn key(text: &str) -> Box<[u8]> {
        names::owned_key(&names::domain(text).unwrap()).unwrap()
    }

    fn zone() -> Zone {
        Zone {
            apex: "internal".into(),
            soa_ttl: 15,
            services: vec![ServiceRecords {
                name: "api.v1".into(),
                routing: Routing::Multivalue,
                records: vec![RecordSpec {
                    kind: RecordKind::Srv,
                    ttl: 30,
                }],
                instances: vec![
                    InstanceRecords {
                        id: "Task_1".into(),
                        ipv4: Some(Ipv4Addr::new(10, 0, 0, 1)),
                        ipv6: None,
                        port: Some(80),
                        cname: None,
                    },
                    InstanceRecords {
                        id: "no-address".into(),
                        ipv4: None,
                        ipv6: None,
                        port: Some(80),
                        cname: None,
                    },
                ],
            }],
        }
    }

    #[test]
    fn every_name_and_empty_non_terminal_exists() {
        let (apex_key, zone) = CompiledZone::build(&zone()).unwrap();
        assert_eq!(apex_key, key("internal"));
        assert!(zone.node(&key("internal")).unwrap().apex);
        let v1 = zone.node(&key("v1.internal")).unwrap();
        assert!(v1.service.is_none() && v1.hosts.is_empty() && !v1.apex);
        assert_eq!(zone.node(&key("api.v1.internal")).unwrap().service, Some(0));
        assert_eq!(
            zone.node(&key("task-1.api.v1.internal")).unwrap().hosts,
            vec![(0, 0)]
        );
        assert!(zone.node(&key("no-address.api.v1.internal")).is_none());
        assert!(zone.node(&key("other.internal")).is_none());
    }

    #[test]
    fn host_ttls_fall_back_to_the_srv_ttl() {
        let (_, zone) = CompiledZone::build(&zone()).unwrap();
        assert_eq!(zone.services[0].host_a_ttl, 30);
        assert_eq!(zone.services[0].with_srv, vec![0, 1]);
        assert!(zone.services[0].with_ipv4.is_empty());
    }

    #[test]
    fn the_serial_follows_the_content() {
        let first = serial(&zone());
        assert_eq!(first, serial(&zone()));
        let mut changed = zone();
        changed.services[0].instances.pop();
        assert_ne!(first, serial(&changed));
    }
}
