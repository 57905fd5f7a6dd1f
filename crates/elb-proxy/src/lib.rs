//! **The data plane of Berth's Application Load Balancer**: an HTTP and
//! HTTPS reverse proxy that routes by ALB's listener rules, spreads
//! requests over target groups as ALB does, checks its targets' health and
//! drains the ones taken out of service.
//!
//! The ELBv2 API (load balancers, listeners, rules, target groups,
//! registrations) lives elsewhere and turns its records into one
//! [`Config`]: the listeners with their rules, and the target groups with
//! their targets. [`Proxy::start`] serves it; [`Proxy::apply`] swaps in the
//! next one without dropping a request; [`Proxy::health`] answers
//! DescribeTargetHealth and [`Proxy::stats`] feeds the CloudWatch metrics.
//!
//! # How a request goes
//!
//! 1. A listener (`listener`) accepts the connection on the caller's
//!    runtime, sets `TCP_NODELAY` and hands it to one of the proxy's
//!    worker threads (`workers`: single-threaded runtimes, like nginx's
//!    worker processes), where the connection stays. There (`connection`)
//!    it gets TLS when the listener is HTTPS (the certificate chosen by
//!    SNI, `tls`), then HTTP/2 (ALPN `h2`, or the preface on plain HTTP) or
//!    HTTP/1.1 from hyper, an idle timeout, and a graceful close when its
//!    listener goes away.
//! 2. Each request reads the listener's routing with one lock-free
//!    `ArcSwap` load (`routing`) and finds its rule (`rules`): the first
//!    by priority whose conditions (`conditions`, with ALB's wildcards in
//!    `wildcard`) all hold. An index by host, path prefix and header name
//!    keeps this cheap with a thousand rules.
//! 3. A fixed response or a redirect (`redirect`, `responses`) is answered
//!    at once. A forward picks a target group by weight (or by its
//!    `AWSALBTG` cookie), then a target (`balance`): round robin or least
//!    outstanding requests over the healthy targets, slow start, the
//!    `AWSALB` or `AWSALBAPP-0` stickiness cookie (`sticky`) — and when no target is
//!    healthy, over all of them (ALB fails open).
//! 4. `forward` rewrites the request head the target gets, in place
//!    (`wire`: hop-by-hop headers out, `X-Forwarded-For/Proto/Port` and
//!    `X-Amzn-Trace-Id` in) and sends it with hyper's HTTP/1.1 client
//!    (`hyper::client::conn::http1`, `upstream`) on a keep-alive
//!    connection from the worker's pool for that target (`pool`; each
//!    connection's hyper task runs on the worker that opened it). The
//!    response body streams from hyper's client connection to hyper's
//!    server connection frame by frame, and its end returns the
//!    connection to the pool (`body`). One retry goes to another target
//!    when the connection failed before the target could have acted;
//!    failures map to 502, 503 and 504. `Upgrade` requests become byte
//!    tunnels between the two upgraded hyper connections (`upgrade`).
//!
//! # Health and draining
//!
//! Each target of a group that some listener forwards to is checked by
//! its own task (`checker`); the outcomes drive the pure state machine in
//! `health`. A target removed by an apply drains: it gets no new
//! requests and goes away once idle or after the deregistration delay
//! (`apply` reconciles every such change).
//!
//! The pure parts — matching, redirects, target choice, the health machine,
//! the drain rule — take the time as an argument and do no IO.
//!
//! # Example
//!
//! ```no_run
//! use berth_elb_proxy::{Action, Config, ListenerConfig, Proxy, TargetConfig, TargetGroupConfig};
//!
//! # async fn run() {
//! let target = TargetConfig::ip("10.0.0.5:8080".parse().unwrap());
//! let config = Config {
//!     listeners: vec![ListenerConfig::new(
//!         "arn:…:listener/app/web/1/1",
//!         "arn:…:loadbalancer/app/web/1",
//!         "0.0.0.0:80".parse().unwrap(),
//!         Action::forward("arn:…:targetgroup/web/1"),
//!     )],
//!     target_groups: vec![TargetGroupConfig::new("arn:…:targetgroup/web/1", vec![target])],
//! };
//! let (proxy, report) = Proxy::start(config).await;
//! assert!(report.bind_errors.is_empty());
//! // … later: proxy.apply(next_config).await, proxy.health(), proxy.stats()
//! proxy.shutdown().await;
//! # }
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod apply;
mod balance;
mod body;
mod checker;
mod conditions;
mod config;
mod connection;
mod forward;
mod hash;
mod headers;
mod health;
mod io;
mod listener;
mod pool;
mod proxy;
mod redirect;
mod responses;
mod routing;
mod rules;
mod service;
mod stats;
mod sticky;
mod target;
mod tls;
mod upgrade;
mod upstream;
mod wildcard;
mod wire;
mod workers;

pub use config::{
    Action, Algorithm, Certificate, Condition, Config, HealthCheckConfig, ListenerConfig,
    RuleConfig, Stickiness, TargetConfig, TargetGroupConfig, TargetProtocol, TlsConfig,
};
pub use health::{HealthReason, HealthState, TargetHealth};
pub use proxy::{ApplyReport, HealthSnapshot, Proxy};
pub use stats::{LoadBalancerStats, StatsSnapshot, TargetGroupStats};
