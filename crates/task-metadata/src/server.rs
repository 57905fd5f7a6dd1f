//! The HTTP side: the axum router over a [`MetadataSource`], and the listeners that serve it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::shapes::{ContainerMetadata, TaskMetadata};
use crate::source::MetadataSource;

type Source = Arc<dyn MetadataSource>;

/// The endpoint's routes, all `GET` (`HEAD` too, as axum gives it):
///
/// | path | body |
/// |---|---|
/// | `/v4/{token}` | the token's container |
/// | `/v4/{token}/task` | the task, with every container |
/// | `/v4/{token}/taskWithTags` | the same plus `TaskTags` |
/// | `/v4/{token}/stats` | the container's Docker stats as Docker wrote them, `null` if none |
/// | `/v4/{token}/task/stats` | `{docker_id: stats or null}` for each created container |
///
/// An unknown token answers 404 with `{"Error": "..."}`; so does any other path. Another
/// method on a known path answers 405.
pub fn router(source: Arc<dyn MetadataSource>) -> Router {
    Router::new()
        .route("/v4/{token}", get(container))
        .route("/v4/{token}/task", get(task))
        .route("/v4/{token}/taskWithTags", get(task_with_tags))
        .route("/v4/{token}/stats", get(container_stats))
        .route("/v4/{token}/task/stats", get(task_stats))
        .fallback(not_found)
        .with_state(source)
}

/// Listeners bound by [`bind`], not yet serving.
#[derive(Debug)]
pub struct Server {
    /// The bound addresses, in the order given to [`bind`], with real ports for port 0.
    pub addrs: Vec<SocketAddr>,
    listeners: Vec<TcpListener>,
    router: Router,
}

/// Binds every address (e.g. one per Docker network gateway) for [`router`] over `source`.
///
/// Fails on the first address that cannot be bound; those bound before it are closed.
pub async fn bind(addrs: &[SocketAddr], source: Arc<dyn MetadataSource>) -> io::Result<Server> {
    let mut listeners = Vec::with_capacity(addrs.len());
    let mut bound = Vec::with_capacity(addrs.len());
    for addr in addrs {
        let listener = TcpListener::bind(addr).await?;
        bound.push(listener.local_addr()?);
        listeners.push(listener);
    }
    Ok(Server {
        addrs: bound,
        listeners,
        router: router(source),
    })
}

impl Server {
    /// Serves on every bound address until this future is dropped, which closes them all.
    ///
    /// Each listener runs as its own tokio task; the future only ends early if every listener
    /// stops (they do not, short of a panic), or at once when no address was bound.
    pub async fn run(self) {
        let mut listeners = JoinSet::new();
        for (listener, addr) in self.listeners.into_iter().zip(self.addrs) {
            let app = self.router.clone();
            listeners.spawn(async move {
                tracing::info!(%addr, "task metadata endpoint listening");
                if let Err(error) = axum::serve(listener, app).await {
                    tracing::error!(%addr, %error, "task metadata listener stopped");
                }
            });
        }
        while listeners.join_next().await.is_some() {}
    }
}

async fn container(State(source): State<Source>, Path(token): Path<String>) -> Response {
    let Some((task, name)) = source.lookup(&token) else {
        return unknown_token();
    };
    match task
        .containers
        .iter()
        .find(|container| container.name == name)
    {
        Some(container) => json(StatusCode::OK, &ContainerMetadata::new(container)),
        None => unknown_token(),
    }
}

async fn task(State(source): State<Source>, Path(token): Path<String>) -> Response {
    match source.lookup(&token) {
        Some((task, _)) => json(StatusCode::OK, &TaskMetadata::new(&task, false)),
        None => unknown_token(),
    }
}

async fn task_with_tags(State(source): State<Source>, Path(token): Path<String>) -> Response {
    match source.lookup(&token) {
        Some((task, _)) => json(StatusCode::OK, &TaskMetadata::new(&task, true)),
        None => unknown_token(),
    }
}

async fn container_stats(State(source): State<Source>, Path(token): Path<String>) -> Response {
    let Some((task, name)) = source.lookup(&token) else {
        return unknown_token();
    };
    let Some(container) = task
        .containers
        .iter()
        .find(|container| container.name == name)
    else {
        return unknown_token();
    };
    let stats = if container.docker_id.is_empty() {
        None
    } else {
        source.stats(&container.docker_id).await
    };
    json(StatusCode::OK, &stats.unwrap_or(Value::Null))
}

async fn task_stats(State(source): State<Source>, Path(token): Path<String>) -> Response {
    let Some((task, _)) = source.lookup(&token) else {
        return unknown_token();
    };
    let mut pending = JoinSet::new();
    for container in &task.containers {
        if container.docker_id.is_empty() {
            continue;
        }
        let source = Arc::clone(&source);
        let docker_id = container.docker_id.clone();
        pending.spawn(async move {
            let stats = source.stats(&docker_id).await;
            (docker_id, stats)
        });
    }
    let mut all = serde_json::Map::new();
    while let Some(done) = pending.join_next().await {
        match done {
            Ok((docker_id, stats)) => {
                all.insert(docker_id, stats.unwrap_or(Value::Null));
            }
            Err(error) => tracing::warn!(%error, "reading a container's stats failed"),
        }
    }
    json(StatusCode::OK, &all)
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such task metadata path")
}

/// The token itself is not logged: it is what lets a container read its task.
fn unknown_token() -> Response {
    tracing::debug!("task metadata request with an unknown token");
    error(StatusCode::NOT_FOUND, "unknown task metadata token")
}

fn error(status: StatusCode, message: &str) -> Response {
    json(status, &serde_json::json!({ "Error": message }))
}

fn json(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(error) => {
            tracing::error!(%error, "task metadata response did not serialize");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
