//! The task runner against the in-memory runtime: what it starts, in which order, what it
//! reports, and when it restarts or stops containers.

mod awslogs;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use crate::awslogs::fake::FakeSink;
use crate::awslogs::{ShipSettings, Shipping};
use crate::config::{AgentConfig, PullBehavior};
use crate::images::Images;
use crate::pull_source::fake::FakeCredentials;
use crate::pull_source::PullSources;
use crate::registry::Registry;
use crate::reporter::{Report, Reporter};
use crate::runner::{self, Assignment, Desired};
use crate::runtime::fake::FakeRuntime;
use crate::shared::Shared;

/// A secret the fake secret store holds (a JSON object with key `password`).
const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf";

/// A secret holding a private registry's login.
const REGISTRY_SECRET: &str = "arn:aws:secretsmanager:us-east-1:000000000000:secret:reg-AbCdEf";

fn shared(fake: Arc<FakeRuntime>) -> (Arc<Shared>, mpsc::UnboundedReceiver<Report>) {
    shared_with(fake, Arc::new(FakeSink::new()), &std::env::temp_dir())
}

/// Shared state whose awslogs output goes to `sink`, with cursors under `data_dir`.
fn shared_with(
    fake: Arc<FakeRuntime>,
    sink: Arc<FakeSink>,
    data_dir: &Path,
) -> (Arc<Shared>, mpsc::UnboundedReceiver<Report>) {
    shared_pulling(fake, sink, data_dir, PullBehavior::PreferCached)
}

/// As [`shared_with`], pulling images as `behavior` says.
fn shared_pulling(
    fake: Arc<FakeRuntime>,
    sink: Arc<FakeSink>,
    data_dir: &Path,
    behavior: PullBehavior,
) -> (Arc<Shared>, mpsc::UnboundedReceiver<Report>) {
    let (reporter, reports) = Reporter::capture();
    let mut cfg = AgentConfig::new("http://127.0.0.1:1", data_dir.to_owned());
    cfg.task_cleanup_secs = 0;
    cfg.stop_timeout_secs = 1;
    let mut logs = Shipping::new(sink, data_dir);
    logs.settings = ShipSettings {
        flush_every: Duration::from_millis(40),
        event_idle: Duration::from_millis(40),
        retry_min: Duration::from_millis(2),
        retry_max: Duration::from_millis(10),
        prepare_tries: 2,
    };
    let shared = Shared {
        runtime: fake.clone(),
        reporter,
        registry: Arc::new(Registry::new(fake.clone())),
        cfg: Arc::new(cfg),
        owner: "owner-test".into(),
        images: Images::new(
            fake,
            PullSources::new(
                Arc::new(FakeCredentials::serving("127.0.0.1:5454", 43200.0)),
                "us-east-1",
            ),
            behavior,
            2,
        ),
        bridge_metadata: Some("http://172.17.0.1:51679".into()),
        task_metadata: None,
        logs,
        secrets: Arc::new(crate::secrets::fake::FakeSecrets::with(&[
            (SECRET_ARN, r#"{"password":"pw-from-asm"}"#),
            ("/app/token", "tok-from-ssm"),
            (
                REGISTRY_SECRET,
                r#"{"username":"robot","password":"pw-reg"}"#,
            ),
        ])),
        roles: Arc::new(crate::task_roles::TaskRoles::new(
            Arc::new(crate::task_roles::fake::FakeRoles::default()),
            "owner-test",
        )),
        credentials_port: None,
        endpoint: berth_client::Endpoint::new("http://127.0.0.1:1", "test", "test", "us-east-1")
            .expect("endpoint"),
    };
    (Arc::new(shared), reports)
}

fn assignment(containers: Value) -> Assignment {
    Assignment {
        cluster: "arn:aws:ecs:us-east-1:000000000000:cluster/c".into(),
        instance: "arn:aws:ecs:us-east-1:000000000000:container-instance/c/i1".into(),
        task: serde_json::from_value(json!({
            "taskArn": "arn:aws:ecs:us-east-1:000000000000:task/c/t1",
            "clusterArn": "arn:aws:ecs:us-east-1:000000000000:cluster/c",
            "lastStatus": "PENDING"
        }))
        .expect("task"),
        definition: serde_json::from_value(json!({
            "family": "fam", "revision": 1, "containerDefinitions": containers
        }))
        .expect("definition"),
    }
}

/// Collects reports until a task-level STOPPED report arrives; answers them all.
async fn until_stopped(reports: &mut mpsc::UnboundedReceiver<Report>) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let r = tokio::time::timeout(Duration::from_secs(10), reports.recv())
            .await
            .expect("a report within 10 s")
            .expect("reporter open");
        let stopped = r.body["status"] == "STOPPED";
        all.push(r.body);
        if stopped {
            return all;
        }
    }
}

