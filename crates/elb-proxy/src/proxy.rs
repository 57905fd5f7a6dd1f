//! The public handle: start, apply, observe, shut down.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use crate::apply::{Control, Task};
use crate::config::Config;
use crate::health::{HealthState, TargetHealth};
use crate::listener::ConnTracker;
use crate::stats::StatsSnapshot;
use crate::workers::Workers;

/// How often finished draining targets are removed.
const REAP_EVERY: Duration = Duration::from_millis(50);
/// How long shutdown lets open connections finish their requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What an apply could not do. Everything else took effect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Listeners that are not serving: (listener id, why) — the address
    /// could not be bound, or the TLS certificates are unusable.
    pub bind_errors: Vec<(String, String)>,
    /// Parts of the configuration that were ignored or replaced by a 503:
    /// (listener, rule or target group id, what is wrong).
    pub problems: Vec<(String, String)>,
}

/// Target health per target group ARN, per (target id, port).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthSnapshot {
    pub target_groups: BTreeMap<String, BTreeMap<(String, u16), TargetHealth>>,
}

impl HealthSnapshot {
    /// One target's health.
    pub fn get(&self, target_group: &str, target_id: &str, port: u16) -> Option<&TargetHealth> {
        self.target_groups
            .get(target_group)?
            .get(&(target_id.to_owned(), port))
    }
}

/// The running data plane. Cheap to share behind an `Arc`; every method
/// takes `&self` except [`shutdown`](Proxy::shutdown).
pub struct Proxy {
    inner: Arc<Inner>,
    _reaper: Task,
}

struct Inner {
    control: Mutex<Control>,
    /// Serializes applies (the mutex above is not held across awaits).
    applying: tokio::sync::Mutex<()>,
    tracker: Arc<ConnTracker>,
}

impl Inner {
    fn control(&self) -> MutexGuard<'_, Control> {
        self.control
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Proxy {
    /// Starts serving `config` with one worker thread per core, as nginx's
    /// `worker_processes auto`: even on a small machine shared with the
    /// targets, the load balancer's share of the cores is what bounds its
    /// throughput (docs/BENCHMARKS.md measured 0.68x nginx with one worker
    /// on two cores, 0.97x with two). Must be called within a tokio runtime
    /// (which keeps the control plane: accepting, applies, health checks).
    pub async fn start(config: Config) -> (Proxy, ApplyReport) {
        Self::start_with_workers(config, default_workers()).await
    }

    /// [`start`](Self::start) with `workers` worker threads; 0 serves the
    /// connections on the caller's runtime instead.
    pub async fn start_with_workers(config: Config, workers: usize) -> (Proxy, ApplyReport) {
        let workers = match Workers::start(workers) {
            Ok(workers) => workers,
            Err(e) => {
                tracing::warn!("cannot start proxy workers ({e}); serving on the caller's runtime");
                Workers::none()
            }
        };
        let inner = Arc::new(Inner {
            control: Mutex::new(Control::new(Arc::new(workers))),
            applying: tokio::sync::Mutex::new(()),
            tracker: Arc::new(ConnTracker::new()),
        });
        let reaper = Task(tokio::spawn(reap(Arc::downgrade(&inner))));
        let proxy = Proxy {
            inner,
            _reaper: reaper,
        };
        let report = proxy.apply(config).await;
        (proxy, report)
    }

    /// Replaces the configuration. Listeners that keep their id and bind
    /// address keep their sockets and connections; requests in flight are
    /// never cut; rule and target changes apply from the next request.
    pub async fn apply(&self, config: Config) -> ApplyReport {
        let _one_at_a_time = self.inner.applying.lock().await;
        let plan = self.inner.control().reconcile(&config);
        // Stopped listeners release their ports before new ones bind.
        for handle in plan.to_stop {
            handle.stop().await;
        }
        let mut report = ApplyReport {
            bind_errors: plan.bind_errors,
            problems: plan.problems,
        };
        let mut control = self.inner.control();
        for start in plan.to_start {
            let id = start.config.id.clone();
            if let Err(e) = control.start_listener(start, &self.inner.tracker) {
                report.bind_errors.push((id, e));
            }
        }
        for (id, problem) in &report.problems {
            tracing::warn!("configuration problem at {id}: {problem}");
        }
        report
    }

    /// The address a listener is bound to (its port when `bind` had 0).
    pub fn local_addr(&self, listener_id: &str) -> Option<SocketAddr> {
        self.inner
            .control()
            .listeners
            .get(listener_id)
            .map(|l| l.local_addr)
    }

    /// Every target's health, draining targets included.
    pub fn health(&self) -> HealthSnapshot {
        let control = self.inner.control();
        let mut snapshot = HealthSnapshot::default();
        for (id, entry) in &control.groups {
            let enabled = entry.config.health_check.enabled;
            let targets = snapshot.target_groups.entry(id.clone()).or_default();
            let all = entry
                .targets
                .iter()
                .map(|r| &r.target)
                .chain(entry.draining.iter().map(|d| &d.target));
            for target in all {
                targets.insert(
                    (target.id.clone(), target.port),
                    target.report(entry.in_use, enabled),
                );
            }
        }
        snapshot
    }

    /// The counters of every load balancer and target group.
    pub fn stats(&self) -> StatsSnapshot {
        let control = self.inner.control();
        let mut snapshot = StatsSnapshot::default();
        for (arn, lb) in &control.lbs {
            snapshot.load_balancers.insert(arn.clone(), lb.snapshot());
        }
        for (id, entry) in &control.groups {
            let enabled = entry.config.health_check.enabled;
            let (mut healthy, mut unhealthy) = (0, 0);
            for registered in &entry.targets {
                match registered.target.report(entry.in_use, enabled).state {
                    HealthState::Healthy | HealthState::Unavailable => healthy += 1,
                    HealthState::Unhealthy => unhealthy += 1,
                    _ => {}
                }
            }
            snapshot
                .target_groups
                .insert(id.clone(), entry.shared.stats.snapshot(healthy, unhealthy));
        }
        snapshot
    }

    /// Stops accepting, lets open connections finish what they are doing
    /// (up to ten seconds), then closes everything.
    pub async fn shutdown(self) {
        let _no_more_applies = self.inner.applying.lock().await;
        let handles: Vec<_> = self
            .inner
            .control()
            .listeners
            .drain()
            .map(|(_, h)| h)
            .collect();
        for handle in handles {
            handle.stop().await;
        }
        let tracker = Arc::clone(&self.inner.tracker);
        if tokio::time::timeout(SHUTDOWN_GRACE, tracker.all_closed())
            .await
            .is_err()
        {
            tracker.close_all_now();
            let _ = tokio::time::timeout(Duration::from_secs(1), tracker.all_closed()).await;
        }
        let mut control = self.inner.control();
        control.groups.clear();
        control.lbs.clear();
    }
}

/// One per core.
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

async fn reap(inner: Weak<Inner>) {
    loop {
        tokio::time::sleep(REAP_EVERY).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        inner.control().reap(Instant::now());
    }
}
