//! Counters for CloudWatch's ELB metrics: relaxed atomics bumped on the
//! request path, read into plain snapshots by
//! [`Proxy::stats`](crate::Proxy::stats).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

/// The live counters of one load balancer (shared by its listeners).
#[derive(Debug, Default)]
pub(crate) struct LbStats {
    pub request_count: AtomicU64,
    pub elb_3xx: AtomicU64,
    pub elb_4xx: AtomicU64,
    pub elb_5xx: AtomicU64,
    pub elb_500: AtomicU64,
    pub elb_502: AtomicU64,
    pub elb_503: AtomicU64,
    pub elb_504: AtomicU64,
    pub redirects: AtomicU64,
    pub fixed_responses: AtomicU64,
    pub active_connections: AtomicI64,
    pub new_connections: AtomicU64,
    pub processed_bytes: AtomicU64,
}

impl LbStats {
    /// Counts a response the load balancer itself generated.
    pub(crate) fn elb_response(&self, status: u16) {
        let class = match status / 100 {
            3 => &self.elb_3xx,
            4 => &self.elb_4xx,
            5 => &self.elb_5xx,
            _ => return,
        };
        class.fetch_add(1, Relaxed);
        let exact = match status {
            500 => &self.elb_500,
            502 => &self.elb_502,
            503 => &self.elb_503,
            504 => &self.elb_504,
            _ => return,
        };
        exact.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> LoadBalancerStats {
        LoadBalancerStats {
            request_count: self.request_count.load(Relaxed),
            http_code_elb_3xx_count: self.elb_3xx.load(Relaxed),
            http_code_elb_4xx_count: self.elb_4xx.load(Relaxed),
            http_code_elb_5xx_count: self.elb_5xx.load(Relaxed),
            http_code_elb_500_count: self.elb_500.load(Relaxed),
            http_code_elb_502_count: self.elb_502.load(Relaxed),
            http_code_elb_503_count: self.elb_503.load(Relaxed),
            http_code_elb_504_count: self.elb_504.load(Relaxed),
            http_redirect_count: self.redirects.load(Relaxed),
            http_fixed_response_count: self.fixed_responses.load(Relaxed),
            active_connection_count: self.active_connections.load(Relaxed).max(0) as u64,
            new_connection_count: self.new_connections.load(Relaxed),
            processed_bytes: self.processed_bytes.load(Relaxed),
        }
    }
}

/// The live counters of one target group.
#[derive(Debug, Default)]
pub(crate) struct GroupStats {
    pub request_count: AtomicU64,
    pub target_2xx: AtomicU64,
    pub target_3xx: AtomicU64,
    pub target_4xx: AtomicU64,
    pub target_5xx: AtomicU64,
    pub response_time_micros: AtomicU64,
    pub response_time_count: AtomicU64,
}

impl GroupStats {
    /// Counts a target's answer and its time to the response head.
    pub(crate) fn target_response(&self, status: u16, micros: u64) {
        let class = match status / 100 {
            2 => &self.target_2xx,
            3 => &self.target_3xx,
            4 => &self.target_4xx,
            5 => &self.target_5xx,
            _ => return self.time(micros),
        };
        class.fetch_add(1, Relaxed);
        self.time(micros);
    }

    fn time(&self, micros: u64) {
        self.response_time_micros.fetch_add(micros, Relaxed);
        self.response_time_count.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self, healthy: u64, unhealthy: u64) -> TargetGroupStats {
        TargetGroupStats {
            request_count: self.request_count.load(Relaxed),
            http_code_target_2xx_count: self.target_2xx.load(Relaxed),
            http_code_target_3xx_count: self.target_3xx.load(Relaxed),
            http_code_target_4xx_count: self.target_4xx.load(Relaxed),
            http_code_target_5xx_count: self.target_5xx.load(Relaxed),
            healthy_host_count: healthy,
            unhealthy_host_count: unhealthy,
            target_response_time_sum_micros: self.response_time_micros.load(Relaxed),
            target_response_time_count: self.response_time_count.load(Relaxed),
        }
    }
}

/// One load balancer's counters (totals since it was first configured).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadBalancerStats {
    /// Requests received (whatever answered them).
    pub request_count: u64,
    pub http_code_elb_3xx_count: u64,
    /// 4xx the load balancer generated (fixed responses included).
    pub http_code_elb_4xx_count: u64,
    /// 5xx the load balancer generated (fixed responses included).
    pub http_code_elb_5xx_count: u64,
    pub http_code_elb_500_count: u64,
    pub http_code_elb_502_count: u64,
    pub http_code_elb_503_count: u64,
    pub http_code_elb_504_count: u64,
    pub http_redirect_count: u64,
    pub http_fixed_response_count: u64,
    /// Client connections open now (a gauge).
    pub active_connection_count: u64,
    pub new_connection_count: u64,
    /// Bytes received from and sent to clients (headers and bodies; TLS
    /// records count as their plaintext).
    pub processed_bytes: u64,
}

/// One target group's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetGroupStats {
    /// Requests routed to the group.
    pub request_count: u64,
    pub http_code_target_2xx_count: u64,
    pub http_code_target_3xx_count: u64,
    pub http_code_target_4xx_count: u64,
    pub http_code_target_5xx_count: u64,
    /// Targets `healthy` (or `unavailable`: checks disabled) now.
    pub healthy_host_count: u64,
    /// Targets `unhealthy` now.
    pub unhealthy_host_count: u64,
    /// TargetResponseTime: the sum, in microseconds, of the time from
    /// sending a request to a target to its response head…
    pub target_response_time_sum_micros: u64,
    /// …over this many responses.
    pub target_response_time_count: u64,
}

/// All counters, by ARN.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub load_balancers: BTreeMap<String, LoadBalancerStats>,
    pub target_groups: BTreeMap<String, TargetGroupStats>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elb_codes_count_by_class_and_exactly() {
        let s = LbStats::default();
        for code in [502, 502, 503, 404, 301, 200] {
            s.elb_response(code);
        }
        let snap = s.snapshot();
        assert_eq!(snap.http_code_elb_5xx_count, 3);
        assert_eq!(snap.http_code_elb_502_count, 2);
        assert_eq!(snap.http_code_elb_503_count, 1);
        assert_eq!(snap.http_code_elb_4xx_count, 1);
        assert_eq!(snap.http_code_elb_3xx_count, 1);
    }

    #[test]
    fn target_codes_and_times_add_up() {
        let s = GroupStats::default();
        s.target_response(200, 10);
        s.target_response(503, 30);
        let snap = s.snapshot(2, 1);
        assert_eq!(
            (
                snap.http_code_target_2xx_count,
                snap.http_code_target_5xx_count
            ),
            (1, 1)
        );
        assert_eq!(snap.target_response_time_sum_micros, 40);
        assert_eq!(snap.target_response_time_count, 2);
        assert_eq!((snap.healthy_host_count, snap.unhealthy_host_count), (2, 1));
    }
}
