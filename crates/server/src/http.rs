//! The axum application: `/health`, and every AWS API request on any other path.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use berth_ecs::{Ecs, Scope, SystemClock};
use berth_ecs_model::operations::Operation;
use http_body_util::BodyExt;
use tokio::net::TcpListener;

use crate::auth::Keys;
use crate::config::Config;
use crate::route::{route, Route};
use crate::wire::{self, WireError};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("no access keys are configured; refusing to start an open server")]
    NoCredentials,
    #[error("opening the store in {dir}: {source}")]
    Store {
        dir: String,
        source: berth_store::StoreError,
    },
    #[error("loading the state: {0}")]
    State(berth_ecs::EcsError),
    #[error("listening on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Serve(std::io::Error),
}

struct App {
    ecs: Arc<Ecs>,
    hub: Arc<crate::agent_channel::Hub>,
    committer: crate::committer::Committer,
    region: String,
    keys: Keys,
    max_body: usize,
}

/// A server with its state loaded and its socket bound, ready to run.
pub struct Server {
    listener: TcpListener,
    router: Router,
    ecs: Arc<Ecs>,
    retention_secs: f64,
    services_wake: Arc<tokio::sync::Notify>,
}

impl Server {
    pub async fn bind(config: Config) -> Result<Self, ServerError> {
        if config.credentials.is_empty() {
            return Err(ServerError::NoCredentials);
        }
        let dir = config.data_dir.clone();
        let account = config.credentials[0].account_id.clone();
        let store = berth_store::SqliteStore::open(&dir).map_err(|source| ServerError::Store {
            dir: dir.display().to_string(),
            source,
        })?;
        let ecs = Ecs::open(
            Arc::new(store),
            Arc::new(SystemClock),
            Scope::new(&config.region, &account),
        )
        .map_err(ServerError::State)?;
        ecs.set_agent_timeout(config.agent_timeout_secs);
        let hub = Arc::new(crate::agent_channel::Hub::default());
        {
            let hub = hub.clone();
            ecs.set_notifier(Arc::new(move |id: &str| hub.wake(id)));
        }
        let services_wake = Arc::new(tokio::sync::Notify::new());
        {
            let wake = services_wake.clone();
            ecs.set_service_waker(Arc::new(move || wake.notify_one()));
        }
        let ecs = Arc::new(ecs);
        let committer =
            crate::committer::Committer::start(ecs.clone()).map_err(ServerError::Serve)?;
        let app = Arc::new(App {
            hub,
            committer,
            ecs: ecs.clone(),
            region: config.region.clone(),
            keys: Keys::new(&config.credentials),
            max_body: config.max_body_bytes,
        });
        let router = Router::new()
            .route("/health", get(|| async { "ok" }))
            .fallback(aws_request)
            .with_state(app);
        let listener = listen(config.listen).map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
        if let Ok(addr) = listener.local_addr() {
            ecs.set_poll_endpoint(&format!("http://{addr}"));
        }
        Ok(Server {
            listener,
            router,
            ecs,
            retention_secs: config.task_retention_secs,
            services_wake,
        })
    }

    /// The ECS service this server answers for.
    pub fn ecs(&self) -> Arc<Ecs> {
        self.ecs.clone()
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Runs the service scheduler whenever something changed, and at least every second.
    fn spawn_service_controller(&self) {
        let ecs = self.ecs.clone();
        let wake = self.services_wake.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = wake.notified() => {
                        // Let a burst of changes land before the pass.
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    }
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
                let ecs = ecs.clone();
                match tokio::task::spawn_blocking(move || ecs.reconcile_services()).await {
                    Ok(Err(e)) => tracing::warn!(error = %e, "service scheduler pass failed"),
                    Err(e) => tracing::warn!(error = %e, "service scheduler pass panicked"),
                    Ok(Ok(_)) => {}
                }
            }
        });
    }

    /// Removes expired STOPPED tasks and client tokens every minute.
    fn spawn_sweeper(&self) {
        let ecs = self.ecs.clone();
        let retention = self.retention_secs;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                loop {
                    let ecs = ecs.clone();
                    match tokio::task::spawn_blocking(move || ecs.sweep(retention)).await {
                        Ok(Ok(n)) if n > 0 => continue,
                        Ok(Err(e)) => tracing::warn!(error = %e, "sweeping stopped tasks failed"),
                        _ => {}
                    }
                    break;
                }
            }
        });
    }

    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        self.spawn_sweeper();
        self.spawn_service_controller();
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ServerError::Serve)
    }
}

