//! Runs one task on the container runtime, from pull to cleanup: adopts containers it
//! already has (after an agent restart), pulls images, sets up the task's network, starts
//! containers in dependsOn order, watches them (exits, health, restarts), stops them in
//! reverse dependency order with each one's stopTimeout, and reports every step. An awslogs
//! container's log stream is created before it starts, and its output is shipped while it
//! runs ([`crate::awslogs`]); the task's containers are removed only once it is shipped.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_ecs_model::shapes::{ContainerDefinition, Task, TaskDefinition};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use crate::awslogs::{self, Prepared, Shipper, ShipperTask, Target};
use crate::container_config::{self as cc, Network, VolumeSource};
use crate::plan::{self, Condition, Member, State, Verdict};
use crate::runtime::{Observed, RuntimeError};
use crate::shared::Shared;
use crate::task_roles::{RoleKind, TaskPlace};
use crate::view;

/// What the control plane wants of the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Desired {
    Running,
    Stopped,
}

/// A task as delivered by the agent channel.
#[derive(Clone, Debug)]
pub struct Assignment {
    pub cluster: String,
    /// The container instance (ARN) the task was delivered to.
    pub instance: String,
    pub task: Task,
    pub definition: TaskDefinition,
}

pub(crate) struct Slot {
    pub def: ContainerDefinition,
    pub docker_name: String,
    pub token: String,
    pub id: Option<String>,
    pub observed: Option<Observed>,
    /// Last container status reported (PENDING, RUNNING, STOPPED).
    pub reported: &'static str,
    pub reason: Option<String>,
    pub last_start: Option<Instant>,
    pub restarts: u32,
    pub watching: bool,
    pub health_reported: Option<String>,
    /// The awslogs options (`None`: the container does not log with awslogs), or why they
    /// are unusable.
    pub awslogs: Option<Result<Arc<awslogs::Options>, String>>,
    /// The shipper of the container's output.
    pub shipper: Option<ShipperTask>,
}

impl Slot {
    pub fn name(&self) -> &str {
        self.def.name.as_deref().unwrap_or_default()
    }

    fn state(&self) -> State {
        match &self.observed {
            Some(o) if o.running => State::Running {
                healthy: match o.health.as_deref() {
                    Some("healthy") => Some(true),
                    Some("unhealthy") => Some(false),
                    _ => None,
                },
            },
            Some(o) if o.exited => State::Exited { code: o.exit_code },
            _ if self.reason.is_some() => State::Exited { code: None },
            _ => State::Waiting,
        }
    }
}

pub(crate) struct Runner {
    pub shared: Arc<Shared>,
    pub a: Assignment,
    pub slots: Vec<Slot>,
    pub pause: Option<String>,
    pub network: Network,
    pub task_ip: Option<String>,
    /// The reference each image was pulled as, by the name the task definition gives.
    pub local_images: HashMap<String, String>,
    pub pull_started_at: Option<f64>,
    pub pull_stopped_at: Option<f64>,
    pub reported_task: &'static str,
    pub events: mpsc::UnboundedSender<()>,
    pub known_status: &'static str,
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn arn(a: &Assignment) -> String {
    a.task.task_arn.clone().unwrap_or_default()
}

/// Runs the task until it is stopped and cleaned up.
pub(crate) async fn run(shared: Arc<Shared>, a: Assignment, mut desired: watch::Receiver<Desired>) {
    let task_arn = arn(&a);
    let (events, mut event_rx) = mpsc::unbounded_channel();
    let network = match a
        .definition
        .network_mode
        .as_ref()
        .map(|m| m.as_str().to_owned())
        .as_deref()
    {
        Some("host") => Network::Host,
        Some("none") => Network::None,
        Some("awsvpc") => Network::Namespace(String::new()),
        _ => Network::Bridge,
    };
    let suffix: String = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let slots = a
        .definition
        .container_definitions
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|def| Slot {
            docker_name: cc::docker_name(
                &a.definition,
                def.name.as_deref().unwrap_or("c"),
                &suffix,
            ),
            token: uuid::Uuid::new_v4().simple().to_string(),
            awslogs: awslogs::options_of(&def).map(|o| o.map(Arc::new).map_err(|e| e.to_string())),
            shipper: None,
            def,
            id: None,
            observed: None,
            reported: "PENDING",
            reason: None,
            last_start: None,
            restarts: 0,
            watching: false,
            health_reported: None,
        })
        .collect();
    let mut r = Runner {
        shared,
        a,
        slots,
        pause: None,
        network,
        task_ip: None,
        local_images: HashMap::new(),
        pull_started_at: None,
        pull_stopped_at: None,
        reported_task: "PENDING",
        events,
        known_status: "PENDING",
    };
    r.register_role();
    let adopted = r.adopt().await;
    let already_stopped = r.a.task.last_status.as_deref() == Some("STOPPED");
    if *desired.borrow() == Desired::Stopped && !adopted {
        if !already_stopped {
            r.report_task(
                "STOPPED",
                Some("The task was stopped before it started.".into()),
            );
        }
        return;
    }
    let outcome = if *desired.borrow() == Desired::Running {
        r.start_and_watch(&mut desired, &mut event_rx).await
    } else {
        StopCause::Requested
    };
    r.stop_all().await;
    let reason = match outcome {
        StopCause::Requested => None,
        StopCause::Failed(reason) => Some(reason),
    };
    r.known_status = "STOPPED";
    r.publish();
    r.report_task("STOPPED", reason);
    tracing::info!(task = %task_arn, "task stopped");
    r.cleanup_later().await;
}

