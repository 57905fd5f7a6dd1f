//! The live state of targets and target groups, shared by the request path,
//! the health checkers and the control plane.
//!
//! A [`Target`] lives as long as it is registered (and while it drains):
//! an apply that keeps it keeps the same `Arc`, so its health and counters
//! carry over. The request path reads only atomics here; the health machine
//! behind its mutex is touched by the target's checker and by
//! [`Proxy::health`](crate::Proxy::health).
//!
//! A [`GroupView`] is one apply's immutable picture of a group (its
//! registered targets and settings), referenced from the listener rules
//! that forward to it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use crate::balance::{self, Candidate};
use crate::config::{Algorithm, HealthCheckConfig, TargetConfig};
use crate::health::{CheckOutcome, Checked, Circumstances, HealthMachine, TargetHealth};
use crate::pool::Pool;
use crate::stats::GroupStats;
use crate::sticky;

/// The process's reference instant: `healthy_since` is stored as
/// nanoseconds after it, so it fits an atomic.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// One registered target.
#[derive(Debug)]
pub(crate) struct Target {
    pub id: String,
    pub port: u16,
    pub addr: SocketAddr,
    /// The `AWSALB` cookie value naming it.
    pub token: u64,
    /// Requests (and upgraded tunnels) in flight.
    outstanding: AtomicU32,
    /// Routable as healthy: checked healthy, or checks disabled.
    healthy: AtomicBool,
    /// When it last became healthy, as nanoseconds after [`epoch`] plus
    /// one; 0 when not healthy (or not subject to slow start).
    healthy_since: AtomicU64,
    machine: Mutex<HealthMachine>,
    /// Deregistered: no new requests.
    draining: AtomicBool,
    /// Idle keep-alive connections to the target.
    pub pool: Pool,
}

impl Target {
    /// A target whose pool has `pool_slots` slots (one per worker + 1).
    pub(crate) fn new(config: &TargetConfig, pool_slots: usize) -> Target {
        Target {
            id: config.id.clone(),
            port: config.port,
            addr: config.addr,
            token: sticky::target_token(&config.id, config.port),
            outstanding: AtomicU32::new(0),
            healthy: AtomicBool::new(false),
            healthy_since: AtomicU64::new(0),
            machine: Mutex::new(HealthMachine::default()),
            draining: AtomicBool::new(false),
            pool: Pool::new(pool_slots),
        }
    }

    /// What target choice needs, read from the atomics.
    pub(crate) fn candidate(&self, now: Instant, slow_start: Duration) -> Candidate {
        let healthy = self.healthy.load(Relaxed);
        let weight = if slow_start.is_zero() || !healthy {
            balance::FULL_WEIGHT
        } else {
            let since = match self.healthy_since.load(Relaxed) {
                0 => None,
                nanos => Some(epoch() + Duration::from_nanos(nanos - 1)),
            };
            balance::slow_start_weight(since, now, slow_start)
        };
        Candidate {
            healthy,
            outstanding: self.outstanding.load(Relaxed),
            weight,
        }
    }

    /// Records a health check's outcome.
    pub(crate) fn record(&self, outcome: CheckOutcome, config: &HealthCheckConfig, now: Instant) {
        let mut machine = self
            .machine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(state) = machine.record(
            outcome,
            config.healthy_threshold,
            config.unhealthy_threshold,
            now,
        ) {
            let healthy = state == Checked::Healthy;
            let since = match machine.healthy_since() {
                Some(at) if healthy => at.saturating_duration_since(epoch()).as_nanos() as u64 + 1,
                _ => 0,
            };
            self.healthy_since.store(since, Relaxed);
            self.healthy.store(healthy, Relaxed);
        }
    }

    /// Back to `initial` (a group that goes out of use, or whose checks are
    /// turned back on). With checks disabled the target counts as healthy.
    pub(crate) fn reset_health(&self, checks_enabled: bool) {
        let mut machine = self
            .machine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *machine = HealthMachine::default();
        self.healthy_since.store(0, Relaxed);
        self.healthy.store(!checks_enabled, Relaxed);
    }

    /// The reported health.
    pub(crate) fn report(&self, in_use: bool, checks_enabled: bool) -> TargetHealth {
        let machine = self
            .machine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        machine.report(Circumstances {
            draining: self.is_draining(),
            in_use,
            checks_enabled,
        })
    }

    pub(crate) fn set_draining(&self, draining: bool) {
        self.draining.store(draining, Relaxed);
    }

    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Relaxed)
    }

    pub(crate) fn outstanding(&self) -> u32 {
        self.outstanding.load(Relaxed)
    }

    /// Counts a request (or tunnel) in flight until the guard drops.
    pub(crate) fn begin(self: &Arc<Self>) -> InFlight {
        self.outstanding.fetch_add(1, Relaxed);
        InFlight(Arc::clone(self))
    }
}

