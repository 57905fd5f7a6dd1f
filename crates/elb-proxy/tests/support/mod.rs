//! Test targets (tiny hyper servers), a tiny client, and polling helpers.
#![allow(dead_code, clippy::unwrap_used)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_elb_proxy::{
    Action, Config, HealthCheckConfig, HealthState, ListenerConfig, Proxy, TargetConfig,
    TargetGroupConfig,
};
use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A target server. Paths:
/// - `/health`: the status in `health_status` (200 at first);
/// - `/slow?ms=N`: answers after N ms;
/// - `/stall`: never answers;
/// - `/headers`: the request's headers as `name: value` lines;
/// - `/ws` with `Upgrade`: 101, then echoes bytes;
/// - anything else: the target's name, with `x-target: <name>`.
///
/// `hits` counts requests other than health checks.
pub struct TestTarget {
    pub name: String,
    pub addr: SocketAddr,
    pub hits: Arc<AtomicUsize>,
    pub health_checks: Arc<AtomicUsize>,
    pub health_status: Arc<AtomicU16>,
    kill: watch::Sender<bool>,
}

impl TestTarget {
    pub async fn start(name: &str) -> TestTarget {
        Self::start_on(name, "127.0.0.1:0".parse().unwrap()).await
    }

    pub async fn start_on(name: &str, addr: SocketAddr) -> TestTarget {
        Self::start_with(name, addr, false).await
    }

    /// A target speaking HTTPS (a self-signed certificate).
    pub async fn start_tls(name: &str) -> TestTarget {
        Self::start_with(name, "127.0.0.1:0".parse().unwrap(), true).await
    }

    async fn start_with(name: &str, addr: SocketAddr, tls: bool) -> TestTarget {
        let acceptor = tls.then(tls_acceptor);
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (kill, kill_rx) = watch::channel(false);
        let target = TestTarget {
            name: name.to_owned(),
            addr,
            hits: Arc::default(),
            health_checks: Arc::default(),
            health_status: Arc::new(AtomicU16::new(200)),
            kill,
        };
        let state = Arc::new(State {
            name: name.to_owned(),
            hits: target.hits.clone(),
            health_checks: target.health_checks.clone(),
            health_status: target.health_status.clone(),
        });
        tokio::spawn(async move {
            let mut kill_rx = kill_rx;
            loop {
                tokio::select! {
                    _ = kill_rx.changed() => return,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let state = state.clone();
                        let mut kill_rx = kill_rx.clone();
                        let acceptor = acceptor.clone();
                        tokio::spawn(async move {
                            let service = service_fn(move |req| handle(state.clone(), req));
                            let builder = hyper::server::conn::http1::Builder::new();
                            match acceptor {
                                None => {
                                    let conn = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
                                    tokio::select! {
                                        _ = conn => {}
                                        _ = kill_rx.changed() => {}
                                    }
                                }
                                Some(acceptor) => {
                                    let Ok(stream) = acceptor.accept(stream).await else { return };
                                    let conn = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
                                    tokio::select! {
                                        _ = conn => {}
                                        _ = kill_rx.changed() => {}
                                    }
                                }
                            }
                        });
                    }
                }
            }
        });
        target
    }

    /// Closes the listener and every connection.
    pub fn stop(&self) {
        let _ = self.kill.send(true);
    }

    pub fn config(&self) -> TargetConfig {
        TargetConfig {
            id: self.name.clone(),
            port: self.addr.port(),
            addr: self.addr,
            availability_zone: None,
        }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(SeqCst)
    }
}

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    let cert = rcgen::generate_simple_self_signed(vec!["target.local".to_owned()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

struct State {
    name: String,
    hits: Arc<AtomicUsize>,
    health_checks: Arc<AtomicUsize>,
    health_status: Arc<AtomicU16>,
}

type TestBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

fn text(status: u16, body: impl Into<Bytes>) -> Response<TestBody> {
    let mut r = Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r
}

async fn handle(
    state: Arc<State>,
    mut req: Request<Incoming>,
) -> Result<Response<TestBody>, Infallible> {
    let is_check = req
        .headers()
        .get("user-agent")
        .is_some_and(|v| v.as_bytes().starts_with(b"ELB-HealthChecker"));
    if is_check {
        state.health_checks.fetch_add(1, SeqCst);
        return Ok(text(state.health_status.load(SeqCst), "health"));
    }
    state.hits.fetch_add(1, SeqCst);
    let path = req.uri().path().to_owned();
    match path.as_str() {
        "/health" => Ok(text(state.health_status.load(SeqCst), "health")),
        "/slow" => {
            let ms: u64 = req
                .uri()
                .query()
                .and_then(|q| q.strip_prefix("ms="))
                .and_then(|v| v.parse().ok())
                .unwrap_or(500);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(named(&state.name))
        }
        "/stall" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(named(&state.name))
        }
        // Sets the application's session cookie (app_cookie stickiness).
        "/login" => {
            let mut r = named(&state.name);
            r.headers_mut().insert(
                hyper::header::SET_COOKIE,
                hyper::header::HeaderValue::from_static("SESSION=s1; Path=/"),
            );
            Ok(r)
        }
        "/headers" => {
            let mut out = String::new();
            for (k, v) in req.headers() {
                out.push_str(&format!("{}: {}\n", k, v.to_str().unwrap_or("?")));
            }
            Ok(text(200, out))
        }
        "/upload" => {
            let body = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok(text(
                200,
                format!("{} got {} bytes", state.name, body.len()),
            ))
        }
        "/ws" if req.headers().contains_key("upgrade") => {
            let on = hyper::upgrade::on(&mut req);
            tokio::spawn(async move {
                if let Ok(upgraded) = on.await {
                    let mut io = TokioIo::new(upgraded);
                    let mut buf = [0u8; 1024];
                    loop {
                        match io.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if io.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                }
            });
            let mut r = Response::new(Empty::new().boxed());
            *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            r.headers_mut().insert("upgrade", "echo".parse().unwrap());
            r.headers_mut()
                .insert("connection", "upgrade".parse().unwrap());
            Ok(r)
        }
        _ => Ok(named(&state.name)),
    }
}

fn named(name: &str) -> Response<TestBody> {
    let mut r = text(200, name.to_owned());
    r.headers_mut().insert("x-target", name.parse().unwrap());
    r
}

/// A finished response.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One request on a new HTTP/1.1 connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Answer {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut builder = Request::builder().method(method).uri(path);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        builder = builder.header("host", "app.example.com");
    }
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let response = sender
        .send_request(builder.body(Empty::<Bytes>::new()).unwrap())
        .await
        .unwrap();
    collect(response).await
}