/// Environment variables, in order, as (name, value).
type Env = Vec<(String, String)>;

pub(crate) enum StopCause {
    Requested,
    Failed(String),
}

impl Runner {
    fn owner(&self) -> &str {
        &self.shared.owner
    }

    /// Finds this task's containers left by an earlier run of the agent.
    async fn adopt(&mut self) -> bool {
        let task_arn = arn(&self.a);
        let Ok(found) = self.shared.runtime.list(cc::LABEL_TASK, &task_arn).await else {
            return false;
        };
        let mut any = false;
        for c in found {
            if c.labels.get(cc::LABEL_OWNER).map(String::as_str) != Some(self.owner()) {
                continue;
            }
            let name = c
                .labels
                .get(cc::LABEL_CONTAINER)
                .cloned()
                .unwrap_or_default();
            any = true;
            if name == cc::PAUSE_CONTAINER {
                self.pause = Some(c.id.clone());
                continue;
            }
            if let Some(slot) = self.slots.iter_mut().find(|s| s.name() == name) {
                slot.id = Some(c.id.clone());
                if let Some(t) = c.labels.get(cc::LABEL_TOKEN) {
                    slot.token = t.clone();
                }
                if let Ok(o) = self.shared.runtime.inspect(&c.id).await {
                    slot.docker_name = o.name.clone();
                    if o.running || o.exited {
                        slot.last_start = Some(Instant::now());
                    }
                    slot.observed = Some(o);
                }
            }
        }
        if let (Some(pause), Network::Namespace(_)) = (&self.pause, &self.network) {
            self.network = Network::Namespace(pause.clone());
            if let Ok(o) = self.shared.runtime.inspect(pause).await {
                self.task_ip = o.addresses.get(&self.shared.cfg.task_network).cloned();
            }
        }
        if any {
            tracing::info!(task = %task_arn, "adopted the task's existing containers");
        }
        any
    }

    async fn start_and_watch(
        &mut self,
        desired: &mut watch::Receiver<Desired>,
        events: &mut mpsc::UnboundedReceiver<()>,
    ) -> StopCause {
        if let Err(reason) = self.pull_images().await {
            return StopCause::Failed(reason);
        }
        if let Err(reason) = self.setup_network().await {
            return StopCause::Failed(reason);
        }
        let mut waiting_since = Instant::now();
        loop {
            if *desired.borrow() == Desired::Stopped {
                return StopCause::Requested;
            }
            self.observe().await;
            if let Some(cause) = self.restart_if_due().await {
                return cause;
            }
            match plan::verdict(&self.members()) {
                Verdict::Continue => {}
                Verdict::EssentialExited { container, .. } => {
                    // A container that never ran says why (CannotCreateContainerError: …).
                    let never_ran = self
                        .slots
                        .iter()
                        .find(|s| s.name() == container)
                        .and_then(|s| s.reason.clone());
                    return StopCause::Failed(
                        never_ran.unwrap_or_else(|| "Essential container in task exited".into()),
                    );
                }
                Verdict::DependencyFailed {
                    container,
                    dependency,
                    condition,
                } => {
                    return StopCause::Failed(format!(
                        "Container {container} could not start: its dependency {dependency} can no longer reach {}",
                        condition.as_str()
                    ))
                }
            }
            let startable = plan::startable(&self.members());
            if !startable.is_empty() {
                waiting_since = Instant::now();
                for name in startable {
                    self.start_container(&name).await;
                }
                continue;
            }
            if let Some(cause) = self.start_timed_out(waiting_since) {
                return cause;
            }
            self.report_progress();
            let tick = self.tick();
            tokio::select! {
                r = desired.changed() => {
                    if r.is_err() {
                        return StopCause::Requested;
                    }
                }
                _ = events.recv() => {}
                _ = tokio::time::sleep(tick) => {}
            }
        }
    }

