//! Tasks whose containers log with awslogs: their streams, their groups, what stops them,
//! and what a restarted agent ships.

use super::*;
use crate::awslogs::{CursorFile, SinkError};
use crate::runtime::LogSource;
use tokio::task::JoinHandle;

fn logging(options: Value) -> Value {
    json!([{"name": "app", "image": "img",
            "logConfiguration": {"logDriver": "awslogs", "options": options}}])
}

struct World {
    fake: Arc<FakeRuntime>,
    sink: Arc<FakeSink>,
    dir: tempfile::TempDir,
}

fn world() -> World {
    let fake = Arc::new(FakeRuntime::new());
    fake.add_image("img");
    World {
        fake,
        sink: Arc::new(FakeSink::new()),
        dir: tempfile::tempdir().expect("tempdir"),
    }
}

impl World {
    fn shared(&self) -> (Arc<Shared>, mpsc::UnboundedReceiver<Report>) {
        shared_with(self.fake.clone(), self.sink.clone(), self.dir.path())
    }

    /// Runs a task whose one container logs with these awslogs options.
    fn run(&self, options: Value) -> (mpsc::UnboundedReceiver<Report>, JoinHandle<()>) {
        let (shared, reports) = self.shared();
        let (tx, rx) = watch::channel(Desired::Running);
        let task = tokio::spawn(async move {
            runner::run(shared, assignment(logging(options)), rx).await;
            drop(tx);
        });
        (reports, task)
    }

    fn app(&self) -> String {
        let name = self.fake.started().first().cloned().expect("app started");
        self.fake.id_of(&name).expect("app id")
    }

    async fn until_messages(&self, stream: &str, n: usize) -> Vec<String> {
        let wait = async {
            loop {
                let m = self.sink.messages("g", stream);
                if m.len() >= n {
                    return m;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .expect("shipped in time")
    }
}

#[tokio::test]
async fn output_is_shipped_to_the_stream_ecs_names_through_sink_failures() {
    let w = world();
    w.sink.add_group("g");
    // Berth is away for the first puts.
    w.sink.fail_puts([
        SinkError::Unavailable("connection refused".into()),
        SinkError::api(503, "ServiceUnavailableException", "restarting"),
    ]);
    let (mut reports, task) = w.run(
        json!({"awslogs-group": "g", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}),
    );
    until_status(&mut reports, "RUNNING").await;
    let id = w.app();
    let body = w.fake.body(&w.fake.started()[0]).expect("body");
    let log = body
        .host_config
        .and_then(|h| h.log_config)
        .expect("log config");
    assert_eq!(
        log.typ.as_deref(),
        Some("json-file"),
        "the container never waits on Berth"
    );
    w.fake.print(&id, LogSource::Stdout, "hello");
    w.fake.print(&id, LogSource::Stderr, "oops");
    assert_eq!(w.until_messages("web/app/t1", 2).await, ["hello", "oops"]);
    w.fake.print(&id, LogSource::Stdout, "bye");
    w.fake.exit(&id, 0);
    until_stopped(&mut reports).await;
    task.await.expect("runner ends");
    assert_eq!(w.sink.messages("g", "web/app/t1"), ["hello", "oops", "bye"]);
    assert_eq!(w.sink.streams(), [("g".into(), "web/app/t1".into())]);
    assert!(w.fake.containers().is_empty(), "removed once shipped");
    assert!(!CursorFile::new(&w.dir.path().join("awslogs"), &id)
        .path()
        .exists());
}

#[tokio::test]
async fn create_group_makes_the_group_and_without_a_prefix_the_stream_is_the_container_id() {
    let w = world();
    let (mut reports, _task) = w.run(json!({"awslogs-group": "g", "awslogs-create-group": "true"}));
    until_status(&mut reports, "RUNNING").await;
    let id = w.app();
    assert_eq!(w.sink.groups(), ["g"]);
    assert_eq!(
        w.sink.calls()[..2],
        [
            "CreateLogGroup g".to_string(),
            format!("CreateLogStream g/{id}")
        ]
    );
    w.fake.print(&id, LogSource::Stdout, "up");
    assert_eq!(w.until_messages(&id, 1).await, ["up"]);
}

#[tokio::test]
async fn a_missing_group_stops_the_task_before_the_container_starts() {
    let w = world();
    let (mut reports, _task) = w.run(json!({"awslogs-group": "nowhere"}));
    let all = until_stopped(&mut reports).await;
    let stopped = all.last().expect("stopped");
    let reason = "CannotStartContainerError: Error response from daemon: failed to initialize \
                  logging driver: failed to create Cloudwatch log stream: \
                  ResourceNotFoundException: The specified log group does not exist.";
    assert_eq!(stopped["reason"], reason);
    assert_eq!(container_report(stopped, "app")["reason"], reason);
    assert!(w.fake.started().is_empty(), "{:?}", w.fake.started());
}

#[tokio::test]
async fn options_without_a_group_stop_the_task_with_the_reason() {
    let w = world();
    let (mut reports, _task) = w.run(json!({"awslogs-stream-prefix": "web"}));
    let all = until_stopped(&mut reports).await;
    assert_eq!(
        all.last().expect("stopped")["reason"],
        "CannotCreateContainerError: failed to initialize logging driver: \
         awslogs: the awslogs-group option is required"
    );
    assert!(w.fake.containers().is_empty(), "never created");
}

#[tokio::test]
async fn a_restarted_agent_ships_on_from_the_cursor() {
    let w = world();
    w.sink.add_group("g");
    let options = json!({"awslogs-group": "g"});
    let (mut reports, first) = w.run(options.clone());
    until_status(&mut reports, "RUNNING").await;
    let id = w.app();
    w.fake.print(&id, LogSource::Stdout, "a");
    let b = w.fake.print(&id, LogSource::Stdout, "b");
    w.until_messages(&id, 2).await;
    let cursor = CursorFile::new(&w.dir.path().join("awslogs"), &id);
    let acknowledged = async {
        while cursor.load().map(|p| p.ns) != Some(b) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), acknowledged)
        .await
        .expect("cursor saved");
    // The agent goes away (its shippers with it); the container runs on and writes more.
    first.abort();
    assert!(first.await.is_err(), "aborted");
    w.fake.print(&id, LogSource::Stdout, "c");
    w.fake.print(&id, LogSource::Stderr, "d");
    // A new agent adopts the container and resumes after "b".
    let (mut reports, second) = w.run(options);
    assert_eq!(w.until_messages(&id, 4).await, ["a", "b", "c", "d"]);
    w.fake.exit(&id, 0);
    until_stopped(&mut reports).await;
    second.await.expect("runner ends");
    assert_eq!(w.sink.messages("g", &id), ["a", "b", "c", "d"]);
}

#[tokio::test]
async fn without_cloudwatch_logs_on_the_control_plane_the_container_runs_as_before() {
    let w = world();
    w.sink.unserved();
    let (mut reports, task) = w.run(json!({"awslogs-group": "g"}));
    until_status(&mut reports, "RUNNING").await;
    let id = w.app();
    w.fake.print(&id, LogSource::Stdout, "stays on the host");
    w.fake.exit(&id, 0);
    until_stopped(&mut reports).await;
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("cleanup does not wait on a shipper")
        .expect("runner ends");
    assert_eq!(w.sink.calls(), [format!("CreateLogStream g/{id}")]);
}
