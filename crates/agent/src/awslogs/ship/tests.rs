//! The shipper against the fake runtime and the fake sink.

use super::*;
use crate::awslogs::fake::FakeSink;
use crate::awslogs::sink::{LogEvent, NOT_FOUND};
use crate::runtime::fake::FakeRuntime;
use crate::runtime::LogSource;

const GROUP: &str = "g";
const STREAM: &str = "s";

fn settings() -> ShipSettings {
    ShipSettings {
        flush_every: Duration::from_millis(40),
        event_idle: Duration::from_millis(40),
        retry_min: Duration::from_millis(2),
        retry_max: Duration::from_millis(10),
        prepare_tries: 3,
    }
}

fn target() -> Target {
    Target {
        group: GROUP.into(),
        stream: STREAM.into(),
        create_group: false,
    }
}

struct World {
    fake: Arc<FakeRuntime>,
    sink: Arc<FakeSink>,
    dir: tempfile::TempDir,
    id: String,
}

/// A running container whose group and stream exist.
async fn world() -> World {
    let fake = Arc::new(FakeRuntime::new());
    let id = fake.run_container("c", "img").await.expect("running");
    let sink = Arc::new(FakeSink::new());
    sink.add_group(GROUP);
    prepare(sink.as_ref(), &target(), &settings())
        .await
        .expect("stream created");
    World {
        fake,
        sink,
        dir: tempfile::tempdir().expect("tempdir"),
        id,
    }
}

impl World {
    fn cursor(&self) -> CursorFile {
        CursorFile::new(self.dir.path(), &self.id)
    }

    fn shipper(&self, start: Option<&str>) -> tokio::task::JoinHandle<()> {
        let shipper = Shipper {
            runtime: self.fake.clone(),
            sink: self.sink.clone(),
            settings: settings(),
            container_id: self.id.clone(),
            target: target(),
            start: start.map(|s| Regex::new(s).expect("regex")),
            cursor: self.cursor(),
        };
        tokio::spawn(shipper.run())
    }

    fn print(&self, lines: impl IntoIterator<Item = String>) -> Vec<String> {
        lines
            .into_iter()
            .inspect(|l| {
                self.fake.print(&self.id, LogSource::Stdout, l);
            })
            .collect()
    }

    fn messages(&self) -> Vec<String> {
        self.sink.messages(GROUP, STREAM)
    }