    fn members(&self) -> BTreeMap<String, Member> {
        self.slots
            .iter()
            .map(|s| {
                (
                    s.name().to_owned(),
                    Member {
                        essential: s.def.essential.unwrap_or(true),
                        depends_on: s
                            .def
                            .depends_on
                            .iter()
                            .flatten()
                            .filter_map(|d| {
                                Some((
                                    d.container_name.clone()?,
                                    Condition::parse(d.condition.as_ref()?.as_str())?,
                                ))
                            })
                            .collect(),
                        state: s.state(),
                    },
                )
            })
            .collect()
    }

    /// How long to sleep when nothing happens: short while health or dependencies are
    /// pending, long otherwise (exits arrive as events).
    fn tick(&self) -> Duration {
        let health = self
            .slots
            .iter()
            .any(|s| s.def.health_check.is_some() && matches!(s.state(), State::Running { .. }));
        let waiting = self.slots.iter().any(|s| s.state() == State::Waiting);
        if waiting {
            Duration::from_millis(250)
        } else if health {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(30)
        }
    }

    fn start_timed_out(&self, since: Instant) -> Option<StopCause> {
        for s in &self.slots {
            if s.state() != State::Waiting {
                continue;
            }
            if let Some(t) = s.def.start_timeout {
                if since.elapsed() > Duration::from_secs(t.max(0) as u64) {
                    return Some(StopCause::Failed(format!(
                        "Container {} did not start within its startTimeout of {t} seconds",
                        s.name()
                    )));
                }
            }
        }
        None
    }

