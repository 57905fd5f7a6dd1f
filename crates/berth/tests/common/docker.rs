//! Real-container fixtures: a test image built on the host (no registry can be reached
//! here) from Debian's static busybox, imported through the Docker Engine API, plus waiting
//! and plain-HTTP helpers.

use std::future::Future;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::Task;
use aws_sdk_ecs::Client;
use berth_agent::runtime::docker::DockerRuntime;
use berth_agent::runtime::Runtime;

/// The image every container test runs: busybox (sh, httpd, wget, sleep, …) and
/// `/www/index.html` saying "hello from berth".
pub const IMAGE: &str = "berth-test/busybox:latest";

const APPLETS: &[&str] = &[
    "sh", "httpd", "sleep", "echo", "wget", "cat", "true", "false", "ls", "env", "kill", "touch",
    "test", "date", "hostname", "ip", "id", "trap", "mkdir", "rm",
];

/// Where Debian's busybox-static is: `BERTH_TEST_BUSYBOX`, or the usual paths.
fn busybox() -> PathBuf {
    if let Some(p) = std::env::var_os("BERTH_TEST_BUSYBOX") {
        return PathBuf::from(p);
    }
    for p in ["/bin/busybox", "/usr/bin/busybox"] {
        if std::path::Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "the container tests need a static busybox: install Debian's busybox-static or set \
         BERTH_TEST_BUSYBOX (scripts/test fetches it)"
    );
}

/// Builds [`IMAGE`] (idempotent) and answers a runtime for inspecting containers.
pub async fn image() -> Arc<DockerRuntime> {
    let runtime = Arc::new(
        DockerRuntime::connect()
            .await
            .expect("these tests need the Docker Engine"),
    );
    let exe = std::fs::read(busybox()).expect("reading busybox");
    let mut builder = tar::Builder::new(Vec::new());
    let add_dir = |path: &str, b: &mut tar::Builder<Vec<u8>>| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        h.set_cksum();
        b.append_data(&mut h, path, std::io::empty())
            .expect("tar dir");
    };
    for d in ["bin", "www", "tmp", "data"] {
        add_dir(d, &mut builder);
    }
    let mut h = tar::Header::new_gnu();
    h.set_size(exe.len() as u64);
    h.set_mode(0o755);
    h.set_cksum();
    builder
        .append_data(&mut h, "bin/busybox", exe.as_slice())
        .expect("tar busybox");
    for applet in APPLETS {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        builder
            .append_link(&mut h, format!("bin/{applet}"), "busybox")
            .expect("tar link");
    }
    let page = b"hello from berth\n";
    let mut h = tar::Header::new_gnu();
    h.set_size(page.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    builder
        .append_data(&mut h, "www/index.html", &page[..])
        .expect("tar page");
    let archive = builder.into_inner().expect("tar");
    runtime
        .import(
            IMAGE,
            archive,
            vec!["ENV PATH=/bin".into(), r#"CMD ["/bin/sh"]"#.into()],
        )
        .await
        .expect("importing the test image");
    runtime
}

/// Polls `check` every 100 ms until it answers `Some`, or panics after `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The task as DescribeTasks shows it.
pub async fn describe(client: &Client, cluster: &str, arn: &str) -> Task {
    let out = client
        .describe_tasks()
        .cluster(cluster)
        .tasks(arn)
        .send()
        .await
        .expect("DescribeTasks");
    out.tasks().first().cloned().expect("the task")
}

/// Waits until the task's lastStatus is `status`.
pub async fn wait_status(
    client: &Client,
    cluster: &str,
    arn: &str,
    status: &str,
    timeout: Duration,
) -> Task {
    wait_for(&format!("task {arn} to be {status}"), timeout, || async {
        let t = describe(client, cluster, arn).await;
        (t.last_status() == Some(status)).then_some(t)
    })
    .await
}

/// A plain HTTP/1.0 GET; the body on a 200.
pub fn http_get(addr: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let (head, body) = out.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.").then_some(())?;
    head.split_whitespace().nth(1).filter(|c| *c == "200")?;
    Some(body.to_owned())
}

/// Waits for the container instance the local agent registers in `cluster`.
pub async fn wait_instance(client: &Client, cluster: &str) -> String {
    wait_for(
        "the local agent to join",
        Duration::from_secs(60),
        || async {
            let out = client
                .list_container_instances()
                .cluster(cluster)
                .send()
                .await
                .ok()?;
            out.container_instance_arns().first().cloned()
        },
    )
    .await
}

/// Force-removes every container of the agent whose data dir is `agent_dir` (by its owner
/// label), with the docker CLI so it works from `Drop`.
pub fn remove_owned(agent_dir: &std::path::Path) {
    let Ok(state) = std::fs::read(agent_dir.join("agent-state.json")) else {
        return;
    };
    let Ok(state) = serde_json::from_slice::<serde_json::Value>(&state) else {
        return;
    };
    let Some(owner) = state["owner"].as_str() else {
        return;
    };
    let Ok(out) = std::process::Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=berth.owner={owner}"),
        ])
        .output()
    else {
        return;
    };
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if !ids.is_empty() {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", "-v"])
            .args(&ids)
            .output();
    }
}

/// A `berth dev` with its local agent on the Docker Engine, for container tests. Dropped
/// however the test ends: the process is killed first (so nothing starts replacements),
/// then its containers are removed.
pub struct Dev {
    pub berth: crate::common::Berth,
}

impl Dev {
    /// Builds the test image, starts `berth dev` and waits for its host in `cluster`.
    pub async fn start(cluster: &str) -> (Dev, Client) {
        image().await;
        let berth = crate::common::Berth::start_with(&[]);
        let client = berth.client().await;
        wait_instance(&client, cluster).await;
        (Dev { berth }, client)
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        self.berth.kill9();
        remove_owned(&self.berth.data_dir().join("agent"));
    }
}

/// Runs one task of `family` and waits until it is RUNNING.
pub async fn run_one(client: &Client, cluster: &str, family: &str, timeout: Duration) -> Task {
    let out = client
        .run_task()
        .cluster(cluster)
        .task_definition(family)
        .send()
        .await
        .expect("RunTask");
    assert!(out.failures().is_empty(), "{:?}", out.failures());
    let arn = out.tasks()[0].task_arn().expect("arn").to_owned();
    wait_status(client, cluster, &arn, "RUNNING", timeout).await
}

/// Waits until the task is RUNNING with an address in its ENI attachment; answers both.
pub async fn wait_task_ip(
    client: &Client,
    cluster: &str,
    arn: &str,
    timeout: Duration,
) -> (Task, String) {
    wait_for("the task's address", timeout, || async {
        let t = describe(client, cluster, arn).await;
        let ip = t
            .attachments()
            .iter()
            .flat_map(|a| a.details())
            .find_map(|d| {
                (d.name() == Some("privateIPv4Address"))
                    .then(|| d.value().unwrap_or_default().to_owned())
            })?;
        (t.last_status() == Some("RUNNING")).then_some((t, ip))
    })
    .await
}