    /// Waits until the sink holds `n` events.
    async fn until_shipped(&self, n: usize) {
        let wait = async {
            while self.messages().len() < n {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .expect("shipped in time");
    }

    /// Waits until the cursor file says `ns`.
    async fn until_cursor(&self, ns: i64) {
        let wait = async {
            while self.cursor().load().map(|p| p.ns) != Some(ns) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .expect("cursor saved in time");
    }
}

async fn ends(handle: tokio::task::JoinHandle<()>) {
    tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .expect("the shipper ends")
        .expect("no panic");
}

#[tokio::test]
async fn lines_are_shipped_in_order_and_the_shipper_ends_with_its_container() {
    let w = world().await;
    // The last words are printed as the container exits: the follower misses them.
    w.fake.followers_miss_exit_output();
    let shipping = w.shipper(None);
    let mut sent = w.print((0..5).map(|i| format!("line {i}")));
    w.fake.print(&w.id, LogSource::Stderr, "an error");
    sent.push("an error".into());
    // Shipped within the flush interval while the container runs.
    w.until_shipped(6).await;
    // Let the shipper wait on the follower again, then exit before it reads on.
    tokio::time::sleep(Duration::from_millis(10)).await;
    let last = w.fake.print(&w.id, LogSource::Stdout, "last words");
    sent.push("last words".into());
    w.fake.exit(&w.id, 0);
    ends(shipping).await;
    assert_eq!(w.messages(), sent);
    let stamps: Vec<i64> = w
        .sink
        .events(GROUP, STREAM)
        .iter()
        .map(|e| e.timestamp)
        .collect();
    assert_eq!(stamps.last(), Some(&(last / 1_000_000)), "ms of the line");
    assert_eq!(w.cursor().load(), Some(Position { ns: last, nth: 0 }));
}

#[tokio::test]
async fn failed_puts_are_retried_and_nothing_is_lost_or_sent_twice() {
    let w = world().await;
    w.sink.fail_puts([
        SinkError::Unavailable("connection refused".into()),
        SinkError::api(503, "ServiceUnavailableException", "restarting"),
        SinkError::Unavailable("connection reset".into()),
    ]);
    // More than two full batches, so some wait behind the failing one.
    let sent = w.print((0..2_500).map(|i| format!("line {i}")));
    let shipping = w.shipper(None);
    w.fake.exit(&w.id, 0);
    ends(shipping).await;
    assert_eq!(w.messages(), sent);
    let puts = w.sink.count("PutLogEvents");
    // Three failures, then at least 1,000 + 1,000 + 500 (a flush during the retries may
    // close a batch early).
    assert!(puts >= 3 + 3, "{puts} puts");
}

#[tokio::test]
async fn a_vanished_stream_is_created_again_and_an_invalid_batch_is_skipped() {
    let w = world().await;
    w.sink.fail_puts([
        SinkError::api(400, NOT_FOUND, "The specified log stream does not exist."),
        SinkError::api(400, INVALID_PARAMETER, "no"),
    ]);
    let shipping = w.shipper(None);
    let refused = w.fake.print(&w.id, LogSource::Stdout, "refused");
    w.until_cursor(refused).await;
    let sent = w.print(["kept".to_string()]);
    w.fake.exit(&w.id, 0);
    ends(shipping).await;
    assert_eq!(w.messages(), sent);
    let creates = w.sink.count("CreateLogStream");
    assert_eq!(
        creates, 2,
        "once before start, once after the stream vanished"
    );
}

#[tokio::test]
async fn a_restarted_shipper_resumes_after_the_cursor() {
    let w = world().await;
    // Three lines of one timestamp: the cursor must tell them apart.
    let ns = 1_767_225_600_500_000_000;
    for text in ["a", "b", "c"] {
        w.fake.print_at(&w.id, ns, LogSource::Stdout, text);
    }
    let first = w.shipper(None);
    w.until_cursor(ns).await;
    assert_eq!(w.cursor().load(), Some(Position { ns, nth: 2 }));
    // The agent goes away...
    first.abort();
    let _ = first.await;
    w.fake.print_at(&w.id, ns, LogSource::Stdout, "d");
    w.fake.print_at(&w.id, ns + 1, LogSource::Stderr, "e");
    // ...and a new one reads the output again from that second, skipping what was shipped.
    let second = w.shipper(None);
    w.fake.exit(&w.id, 0);
    ends(second).await;
    assert_eq!(w.messages(), ["a", "b", "c", "d", "e"]);
}

#[tokio::test]
async fn multiline_events_are_assembled_and_an_open_one_is_sent_after_a_quiet_interval() {
    let w = world().await;
    let shipping = w.shipper(Some("^INFO"));
    w.print(
        ["INFO one", "  detail", "INFO two", "  more"]
            .iter()
            .map(|s| s.to_string()),
    );
    // The second event is still open; nothing more comes, so it goes after the interval.
    w.until_shipped(2).await;
    assert_eq!(w.messages(), ["INFO one\n  detail", "INFO two\n  more"]);
    w.fake.exit(&w.id, 0);
    ends(shipping).await;
}

#[tokio::test]
async fn a_restarted_container_is_followed_on() {
    let w = world().await;
    let shipping = w.shipper(None);
    w.print(["before".to_string()]);
    w.until_shipped(1).await;
    // restartPolicy: the same container runs again before the shipper noticed it stopped.
    w.fake.exit(&w.id, 1);
    w.fake.start(&w.id).await.expect("restarted");
    w.print(["after".to_string()]);
    w.until_shipped(2).await;
    w.fake.exit(&w.id, 0);
    ends(shipping).await;
    assert_eq!(w.messages(), ["before", "after"]);
}

#[tokio::test]
async fn preparing_creates_the_group_when_asked_and_words_a_missing_group_as_ecs_does() {
    let sink = FakeSink::new();
    let reason = prepare(&sink, &target(), &settings())
        .await
        .expect_err("refused");
    assert_eq!(
        reason,
        "failed to initialize logging driver: failed to create Cloudwatch log stream: \
         ResourceNotFoundException: The specified log group does not exist."
    );
    let create = Target {
        create_group: true,
        ..target()
    };
    prepare(&sink, &create, &settings()).await.expect("created");
    assert_eq!(sink.groups(), [GROUP]);
    assert_eq!(sink.streams(), [(GROUP.to_string(), STREAM.to_string())]);
}

/// A sink that does not answer its first calls.
struct Flaky {
    inner: FakeSink,
    down_for: std::sync::atomic::AtomicU32,
}

#[async_trait::async_trait]
impl LogSink for Flaky {
    async fn ensure_group(&self, group: &str) -> Result<(), SinkError> {
        self.inner.ensure_group(group).await
    }

    async fn ensure_stream(&self, group: &str, stream: &str) -> Result<(), SinkError> {
        use std::sync::atomic::Ordering;
        let down = self.down_for.load(Ordering::SeqCst);
        if down > 0 {
            self.down_for.store(down - 1, Ordering::SeqCst);
            return Err(SinkError::Unavailable("connection refused".into()));
        }
        self.inner.ensure_stream(group, stream).await
    }

    async fn put_events(&self, g: &str, s: &str, events: &[LogEvent]) -> Result<(), SinkError> {
        self.inner.put_events(g, s, events).await
    }
}

#[tokio::test]
async fn preparing_retries_an_unreachable_service_a_few_times() {
    let flaky = |down_for: u32| {
        let inner = FakeSink::new();
        inner.add_group(GROUP);
        Flaky {
            inner,
            down_for: down_for.into(),
        }
    };
    // Three tries: two failures are ridden out, three are not.
    prepare(&flaky(2), &target(), &settings())
        .await
        .expect("third try");
    let reason = prepare(&flaky(3), &target(), &settings())
        .await
        .expect_err("refused");
    assert!(reason.ends_with("connection refused"), "{reason}");
}

#[tokio::test]
async fn a_control_plane_without_cloudwatch_logs_gets_nothing_and_stops_no_one() {
    let unserved = FakeSink::new();
    unserved.unserved();
    let prepared = prepare(&unserved, &target(), &settings()).await;
    assert_eq!(prepared, Ok(Prepared::Unserved));
    // A shipper (of a container adopted after the control plane went back a version) ends
    // without moving its cursor.
    let w = world().await;
    w.sink.unserved();
    w.print(["kept in json-file".to_string()]);
    ends(w.shipper(None)).await;
    assert_eq!(w.cursor().load(), None);
    assert_eq!(w.sink.count("PutLogEvents"), 1, "tried once");
}