    /// The login a container definition's `repositoryCredentials` names: a Secrets Manager
    /// secret holding `{"username": …, "password": …}`.
    async fn repository_login(
        &self,
        def: &ContainerDefinition,
    ) -> Result<Option<crate::runtime::PullAuth>, String> {
        let Some(arn) = def
            .repository_credentials
            .as_ref()
            .and_then(|r| r.credentials_parameter.clone())
        else {
            return Ok(None);
        };
        let r = crate::secrets::parse(&arn)?;
        let text = self.secrets().await?.value(&r).await?;
        let doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|_| format!("the secret {arn} is not JSON with username and password"))?;
        match (doc["username"].as_str(), doc["password"].as_str()) {
            (Some(u), Some(p)) => Ok(Some(crate::runtime::PullAuth {
                username: u.to_owned(),
                password: p.to_owned(),
            })),
            _ => Err(format!(
                "the secret {arn} does not hold a username and a password"
            )),
        }
    }

    async fn pull_images(&mut self) -> Result<(), String> {
        let defs: Vec<ContainerDefinition> = self
            .slots
            .iter()
            .filter(|s| s.id.is_none())
            .map(|s| s.def.clone())
            .collect();
        for def in defs {
            let Some(image) = def.image.clone() else {
                continue;
            };
            let login = match self.repository_login(&def).await {
                Ok(l) => l,
                Err(e) => {
                    let reason = format!(
                        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: {e}"
                    );
                    for s in self.slots.iter_mut() {
                        if s.def.name == def.name {
                            s.reason = Some(reason.clone());
                        }
                    }
                    return Err(reason);
                }
            };
            let role_sources = match self.pull_sources().await {
                Ok(s) => s,
                Err(reason) => {
                    for s in self.slots.iter_mut() {
                        if s.def.image.as_deref() == Some(image.as_str()) {
                            s.reason = Some(reason.clone());
                        }
                    }
                    return Err(reason);
                }
            };
            match self
                .shared
                .images
                .ensure_via(&image, login, role_sources.as_ref())
                .await
            {
                Ok(ensured) => {
                    self.local_images.insert(image.clone(), ensured.local);
                    if let Some((start, stop)) = ensured.pulled {
                        self.pull_started_at.get_or_insert(start);
                        self.pull_stopped_at = Some(stop);
                    }
                }
                Err(e) => {
                    let reason = format!("CannotPullContainerError: {e}");
                    for s in self.slots.iter_mut() {
                        if s.def.image.as_deref() == Some(image.as_str()) {
                            s.reason = Some(reason.clone());
                        }
                    }
                    return Err(reason);
                }
            }
        }
        Ok(())
    }

    async fn setup_network(&mut self) -> Result<(), String> {
        if !matches!(self.network, Network::Namespace(ref id) if id.is_empty()) {
            return Ok(());
        }
        let (id, ip) = crate::awsvpc::pause_container(self)
            .await
            .map_err(|e| format!("TaskNetworkError: {e}"))?;
        self.network = Network::Namespace(id.clone());
        self.pause = Some(id);
        self.task_ip = ip;
        Ok(())
    }

    pub(crate) fn volume_sources(&self) -> HashMap<String, VolumeSource> {
        let task_id = arn(&self.a)
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        self.a
            .definition
            .volumes
            .iter()
            .flatten()
            .filter_map(|v| {
                let name = v.name.clone()?;
                let source = if let Some(path) = v.host.as_ref().and_then(|h| h.source_path.clone())
                {
                    VolumeSource::HostPath(path)
                } else {
                    let cfg = v.docker_volume_configuration.clone().unwrap_or_default();
                    let shared = cfg.scope.as_ref().map(|s| s.as_str()) == Some("shared");
                    VolumeSource::Docker {
                        name: if shared {
                            name.clone()
                        } else {
                            format!("berth-{task_id}-{name}")
                        },
                        driver: cfg.driver.clone(),
                        driver_opts: cfg
                            .driver_opts
                            .clone()
                            .unwrap_or_default()
                            .into_iter()
                            .collect(),
                        labels: cfg.labels.clone().unwrap_or_default().into_iter().collect(),
                    }
                };
                Some((name, source))
            })
            .collect()
    }

    fn file_environment(&self, def: &ContainerDefinition) -> Result<Vec<(String, String)>, String> {
        let mut files: Vec<String> = def
            .environment_files
            .iter()
            .flatten()
            .filter_map(|f| f.value.clone())
            .collect();
        if let Some(ov) =
            cc::container_override(&self.a.task, def.name.as_deref().unwrap_or_default())
        {
            files.extend(
                ov.environment_files
                    .iter()
                    .flatten()
                    .filter_map(|f| f.value.clone()),
            );
        }
        let mut out = Vec::new();
        for f in files {
            let path = f.strip_prefix("file://").unwrap_or(&f);
            if path.starts_with("arn:") {
                return Err(format!(
                    "environment file {f}: S3 is not available; use a local file path on the host"
                ));
            }
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("environment file {path}: {e}"))?;
            out.extend(cc::parse_env_file(&text));
        }
        Ok(out)
    }

    /// The container's `secrets`, read from Secrets Manager or Parameter Store.
    async fn secret_environment(
        &self,
        def: &ContainerDefinition,
    ) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        if def.secrets.as_ref().is_none_or(|s| s.is_empty()) {
            return Ok(out);
        }
        let source = self.secrets().await?;
        for s in def.secrets.iter().flatten() {
            let name = s.name.clone().unwrap_or_default();
            let r = crate::secrets::parse(s.value_from.as_deref().unwrap_or_default())?;
            out.push((name, source.value(&r).await?));
        }
        Ok(out)
    }

    /// The container's log driver `secretOptions`, read as its secrets are.
    async fn log_secret_options(
        &self,
        def: &ContainerDefinition,
    ) -> Result<Vec<(String, String)>, String> {
        let options = def
            .log_configuration
            .as_ref()
            .and_then(|l| l.secret_options.clone())
            .unwrap_or_default();
        if options.is_empty() {
            return Ok(Vec::new());
        }
        let source = self.secrets().await?;
        let mut out = Vec::new();
        for s in &options {
            let r = crate::secrets::parse(s.value_from.as_deref().unwrap_or_default())?;
            out.push((s.name.clone().unwrap_or_default(), source.value(&r).await?));
        }
        Ok(out)
    }

    /// The task's role of `kind` (its override, else its definition's).
    fn role_arn(&self, kind: RoleKind) -> Option<String> {
        let o = self.a.task.overrides.as_ref();
        let d = &self.a.definition;
        match kind {
            RoleKind::Task => o
                .and_then(|o| o.task_role_arn.clone())
                .or_else(|| d.task_role_arn.clone()),
            RoleKind::Execution => o
                .and_then(|o| o.execution_role_arn.clone())
                .or_else(|| d.execution_role_arn.clone()),
        }
    }

    fn place(&self) -> TaskPlace {
        TaskPlace {
            task_arn: arn(&self.a),
            cluster: self.a.cluster.clone(),
            instance: self.a.instance.clone(),
        }
    }

    /// Makes a task with a task role known to the credentials endpoint.
    fn register_role(&self) {
        if self.role_arn(RoleKind::Task).is_some() && self.shared.credentials_port.is_some() {
            self.shared.roles.register(self.place());
        }
    }

    /// Where the task's images get their registry login: as its execution role, if it has
    /// one (as ECS does), else the agent's own (None).
    async fn pull_sources(&self) -> Result<Option<crate::pull_source::PullSources>, String> {
        if self.role_arn(RoleKind::Execution).is_none() {
            return Ok(None);
        }
        let creds = self
            .shared
            .roles
            .credentials(&self.place(), RoleKind::Execution)
            .await
            .map_err(|e| {
                format!(
                    "ResourceInitializationError: unable to pull secrets or registry auth: unable to assume the task's execution role: {e}"
                )
            })?;
        let endpoint = self.shared.endpoint.with_session(
            &creds.access_key_id,
            &creds.secret_access_key,
            &creds.session_token,
        );
        Ok(Some(crate::pull_source::PullSources::new(
            Arc::new(crate::registry_auth::EcrCredentials::new(endpoint)),
            &self.shared.cfg.region,
        )))
    }

    /// Where the task's secrets are read from: as its execution role, if it has one (as
    /// ECS does), else with the agent's own key.
    async fn secrets(&self) -> Result<Arc<dyn crate::secrets::SecretValues>, String> {
        if self.role_arn(RoleKind::Execution).is_none() {
            return Ok(self.shared.secrets.clone());
        }
        let creds = self
            .shared
            .roles
            .credentials(&self.place(), RoleKind::Execution)
            .await
            .map_err(|e| format!("unable to assume the task's execution role: {e}"))?;
        Ok(self.shared.secrets.as_role(&creds))
    }

    /// The environment the agent gives the task's containers for AWS SDKs: Berth's
    /// endpoint and region (unless the definition sets them), and the task role's
    /// credentials URI.
    fn role_environment(&self) -> (Env, Env) {
        let Some(port) = self.shared.credentials_port else {
            return (Vec::new(), Vec::new());
        };
        if self.network == Network::None {
            return (Vec::new(), Vec::new());
        }
        let address = crate::task_roles::endpoint::ADDRESS;
        let base = if port == 80 {
            format!("http://{address}")
        } else {
            format!("http://{address}:{port}")
        };
        let region = self.shared.cfg.region.clone();
        let defaults = vec![
            ("AWS_ENDPOINT_URL".to_owned(), base.clone()),
            ("AWS_REGION".to_owned(), region.clone()),
            ("AWS_DEFAULT_REGION".to_owned(), region),
        ];
        let mut forced = Vec::new();
        if self.role_arn(RoleKind::Task).is_some() {
            let id = self.shared.roles.register(self.place());
            let path = format!("/v2/credentials/{id}");
            if port == 80 {
                forced.push(("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI".to_owned(), path));
            } else {
                forced.push((
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI".to_owned(),
                    format!("{base}{path}"),
                ));
            }
        }
        (defaults, forced)
    }

    async fn start_container(&mut self, name: &str) {
        let Some(idx) = self.slots.iter().position(|s| s.name() == name) else {
            return;
        };
        if self.slots[idx].id.is_none() {
            // Docker checks log options when it creates the container.
            if let Some(Err(e)) = &self.slots[idx].awslogs {
                self.slots[idx].reason = Some(format!(
                    "CannotCreateContainerError: failed to initialize logging driver: {e}"
                ));
                return;
            }
            let def = self.slots[idx].def.clone();
            let env_files = match self.file_environment(&def) {
                Ok(e) => e,
                Err(e) => {
                    self.slots[idx].reason = Some(format!("CannotCreateContainerError: {e}"));
                    return;
                }
            };
            let read = async {
                Ok::<_, String>((
                    self.log_secret_options(&def).await?,
                    self.secret_environment(&def).await?,
                ))
            };
            let (log_secret_options, secret_env) = match read.await {
                Ok(both) => both,
                Err(e) => {
                    self.slots[idx].reason = Some(format!(
                        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: {e}"
                    ));
                    return;
                }
            };
            let names: HashMap<String, String> = self
                .slots
                .iter()
                .map(|s| (s.name().to_owned(), s.docker_name.clone()))
                .collect();
            let volumes = self.volume_sources();
            let metadata_base = self.shared.metadata_base(&self.network);
            let (default_environment, agent_environment) = self.role_environment();
            let launch_type = self.launch_type();
            let ctx = cc::Context {
                task: &self.a.task,
                definition: &self.a.definition,
                owner: &self.shared.owner,
                instance: &self.a.instance,
                network: self.network.clone(),
                metadata_base,
                token: &self.slots[idx].token,
                docker_names: &names,
                volumes: &volumes,
                file_environment: env_files,
                secret_environment: secret_env,
                log_secret_options,
                default_environment,
                agent_environment,
                launch_type: &launch_type,
                region: &self.shared.cfg.region,
                default_dns: self.shared.cfg.dns_server.map(|a| a.to_string()),
            };
            let mut body = cc::create_body(&def, &ctx);
            if let Some(local) = def.image.as_ref().and_then(|i| self.local_images.get(i)) {
                body.image = Some(local.clone());
            }
            let docker_name = self.slots[idx].docker_name.clone();
            match self.shared.runtime.create(&docker_name, body).await {
                Ok(id) => self.slots[idx].id = Some(id),
                Err(e) => {
                    self.slots[idx].reason = Some(format!("CannotCreateContainerError: {e}"));
                    return;
                }
            }
        }
        let Some(id) = self.slots[idx].id.clone() else {
            return;
        };
        if let Some(target) = self.log_target(idx) {
            let logs = &self.shared.logs;
            match awslogs::prepare(logs.sink.as_ref(), &target, &logs.settings).await {
                Ok(Prepared::Ready) => {}
                // Its output stays in json-file only.
                Ok(Prepared::Unserved) => self.slots[idx].awslogs = None,
                Err(e) => {
                    // As ECS reports a driver that cannot start.
                    self.slots[idx].reason = Some(format!(
                        "CannotStartContainerError: Error response from daemon: {e}"
                    ));
                    return;
                }
            }
        }
        // The container may ask the metadata endpoint about itself as soon as it starts.
        if let Ok(o) = self.shared.runtime.inspect(&id).await {
            self.slots[idx].observed = Some(o);
            self.publish();
        }
        if let Err(e) = self.shared.runtime.start(&id).await {
            self.slots[idx].reason = Some(format!("CannotStartContainerError: {}", short(&e)));
        }
        self.slots[idx].last_start = Some(Instant::now());
        if let Ok(o) = self.shared.runtime.inspect(&id).await {
            self.slots[idx].observed = Some(o);
        }
        self.watch(idx);
    }

    /// Where an awslogs container's output goes (once it has an id).
    fn log_target(&self, idx: usize) -> Option<Target> {
        let slot = &self.slots[idx];
        let (Some(Ok(options)), Some(id)) = (&slot.awslogs, &slot.id) else {
            return None;
        };
        Some(Target {
            group: options.group.clone(),
            stream: options.stream_name(slot.name(), &arn(&self.a), id),
            create_group: options.create_group,
        })
    }

    /// Starts shipping an awslogs container's output once it has started, and again after
    /// a restart if the last shipper has finished.
    fn ship_logs(&mut self, idx: usize) {
        let Some(target) = self.log_target(idx) else {
            return;
        };
        let slot = &self.slots[idx];
        let (Some(Ok(options)), Some(id), Some(o)) = (&slot.awslogs, &slot.id, &slot.observed)
        else {
            return;
        };
        if !(o.running || o.exited) {
            return;
        }
        if let Some(task) = &slot.shipper {
            let restarted_since = slot.last_start.is_some_and(|t| t > task.since);
            if !task.is_finished() || !(o.running || restarted_since) {
                return;
            }
        }
        let logs = &self.shared.logs;
        let shipper = Shipper {
            runtime: self.shared.runtime.clone(),
            sink: logs.sink.clone(),
            settings: logs.settings.clone(),
            container_id: id.clone(),
            target,
            start: options.start.clone(),
            cursor: logs.cursor(id),
        };
        self.slots[idx].shipper = Some(ShipperTask::spawn(shipper));
    }

    /// Spawns a watcher that signals when the container stops running.
    fn watch(&mut self, idx: usize) {
        self.ship_logs(idx);
        let slot = &mut self.slots[idx];
        let (Some(id), false) = (slot.id.clone(), slot.watching) else {
            return;
        };
        if !matches!(slot.observed, Some(ref o) if o.running) {
            return;
        }
        slot.watching = true;
        let runtime = self.shared.runtime.clone();
        let events = self.events.clone();
        tokio::spawn(async move {
            let _ = runtime.wait_exit(&id).await;
            let _ = events.send(());
        });
    }

    async fn observe(&mut self) {
        for idx in 0..self.slots.len() {
            let Some(id) = self.slots[idx].id.clone() else {
                continue;
            };
            match self.shared.runtime.inspect(&id).await {
                Ok(o) => {
                    if !o.running {
                        self.slots[idx].watching = false;
                    }
                    self.slots[idx].observed = Some(o);
                    self.watch(idx);
                }
                Err(RuntimeError::NotFound(_)) => {
                    // Removed behind the agent's back: it exited.
                    let slot = &mut self.slots[idx];
                    slot.watching = false;
                    let mut o = slot.observed.clone().unwrap_or_default();
                    o.running = false;
                    o.exited = true;
                    slot.observed = Some(o);
                    slot.reason
                        .get_or_insert_with(|| "The container was removed".into());
                }
                Err(e) => tracing::warn!(container = %id, error = %e, "inspect failed"),
            }
        }
        let running = self.slots.iter().all(|s| s.state() != State::Waiting);
        if running && self.known_status == "PENDING" {
            self.known_status = "RUNNING";
        }
        self.publish();
    }

    /// In-place restarts (restartPolicy): an exited container is started again unless its
    /// exit code is ignored or it ran less than restartAttemptPeriod since its last start.
    async fn restart_if_due(&mut self) -> Option<StopCause> {
        for idx in 0..self.slots.len() {
            let s = &self.slots[idx];
            let Some(policy) = s.def.restart_policy.as_ref() else {
                continue;
            };
            if policy.enabled != Some(true) {
                continue;
            }
            let State::Exited { code } = s.state() else {
                continue;
            };
            if s.reason.is_some() {
                continue;
            }
            let ignored = code
                .map(|c| {
                    policy
                        .ignored_exit_codes
                        .iter()
                        .flatten()
                        .any(|i| i64::from(*i) == c)
                })
                .unwrap_or(false);
            let period =
                Duration::from_secs(policy.restart_attempt_period.unwrap_or(300).max(0) as u64);
            let ran_long_enough = s.last_start.map(|t| t.elapsed() >= period).unwrap_or(true);
            if ignored || !ran_long_enough {
                continue;
            }
            let Some(id) = s.id.clone() else {
                continue;
            };
            tracing::info!(container = %s.docker_name, ?code, "restarting container (restartPolicy)");
            if self.shared.runtime.start(&id).await.is_ok() {
                self.slots[idx].restarts += 1;
                self.slots[idx].last_start = Some(Instant::now());
                if let Ok(o) = self.shared.runtime.inspect(&id).await {
                    self.slots[idx].observed = Some(o);
                }
                self.watch(idx);
            }
        }
        None
    }

    /// Stops running containers, dependents first, each with its stopTimeout.
    async fn stop_all(&mut self) {
        loop {
            self.observe().await;
            let wave = plan::stoppable(&self.members());
            if wave.is_empty() {
                break;
            }
            let mut stops = Vec::new();
            for name in wave {
                let Some(s) = self.slots.iter().find(|s| s.name() == name) else {
                    continue;
                };
                let Some(id) = s.id.clone() else {
                    continue;
                };
                let timeout = s
                    .def
                    .stop_timeout
                    .map(i64::from)
                    .unwrap_or(self.shared.cfg.stop_timeout_secs);
                let runtime = self.shared.runtime.clone();
                stops.push(async move {
                    if let Err(e) = runtime.stop(&id, timeout).await {
                        tracing::warn!(container = %id, error = %e, "stop failed; removing");
                        let _ = runtime.remove(&id).await;
                    }
                });
            }
            futures_util::future::join_all(stops).await;
        }
        if let Some(pause) = &self.pause {
            let _ = self.shared.runtime.stop(pause, 0).await;
        }
    }

    fn launch_type(&self) -> String {
        self.a
            .task
            .launch_type
            .as_ref()
            .map(|l| l.as_str().to_owned())
            .unwrap_or_else(|| "EC2".into())
    }

    pub(crate) fn publish(&self) {
        let (view, tokens) = view::task_view(self);
        self.shared.registry.publish(view, &tokens);
    }

    fn container_reports(&mut self, only_changed: bool) -> Vec<Value> {
        let mut out = Vec::new();
        for s in self.slots.iter_mut() {
            let status: &'static str = match s.state() {
                State::Waiting => "PENDING",
                State::Running { .. } => "RUNNING",
                State::Exited { .. } => "STOPPED",
            };
            if only_changed && status == s.reported {
                continue;
            }
            s.reported = status;
            let mut c = json!({"containerName": s.name(), "status": status});
            if let Some(id) = &s.id {
                c["runtimeId"] = json!(id);
            }
            if let Some(o) = &s.observed {
                if status == "STOPPED" {
                    if let Some(code) = o.exit_code {
                        c["exitCode"] = json!(code);
                    }
                    if o.oom_killed {
                        c["reason"] =
                            json!("OutOfMemoryError: Container killed due to memory usage");
                    }
                }
                if !o.ports.is_empty() {
                    c["networkBindings"] = Value::Array(
                        o.ports
                            .iter()
                            .map(|(cp, proto, ip, hp)| {
                                json!({"bindIP": ip, "containerPort": cp, "hostPort": hp, "protocol": proto})
                            })
                            .collect(),
                    );
                }
            }
            if let Some(r) = &s.reason {
                c["reason"] = json!(r);
            }
            out.push(c);
        }
        out
    }

    /// Reports container changes and, once every container has started, the task RUNNING.
    fn report_progress(&mut self) {
        let all_started = plan::all_started(&self.members());
        let containers = self.container_reports(true);
        let task_status = if all_started && self.reported_task == "PENDING" {
            Some("RUNNING")
        } else {
            None
        };
        if containers.is_empty() && task_status.is_none() {
            self.report_health();
            return;
        }
        let mut body = json!({
            "cluster": self.a.cluster,
            "task": arn(&self.a),
            "containers": containers,
        });
        if let Some(s) = task_status {
            body["status"] = json!(s);
            self.reported_task = s;
        }
        if let Some(t) = self.pull_started_at {
            body["pullStartedAt"] = json!(t);
        }
        if let Some(t) = self.pull_stopped_at {
            body["pullStoppedAt"] = json!(t);
        }
        self.shared.reporter.ecs("SubmitTaskStateChange", body);
        self.report_details(true);
    }

    fn report_health(&mut self) {
        let changed = self
            .slots
            .iter()
            .any(|s| s.observed.as_ref().and_then(|o| o.health.clone()) != s.health_reported);
        if changed {
            self.report_details(false);
        }
    }

    /// Berth's extension report: container health and the task's network address.
    fn report_details(&mut self, with_network: bool) {
        let mut containers = Vec::new();
        for s in self.slots.iter_mut() {
            let health = s.observed.as_ref().and_then(|o| o.health.clone());
            s.health_reported = health.clone();
            if let Some(h) = health {
                let status = match h.as_str() {
                    "healthy" => "HEALTHY",
                    "unhealthy" => "UNHEALTHY",
                    _ => "UNKNOWN",
                };
                containers.push(json!({"containerName": s.name(), "healthStatus": status}));
            }
        }
        let mut body =
            json!({"cluster": self.a.cluster, "task": arn(&self.a), "containers": containers});
        if with_network {
            if let Some(ip) = &self.task_ip {
                body["privateIPv4Address"] = json!(ip);
            }
        }
        if containers_empty(&body) && body.get("privateIPv4Address").is_none() {
            return;
        }
        self.shared
            .reporter
            .send("BerthAgentV1.ReportTaskDetails".into(), body);
    }

    fn report_task(&mut self, status: &'static str, reason: Option<String>) {
        let containers = self.container_reports(false);
        let mut body = json!({
            "cluster": self.a.cluster,
            "task": arn(&self.a),
            "status": status,
            "containers": containers,
        });
        if let Some(r) = reason {
            body["reason"] = json!(r);
        }
        if let Some(t) = self.pull_started_at {
            body["pullStartedAt"] = json!(t);
        }
        if let Some(t) = self.pull_stopped_at {
            body["pullStoppedAt"] = json!(t);
        }
        if status == "STOPPED" {
            body["executionStoppedAt"] = json!(now());
        }
        self.reported_task = status;
        self.shared.reporter.ecs("SubmitTaskStateChange", body);
    }

    /// Keeps the stopped containers for the cleanup wait, and until their output is shipped,
    /// then removes them.
    async fn cleanup_later(mut self) {
        let wait = Duration::from_secs(self.shared.cfg.task_cleanup_secs);
        let shipped = futures_util::future::join_all(
            self.slots
                .iter_mut()
                .filter_map(|s| s.shipper.take())
                .map(ShipperTask::finished),
        );
        let runtime = self.shared.runtime.clone();
        let registry = self.shared.registry.clone();
        let task_arn = arn(&self.a);
        let mut ids: Vec<String> = self.slots.iter().filter_map(|s| s.id.clone()).collect();
        ids.extend(self.pause.clone());
        let volumes: Vec<String> = self
            .volume_sources()
            .into_values()
            .filter_map(|v| match v {
                VolumeSource::Docker { name, .. } if name.starts_with("berth-") => Some(name),
                _ => None,
            })
            .collect();
        tokio::join!(tokio::time::sleep(wait), shipped);
        for id in ids {
            if let Err(e) = runtime.remove(&id).await {
                tracing::warn!(container = %id, error = %e, "cleanup failed");
            }
            self.shared.logs.cursor(&id).forget();
        }
        for v in volumes {
            let _ = runtime.remove_volume(&v).await;
        }
        registry.forget(&task_arn);
        self.shared.roles.forget(&task_arn).await;
    }
}

fn containers_empty(body: &Value) -> bool {
    body["containers"]
        .as_array()
        .map(|a| a.is_empty())
        .unwrap_or(true)
}

fn short(e: &RuntimeError) -> String {
    e.to_string()
}
