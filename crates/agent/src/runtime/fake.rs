//! An in-memory runtime: containers "run" until stopped or until a test makes them exit.
//! A container whose command is `["exit", "N"]` exits with N as soon as it starts; one whose
//! image is not "present" fails to pull unless added with [`FakeRuntime::add_image`]. A
//! container's output is what a test [prints](FakeRuntime::print) for it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;

use tokio::sync::watch;

use super::*;

#[derive(Clone)]
struct FakeContainer {
    observed: Observed,
    body: ContainerCreateBody,
    exited: watch::Sender<bool>,
    output: Vec<LogLine>,
    /// Bumped whenever output is added or the container starts or stops.
    changed: watch::Sender<u64>,
}

/// The fake clock output is stamped with: 2026-01-01T00:00:00Z, then 1 ms a line.
const FIRST_LINE_NS: i64 = 1_767_225_600_000_000_000;

#[derive(Default)]
struct Inner {
    images: HashSet<String>,
    /// Every pull asked for, with the login given.
    pulls: Vec<(String, Option<PullAuth>)>,
    containers: HashMap<String, FakeContainer>,
    next: u64,
    started: Vec<String>,
    stopped: Vec<String>,
    printed: i64,
    /// Followers end at a container's exit without reading what they had not read yet.
    followers_miss_exit_output: bool,
}

/// See the module docs.
#[derive(Default)]
pub struct FakeRuntime {
    inner: Arc<Mutex<Inner>>,
}

