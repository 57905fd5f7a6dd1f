//! The DNS view of Cloud Map: every DNS namespace a zone, every DNS service its records,
//! with the instances that are healthy (or have no health check) — what Berth's DNS server
//! answers. Pure: a function of the state.

use std::net::{Ipv4Addr, Ipv6Addr};

use berth_dns::{InstanceRecords, RecordKind, RecordSpec, Routing, ServiceRecords, Zone, ZoneSet};

use crate::ops::instance_attrs::{CNAME, IPV4, IPV6, PORT};
use crate::records::{InstanceRec, ServiceRec};
use crate::state::State;
use crate::CloudMap;

fn spec(kind: &str, ttl: i64) -> Option<RecordSpec> {
    let kind = match kind {
        "A" => RecordKind::A,
        "AAAA" => RecordKind::Aaaa,
        "SRV" => RecordKind::Srv,
        "CNAME" => RecordKind::Cname,
        _ => return None,
    };
    Some(RecordSpec {
        kind,
        ttl: u32::try_from(ttl).unwrap_or(u32::MAX),
    })
}

fn instance(i: &InstanceRec) -> InstanceRecords {
    InstanceRecords {
        id: i.id.clone(),
        ipv4: i
            .attributes
            .get(IPV4)
            .and_then(|v| v.parse::<Ipv4Addr>().ok()),
        ipv6: i
            .attributes
            .get(IPV6)
            .and_then(|v| v.parse::<Ipv6Addr>().ok()),
        port: i.attributes.get(PORT).and_then(|v| v.parse::<u16>().ok()),
        cname: i.attributes.get(CNAME).cloned(),
    }
}

fn service(state: &State, s: &ServiceRec) -> Option<ServiceRecords> {
    let routing = match s.routing_policy.as_deref()? {
        "WEIGHTED" => Routing::Weighted,
        _ => Routing::Multivalue,
    };
    Some(ServiceRecords {
        name: s.name.clone(),
        routing,
        records: s
            .dns_records
            .iter()
            .filter_map(|r| spec(&r.kind, r.ttl))
            .collect(),
        instances: state
            .instances_of(&s.account, &s.id)
            .filter(|i| i.health != "UNHEALTHY")
            .map(|i| instance(i))
            .collect(),
    })
}

/// The zones of every account's DNS namespaces (one network view: where two accounts name
/// the same zone, the older namespace answers).
pub fn zones_of(state: &State) -> ZoneSet {
    let mut namespaces: Vec<_> = state
        .namespaces
        .values()
        .filter(|n| n.kind.is_dns())
        .collect();
    namespaces.sort_by(|a, b| b.created.total_cmp(&a.created));
    let mut set = ZoneSet::new();
    // Newest first, so the oldest is added last and wins.
    for n in namespaces {
        set.add_zone(Zone {
            apex: n.name.clone(),
            soa_ttl: n.soa_ttl.and_then(|t| u32::try_from(t).ok()).unwrap_or(15),
            services: state
                .services_in(&n.account, &n.id)
                .filter_map(|s| service(state, s))
                .collect(),
        });
    }
    set
}

impl CloudMap {
    /// The zones Berth's DNS answers now.
    pub fn zones(&self) -> ZoneSet {
        zones_of(&self.db.snapshot())
    }
}