/// Connections the kernel may queue before they are accepted: bursts of thousands of
/// clients connecting at once are queued rather than reset.
const LISTEN_BACKLOG: u32 = 8192;

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Binds and serves until `shutdown` completes.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    Server::bind(config).await?.run(shutdown).await
}

async fn aws_request(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = uuid_v4();
    match answer(&app, &method, &uri, &headers, body).await {
        Ok(bytes) => wire::ok(bytes, &request_id),
        Err(e) => {
            if e.status >= 500 {
                tracing::error!(code = %e.code, message = %e.message, %request_id, "request failed");
            } else {
                tracing::debug!(code = %e.code, message = %e.message, %request_id, "request refused");
            }
            wire::error(e, &request_id)
        }
    }
}

async fn answer(
    app: &App,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<u8>, WireError> {
    let body = read_body(body, app.max_body).await?;
    let req = berth_sigv4::Request {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query(),
        headers,
        body: &body,
    };
    let caller = berth_sigv4::verify(&req, &app.keys, SystemTime::now())?;
    if caller.region != app.region {
        return Err(WireError::new(
            403,
            "InvalidSignatureException",
            format!("Credential should be scoped to a valid region, not '{}'. This endpoint serves '{}'.", caller.region, app.region),
        ));
    }
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let route = route(target)?;
    // Every route served today belongs to the ECS endpoint and its credential scope.
    scoped_to(&caller, berth_ecs_model::operations::SIGNING_NAME)?;
    let ecs = app.ecs.clone();
    match route {
        Route::Ecs(op) => {
            // The span goes with the call; a guard held across `.await` would chain spans of
            // unrelated requests together.
            let span = tracing::info_span!("ecs", op = op.name());
            if deferred(op) {
                let run = app
                    .committer
                    .run(&ecs, move |ecs| span.in_scope(|| ecs.handle(op, &body)));
                run.await
            } else {
                wire::blocking(move || span.in_scope(|| ecs.handle(op, &body))).await
            }
        }
        Route::Berth(op) => match op.as_str() {
            "ExplainRunTask" => wire::blocking(move || ecs.explain_run_task(&body)).await,
            other => Err(WireError::new(
                400,
                "UnknownOperationException",
                format!("Unknown operation {}.{other}", crate::route::BERTH_PREFIX),
            )),
        },
        Route::Agent(op) => {
            let hub = app.hub.clone();
            crate::agent_channel::handle(ecs, hub, &app.committer, &op, body).await
        }
    }
}

/// A signature is only good for the service its credential scope names.
fn scoped_to(caller: &berth_sigv4::Verified, service: &str) -> Result<(), WireError> {
    if caller.service == service {
        Ok(())
    } else {
        Err(WireError::new(
            403,
            "InvalidSignatureException",
            format!("Credential should be scoped to correct service: '{service}'."),
        ))
    }
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, WireError> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(WireError::new(
                413,
                "RequestEntityTooLargeException",
                format!("The request body is larger than {limit} bytes."),
            ))
        }
        Err(e) => Err(WireError::new(
            400,
            "SerializationException",
            format!("Could not read the request body: {e}"),
        )),
    }
}

fn uuid_v4() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The calls of a RunTask storm and of agents' task reports: short, CPU-only handlers whose
/// durability waits are served by the committer instead of parking a blocking thread each
/// (see `crate::committer`). Other calls (listing, describing many resources) run on the
/// blocking pool so that a long one cannot hold up an async worker.
fn deferred(op: Operation) -> bool {
    matches!(op, Operation::RunTask | Operation::SubmitTaskStateChange)
}
