//! Berth's DNS, wired: the zones Cloud Map's DNS namespaces make, kept current after every
//! change, served on the host's `--dns-listen` addresses and, for tasks, on a link-local
//! address put on `lo` (169.254.169.253, the address of the Amazon-provided resolver in a
//! VPC), which containers get as their resolver.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::{Context, Result};
use std::collections::BTreeMap;

use berth_dns::{
    DnsServer, InstanceRecords, RecordKind, RecordSpec, Routing, ServiceRecords, Zone, ZoneHandle,
};
use berth_elbv2::Elb;
use berth_servicediscovery::CloudMap;

/// Where tasks resolve, as in a VPC; another agent on the host having it, the next free one
/// of [`FALLBACK_BASE`]`.1..=50`.
pub const TASK_RESOLVER: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 253);
const FALLBACK_BASE: [u8; 3] = [169, 254, 171];

/// Running DNS servers and the zones they answer.
pub struct Dns {
    servers: Vec<DnsServer>,
    /// The address tasks resolve with, when it is served.
    pub task_resolver: Option<IpAddr>,
}

impl Dns {
    /// The addresses served (host listeners first, then the tasks' resolver).
    pub fn addresses(&self) -> Vec<SocketAddr> {
        self.servers.iter().map(DnsServer::local_addr).collect()
    }
}

/// How long a rebuild waits for more changes: a burst costs one rebuild, a lone change a
/// few milliseconds more before it is answered.
const REBUILD_SETTLE: std::time::Duration = std::time::Duration::from_millis(5);

/// Zones from `map`, and the load balancers' names from `elb`, rebuilt after every durable
/// change of either (a burst rebuilt once).
pub fn zones_from(map: Arc<CloudMap>, elb: Arc<Elb>) -> Arc<ZoneHandle> {
    let changed = Arc::new(tokio::sync::Notify::new());
    {
        let changed = changed.clone();
        map.on_change(move || changed.notify_one());
    }
    {
        let changed = changed.clone();
        elb.on_change(move || changed.notify_one());
    }
    let build = move || {
        let mut set = map.zones();
        for zone in elb_zones(&elb.addresses()) {
            set.add_zone(zone);
        }
        set
    };
    let build = Arc::new(build);
    let zones = ZoneHandle::new(build());
    let handle = zones.clone();
    tokio::spawn(async move {
        loop {
            changed.notified().await;
            // A burst of changes (a service scaling, a deployment) is rebuilt once.
            tokio::time::sleep(REBUILD_SETTLE).await;
            let build = build.clone();
            match tokio::task::spawn_blocking(move || build()).await {
                Ok(set) => handle.replace(set),
                Err(e) => tracing::error!(error = %e, "rebuilding the DNS zones failed"),
            }
        }
    });
    zones
}

/// Load balancers' names as zones: `<label>.<rest>` is an A record for its address in the
/// zone `<rest>` (`us-east-1.elb.berth.internal`).
pub fn elb_zones(addresses: &[(String, IpAddr)]) -> Vec<Zone> {
    let mut zones: BTreeMap<String, Zone> = BTreeMap::new();
    for (name, ip) in addresses {
        let (IpAddr::V4(v4), Some((label, apex))) = (ip, name.split_once('.')) else {
            continue;
        };
        let zone = zones.entry(apex.to_owned()).or_insert_with(|| Zone {
            apex: apex.to_owned(),
            soa_ttl: ELB_TTL,
            services: Vec::new(),
        });
        zone.services.push(ServiceRecords {
            name: label.to_owned(),
            routing: Routing::Multivalue,
            records: vec![RecordSpec {
                kind: RecordKind::A,
                ttl: ELB_TTL,
            }],
            instances: vec![InstanceRecords {
                id: label.to_owned(),
                ipv4: Some(*v4),
                ipv6: None,
                port: None,
                cname: None,
            }],
        });
    }
    zones.into_values().collect()
}

/// The TTL of load balancers' A records (ELB's own are 60 s).
const ELB_TTL: u32 = 60;

/// Zones from a Berth endpoint (a `berth agent` on another host): long-polls
/// `BerthDnsV1.GetZones`, so a change reaches this host as soon as it is durable there. The
/// last zones had keep being answered while the endpoint cannot be reached.
pub fn zones_from_endpoint(endpoint: berth_client::Endpoint) -> Arc<ZoneHandle> {
    let zones = ZoneHandle::new(berth_dns::ZoneSet::new());
    let handle = zones.clone();
    tokio::spawn(async move {
        let mut client = berth_client::Client::new(endpoint);
        let mut revision = 0u64;
        loop {
            let body = serde_json::json!({"after": revision, "waitSeconds": ZONES_WAIT_SECS});
            let got = client
                .call_service_within(
                    std::time::Duration::from_secs(ZONES_WAIT_SECS + 10),
                    "servicediscovery",
                    "BerthDnsV1.GetZones",
                    &body,
                )
                .await;
            let parsed = got.map_err(|e| e.to_string()).and_then(|v| {
                let r = v["revision"].as_u64().ok_or("no revision in the answer")?;
                let z: berth_dns::ZoneSet =
                    serde_json::from_value(v["zones"].clone()).map_err(|e| e.to_string())?;
                Ok((r, z))
            });
            match parsed {
                Ok((r, z)) => {
                    if r != revision {
                        handle.replace(z);
                        revision = r;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "fetching the DNS zones failed; answering the last ones");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    });
    zones
}

/// How long a zones poll waits for a change at the endpoint.
const ZONES_WAIT_SECS: u64 = 20;

/// Serves `zones` on each of `listen` (an error if one cannot be bound when `required`,
/// else a warning) and, with `for_tasks`, on the tasks' resolver address.
pub fn start(
    zones: Arc<ZoneHandle>,
    listen: &[SocketAddr],
    required: bool,
    for_tasks: bool,
) -> Result<Dns> {
    let mut own: Vec<IpAddr> = listen.iter().map(SocketAddr::ip).collect();
    own.push(IpAddr::V4(TASK_RESOLVER));
    let upstreams = berth_dns::system_upstreams(&own);
    let mut servers = Vec::new();
    for addr in listen {
        match DnsServer::start(*addr, zones.clone(), upstreams.clone()) {
            Ok(s) => servers.push(s),
            Err(e) if required => {
                return Err(e).with_context(|| format!("serving DNS on {addr} (--dns-listen)"))
            }
            Err(e) => tracing::warn!(%addr, error = %e, "not serving DNS there"),
        }
    }
    let mut task_resolver = None;
    if for_tasks {
        let candidates = std::iter::once(TASK_RESOLVER).chain(
            (1..=50)
                .map(|n| Ipv4Addr::new(FALLBACK_BASE[0], FALLBACK_BASE[1], FALLBACK_BASE[2], n)),
        );
        for ip in candidates {
            if !berth_agent::loopback::add(ip, "tasks resolve with Docker's default DNS") {
                break;
            }
            let addr = SocketAddr::from((ip, 53));
            // Taken (another agent on this host serves there): the next address.
            match DnsServer::start(addr, zones.clone(), upstreams.clone()) {
                Ok(s) => {
                    servers.push(s);
                    task_resolver = Some(IpAddr::V4(ip));
                    break;
                }
                Err(e) => tracing::debug!(%addr, error = %e, "DNS address taken"),
            }
        }
        if task_resolver.is_none() {
            tracing::warn!(
                "no address to serve tasks' DNS on: tasks resolve with Docker's default"
            );
        }
    }
    Ok(Dns {
        servers,
        task_resolver,
    })
}
