//! Active health checks: one task per checked target. The first check runs
//! at once; then one every interval (up to 5 % early, so the checks of many
//! targets spread out). Each check is a fresh connection (hyper's
//! HTTP/1.1 client, as for requests: see `upstream`) and a `GET <path>`
//! with ALB's `User-Agent`, judged by the matcher; the outcome feeds the
//! target's [`HealthMachine`](crate::health).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{self, HeaderValue};
use http::{Request, Uri};
use tokio::task::JoinHandle;

use crate::config::{HealthCheckConfig, TargetProtocol};
use crate::health::{status_matches, CheckOutcome};
use crate::target::{GroupShared, Target};
use crate::upstream::{Conn, ConnectError, Driven, RequestBody};

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
        let mut conn = match Conn::open(addr, tls, timeout, Driven::ByUser).await {
            Ok(conn) => conn,
            Err(ConnectError::Timeout) => return CheckOutcome::Timeout,
            Err(ConnectError::Failed(_)) => return CheckOutcome::Failed,
        };
        match conn.exchange(request(addr, &config.path)).await {
            Ok(response) if status_matches(&config.matcher, response.status().as_u16()) => {
                CheckOutcome::Success
            }
            Ok(response) => CheckOutcome::BadStatus(response.status().as_u16()),
            Err(_) => CheckOutcome::Failed,
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or(CheckOutcome::Timeout)
}

/// The check's request.
fn request(addr: SocketAddr, path: &str) -> Request<RequestBody> {
    let uri = Uri::try_from(path)
        .ok()
        .filter(|uri| uri.scheme().is_none() && uri.authority().is_none() && path.starts_with('/'))
        .unwrap_or(Uri::from_static("/"));
    let mut request = Request::new(RequestBody::Empty);
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    if let Ok(host) = HeaderValue::from_str(&addr.to_string()) {
        headers.insert(header::HOST, host);
    }
    headers.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
    headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    request
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
        let r = request(SocketAddr::from(([10, 0, 0, 1], 8080)), "/health?x=1");
        assert_eq!(r.method(), "GET");
        assert_eq!(r.uri(), "/health?x=1");
        assert_eq!(r.headers()["host"], "10.0.0.1:8080");
        assert_eq!(r.headers()["user-agent"], "ELB-HealthChecker/2.0");
        let odd = request(SocketAddr::from(([10, 0, 0, 1], 80)), "no slash\r\n");
        assert_eq!(odd.uri(), "/");
        let odd = request(SocketAddr::from(([10, 0, 0, 1], 80)), "http://elsewhere/");
        assert_eq!(odd.uri(), "/");
    }
}
