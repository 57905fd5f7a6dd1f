//! Shared fixture for the SDK contract tests (`tests/sdk_*.rs`): runs the real
//! `berth dev` binary on a free loopback port with a temporary data directory, and
//! builds official AWS SDK clients pointed at it. Helpers used by several test files
//! live in the submodules.
//!
//! Every test starts its own server with an empty data directory, so counts and
//! listings are exact. Run them all with `cargo test -p berth --test 'sdk_*'`.

#![allow(dead_code, clippy::unwrap_used)]

pub mod container_instances;
pub mod docker;
pub mod fixtures;
pub mod rich_task_definition;

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_ecs::Client;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "000000000000";
pub const ACCESS_KEY: &str = "test";
pub const SECRET_KEY: &str = "test";

/// How long a freshly spawned server may take to answer `GET /health` (the test
/// machine is small and other builds may be running).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `berth dev` process. Killed (SIGKILL) when dropped; the data directory
/// lives as long as this value, across [`Berth::kill_and_restart`].
pub struct Berth {
    child: Option<Child>,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    args: Vec<String>,
}

impl Berth {
    /// Starts `berth dev` on a free port with a new, empty data directory.
    pub fn start() -> Berth {
        Berth::start_with(&["--no-agent"])
    }

    /// Starts `berth dev` with extra arguments (e.g. none, to run the local agent).
    pub fn start_with(args: &[&str]) -> Berth {
        let dir = tempfile::Builder::new()
            .prefix("berth-sdk-contract-")
            .tempdir()
            .expect("creating a temp dir");
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (child, addr) = spawn(&dir, &args);
        Berth {
            child: Some(child),
            addr,
            dir,
            args,
        }
    }

    /// `http://127.0.0.1:PORT` of the running server.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A client signing with the dev credentials (`test` / `test`).
    pub async fn client(&self) -> Client {
        self.client_with(ACCESS_KEY, SECRET_KEY).await
    }

    /// An aws-sdk-cloudwatchlogs client signing with the given key pair.
    pub async fn logs_client_with(
        &self,
        access_key: &str,
        secret_key: &str,
    ) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(
            &sdk_config(&self.endpoint(), access_key, secret_key).await,
        )
    }

    pub async fn logs_client(&self) -> aws_sdk_cloudwatchlogs::Client {
        self.logs_client_with(ACCESS_KEY, SECRET_KEY).await
    }

    /// A client signing with the given key pair.
    pub async fn client_with(&self, access_key: &str, secret_key: &str) -> Client {
        sdk_client(&self.endpoint(), access_key, secret_key).await
    }

    /// `kill -9` the server (no chance to flush or shut down cleanly), then start a
    /// new one on the same data directory. The port changes: build a new client.
    pub fn kill_and_restart(&mut self) {
        self.kill9();
        let (child, addr) = spawn(&self.dir, &self.args);
        self.child = Some(child);
        self.addr = addr;
    }

    /// `kill -9`, then start again on the same data directory and the same port (so
    /// agents configured with the endpoint find it again).
    pub fn kill_and_restart_same_port(&mut self) {
        self.kill9();
        let (child, addr) = spawn_on(&self.dir, &self.args, Some(self.addr));
        self.child = Some(child);
        self.addr = addr;
    }

    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            // `Child::kill` sends SIGKILL on Unix.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The server's combined stdout/stderr so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("berth.log")).unwrap_or_default()
    }
}

impl Drop for Berth {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Spawns `berth dev` on the data dir under `dir` and waits until `/health` answers
/// 200. Retries on a new port if the chosen one was taken between picking and binding.
fn spawn(dir: &tempfile::TempDir, args: &[String]) -> (Child, SocketAddr) {
    spawn_on(dir, args, None)
}

fn spawn_on(
    dir: &tempfile::TempDir,
    args: &[String],
    fixed: Option<SocketAddr>,
) -> (Child, SocketAddr) {
    let data_dir = dir.path().join("data");
    let log_path = dir.path().join("berth.log");
    let mut last_err = String::new();
    for _attempt in 0..5 {
        let addr = fixed.unwrap_or_else(free_port);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("opening the server log");
        let log_err = log.try_clone().expect("cloning the log handle");
        let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("dev")
            .args(args)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data-dir")
            .arg(&data_dir)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .expect("spawning the berth binary");
        match wait_healthy(&mut child, addr) {
            Ok(()) => return (child, addr),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                last_err = e;
            }
        }
    }
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    panic!("berth dev did not become healthy: {last_err}\n--- server log ---\n{log}");
}

pub fn free_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding an ephemeral port");
    l.local_addr().expect("local addr")
}

fn wait_healthy(child: &mut Child, addr: SocketAddr) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("berth exited early with {status}"));
        }
        if health_ok(addr) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no 200 from GET /health on {addr} within {START_TIMEOUT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A raw `GET /health` over a plain TCP connection; true on a 200 status line.
pub fn health_ok(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    while got.len() < 12 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got.starts_with(b"HTTP/1.1 200") || got.starts_with(b"HTTP/1.0 200")
}

/// An official SDK client for the endpoint. Plain HTTP (no TLS needed on loopback),
/// no retries (so a wrong answer is never papered over), bounded timeouts.
pub async fn sdk_client(endpoint: &str, access_key: &str, secret_key: &str) -> Client {
    Client::new(&sdk_config(endpoint, access_key, secret_key).await)
}

/// The SDK configuration every service's client is made from.
pub async fn sdk_config(
    endpoint: &str,
    access_key: &str,
    secret_key: &str,
) -> aws_config::SdkConfig {
    sdk_config_inner(endpoint, access_key, secret_key, None).await
}

/// [`sdk_config`] with temporary credentials (an STS session's).
#[allow(dead_code)] // not every test binary that shares this module signs with a session
pub async fn sdk_config_with_token(
    endpoint: &str,
    access_key: &str,
    secret_key: &str,
    session_token: &str,
) -> aws_config::SdkConfig {
    sdk_config_inner(endpoint, access_key, secret_key, Some(session_token)).await
}

async fn sdk_config_inner(
    endpoint: &str,
    access_key: &str,
    secret_key: &str,
    session_token: Option<&str>,
) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new().build_http();
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            access_key.to_string(),
            secret_key.to_string(),
            session_token.map(str::to_owned),
            None,
            "berth",
        ))
        .http_client(http)
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .load()
        .await
}

pub fn cluster_arn(name: &str) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{name}")
}

pub fn task_definition_arn(family: &str, revision: i32) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}")
}