async fn until_status(reports: &mut mpsc::UnboundedReceiver<Report>, status: &str) -> Value {
    loop {
        let r = tokio::time::timeout(Duration::from_secs(10), reports.recv())
            .await
            .expect("a report within 10 s")
            .expect("reporter open");
        if r.body["status"] == status {
            return r.body;
        }
    }
}

fn container_report<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["containers"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["containerName"] == name))
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn start_order_follows_depends_on_and_an_essential_exit_stops_the_rest() {
    let fake = Arc::new(FakeRuntime::new());
    fake.add_image("img");
    let (shared, mut reports) = shared(fake.clone());
    let a = assignment(json!([
        {"name": "app", "image": "img", "essential": true,
         "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}]},
        {"name": "init", "image": "img", "essential": false, "command": ["exit", "0"]},
        {"name": "side", "image": "img", "essential": false}
    ]));
    let (_tx, rx) = watch::channel(Desired::Running);
    let task = tokio::spawn(runner::run(shared, a, rx));
    let running = until_status(&mut reports, "RUNNING").await;
    assert_eq!(container_report(&running, "app")["status"], "RUNNING");
    let started = fake.started();
    let pos = |n: &str| {
        started
            .iter()
            .position(|s| s.contains(&format!("-{n}-")))
            .expect(n)
    };
    assert!(pos("init") < pos("app"), "{started:?}");
    // The essential container exits: the task stops, the sidecar with it.
    let app = fake.id_of(&started[pos("app")]).expect("app id");
    fake.exit(&app, 4);
    let reports = until_stopped(&mut reports).await;
    let stopped = reports.last().expect("stopped");
    assert_eq!(stopped["reason"], "Essential container in task exited");
    assert_eq!(container_report(stopped, "app")["exitCode"], 4);
    assert_eq!(container_report(stopped, "side")["status"], "STOPPED");
    assert!(stopped["executionStoppedAt"].is_number());
    task.await.expect("runner ends");
    assert!(
        fake.containers().is_empty(),
        "cleaned up: {:?}",
        fake.containers()
    );
}

#[tokio::test]
async fn a_missing_image_stops_the_task_with_the_pull_error() {
    let fake = Arc::new(FakeRuntime::new());
    let (shared, mut reports) = shared(fake.clone());
    let (_tx, rx) = watch::channel(Desired::Running);
    tokio::spawn(runner::run(
        shared,
        assignment(json!([{"name": "app", "image": "nowhere:1"}])),
        rx,
    ));
    let all = until_stopped(&mut reports).await;
    let stopped = all.last().expect("stopped");
    let reason = stopped["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("CannotPullContainerError:"), "{reason}");
    assert!(container_report(stopped, "app")["reason"]
        .as_str()
        .unwrap_or_default()
        .starts_with("CannotPullContainerError:"));
    assert!(fake.started().is_empty());
}

#[tokio::test]
async fn restart_policy_restarts_in_place_except_for_ignored_codes() {
    let fake = Arc::new(FakeRuntime::new());
    fake.add_image("img");
    let (shared, mut reports) = shared(fake.clone());
    let (tx, rx) = watch::channel(Desired::Running);
    let a = assignment(json!([{"name": "app", "image": "img",
        "restartPolicy": {"enabled": true, "ignoredExitCodes": [0], "restartAttemptPeriod": 0}}]));
    tokio::spawn(runner::run(shared, a, rx));
    until_status(&mut reports, "RUNNING").await;
    let name = fake.started()[0].clone();
    let id = fake.id_of(&name).expect("id");
    fake.exit(&id, 1);
    let restarted = async {
        while fake.started().len() < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), restarted)
        .await
        .expect("restarted in place");
    assert_eq!(fake.id_of(&name), Some(id.clone()), "the same container");
    // Exit code 0 is ignored: no restart, and the essential container's exit ends the task.
    fake.exit(&id, 0);
    let all = until_stopped(&mut reports).await;
    assert_eq!(
        container_report(all.last().expect("stopped"), "app")["exitCode"],
        0
    );
    assert_eq!(fake.started().len(), 2);
    drop(tx);
}

#[tokio::test]
async fn a_stop_request_stops_dependents_first() {
    let fake = Arc::new(FakeRuntime::new());
    fake.add_image("img");
    let (shared, mut reports) = shared(fake.clone());
    let (tx, rx) = watch::channel(Desired::Running);
    let a = assignment(json!([
        {"name": "db", "image": "img"},
        {"name": "web", "image": "img", "dependsOn": [{"containerName": "db", "condition": "START"}]}
    ]));
    tokio::spawn(runner::run(shared, a, rx));
    until_status(&mut reports, "RUNNING").await;
    tx.send(Desired::Stopped).expect("runner listening");
    let all = until_stopped(&mut reports).await;
    assert!(
        all.last().expect("stopped")["reason"].is_null(),
        "the control plane's reason stands"
    );
    let stopped = fake.stopped();
    assert_eq!(stopped.len(), 2);
    assert!(
        stopped[0].contains("-web-") && stopped[1].contains("-db-"),
        "{stopped:?}"
    );
}

#[tokio::test]
async fn secrets_become_environment_variables() {
    let fake = Arc::new(FakeRuntime::new());
    fake.add_image("img");
    let (shared, mut reports) = shared(fake.clone());
    let (_tx, rx) = watch::channel(Desired::Running);
    let a = assignment(json!([{"name": "app", "image": "img", "secrets": [
        {"name": "DB_PASSWORD", "valueFrom": format!("{SECRET_ARN}:password::")},
        {"name": "TOKEN", "valueFrom": "/app/token"},
    ]}]));
    tokio::spawn(runner::run(shared, a, rx));
    until_status(&mut reports, "RUNNING").await;
    let name = fake.started()[0].clone();
    let env = fake.body(&name).and_then(|b| b.env).unwrap_or_default();
    assert!(
        env.contains(&"DB_PASSWORD=pw-from-asm".to_owned()),
        "{env:?}"
    );
    assert!(env.contains(&"TOKEN=tok-from-ssm".to_owned()), "{env:?}");
}

#[tokio::test]
async fn a_missing_secret_stops_the_task_as_ecs_words_it() {
    let fake = Arc::new(FakeRuntime::new());
    fake.add_image("img");
    let (shared, mut reports) = shared(fake.clone());
    let (_tx, rx) = watch::channel(Desired::Running);
    let a = assignment(json!([{"name": "app", "image": "img", "secrets": [
        {"name": "X", "valueFrom": "/app/missing"},
    ]}]));
    tokio::spawn(runner::run(shared, a, rx));
    let all = until_stopped(&mut reports).await;
    let reason = all.last().expect("stopped")["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        reason.starts_with("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: invalid parameters: /app/missing"),
        "{reason}"
    );
    assert!(fake.started().is_empty());
}

#[tokio::test]
async fn repository_credentials_are_the_pulls_login() {
    let fake = Arc::new(FakeRuntime::new());
    fake.add_image("private.example:5000/app:1");
    let (shared, mut reports) = shared_pulling(
        fake.clone(),
        Arc::new(FakeSink::new()),
        &std::env::temp_dir(),
        PullBehavior::Always,
    );
    let (_tx, rx) = watch::channel(Desired::Running);
    let a = assignment(
        json!([{"name": "app", "image": "private.example:5000/app:1",
        "repositoryCredentials": {"credentialsParameter": REGISTRY_SECRET}}]),
    );
    tokio::spawn(runner::run(shared, a, rx));
    until_status(&mut reports, "RUNNING").await;
    let pulls = fake.pulls();
    let (image, auth) = pulls.first().expect("a pull");
    assert_eq!(image, "private.example:5000/app:1");
    let auth = auth.as_ref().expect("a login");
    assert_eq!(
        (auth.username.as_str(), auth.password.as_str()),
        ("robot", "pw-reg")
    );
}

#[tokio::test]
async fn missing_repository_credentials_stop_the_task_before_the_pull() {
    let fake = Arc::new(FakeRuntime::new());
    fake.add_image("img");
    let (shared, mut reports) = shared(fake.clone());
    let (_tx, rx) = watch::channel(Desired::Running);
    let a = assignment(
        json!([{"name": "app", "image": "img", "repositoryCredentials":
        {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:000000000000:secret:none-AbCdEf"}}]),
    );
    tokio::spawn(runner::run(shared, a, rx));
    let all = until_stopped(&mut reports).await;
    let reason = all.last().expect("stopped")["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        reason.starts_with("ResourceInitializationError: unable to pull secrets or registry auth"),
        "{reason}"
    );
    assert!(fake.pulls().is_empty());
}
