//! Berth's load balancers served: the proxy (berth-elb-proxy) reconfigured from ELB's state
//! after every durable change (and every few seconds, for instance targets whose addresses
//! ECS learns), each load balancer's address put on `lo`, its DNS name written to the
//! hosts file, and the proxy's health checks answered back to ELB's DescribeTargetHealth.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use berth_elb_proxy::{Config, Proxy};
use berth_elbv2::dataplane::Lookups;
use berth_elbv2::{Elb, HealthView, ObservedTarget};

/// How often the configuration is rebuilt without a change to ELB's state.
const REFRESH: Duration = Duration::from_secs(3);
/// How long a rebuild waits for more changes (a burst costs one).
const SETTLE: Duration = Duration::from_millis(5);

/// The proxy's health checks, as ELB reports them.
struct ProxyHealth(Arc<Proxy>);

impl HealthView for ProxyHealth {
    fn targets(&self, target_group_arn: &str) -> Vec<ObservedTarget> {
        self.0
            .health()
            .target_groups
            .get(target_group_arn)
            .map(|targets| {
                targets
                    .iter()
                    .map(|((id, port), h)| ObservedTarget {
                        id: id.clone(),
                        port: *port,
                        state: h.state.as_str().to_owned(),
                        reason: h.reason.map(|r| r.as_str().to_owned()),
                        description: h.description.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Where the data plane writes load balancers' names.
#[derive(Clone)]
pub struct HostsFile {
    pub path: PathBuf,
    /// Whose block it is (one per data directory).
    pub owner: String,
}

/// Starts the proxy (with `workers` worker threads; default: the proxy's) and keeps it
/// configured from `elb`.
pub async fn start(elb: Arc<Elb>, hosts: Option<HostsFile>, workers: Option<u16>) -> Arc<Proxy> {
    let (proxy, _) = match workers {
        Some(n) => Proxy::start_with_workers(Config::default(), usize::from(n)).await,
        None => Proxy::start(Config::default()).await,
    };
    let proxy = Arc::new(proxy);
    elb.set_health_view(Arc::new(ProxyHealth(proxy.clone())));
    let changed = Arc::new(tokio::sync::Notify::new());
    {
        let changed = changed.clone();
        elb.on_change(move || changed.notify_one());
    }
    let serving = proxy.clone();
    tokio::spawn(async move {
        let mut last: Option<Config> = None;
        let mut added: Vec<IpAddr> = Vec::new();
        let mut reported: Vec<(String, String)> = Vec::new();
        let mut names: Option<Vec<(String, IpAddr)>> = None;
        loop {
            let e = elb.clone();
            let built = tokio::task::spawn_blocking(move || {
                let instance = |a: &str, id: &str| e.instance_address(a, id);
                let certificate = |a: &str, arn: &str| e.certificate(a, arn);
                let config = e.dataplane_config(&Lookups {
                    instance: &instance,
                    certificate: &certificate,
                });
                (config, e.addresses())
            })
            .await;
            match built {
                Ok((config, addresses)) => {
                    if last.as_ref() != Some(&config) {
                        for l in &config.listeners {
                            let ip = l.bind.ip();
                            if let IpAddr::V4(v4) = ip {
                                if !v4.is_loopback()
                                    && !added.contains(&ip)
                                    && berth_agent::loopback::add(
                                        v4,
                                        "a load balancer listens there",
                                    )
                                {
                                    added.push(ip);
                                }
                            }
                        }
                        let report = serving.apply(config.clone()).await;
                        let now: Vec<(String, String)> = report
                            .bind_errors
                            .iter()
                            .chain(&report.problems)
                            .cloned()
                            .collect();
                        for (what, why) in now.iter().filter(|p| !reported.contains(p)) {
                            tracing::warn!(%what, %why, "load balancer configuration");
                        }
                        reported = now;
                        last = Some(config);
                    }
                    if let Some(h) = &hosts {
                        if names.as_ref() != Some(&addresses) {
                            match crate::hosts_file::update(&h.path, &h.owner, &addresses) {
                                Ok(_) => names = Some(addresses),
                                Err(e) => {
                                    tracing::warn!(path = %h.path.display(), error = %e, "cannot write load balancers' names to the hosts file");
                                    names = Some(addresses);
                                }
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "building the load balancers' configuration failed")
                }
            }
            let _ = tokio::time::timeout(REFRESH, changed.notified()).await;
            tokio::time::sleep(SETTLE).await;
        }
    });
    proxy
}

/// Takes this process's names out of the hosts file again (at shutdown).
pub fn forget_names(hosts: &HostsFile) {
    if let Err(e) = crate::hosts_file::update(&hosts.path, &hosts.owner, &[]) {
        tracing::debug!(error = %e, "cleaning the hosts file");
    }
}
