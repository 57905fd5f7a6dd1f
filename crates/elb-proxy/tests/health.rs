//! Active health checks and what they do to routing.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use berth_elb_proxy::{
    Action, Config, HealthReason, HealthState, ListenerConfig, TargetGroupConfig,
};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_answering_500_becomes_unhealthy_and_gets_no_traffic() {
    let good = TestTarget::start("good").await;
    let bad = TestTarget::start("bad").await;
    bad.health_status.store(500, SeqCst);
    let (proxy, addr) = start(simple_config(&[&good, &bad])).await;

    eventually(
        Duration::from_secs(10),
        "bad unhealthy, good healthy",
        || async {
            state_of(&proxy, TG, &bad) == Some(HealthState::Unhealthy)
                && state_of(&proxy, TG, &good) == Some(HealthState::Healthy)
        },
    )
    .await;
    let health = proxy.health();
    let bad_health = health.get(TG, "bad", bad.addr.port()).unwrap();
    assert_eq!(bad_health.reason, Some(HealthReason::ResponseCodeMismatch));
    assert_eq!(
        bad_health.reason.unwrap().as_str(),
        "Target.ResponseCodeMismatch"
    );
    assert_eq!(
        bad_health.description.as_deref(),
        Some("Health checks failed with these codes: [500]")
    );
    assert_eq!(
        health.get(TG, "good", good.addr.port()).unwrap().reason,
        None
    );

    let before = bad.hits();
    for _ in 0..10 {
        assert_eq!(get(addr, "/").await.body, "good");
    }
    assert_eq!(bad.hits(), before, "no traffic to the unhealthy target");
    let stats = proxy.stats();
    assert_eq!(stats.target_groups[TG].healthy_host_count, 1);
    assert_eq!(stats.target_groups[TG].unhealthy_host_count, 1);

    // It recovers after healthy_threshold good checks.
    bad.health_status.store(200, SeqCst);
    all_healthy(&proxy, TG, &[&good, &bad]).await;
    let names: Vec<String> = futures_join(addr, 6).await;
    assert!(names.iter().any(|n| n == "bad"), "{names:?}");
    proxy.shutdown().await;
}

async fn futures_join(addr: std::net::SocketAddr, n: usize) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..n {
        names.push(get(addr, "/").await.body);
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_target_turns_unhealthy_within_two_intervals_and_traffic_moves() {
    let a = TestTarget::start("a").await;
    let b = TestTarget::start("b").await;
    let (proxy, addr) = start(simple_config(&[&a, &b])).await;
    all_healthy(&proxy, TG, &[&a, &b]).await;

    b.stop();
    let stopped = Instant::now();
    eventually(Duration::from_secs(5), "b unhealthy", || async {
        state_of(&proxy, TG, &b) == Some(HealthState::Unhealthy)
    })
    .await;
    // Two failed checks at 100 ms; generous for a loaded machine.
    assert!(
        stopped.elapsed() < Duration::from_secs(2),
        "{:?}",
        stopped.elapsed()
    );
    let reason = proxy.health().get(TG, "b", b.addr.port()).unwrap().reason;
    assert!(
        matches!(
            reason,
            Some(HealthReason::FailedHealthChecks | HealthReason::Timeout)
        ),
        "{reason:?}"
    );
    for _ in 0..6 {
        let answer = get(addr, "/").await;
        assert_eq!((answer.status, answer.body.as_str()), (200, "a"));
    }
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_unhealthy_fails_open() {
    let a = TestTarget::start("a").await;
    let b = TestTarget::start("b").await;
    a.health_status.store(503, SeqCst);
    b.health_status.store(404, SeqCst);
    let (proxy, addr) = start(simple_config(&[&a, &b])).await;
    eventually(Duration::from_secs(10), "both unhealthy", || async {
        state_of(&proxy, TG, &a) == Some(HealthState::Unhealthy)
            && state_of(&proxy, TG, &b) == Some(HealthState::Unhealthy)
    })
    .await;
    for _ in 0..10 {
        assert_eq!(get(addr, "/").await.status, 200);
    }
    assert!(
        a.hits() >= 3 && b.hits() >= 3,
        "a {} b {}",
        a.hits(),
        b.hits()
    );
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_targets_get_nothing_while_another_is_healthy() {
    let a = TestTarget::start("a").await;
    let (proxy, addr) = start(simple_config(&[&a])).await;
    all_healthy(&proxy, TG, &[&a]).await;

    // A second target with a very long interval stays `initial` for a while
    // (first check at once, healthy needs a second one).
    let b = TestTarget::start("b").await;
    let mut config = simple_config(&[&a, &b]);
    config.target_groups[0].health_check.interval = Duration::from_secs(30);
    proxy.apply(config).await;
    eventually(Duration::from_secs(5), "b checked once", || async {
        b.health_checks.load(SeqCst) >= 1
    })
    .await;
    let b_health = proxy.health().get(TG, "b", b.addr.port()).cloned().unwrap();
    assert_eq!(b_health.state, HealthState::Initial);
    assert_eq!(b_health.reason, Some(HealthReason::InitialHealthChecking));
    for _ in 0..6 {
        assert_eq!(get(addr, "/").await.body, "a");
    }
    assert_eq!(b.hits(), 0);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unused_groups_are_not_checked_and_disabled_checks_are_unavailable() {
    let a = TestTarget::start("a").await;
    let b = TestTarget::start("b").await;
    let mut used = TargetGroupConfig::new(TG, vec![a.config()]);
    used.health_check.enabled = false;
    let mut unused = TargetGroupConfig::new("tg-unused", vec![b.config()]);
    unused.health_check = fast_checks();
    let config = Config {
        listeners: vec![ListenerConfig::new(
            LISTENER,
            LB,
            any_port(),
            Action::forward(TG),
        )],
        target_groups: vec![used, unused],
    };
    let (proxy, addr) = start(config).await;
    let health = proxy.health();
    let a_health = health.get(TG, "a", a.addr.port()).unwrap();
    assert_eq!(a_health.state, HealthState::Unavailable);
    assert_eq!(
        a_health.reason.unwrap().as_str(),
        "Target.HealthCheckDisabled"
    );
    let b_health = health.get("tg-unused", "b", b.addr.port()).unwrap();
    assert_eq!(b_health.state, HealthState::Unused);
    assert_eq!(b_health.reason.unwrap().as_str(), "Target.NotInUse");
    assert_eq!(get(addr, "/").await.body, "a");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(a.health_checks.load(SeqCst), 0, "disabled: not checked");
    assert_eq!(b.health_checks.load(SeqCst), 0, "unused: not checked");
    assert_eq!(proxy.stats().target_groups[TG].healthy_host_count, 1);
    proxy.shutdown().await;
}
