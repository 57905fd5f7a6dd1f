//! What Berth answers for: one [`Zone`] per Cloud Map DNS namespace, each
//! holding its services' record specifications and healthy instances.
//!
//! A [`ZoneSet`] is a value: it is built whole, then put in service whole
//! (see [`crate::ZoneHandle`]). Adding a zone compiles its lookup index, so
//! answering a query costs a few hash lookups whatever the zone's size.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::index::CompiledZone;
use crate::names;

/// Everything Berth answers for, swapped atomically as a whole.
///
/// Serializes as its zones alone; deserializing rebuilds the index.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "ZoneSetData", into = "ZoneSetData")]
pub struct ZoneSet {
    /// The zones as added, by normalized apex (lowercase, no trailing dot).
    zones: BTreeMap<String, Zone>,
    /// The compiled zones by apex key (see [`names::Key`]); a zone whose
    /// apex is not a valid name is kept above but not served.
    compiled: HashMap<Box<[u8]>, CompiledZone>,
}

impl ZoneSet {
    /// An empty set: every name is forwarded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a zone; apex like "internal" or "example.com"
    /// (case-insensitive, with or without trailing dot).
    ///
    /// A zone whose apex is not a domain name is kept (it serializes) but
    /// not served; a service whose name does not make a valid name under
    /// the apex, or an instance whose records cannot be named, is left out
    /// of the answers. Each is logged.
    pub fn add_zone(&mut self, zone: Zone) {
        let normalized = zone.apex.trim().trim_end_matches('.').to_ascii_lowercase();
        if let Some(old) = self.zones.get(&normalized) {
            if let Some(key) = names::domain(&old.apex).as_ref().and_then(names::owned_key) {
                self.compiled.remove(&key);
            }
        }
        match CompiledZone::build(&zone) {
            Some((key, compiled)) => {
                self.compiled.insert(key, compiled);
            }
            None => tracing::warn!(apex = %zone.apex, "zone apex is not a domain name; not served"),
        }
        self.zones.insert(normalized, zone);
    }

    /// How many zones were added (replacements not counted twice).
    pub fn zone_count(&self) -> usize {
        self.zones.len()
    }

    /// The compiled zone whose apex is `key`.
    pub(crate) fn compiled(&self, key: &[u8]) -> Option<&CompiledZone> {
        self.compiled.get(key)
    }
}

impl PartialEq for ZoneSet {
    /// Equal when they hold the same zones (the index follows from them).
    fn eq(&self, other: &Self) -> bool {
        self.zones == other.zones
    }
}

/// The serialized form of a [`ZoneSet`]: its zones, ordered by apex.
#[derive(Serialize, Deserialize)]
struct ZoneSetData {
    zones: Vec<Zone>,
}

impl From<ZoneSetData> for ZoneSet {
    fn from(data: ZoneSetData) -> Self {
        let mut set = ZoneSet::new();
        for zone in data.zones {
            set.add_zone(zone);
        }
        set
    }
}

impl From<ZoneSet> for ZoneSetData {
    fn from(set: ZoneSet) -> Self {
        ZoneSetData {
            zones: set.zones.into_values().collect(),
        }
    }
}

/// One Cloud Map DNS namespace: its apex, SOA TTL and services.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct Zone {
    /// The namespace's name, e.g. "internal" or "example.com".
    pub apex: String,
    /// The SOA record's TTL, also its MINIMUM: how long resolvers cache a
    /// negative answer (NXDOMAIN or NODATA).
    pub soa_ttl: u32,
    /// The namespace's services.
    pub services: Vec<ServiceRecords>,
}

/// One Cloud Map service's DNS configuration and its healthy instances.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct ServiceRecords {
    /// The service's label(s) under the apex, e.g. "api" → `api.internal`.
    pub name: String,
    /// How instances are chosen for an answer.
    pub routing: Routing,
    /// Which record types Cloud Map creates, each with its TTL.
    pub records: Vec<RecordSpec>,
    /// Only the healthy instances: the caller filters.
    pub instances: Vec<InstanceRecords>,
}

/// Cloud Map's `RoutingPolicy`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub enum Routing {
    /// Up to eight healthy instances per answer, chosen at random.
    Multivalue,
    /// One healthy instance per answer, chosen at random (equal weights).
    Weighted,
}

/// One of the service's `DnsRecords`: a type and its TTL.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct RecordSpec {
    /// The record type.
    pub kind: RecordKind,
    /// Its TTL in seconds.
    pub ttl: u32,
}

/// The record types Cloud Map creates.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// The instances' IPv4 addresses.
    A,
    /// The instances' IPv6 addresses.
    Aaaa,
    /// `1 1 <port> <instance>.<service>.<namespace>.` per instance, with
    /// A/AAAA records at each target.
    Srv,
    /// The instance's CNAME value (Weighted routing only).
    Cname,
}

/// One healthy instance's attributes that make records.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct InstanceRecords {
    /// The instance id; its SRV target's first label (made a valid label).
    pub id: String,
    /// `AWS_INSTANCE_IPV4`.
    pub ipv4: Option<Ipv4Addr>,
    /// `AWS_INSTANCE_IPV6`.
    pub ipv6: Option<Ipv6Addr>,
    /// `AWS_INSTANCE_PORT`: instances without one have no SRV record.
    pub port: Option<u16>,
    /// `AWS_INSTANCE_CNAME`.
    pub cname: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(apex: &str, service: &str) -> Zone {
        Zone {
            apex: apex.into(),
            soa_ttl: 15,
            services: vec![ServiceRecords {
                name: service.into(),
                routing: Routing::Multivalue,
                records: vec![RecordSpec {
                    kind: RecordKind::A,
                    ttl: 60,
                }],
                instances: vec![InstanceRecords {
                    id: "i-1".into(),
                    ipv4: Some(Ipv4Addr::new(10, 0, 0, 1)),
                    ipv6: None,
                    port: None,
                    cname: None,
                }],
            }],
        }
    }

    fn apex_key(apex: &str) -> Box<[u8]> {
        names::owned_key(&names::domain(apex).unwrap()).unwrap()
    }

    #[test]
    fn adding_the_same_apex_in_another_spelling_replaces_the_zone() {
        let mut set = ZoneSet::new();
        set.add_zone(zone("Internal.", "api"));
        set.add_zone(zone("internal", "web"));
        assert_eq!(set.zone_count(), 1);
        let compiled = set.compiled(&apex_key("internal")).unwrap();
        assert!(compiled.node(&apex_key("web.internal")).is_some());
        assert!(compiled.node(&apex_key("api.internal")).is_none());
    }

    #[test]
    fn a_zone_with_an_invalid_apex_is_counted_but_not_served() {
        let mut set = ZoneSet::new();
        set.add_zone(zone("bad..apex", "api"));
        assert_eq!(set.zone_count(), 1);
        assert!(set.compiled.is_empty());
    }

    #[test]
    fn deserializing_rebuilds_the_index() {
        let mut set = ZoneSet::new();
        set.add_zone(zone("internal", "api"));
        set.add_zone(zone("example.com", "web"));
        let json = serde_json::to_string(&set).unwrap();
        let back: ZoneSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, set);
        let compiled = back.compiled(&apex_key("example.com")).unwrap();
        assert!(compiled.node(&apex_key("web.example.com")).is_some());
    }
}