/// A request in flight to a target.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<Target>);

impl InFlight {
    pub(crate) fn target(&self) -> &Arc<Target> {
        &self.0
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.outstanding.fetch_sub(1, Relaxed);
    }
}

/// What outlives every apply of a target group: its counters, its
/// round-robin turn and the health-check settings its checkers read.
#[derive(Debug)]
pub(crate) struct GroupShared {
    pub id: String,
    /// The `AWSALBTG` cookie value naming it.
    pub token: u64,
    pub stats: GroupStats,
    ticket: AtomicU64,
    pub health_check: ArcSwap<HealthCheckConfig>,
}

impl GroupShared {
    pub(crate) fn new(id: &str, health_check: HealthCheckConfig) -> GroupShared {
        GroupShared {
            id: id.to_owned(),
            token: sticky::group_token(id),
            stats: GroupStats::default(),
            ticket: AtomicU64::new(0),
            health_check: ArcSwap::from_pointee(health_check),
        }
    }
}

/// One apply's picture of a target group.
#[derive(Debug)]
pub(crate) struct GroupView {
    pub shared: Arc<GroupShared>,
    /// Registered, not draining.
    pub targets: Box<[Arc<Target>]>,
    pub algorithm: Algorithm,
    pub slow_start: Duration,
    /// Target-level stickiness.
    pub stickiness: Option<crate::config::Stickiness>,
    /// HTTPS to the targets.
    pub tls: bool,
}

impl GroupView {
    /// The next target for a request (not `exclude`).
    pub(crate) fn pick(&self, now: Instant, exclude: Option<usize>) -> Option<usize> {
        let slow_start = match self.algorithm {
            Algorithm::RoundRobin => self.slow_start,
            Algorithm::LeastOutstandingRequests => Duration::ZERO,
        };
        let ticket = self.shared.ticket.fetch_add(1, Relaxed);
        let view = |i: usize| self.targets[i].candidate(now, slow_start);
        balance::choose(
            self.algorithm,
            self.targets.len(),
            view,
            ticket,
            fastrand::u64(..),
            exclude,
        )
    }

    /// The target a stickiness cookie names, if it is routable now.
    pub(crate) fn sticky(&self, token: u64, now: Instant) -> Option<usize> {
        let at = self.targets.iter().position(|t| t.token == token)?;
        let any_healthy = self.targets.iter().any(|t| t.healthy.load(Relaxed));
        balance::routable(self.targets[at].candidate(now, Duration::ZERO), any_healthy)
            .then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(port: u16) -> Arc<Target> {
        let config = TargetConfig::ip(SocketAddr::from(([127, 0, 0, 1], port)));
        Arc::new(Target::new(&config, 1))
    }

    fn view(targets: Vec<Arc<Target>>) -> GroupView {
        GroupView {
            shared: Arc::new(GroupShared::new("tg", HealthCheckConfig::default())),
            targets: targets.into(),
            algorithm: Algorithm::RoundRobin,
            slow_start: Duration::ZERO,
            stickiness: None,
            tls: false,
        }
    }

    #[test]
    fn health_records_drive_routing() {
        let config = HealthCheckConfig {
            healthy_threshold: 1,
            unhealthy_threshold: 1,
            ..HealthCheckConfig::default()
        };
        let (a, b) = (target(1), target(2));
        let g = view(vec![a.clone(), b.clone()]);
        let now = Instant::now();
        // Nothing healthy yet: fail open over both.
        let picks: Vec<_> = (0..4).map(|_| g.pick(now, None)).collect();
        assert!(picks.contains(&Some(0)) && picks.contains(&Some(1)));
        b.record(CheckOutcome::Success, &config, now);
        assert!((0..6).all(|_| g.pick(now, None) == Some(1)));
        assert_eq!(
            g.sticky(a.token, now),
            None,
            "a sticky cookie does not beat health"
        );
        assert_eq!(g.sticky(b.token, now), Some(1));
        b.record(CheckOutcome::BadStatus(500), &config, now);
        assert_eq!(g.sticky(a.token, now), Some(0), "fail-open again");
    }

    #[test]
    fn in_flight_guards_count() {
        let t = target(1);
        let one = t.begin();
        let two = t.begin();
        assert_eq!(t.outstanding(), 2);
        drop(one);
        assert_eq!(t.outstanding(), 1);
        assert_eq!(two.target().port, 1);
        drop(two);
        assert_eq!(t.outstanding(), 0);
    }

    #[test]
    fn reset_with_checks_disabled_is_routable() {
        let t = target(1);
        t.reset_health(false);
        assert!(t.candidate(Instant::now(), Duration::ZERO).healthy);
        t.reset_health(true);
        assert!(!t.candidate(Instant::now(), Duration::ZERO).healthy);
    }
}
