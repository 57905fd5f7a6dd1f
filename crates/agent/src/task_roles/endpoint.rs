//! The container credentials endpoint, where ECS serves it: `169.254.170.2` (AWS SDKs fetch
//! container credentials only from there or loopback). The agent puts the address on the
//! host's loopback interface, so containers on the default bridge and on the awsvpc task
//! network reach it through their gateway, and host-network ones directly.
//!
//! `GET /v2/credentials/<id>` answers the task role's credentials in ECS's shape; every
//! other request is passed on, unchanged (Host header included, so signatures hold), to the
//! Berth endpoint the agent talks to: that is how a task's SDK reaches Berth with
//! `AWS_ENDPOINT_URL=http://169.254.170.2`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use serde_json::json;

use super::TaskRoles;

/// ECS's credentials address.
pub const ADDRESS: Ipv4Addr = Ipv4Addr::new(169, 254, 170, 2);

#[derive(Clone)]
struct Ctx {
    roles: Arc<TaskRoles>,
    /// `host:port` of the Berth endpoint.
    upstream: String,
    client: Client<HttpConnector, Body>,
}

/// Puts [`ADDRESS`] on the loopback interface (with `ip`, as root); true if it is there.
pub fn ensure_address() -> bool {
    crate::loopback::add(ADDRESS, "tasks get no role credentials")
}

/// Serves the endpoint on `port` of [`ADDRESS`] (another free port if that one is taken:
/// another agent on the host has it); answers the port bound.
pub async fn serve(
    roles: Arc<TaskRoles>,
    upstream: &str,
    port: u16,
) -> Option<(u16, tokio::task::JoinHandle<()>)> {
    if !ensure_address() {
        return None;
    }
    let listener = match tokio::net::TcpListener::bind(SocketAddr::from((ADDRESS, port))).await {
        Ok(l) => l,
        Err(e) => {
            tracing::info!(error = %e, port, "credentials port taken; using another");
            match tokio::net::TcpListener::bind(SocketAddr::from((ADDRESS, 0))).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot serve task credentials");
                    return None;
                }
            }
        }
    };
    let bound = listener.local_addr().ok()?.port();
    let ctx = Ctx {
        roles,
        upstream: upstream.to_owned(),
        client: Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
    };
    let app = Router::new()
        .route("/v2/credentials/{id}", get(credentials))
        .fallback(pass_on)
        .with_state(ctx);
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the credentials endpoint stopped");
        }
    });
    Some((bound, handle))
}

fn json_answer(status: StatusCode, doc: &serde_json::Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        doc.to_string(),
    )
        .into_response()
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_answer(status, &json!({"code": code, "message": message}))
}

async fn credentials(State(ctx): State<Ctx>, Path(id): Path<String>) -> Response {
    match ctx.roles.by_id(&id).await {
        None => error(
            StatusCode::BAD_REQUEST,
            "InvalidIdInRequest",
            "CredentialsV2Request: Credentials not found",
        ),
        Some(Err(why)) => {
            tracing::warn!(%why, "a task's role credentials could not be had");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerException",
                &why,
            )
        }
        Some(Ok(c)) => {
            let expiration = time::OffsetDateTime::from_unix_timestamp(c.expiration as i64)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default();
            json_answer(
                StatusCode::OK,
                &json!({
                    "RoleArn": c.role_arn,
                    "AccessKeyId": c.access_key_id,
                    "SecretAccessKey": c.secret_access_key,
                    "Token": c.session_token,
                    "Expiration": expiration,
                }),
            )
        }
    }
}

/// Any other request: to the Berth endpoint, as it came.
async fn pass_on(State(ctx): State<Ctx>, req: axum::extract::Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    parts.uri = match format!("http://{}{path}", ctx.upstream).parse::<Uri>() {
        Ok(u) => u,
        Err(_) => return error(StatusCode::BAD_REQUEST, "InvalidRequest", "a bad path"),
    };
    match ctx
        .client
        .request(axum::http::Request::from_parts(parts, body))
        .await
    {
        Ok(resp) => resp.map(Body::new).into_response(),
        Err(e) => error(
            StatusCode::BAD_GATEWAY,
            "ServiceUnavailable",
            &format!("the Berth endpoint did not answer: {e}"),
        ),
    }
}
