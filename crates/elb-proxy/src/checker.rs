//! Active health checks: one task per checked target. The first check runs
//! at once; then one every interval (up to 5 % early, so the checks of many
//! targets spread out). Each check is a fresh connection and a
//! `GET <path>` with ALB's `User-Agent`, judged by the matcher; the
//! outcome feeds the target's [`HealthMachine`](crate::health).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use tokio::task::JoinHandle;

use crate::config::{HealthCheckConfig, TargetProtocol};
use crate::health::{status_matches, CheckOutcome};
use crate::target::{GroupShared, Target};
use crate::upstream::{self, Conn, ConnectError};
use crate::wire::BodyFraming;

const USER_AGENT: &str = "ELB-HealthChecker/2.0";

/// Starts checking `target` with its group's (live) settings.
pub(crate) fn spawn(target: Arc<Target>, group: Arc<GroupShared>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let config = group.health_check.load_full();
            let outcome = check(target.addr, &config).await;
            tracing::trace!("health check of {} ({}): {outcome:?}", target.id, group.id);
            target.record(outcome, &config, Instant::now());
            tokio::time::sleep(jittered(config.interval)).await;
        }
    })
}

fn jittered(interval: Duration) -> Duration {
    let early = interval.as_micros() as u64 / 20;
    interval.saturating_sub(Duration::from_micros(fastrand::u64(0..=early)))
}

/// One health check of a target at `addr`.
pub(crate) async fn check(addr: SocketAddr, config: &HealthCheckConfig) -> CheckOutcome {
    let addr = SocketAddr::new(addr.ip(), config.port.unwrap_or(addr.port()));
    let timeout = config.timeout.max(Duration::from_millis(1));
    let work = async {
        let tls = config.protocol == TargetProtocol::Https;
        let mut conn = match Conn::open(addr, tls, timeout).await {
            Ok(conn) => conn,
            Err(ConnectError::Timeout) => return CheckOutcome::Timeout,
            Err(ConnectError::Failed(_)) => return CheckOutcome::Failed,
        };
        let head = request(addr, &config.path);
        match upstream::exchange(&mut conn, &head, None, BodyFraming::None, &Method::GET).await {
            Ok(response) if status_matches(&config.matcher, response.status.as_u16()) => {
                CheckOutcome::Success
            }
            Ok(response) => CheckOutcome::BadStatus(response.status.as_u16()),
            Err(_) => CheckOutcome::Failed,
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or(CheckOutcome::Timeout)
}

/// The check's request head.
fn request(addr: SocketAddr, path: &str) -> Vec<u8> {
    let path = if path.starts_with('/') && !path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        path
    } else {
        "/"
    };
    format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_only_shortens_a_little() {
        let interval = Duration::from_secs(10);
        for _ in 0..100 {
            let d = jittered(interval);
            assert!(d <= interval && d >= Duration::from_millis(9500), "{d:?}");
        }
    }

    #[test]
    fn check_requests_carry_alb_headers() {
        let head = String::from_utf8(request(
            SocketAddr::from(([10, 0, 0, 1], 8080)),
            "/health?x=1",
        ))
        .unwrap();
        assert!(
            head.starts_with("GET /health?x=1 HTTP/1.1\r\nHost: 10.0.0.1:8080\r\n"),
            "{head}"
        );
        assert!(
            head.contains("User-Agent: ELB-HealthChecker/2.0\r\n"),
            "{head}"
        );
        assert!(head.ends_with("\r\n\r\n"));
        let odd = String::from_utf8(request(
            SocketAddr::from(([10, 0, 0, 1], 80)),
            "no slash\r\n",
        ))
        .unwrap();
        assert!(odd.starts_with("GET / HTTP/1.1"), "{odd}");
    }
}