fn lock(m: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeRuntime {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_image(&self, image: &str) {
        lock(&self.inner).images.insert(image.to_owned());
    }

    /// Every pull asked for so far, with the login given.
    pub fn pulls(&self) -> Vec<(String, Option<PullAuth>)> {
        lock(&self.inner).pulls.clone()
    }

    /// Adds `image`, then creates and starts a container of it; answers its id.
    pub async fn run_container(&self, name: &str, image: &str) -> Result<String> {
        self.add_image(image);
        let body = ContainerCreateBody {
            image: Some(image.into()),
            ..Default::default()
        };
        let id = self.create(name, body).await?;
        self.start(&id).await?;
        Ok(id)
    }

    /// Makes a running container exit with `code`.
    pub fn exit(&self, id: &str, code: i64) {
        let mut inner = lock(&self.inner);
        if let Some(c) = inner.containers.get_mut(id) {
            finish(c, code);
        }
    }

    /// Adds a line to a container's output, logged 1 ms after the one printed before (on any
    /// container); answers its timestamp.
    pub fn print(&self, id: &str, source: LogSource, text: &str) -> i64 {
        let ns = {
            let mut inner = lock(&self.inner);
            inner.printed += 1;
            FIRST_LINE_NS + (inner.printed - 1) * 1_000_000
        };
        self.print_at(id, ns, source, text);
        ns
    }

    /// Adds a line to a container's output, logged at `ns`.
    pub fn print_at(&self, id: &str, ns: i64, source: LogSource, text: &str) {
        if let Some(c) = lock(&self.inner).containers.get_mut(id) {
            c.output.push(LogLine {
                timestamp_ns: ns,
                source,
                text: text.to_owned(),
            });
            c.changed.send_modify(|v| *v += 1);
        }
    }

    /// Makes followers behave as the Engine's can: one that was following a running
    /// container ends when it stops, leaving unread what it had not read by then (a later
    /// read of the output has it).
    pub fn followers_miss_exit_output(&self) {
        lock(&self.inner).followers_miss_exit_output = true;
    }

    /// Sets a container's health status (`healthy`, `unhealthy`, `starting`).
    pub fn set_health(&self, id: &str, health: &str) {
        if let Some(c) = lock(&self.inner).containers.get_mut(id) {
            c.observed.health = Some(health.to_owned());
        }
    }

    /// Container names in the order they were started / stopped.
    pub fn started(&self) -> Vec<String> {
        lock(&self.inner).started.clone()
    }

    pub fn stopped(&self) -> Vec<String> {
        lock(&self.inner).stopped.clone()
    }

    /// Every container: (id, name, running).
    pub fn containers(&self) -> Vec<(String, String, bool)> {
        let inner = lock(&self.inner);
        let mut v: Vec<_> = inner
            .containers
            .values()
            .map(|c| {
                (
                    c.observed.id.clone(),
                    c.observed.name.clone(),
                    c.observed.running,
                )
            })
            .collect();
        v.sort();
        v
    }

    /// The body a container was created with.
    pub fn body(&self, name: &str) -> Option<ContainerCreateBody> {
        lock(&self.inner)
            .containers
            .values()
            .find(|c| c.observed.name == name)
            .map(|c| c.body.clone())
    }

    /// The id of the container named `name`.
    pub fn id_of(&self, name: &str) -> Option<String> {
        lock(&self.inner)
            .containers
            .values()
            .find(|c| c.observed.name == name)
            .map(|c| c.observed.id.clone())
    }
}

fn finish(c: &mut FakeContainer, code: i64) {
    if c.observed.running {
        c.observed.running = false;
        c.observed.exited = true;
        c.observed.exit_code = Some(code);
        c.observed.finished_at = Some("2026-01-01T00:00:01Z".into());
        c.exited.send_replace(true);
        c.changed.send_modify(|v| *v += 1);
    }
}

/// Where a follower of a container's output is.
struct Follower {
    inner: Arc<Mutex<Inner>>,
    id: String,
    next: usize,
    from_ns: i64,
    changed: Option<watch::Receiver<u64>>,
    /// Whether the container was running while followed.
    followed_running: bool,
}

impl Follower {
    /// The next line at or after `from_ns`; `None` once the container is gone, or stopped
    /// with nothing left to read.
    async fn next(&mut self) -> Option<LogLine> {
        loop {
            {
                let inner = lock(&self.inner);
                let c = inner.containers.get(&self.id)?;
                let changed = self.changed.get_or_insert_with(|| c.changed.subscribe());
                changed.borrow_and_update();
                if c.observed.running {
                    self.followed_running = true;
                } else if self.followed_running && inner.followers_miss_exit_output {
                    return None;
                }
                while let Some(line) = c.output.get(self.next) {
                    self.next += 1;
                    if line.timestamp_ns >= self.from_ns {
                        return Some(line.clone());
                    }
                }
                if !c.observed.running {
                    return None;
                }
            }
            self.changed.as_mut()?.changed().await.ok()?;
        }
    }
}

#[async_trait::async_trait]
impl Runtime for FakeRuntime {
    async fn info(&self) -> Result<HostInfo> {
        Ok(HostInfo {
            cpus: 2,
            memory_bytes: 4 << 30,
            server_version: "fake".into(),
            architecture: "x86_64".into(),
            os_type: "linux".into(),
        })
    }

    async fn image_id(&self, image: &str) -> Result<Option<String>> {
        Ok(lock(&self.inner)
            .images
            .contains(image)
            .then(|| format!("sha256:{image}")))
    }

    async fn pull(&self, image: &str, auth: Option<PullAuth>) -> Result<()> {
        let mut inner = lock(&self.inner);
        inner.pulls.push((image.to_owned(), auth));
        if inner.images.contains(image) {
            Ok(())
        } else {
            Err(RuntimeError::Engine(format!(
                "pull access denied for {image}, repository does not exist"
            )))
        }
    }

    async fn import(&self, reference: &str, _tar: Vec<u8>, _changes: Vec<String>) -> Result<()> {
        self.add_image(reference);
        Ok(())
    }

    async fn create(&self, name: &str, body: ContainerCreateBody) -> Result<String> {
        let mut inner = lock(&self.inner);
        if inner.containers.values().any(|c| c.observed.name == name) {
            return Err(RuntimeError::Engine(format!(
                "Conflict. The container name \"/{name}\" is already in use"
            )));
        }
        let image = body.image.clone().unwrap_or_default();
        if !inner.images.contains(&image) {
            return Err(RuntimeError::NotFound(format!("No such image: {image}")));
        }
        inner.next += 1;
        let id = format!("{:064x}", inner.next);
        let observed = Observed {
            id: id.clone(),
            name: name.to_owned(),
            image_id: format!("sha256:{image}"),
            created_at: Some("2026-01-01T00:00:00Z".into()),
            labels: body.labels.clone().unwrap_or_default(),
            ..Default::default()
        };
        let (exited, _) = watch::channel(false);
        let (changed, _) = watch::channel(0);
        inner.containers.insert(
            id.clone(),
            FakeContainer {
                observed,
                body,
                exited,
                output: Vec::new(),
                changed,
            },
        );
        Ok(id)
    }

    async fn start(&self, id: &str) -> Result<()> {
        let mut inner = lock(&self.inner);
        let c = inner
            .containers
            .get_mut(id)
            .ok_or_else(|| RuntimeError::NotFound(id.to_owned()))?;
        if c.observed.running {
            return Ok(());
        }
        c.observed.running = true;
        c.observed.exited = false;
        c.observed.started_at = Some("2026-01-01T00:00:00Z".into());
        c.exited.send_replace(false);
        c.changed.send_modify(|v| *v += 1);
        let cmd = c.body.cmd.clone().unwrap_or_default();
        if cmd.first().map(String::as_str) == Some("exit") {
            let code = cmd.get(1).and_then(|c| c.parse().ok()).unwrap_or(0);
            finish(c, code);
        }
        let name = c.observed.name.clone();
        inner.started.push(name);
        Ok(())
    }

    async fn stop(&self, id: &str, _timeout_secs: i64) -> Result<()> {
        let mut inner = lock(&self.inner);
        let c = inner
            .containers
            .get_mut(id)
            .ok_or_else(|| RuntimeError::NotFound(id.to_owned()))?;
        let was_running = c.observed.running;
        finish(c, 0);
        if was_running {
            let name = c.observed.name.clone();
            inner.stopped.push(name);
        }
        Ok(())
    }

    async fn remove(&self, id: &str) -> Result<()> {
        let mut inner = lock(&self.inner);
        if let Some(mut c) = inner.containers.remove(id) {
            finish(&mut c, 137);
        }
        Ok(())
    }

    async fn inspect(&self, id: &str) -> Result<Observed> {
        lock(&self.inner)
            .containers
            .get(id)
            .map(|c| c.observed.clone())
            .ok_or_else(|| RuntimeError::NotFound(id.to_owned()))
    }

    async fn wait_exit(&self, id: &str) -> Result<()> {
        let mut rx = {
            let inner = lock(&self.inner);
            match inner.containers.get(id) {
                Some(c) => c.exited.subscribe(),
                None => return Ok(()),
            }
        };
        loop {
            if *rx.borrow_and_update() {
                return Ok(());
            }
            if rx.changed().await.is_err() {
                return Ok(());
            }
        }
    }

    async fn list(&self, label: &str, value: &str) -> Result<Vec<Listed>> {
        Ok(lock(&self.inner)
            .containers
            .values()
            .filter(|c| c.observed.labels.get(label).map(String::as_str) == Some(value))
            .map(|c| Listed {
                id: c.observed.id.clone(),
                labels: c.observed.labels.clone(),
                running: c.observed.running,
            })
            .collect())
    }

    async fn ensure_network(&self, name: &str) -> Result<NetworkInfo> {
        self.network(name).await
    }

    async fn network(&self, name: &str) -> Result<NetworkInfo> {
        Ok(NetworkInfo {
            name: name.to_owned(),
            gateway: Some("172.31.0.1".into()),
            subnet: Some("172.31.0.0/16".into()),
        })
    }

    async fn stats(&self, id: &str) -> Result<serde_json::Value> {
        Ok(serde_json::json!({"id": id, "read": "2026-01-01T00:00:00Z"}))
    }

    async fn remove_image(&self, image: &str) -> Result<()> {
        lock(&self.inner).images.remove(image);
        Ok(())
    }

    async fn remove_volume(&self, _name: &str) -> Result<()> {
        Ok(())
    }

    async fn images(&self) -> Result<Vec<(String, Vec<String>)>> {
        Ok(lock(&self.inner)
            .images
            .iter()
            .map(|i| (format!("sha256:{i}"), vec![i.clone()]))
            .collect())
    }

    fn follow_logs(&self, id: &str, since_ns: i64) -> LogLines {
        let follower = Follower {
            inner: self.inner.clone(),
            id: id.to_owned(),
            next: 0,
            // Whole seconds, as the Engine's `since`.
            from_ns: since_ns.div_euclid(1_000_000_000) * 1_000_000_000,
            changed: None,
            followed_running: false,
        };
        futures_util::stream::unfold(follower, |mut f| async move {
            let line = f.next().await?;
            Some((Ok(line), f))
        })
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_follower_reads_from_the_whole_second_and_ends_when_the_container_stops() {
        let fake = FakeRuntime::new();
        let id = fake.run_container("c", "img").await.expect("running");
        let first = fake.print(&id, LogSource::Stdout, "one");
        let second = fake.print(&id, LogSource::Stderr, "two");
        // From the second line's time: the whole second comes, the first line with it.
        let mut lines = fake.follow_logs(&id, second);
        let text = |l: Option<Result<LogLine>>| l.and_then(|l| l.ok()).map(|l| l.text);
        assert_eq!(text(lines.next().await).as_deref(), Some("one"));
        assert_eq!(text(lines.next().await).as_deref(), Some("two"));
        let later = tokio::spawn(async move {
            let third = text(lines.next().await);
            (third, lines.next().await.is_none())
        });
        tokio::task::yield_now().await;
        fake.print(&id, LogSource::Stdout, "three");
        fake.exit(&id, 0);
        assert_eq!(later.await.expect("follower"), (Some("three".into()), true));
        // Past the second: nothing earlier comes.
        let mut next_second = fake.follow_logs(&id, first + 1_000_000_000);
        assert!(next_second.next().await.is_none());
    }
}
