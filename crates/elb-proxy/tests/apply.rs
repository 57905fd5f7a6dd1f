//! Hot reconfiguration: draining, rule swaps under load, listeners kept,
//! moved and removed.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use berth_elb_proxy::{Action, Condition, Config, HealthState, ListenerConfig, RuleConfig};
use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use support::*;
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_target_drains_its_slow_request_then_disappears() {
    let a = TestTarget::start("a").await;
    let b = TestTarget::start("b").await;
    let (proxy, addr) = start(simple_config(&[&a, &b])).await;
    all_healthy(&proxy, TG, &[&a, &b]).await;

    // Slow requests until one is in flight on b.
    let mut slow = Vec::new();
    for _ in 0..2 {
        slow.push(tokio::spawn(
            async move { get(addr, "/slow?ms=1500").await },
        ));
    }
    eventually(Duration::from_secs(5), "slow request on b", || async {
        b.hits() >= 1
    })
    .await;

    let report = proxy.apply(simple_config(&[&a])).await;
    assert!(
        report.bind_errors.is_empty() && report.problems.is_empty(),
        "{report:?}"
    );
    let drained = proxy.health().get(TG, "b", b.addr.port()).cloned().unwrap();
    assert_eq!(drained.state, HealthState::Draining);
    assert_eq!(
        drained.reason.unwrap().as_str(),
        "Target.DeregistrationInProgress"
    );
    assert_eq!(
        state_of(&proxy, TG, &a),
        Some(HealthState::Healthy),
        "a keeps its state"
    );

    let hits_b = b.hits();
    for _ in 0..6 {
        assert_eq!(get(addr, "/").await.body, "a");
    }
    assert_eq!(b.hits(), hits_b, "no new requests to a draining target");

    for request in slow {
        let answer = request.await.unwrap();
        assert_eq!(answer.status, 200, "in-flight requests complete");
    }
    eventually(Duration::from_secs(5), "b gone from health", || async {
        state_of(&proxy, TG, &b).is_none()
    })
    .await;
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_ends_at_the_deregistration_delay() {
    let a = TestTarget::start("a").await;
    let (proxy, addr) = start(simple_config(&[&a])).await;
    let stalled = tokio::spawn(async move { get(addr, "/slow?ms=3000").await });
    eventually(Duration::from_secs(5), "request in flight", || async {
        a.hits() >= 1
    })
    .await;
    let mut config = simple_config(&[]);
    config.target_groups[0].deregistration_delay = Duration::from_millis(300);
    proxy.apply(config).await;
    assert_eq!(state_of(&proxy, TG, &a), Some(HealthState::Draining));
    eventually(
        Duration::from_secs(2),
        "a removed after the delay",
        || async { state_of(&proxy, TG, &a).is_none() },
    )
    .await;
    assert!(
        !stalled.is_finished(),
        "removed while its request still ran"
    );
    stalled.abort();
    proxy.shutdown().await;
}

fn fixed(body: &str) -> Action {
    Action::FixedResponse {
        status: 200,
        content_type: None,
        body: body.into(),
    }
}

fn config_with_rule(a: &TestTarget, path_body: &str) -> Config {
    config_with_rule_for(a.config(), path_body)
}

fn config_with_rule_for(a: berth_elb_proxy::TargetConfig, path_body: &str) -> Config {
    let mut config = config_for(vec![a]);
    config.listeners[0].rules.push(RuleConfig {
        id: "r1".into(),
        priority: Some(1),
        conditions: vec![Condition::PathPattern(vec!["/fixed".into()])],
        action: fixed(path_body),
    });
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swapping_rules_under_load_drops_nothing() {
    let a = TestTarget::start("a").await;
    let (proxy, addr) = start(config_with_rule(&a, "one")).await;
    let proxy = std::sync::Arc::new(proxy);

    let mut clients = Vec::new();
    for n in 0..4 {
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for i in 0..40 {
                let path = if (n + i) % 3 == 0 {
                    "/slow?ms=20"
                } else if i % 2 == 0 {
                    "/fixed"
                } else {
                    "/"
                };
                let answer = get(addr, path).await;
                assert_eq!(answer.status, 200, "{path}: {answer:?}");
                seen.push(answer.body);
            }
            seen
        }));
    }
    let applier = {
        let proxy = proxy.clone();
        let a_config = a.config();
        tokio::spawn(async move {
            for round in 0..20 {
                let config = config_with_rule_for(
                    a_config.clone(),
                    if round % 2 == 0 { "two" } else { "one" },
                );
                let report = proxy.apply(config).await;
                assert!(report.bind_errors.is_empty(), "{report:?}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let mut bodies = Vec::new();
    for client in clients {
        bodies.extend(client.await.unwrap());
    }
    applier.await.unwrap();
    assert!(
        bodies
            .iter()
            .all(|b| ["one", "two", "a"].contains(&b.as_str())),
        "{bodies:?}"
    );
    assert!(
        bodies.iter().any(|b| b == "two"),
        "the swapped rule took effect"
    );
    let stats = proxy.stats();
    assert_eq!(stats.load_balancers[LB].http_code_elb_5xx_count, 0);
    std::sync::Arc::try_unwrap(proxy)
        .ok()
        .unwrap()
        .shutdown()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_listener_keeps_its_socket_and_connections() {
    let a = TestTarget::start("a").await;
    let (proxy, addr) = start(config_with_rule(&a, "one")).await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let send = |sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>| {
        let request = http::Request::get("/fixed")
            .header("host", "x")
            .body(Empty::new())
            .unwrap();
        sender.send_request(request)
    };
    assert_eq!(collect(send(&mut sender).await.unwrap()).await.body, "one");
    proxy.apply(config_with_rule(&a, "two")).await;
    assert_eq!(proxy.local_addr(LISTENER), Some(addr));
    sender.ready().await.unwrap();
    assert_eq!(
        collect(send(&mut sender).await.unwrap()).await.body,
        "two",
        "same connection, new rules"
    );
    assert_eq!(proxy.stats().load_balancers[LB].new_connection_count, 1);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_listener_stops_accepting_and_finishes_its_requests() {
    let a = TestTarget::start("a").await;
    let (proxy, addr) = start(simple_config(&[&a])).await;
    let in_flight = tokio::spawn(async move { get(addr, "/slow?ms=600").await });
    eventually(Duration::from_secs(5), "request in flight", || async {
        a.hits() >= 1
    })
    .await;

    let mut config = simple_config(&[&a]);
    config.listeners.clear();
    proxy.apply(config).await;
    assert_eq!(proxy.local_addr(LISTENER), None);
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
    let answer = in_flight.await.unwrap();
    assert_eq!((answer.status, answer.body.as_str()), (200, "a"));
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_errors_are_reported() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = simple_config(&[]);
    config.listeners.push(ListenerConfig::new(
        "second",
        LB,
        taken.local_addr().unwrap(),
        fixed("x"),
    ));
    let (proxy, report) = berth_elb_proxy::Proxy::start(config).await;
    assert_eq!(report.bind_errors.len(), 1, "{report:?}");
    assert_eq!(report.bind_errors[0].0, "second");
    assert!(proxy.local_addr(LISTENER).is_some());
    assert!(proxy.local_addr("second").is_none());
    proxy.shutdown().await;
}
