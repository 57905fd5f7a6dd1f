//! Upgrades, HTTPS with SNI, HTTP/2, and stickiness cookies.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use berth_elb_proxy::{
    Action, Certificate, Config, ListenerConfig, Stickiness, TargetGroupConfig, TlsConfig,
};
use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_become_tunnels() {
    let a = TestTarget::start("a").await;
    let (proxy, addr) = start(simple_config(&[&a])).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            stream.read(&mut byte).await.unwrap(),
            1,
            "closed during the head"
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: echo"), "{head}");
    for message in [&b"hello"[..], b"second message"] {
        stream.write_all(message).await.unwrap();
        let mut echoed = vec![0u8; message.len()];
        tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut echoed))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(echoed, message);
    }
    drop(stream);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_prior_knowledge_is_served() {
    let a = TestTarget::start("a").await;
    let (proxy, addr) = start(simple_config(&[&a])).await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    for _ in 0..3 {
        let request = http::Request::get(format!("http://app.example.com:{}/headers", addr.port()))
            .header("cookie", "a=1")
            .header("cookie", "b=2")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let answer = collect(sender.send_request(request).await.unwrap()).await;
        assert_eq!(answer.status, 200);
        assert!(
            answer
                .body
                .contains(&format!("host: app.example.com:{}\n", addr.port())),
            "{}",
            answer.body
        );
        assert!(
            answer.body.contains("cookie: a=1; b=2\n"),
            "{}",
            answer.body
        );
    }
    assert_eq!(proxy.stats().load_balancers[LB].new_connection_count, 1);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_can_be_turned_off() {
    let a = TestTarget::start("a").await;
    let mut config = simple_config(&[&a]);
    config.listeners[0].http2 = false;
    let (proxy, addr) = start(config).await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let handshake =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await;
    let refused = match handshake {
        Err(_) => true,
        Ok((mut sender, conn)) => {
            tokio::spawn(conn);
            let request = http::Request::get("http://x/")
                .body(Empty::<Bytes>::new())
                .unwrap();
            sender.send_request(request).await.is_err()
        }
    };
    assert!(refused, "an HTTP/1-only listener must not speak h2");
    assert_eq!(get(addr, "/").await.body, "a");
    proxy.shutdown().await;
}

fn self_signed(name: &str) -> (Certificate, Vec<u8>) {
    let cert = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
    (
        Certificate {
            chain_pem: cert.cert.pem(),
            key_pem: cert.key_pair.serialize_pem(),
        },
        cert.cert.der().to_vec(),
    )
}

/// The test client trusts anything; it checks which certificate it got.
#[derive(Debug)]
struct TrustAll;

impl ServerCertVerifier for TrustAll {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

async fn tls_connect(
    addr: std::net::SocketAddr,
    sni: &str,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .dangerous()
    .with_custom_certificate_verifier(Arc::new(TrustAll))
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = TcpStream::connect(addr).await.unwrap();
    connector
        .connect(ServerName::try_from(sni.to_owned()).unwrap(), stream)
        .await
        .unwrap()
}

fn peer_cert(stream: &tokio_rustls::client::TlsStream<TcpStream>) -> Vec<u8> {
    stream.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_listener_picks_its_certificate_by_sni_and_speaks_h2() {
    let a = TestTarget::start("a").await;
    let (default_cert, default_der) = self_signed("default.example.com");
    let (api_cert, api_der) = self_signed("*.api.example.com");
    let mut config = simple_config(&[&a]);
    config.listeners[0].tls = Some(TlsConfig {
        certificates: vec![default_cert, api_cert],
    });
    let (proxy, addr) = start(config).await;

    // HTTP/1.1, SNI matching the wildcard of the second certificate.
    let tls = tls_connect(addr, "eu.api.example.com", &[b"http/1.1"]).await;
    assert_eq!(peer_cert(&tls), api_der);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = http::Request::get("/headers")
        .header("host", "eu.api.example.com")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let answer = collect(sender.send_request(request).await.unwrap()).await;
    assert!(
        answer.body.contains("x-forwarded-proto: https\n"),
        "{}",
        answer.body
    );

    // An unknown name gets the default certificate; ALPN h2 gives HTTP/2.
    let tls = tls_connect(addr, "other.example.org", &[b"h2", b"http/1.1"]).await;
    assert_eq!(peer_cert(&tls), default_der);
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    let request = http::Request::get("https://other.example.org/")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let answer = collect(sender.send_request(request).await.unwrap()).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "a"));
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_certificates_are_a_bind_error() {
    let mut config = simple_config(&[]);
    config.listeners[0].tls = Some(TlsConfig {
        certificates: vec![Certificate {
            chain_pem: "not a certificate".into(),
            key_pem: "nor a key".into(),
        }],
    });
    let (proxy, report) = berth_elb_proxy::Proxy::start(config).await;
    assert_eq!(report.bind_errors.len(), 1, "{report:?}");
    assert!(proxy.local_addr(LISTENER).is_none());
    proxy.shutdown().await;
}

fn cookie_pair<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lb_cookie_stickiness_pins_a_client_to_its_target() {
    let a = TestTarget::start("a").await;
    let b = TestTarget::start("b").await;
    let mut config = simple_config(&[&a, &b]);
    config.target_groups[0].stickiness = Some(Stickiness::LbCookie {
        duration: Duration::from_secs(3600),
    });
    let (proxy, addr) = start(config).await;
    all_healthy(&proxy, TG, &[&a, &b]).await;

    let first = get(addr, "/").await;
    let cookie = cookie_pair(&first, "AWSALB").unwrap().to_owned();
    let cors = first
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("AWSALBCORS="))
        .unwrap()
        .to_owned();
    assert!(
        cors.contains("SameSite=None") && cors.contains("Secure"),
        "{cors}"
    );
    for _ in 0..8 {
        let answer = request(addr, "GET", "/", &[("cookie", &cookie)]).await;
        assert_eq!(answer.body, first.body, "sticky");
    }
    // Without the cookie, round robin again.
    let names: std::collections::HashSet<String> = {
        let mut names = std::collections::HashSet::new();
        for _ in 0..4 {
            names.insert(get(addr, "/").await.body);
        }
        names
    };
    assert_eq!(names.len(), 2);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_cookie_stickiness_follows_the_applications_cookie() {
    let a = TestTarget::start("a").await;
    let b = TestTarget::start("b").await;
    let mut config = simple_config(&[&a, &b]);
    config.target_groups[0].stickiness = Some(Stickiness::AppCookie {
        cookie_name: "SESSION".into(),
        duration: Duration::from_secs(600),
    });
    let (proxy, addr) = start(config).await;
    all_healthy(&proxy, TG, &[&a, &b]).await;

    // No application cookie in the answer: no stickiness cookie either.
    let plain = get(addr, "/").await;
    assert!(cookie_pair(&plain, "AWSALBAPP-0").is_none());
    assert!(cookie_pair(&plain, "AWSALB").is_none());
    // The application sets its cookie: the load balancer adds its own,
    // and passes the application's through.
    let login = get(addr, "/login").await;
    assert_eq!(cookie_pair(&login, "SESSION"), Some("SESSION=s1"));
    let pin = cookie_pair(&login, "AWSALBAPP-0").unwrap().to_owned();
    for _ in 0..8 {
        let answer = request(
            addr,
            "GET",
            "/",
            &[("cookie", &format!("SESSION=s1; {pin}"))],
        )
        .await;
        assert_eq!(answer.body, login.body, "sticky");
    }
    let names: std::collections::HashSet<String> = {
        let mut names = std::collections::HashSet::new();
        for _ in 0..4 {
            names.insert(get(addr, "/").await.body);
        }
        names
    };
    assert_eq!(names.len(), 2, "without the cookie, round robin");
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_group_stickiness_pins_a_client_to_its_group() {
    let a = TestTarget::start("a").await;
    let b = TestTarget::start("b").await;
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
                target_groups: vec![("tg-a".into(), 1), ("tg-b".into(), 1)],
                stickiness: Some(Duration::from_secs(600)),
            },
        )],
        target_groups: vec![group("tg-a", &a), group("tg-b", &b)],
    };
    let (proxy, addr) = start(config).await;
    let first = get(addr, "/").await;
    let cookie = cookie_pair(&first, "AWSALBTG").unwrap().to_owned();
    for _ in 0..10 {
        assert_eq!(
            request(addr, "GET", "/", &[("cookie", &cookie)]).await.body,
            first.body
        );
    }
    proxy.shutdown().await;
}
