//! A proxy for load tests: `bench <listen> <target>... [--rules N]`.
//!
//! One listener forwarding to one target group of the given targets
//! (round robin, health checks every 5 s on `/`). With `--rules N`, N
//! non-matching rules (path, host and header conditions) stand before the
//! default rule, as a large rule set would. Runs until Ctrl-C.
//! `PROXY_WORKERS` sets the proxy's worker threads (default: half the
//! cores; 0: none, serve on the
//! host runtime), `RUNTIME_THREADS` the host runtime's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use berth_elb_proxy::{
    Action, Condition, Config, ListenerConfig, Proxy, RuleConfig, TargetConfig, TargetGroupConfig,
};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut rules = 0usize;
    if let Some(at) = args.iter().position(|a| a == "--rules") {
        rules = args[at + 1].parse().expect("--rules N");
        args.drain(at..at + 2);
    }
    // The host runtime's threads (Berth's own), and the proxy's workers
    // (default: one per core; 0 serves on the host runtime).
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|w| w.parse::<usize>().ok())
    };
    let workers = env("RUNTIME_THREADS").unwrap_or(2);
    let proxy_workers = env("PROXY_WORKERS");
    let listen = args[0].parse().expect("listen address");
    let targets = args[1..]
        .iter()
        .map(|a| TargetConfig::ip(a.parse().expect("target address")))
        .collect();
    let mut group = TargetGroupConfig::new("tg", targets);
    group.health_check.interval = Duration::from_secs(5);
    group.health_check.healthy_threshold = 2;
    let mut listener = ListenerConfig::new("listener", "lb", listen, Action::forward("tg"));
    for i in 0..rules {
        let condition = match i % 3 {
            0 => Condition::PathPattern(vec![format!("/service-{i}/*")]),
            1 => Condition::HostHeader(vec![format!("app-{i}.example.com")]),
            _ => Condition::HttpHeader {
                name: "x-route".into(),
                values: vec![format!("v{i}*")],
            },
        };
        listener.rules.push(RuleConfig {
            id: format!("rule-{i}"),
            priority: Some(i as u32 + 1),
            conditions: vec![condition],
            action: Action::FixedResponse {
                status: 200,
                content_type: None,
                body: format!("rule {i}"),
            },
        });
    }
    let config = Config {
        listeners: vec![listener],
        target_groups: vec![group],
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let (proxy, report) = match proxy_workers {
                Some(workers) => Proxy::start_with_workers(config, workers).await,
                None => Proxy::start(config).await,
            };
            assert!(report.bind_errors.is_empty(), "{report:?}");
            eprintln!(
                "listening on {:?} with {rules} rules",
                proxy.local_addr("listener")
            );
            let _ = tokio::signal::ctrl_c().await;
            proxy.shutdown().await;
        });
}
