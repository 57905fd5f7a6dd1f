//! Forwarding, rules, generated answers and the failure statuses, through
//! real sockets.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use berth_elb_proxy::{Action, Condition, Config, ListenerConfig, RuleConfig, TargetGroupConfig};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_with_x_forwarded_headers_and_host_unchanged() {
    let a = TestTarget::start("a").await;
    let (proxy, addr) = start(simple_config(&[&a])).await;

    let answer = request(
        addr,
        "GET",
        "/headers",
        &[
            ("host", "Shop.Example.com:8080"),
            ("x-forwarded-for", "203.0.113.7"),
            ("connection", "keep-alive, x-hop"),
            ("x-hop", "secret"),
        ],
    )
    .await;
    assert_eq!(answer.status, 200);
    let body = answer.body;
    assert!(body.contains("host: Shop.Example.com:8080\n"), "{body}");
    assert!(
        body.contains("x-forwarded-for: 203.0.113.7, 127.0.0.1\n"),
        "{body}"
    );
    assert!(body.contains("x-forwarded-proto: http\n"), "{body}");
    assert!(
        body.contains(&format!("x-forwarded-port: {}\n", addr.port())),
        "{body}"
    );
    assert!(body.contains("x-amzn-trace-id: Root=1-"), "{body}");
    assert!(
        !body.contains("x-hop"),
        "headers named by Connection are hop-by-hop: {body}"
    );
    assert!(!body.contains("keep-alive"), "{body}");

    let stats = proxy.stats();
    let lb = &stats.load_balancers[LB];
    assert_eq!(lb.request_count, 1);
    assert!(lb.new_connection_count >= 1);
    assert!(lb.processed_bytes > 0);
    let tg = &stats.target_groups[TG];
    assert_eq!((tg.request_count, tg.http_code_target_2xx_count), (1, 1));
    assert_eq!(tg.target_response_time_count, 1);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_alternates_between_two_healthy_targets() {
    let a = TestTarget::start("a").await;
    let b = TestTarget::start("b").await;
    let (proxy, addr) = start(simple_config(&[&a, &b])).await;
    all_healthy(&proxy, TG, &[&a, &b]).await;

    let mut names = Vec::new();
    for _ in 0..10 {
        names.push(get(addr, "/").await.body);
    }
    let to_a = names.iter().filter(|n| *n == "a").count();
    assert_eq!(to_a, 5, "{names:?}");
    assert!(
        names.windows(2).all(|w| w[0] != w[1]),
        "strict alternation: {names:?}"
    );
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_responses_and_redirects() {
    let mut listener = ListenerConfig::new(
        LISTENER,
        LB,
        any_port(),
        Action::FixedResponse {
            status: 404,
            content_type: Some("text/plain".into()),
            body: "nothing here".into(),
        },
    );
    listener.rules.push(RuleConfig {
        id: "to-https".into(),
        priority: Some(1),
        conditions: vec![Condition::PathPattern(vec!["/old/*".into()])],
        action: Action::Redirect {
            protocol: "HTTPS".into(),
            host: "#{host}".into(),
            port: "443".into(),
            path: "/new/#{path}".into(),
            query: "#{query}&from=old".into(),
            status: 301,
        },
    });
    let (proxy, addr) = start(Config {
        listeners: vec![listener],
        target_groups: vec![],
    })
    .await;

    let fixed = get(addr, "/anything").await;
    assert_eq!(fixed.status, 404);
    assert_eq!(fixed.body, "nothing here");
    assert_eq!(fixed.header("content-type"), Some("text/plain"));
    assert_eq!(fixed.header("server"), Some("awselb/2.0"));

    let moved = request(
        addr,
        "GET",
        "/old/page?x=1",
        &[("host", "www.example.com:8080")],
    )
    .await;
    assert_eq!(moved.status, 301);
    assert_eq!(
        moved.header("location"),
        Some("https://www.example.com:443/new/old/page?x=1&from=old")
    );

    let lb = &proxy.stats().load_balancers[LB];
    assert_eq!(lb.http_fixed_response_count, 1);
    assert_eq!(lb.http_redirect_count, 1);
    assert_eq!(lb.http_code_elb_4xx_count, 1);
    assert_eq!(lb.http_code_elb_3xx_count, 1);
    proxy.shutdown().await;
}

fn fixed(body: &str) -> Action {
    Action::FixedResponse {
        status: 200,
        content_type: None,
        body: body.into(),
    }
}

fn rule(priority: u32, conditions: Vec<Condition>, body: &str) -> RuleConfig {
    RuleConfig {
        id: format!("rule-{priority}"),
        priority: Some(priority),
        conditions,
        action: fixed(body),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_condition_kind_routes() {
    let mut listener = ListenerConfig::new(LISTENER, LB, any_port(), fixed("default"));
    listener.rules.extend([
        rule(
            50,
            vec![Condition::PathPattern(vec!["/api/*".into()])],
            "api",
        ),
        // A lower number wins even though it is listed later.
        rule(
            10,
            vec![Condition::PathPattern(vec!["/api/v2/*".into()])],
            "api-v2",
        ),
        rule(
            20,
            vec![Condition::HostHeader(vec!["*.admin.example.com".into()])],
            "admin",
        ),
        rule(
            30,
            vec![Condition::HttpHeader {
                name: "X-Canary".into(),
                values: vec!["y*".into()],
            }],
            "canary",
        ),
        rule(
            40,
            vec![Condition::HttpRequestMethod(vec!["DELETE".into()])],
            "delete",
        ),
        rule(
            45,
            vec![Condition::QueryString(vec![(
                Some("debug".into()),
                "TRUE".into(),
            )])],
            "debug",
        ),
        rule(
            60,
            vec![Condition::SourceIp(vec!["192.0.2.0/24".parse().unwrap()])],
            "elsewhere",
        ),
        rule(
            70,
            vec![
                Condition::SourceIp(vec!["127.0.0.0/8".parse().unwrap()]),
                Condition::PathPattern(vec!["/local".into()]),
            ],
            "local",
        ),
    ]);
    let (proxy, addr) = start(Config {
        listeners: vec![listener],
        target_groups: vec![],
    })
    .await;

    assert_eq!(get(addr, "/api/v2/x").await.body, "api-v2");
    assert_eq!(get(addr, "/api/v1/x").await.body, "api");
    assert_eq!(
        get(addr, "/API/v1/x").await.body,
        "default",
        "paths are case-sensitive"
    );
    assert_eq!(
        request(addr, "GET", "/", &[("host", "EU.Admin.example.com")])
            .await
            .body,
        "admin"
    );
    assert_eq!(
        request(addr, "GET", "/", &[("x-canary", "YES")]).await.body,
        "canary"
    );
    assert_eq!(request(addr, "DELETE", "/", &[]).await.body, "delete");
    assert_eq!(get(addr, "/?a=1&DEBUG=true").await.body, "debug");
    assert_eq!(get(addr, "/local").await.body, "local");
    assert_eq!(get(addr, "/nowhere").await.body, "default");
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_registered_target_is_503() {
    let (proxy, addr) = start(simple_config(&[])).await;
    let answer = get(addr, "/").await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("server"), Some("awselb/2.0"));
    assert!(
        answer.body.contains("503 Service Unavailable"),
        "{}",
        answer.body
    );
    assert_eq!(proxy.stats().load_balancers[LB].http_code_elb_503_count, 1);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_target_is_retried_elsewhere_then_502() {
    let a = TestTarget::start("a").await;
    let dead = TestTarget::start("dead").await;
    dead.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Health checks off: both are routable, so the refused one is hit and
    // the request retried on the live one.
    let mut config = simple_config(&[&a, &dead]);
    config.target_groups[0].health_check.enabled = false;
    let (proxy, addr) = start(config).await;
    for _ in 0..6 {
        let answer = get(addr, "/").await;
        assert_eq!((answer.status, answer.body.as_str()), (200, "a"));
    }

    // Only the dead one: one retry on it is pointless, 502.
    let mut config = simple_config(&[&dead]);
    config.target_groups[0].health_check.enabled = false;
    proxy.apply(config).await;
    let answer = get(addr, "/").await;
    assert_eq!(answer.status, 502);
    assert_eq!(answer.header("server"), Some("awselb/2.0"));
    assert!(answer.body.contains("502 Bad Gateway"), "{}", answer.body);
    assert_eq!(proxy.stats().load_balancers[LB].http_code_elb_502_count, 1);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_target_is_504_after_the_idle_timeout() {
    let a = TestTarget::start("a").await;
    let mut config = simple_config(&[&a]);
    config.listeners[0].idle_timeout = Duration::from_millis(300);
    let (proxy, addr) = start(config).await;
    let started = std::time::Instant::now();
    let answer = get(addr, "/stall").await;
    assert_eq!(answer.status, 504);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(5));
    // A response within the timeout is fine.
    assert_eq!(get(addr, "/slow?ms=50").await.status, 200);
    assert_eq!(proxy.stats().load_balancers[LB].http_code_elb_504_count, 1);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weighted_forward_never_uses_weight_zero_and_splits_one_to_three() {
    let a = TestTarget::start("a").await;
    let b = TestTarget::start("b").await;
    let c = TestTarget::start("c").await;
    let group = |id: &str, t: &TestTarget| {
        let mut g = TargetGroupConfig::new(id, vec![t.config()]);
        g.health_check.enabled = false;
        g
    };
    let config = Config {
        listeners: vec![ListenerConfig::new(
            LISTENER,
            LB,
            any_port(),
            Action::Forward {
                target_groups: vec![("tg-a".into(), 1), ("tg-b".into(), 3), ("tg-c".into(), 0)],
                stickiness: None,
            },
        )],
        target_groups: vec![group("tg-a", &a), group("tg-b", &b), group("tg-c", &c)],
    };
    let (proxy, addr) = start(config).await;
    for _ in 0..200 {
        assert_eq!(get(addr, "/").await.status, 200);
    }
    assert_eq!(c.hits(), 0, "weight 0 gets nothing");
    let (to_a, to_b) = (a.hits(), b.hits());
    assert_eq!(to_a + to_b, 200);
    // 1:3 → 50 expected; far outside chance for a fair draw.
    assert!((25..=80).contains(&to_a), "a got {to_a}, b got {to_b}");
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_stream_to_the_target() {
    let a = TestTarget::start("a").await;
    let (proxy, addr) = start(simple_config(&[&a])).await;
    let mut sender = http1_client(addr).await;
    let body = http_body_util::Full::new(bytes::Bytes::from(vec![7u8; 100_000]));
    let request = http::Request::post("/upload")
        .header("host", "x")
        .body(body)
        .unwrap();
    let answer = collect(sender.send_request(request).await.unwrap()).await;
    assert_eq!(answer.body, "a got 100000 bytes");
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_targets_are_checked_and_served_over_tls() {
    let a = TestTarget::start_tls("secure").await;
    let mut config = simple_config(&[&a]);
    config.target_groups[0].protocol = berth_elb_proxy::TargetProtocol::Https;
    config.target_groups[0].health_check.protocol = berth_elb_proxy::TargetProtocol::Https;
    let (proxy, addr) = start(config).await;
    all_healthy(&proxy, TG, &[&a]).await;
    for _ in 0..3 {
        let answer = get(addr, "/").await;
        assert_eq!((answer.status, answer.body.as_str()), (200, "secure"));
    }
    assert!(a.health_checks.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn least_outstanding_requests_avoids_the_busy_target() {
    let a = TestTarget::start("a").await;
    let b = TestTarget::start("b").await;
    let mut config = simple_config(&[&a, &b]);
    config.target_groups[0].algorithm = berth_elb_proxy::Algorithm::LeastOutstandingRequests;
    let (proxy, addr) = start(config).await;
    all_healthy(&proxy, TG, &[&a, &b]).await;
    // Keep one request in flight at a time on whichever target gets it.
    let slow = tokio::spawn(async move { get(addr, "/slow?ms=1500").await });
    eventually(Duration::from_secs(5), "slow request in flight", || async {
        a.hits() + b.hits() >= 1
    })
    .await;
    let busy = if a.hits() == 1 { "a" } else { "b" };
    for _ in 0..6 {
        let answer = get(addr, "/").await;
        assert_ne!(
            answer.body, busy,
            "the busy target gets nothing while the other is idle"
        );
    }
    assert_eq!(slow.await.unwrap().status, 200);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_connections_are_a_gauge() {
    let a = TestTarget::start("a").await;
    let (proxy, addr) = start(simple_config(&[&a])).await;
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    let conn = tokio::spawn(conn);
    let request = http::Request::get("/")
        .header("host", "x")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    assert_eq!(
        collect(sender.send_request(request).await.unwrap())
            .await
            .body,
        "a"
    );
    assert_eq!(proxy.stats().load_balancers[LB].active_connection_count, 1);
    drop(sender);
    let _ = conn.await;
    eventually(Duration::from_secs(5), "connection closed", || async {
        proxy.stats().load_balancers[LB].active_connection_count == 0
    })
    .await;
    assert_eq!(proxy.stats().load_balancers[LB].new_connection_count, 1);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_client_connections_are_closed_after_the_idle_timeout() {
    let a = TestTarget::start("a").await;
    let mut config = simple_config(&[&a]);
    config.listeners[0].idle_timeout = Duration::from_millis(200);
    let (proxy, addr) = start(config).await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut all = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut all)).await;
    assert!(read.is_ok(), "the proxy closed the idle connection");
    let text = String::from_utf8_lossy(&all);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    proxy.shutdown().await;
}

/// A target answering every request on a connection with `answer`, then
/// closing the connection after `close_after` (if any). Returns its config
/// and the number of connections it accepted.
async fn raw_target(
    answer: &'static [u8],
    close_after: Option<Duration>,
) -> (
    berth_elb_proxy::TargetConfig,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut seen = Vec::new();
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    seen.extend_from_slice(&buf[..n]);
                    // One answer per request head seen.
                    while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        seen.drain(..end + 4);
                        if stream.write_all(answer).await.is_err() {
                            return;
                        }
                        if let Some(after) = close_after {
                            tokio::time::sleep(after).await;
                            return;
                        }
                    }
                }
            });
        }
    });
    let mut config = berth_elb_proxy::TargetConfig::ip(addr);
    config.id = format!("raw-{}", addr.port());
    (config, accepted)
}

fn raw_config(target: berth_elb_proxy::TargetConfig) -> Config {
    let mut config = config_for(vec![target]);
    config.target_groups[0].health_check.enabled = false;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_answers_are_relayed_and_their_connection_reused() {
    let (target, accepted) = raw_target(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Raw: 1\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        None,
    )
    .await;
    let (proxy, addr) = start(raw_config(target)).await;
    for _ in 0..5 {
        let answer = get(addr, "/").await;
        assert_eq!((answer.status, answer.body.as_str()), (200, "hello world"));
        assert_eq!(answer.header("x-raw"), Some("1"));
    }
    // The proxy's workers each keep their own keep-alive connections.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        accepted.load(std::sync::atomic::Ordering::SeqCst) <= cores,
        "connections reused"
    );
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_answer_read_slowly_arrives_whole_and_its_connection_is_reused() {
    // 4 MiB: far more than the sockets and hyper buffer, so the target's
    // connection is driven again and again as the client makes room.
    const LEN: usize = 4 << 20;
    let mut answer = format!("HTTP/1.1 200 OK\r\nContent-Length: {LEN}\r\n\r\n").into_bytes();
    answer.extend((0..LEN).map(|i| (i % 251) as u8));
    let answer: &'static [u8] = Box::leak(answer.into_boxed_slice());
    let (target, accepted) = raw_target(answer, None).await;
    let (proxy, addr) = start(raw_config(target)).await;
    let mut sender = http1_client(addr).await;
    for _ in 0..2 {
        let request = http::Request::get("/big")
            .header("host", "x")
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap();
        let mut body = sender.send_request(request).await.unwrap().into_body();
        let mut got = Vec::with_capacity(LEN);
        let mut frames = 0u32;
        while let Some(frame) = http_body_util::BodyExt::frame(&mut body).await {
            if let Ok(data) = frame.unwrap().into_data() {
                got.extend_from_slice(&data);
            }
            frames += 1;
            if frames.is_multiple_of(16) {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        assert_eq!(got.len(), LEN);
        assert!(
            got.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8),
            "the bytes arrive in order"
        );
    }
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one client connection, one worker: one target connection"
    );
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_closing_idle_connections_costs_no_request() {
    let (target, accepted) = raw_target(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        Some(Duration::from_millis(20)),
    )
    .await;
    let (proxy, addr) = start(raw_config(target)).await;
    for method in ["GET", "POST", "GET", "DELETE"] {
        let answer = request(addr, method, "/", &[]).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (200, "ok"),
            "{method}"
        );
        // Let the target close the kept-alive connection meanwhile.
        tokio::time::sleep(Duration::from_millis(80)).await;
    }
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst),
        4,
        "a closed connection is never reused"
    );
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_delimited_by_close_and_garbage() {
    let (target, _) = raw_target(
        b"HTTP/1.1 200 OK\r\n\r\nuntil the end",
        Some(Duration::ZERO),
    )
    .await;
    let (proxy, addr) = start(raw_config(target)).await;
    let answer = get(addr, "/").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, "until the end")
    );
    proxy.shutdown().await;

    let (target, _) = raw_target(b"SSH-2.0-OpenSSH_9.0\r\n\r\n", None).await;
    let (proxy, addr) = start(raw_config(target)).await;
    assert_eq!(get(addr, "/").await.status, 502);
    proxy.shutdown().await;
}

/// An HTTP/1.1 client connection to `addr`.
async fn http1_client<B>(addr: std::net::SocketAddr) -> hyper::client::conn::http1::SendRequest<B>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    sender
}