pub async fn get(addr: SocketAddr, path: &str) -> Answer {
    request(addr, "GET", path, &[]).await
}

pub async fn collect(response: Response<Incoming>) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// Polls `check` until it holds or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Fast health checks on `/health`: every 100 ms, 2 to become healthy or
/// unhealthy.
pub fn fast_checks() -> HealthCheckConfig {
    HealthCheckConfig {
        path: "/health".into(),
        interval: Duration::from_millis(100),
        timeout: Duration::from_millis(500),
        healthy_threshold: 2,
        unhealthy_threshold: 2,
        ..HealthCheckConfig::default()
    }
}

pub const LISTENER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/1";
pub const LB: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1";
pub const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1";

pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// One listener forwarding to one group of `targets` with fast checks.
pub fn simple_config(targets: &[&TestTarget]) -> Config {
    config_for(targets.iter().map(|t| t.config()).collect())
}

/// [`simple_config`] from target configs.
pub fn config_for(targets: Vec<TargetConfig>) -> Config {
    let mut group = TargetGroupConfig::new(TG, targets);
    group.health_check = fast_checks();
    group.deregistration_delay = Duration::from_secs(30);
    Config {
        listeners: vec![ListenerConfig::new(
            LISTENER,
            LB,
            any_port(),
            Action::forward(TG),
        )],
        target_groups: vec![group],
    }
}

/// Starts a proxy and returns it with the address of its first listener.
pub async fn start(config: Config) -> (Proxy, SocketAddr) {
    let id = config.listeners[0].id.clone();
    let (proxy, report) = Proxy::start(config).await;
    assert!(report.bind_errors.is_empty(), "{report:?}");
    assert!(report.problems.is_empty(), "{report:?}");
    let addr = proxy.local_addr(&id).unwrap();
    (proxy, addr)
}

pub fn state_of(proxy: &Proxy, tg: &str, target: &TestTarget) -> Option<HealthState> {
    proxy
        .health()
        .get(tg, &target.name, target.addr.port())
        .map(|h| h.state)
}

/// Waits until every target is healthy.
pub async fn all_healthy(proxy: &Proxy, tg: &str, targets: &[&TestTarget]) {
    eventually(Duration::from_secs(10), "targets healthy", || async {
        targets
            .iter()
            .all(|t| state_of(proxy, tg, t) == Some(HealthState::Healthy))
    })
    .await;
}
