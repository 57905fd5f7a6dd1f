//! The axum application: `/health`, and every AWS API request on any other path.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use berth_aws::protocol::{ec2, query, Protocol};
use berth_aws::service::{Call, Exec, HttpSurface, Service};
use berth_aws::AwsError;
use berth_commit::Lock;
use http_body_util::BodyExt;
use tokio::net::TcpListener;

use crate::auth::Keys;
use crate::committer::Committer;
use crate::config::Config;
use crate::route::{Routed, ServiceTable, Wire};
use crate::wire;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("no access keys are configured; refusing to start an open server")]
    NoCredentials,
    #[error("listening on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Serve(std::io::Error),
}

struct App {
    table: ServiceTable,
    /// Services' own HTTP surfaces, by the path prefix each owns.
    surfaces: Vec<(&'static str, Arc<dyn HttpSurface>)>,
    committer: Committer,
    keys: Keys,
    max_body: usize,
}

/// A server with its socket bound, ready to run its services.
pub struct Server {
    listener: TcpListener,
    router: Router,
    app: Arc<App>,
}

impl Server {
    /// Binds the listener for `services`; each is told the address it listens on.
    pub async fn bind(
        config: Config,
        services: Vec<Arc<dyn Service>>,
    ) -> Result<Self, ServerError> {
        if config.credentials.is_empty() && !config.open_auth {
            return Err(ServerError::NoCredentials);
        }
        let committer = Committer::start().map_err(ServerError::Serve)?;
        let surfaces = services.iter().filter_map(|s| s.clone().http()).collect();
        let app = Arc::new(App {
            surfaces,
            table: ServiceTable::new(services),
            committer,
            keys: Keys::new(&config),
            max_body: config.max_body_bytes,
        });
        let router = Router::new()
            .route("/health", get(|| async { "ok" }))
            .fallback(aws_request)
            .with_state(app.clone());
        let listener = listen(config.listen).map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
        if let Ok(addr) = listener.local_addr() {
            for s in app.table.services() {
                s.listening(&format!("http://{addr}"));
            }
        }
        Ok(Server {
            listener,
            router,
            app,
        })
    }

    /// Authenticates keys that are not configured against `identities` too (IAM's).
    pub fn set_identities(&self, identities: Arc<dyn berth_aws::identity::Identities>) {
        self.app.keys.set_identities(identities);
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Runs the services' background jobs and serves until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        for s in self.app.table.services() {
            crate::jobs::spawn(s.clone());
        }
        let app = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let (fired, mut on_fire) = tokio::sync::watch::channel(false);
        let signal = async move {
            shutdown.await;
            let _ = fired.send(true);
        };
        let serve = axum::serve(self.listener, app).with_graceful_shutdown(signal);
        // Requests in flight get a moment to be answered; long polls (the agents' waits of up
        // to 20 s) are not waited out.
        let drained = async move {
            let _ = on_fire.wait_for(|f| *f).await;
            tokio::time::sleep(SHUTDOWN_DRAIN).await;
        };
        tokio::select! {
            served = serve => served.map_err(ServerError::Serve),
            () = drained => Ok(()),
        }
    }
}

/// How long requests in flight have to finish once shutdown is asked for.
const SHUTDOWN_DRAIN: std::time::Duration = std::time::Duration::from_millis(1500);

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

async fn aws_request(State(app): State<Arc<App>>, req: axum::extract::Request) -> Response {
    let path = req.uri().path();
    let surface = app.surfaces.iter().find(|(prefix, _)| {
        path == *prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|r| r.starts_with('/'))
    });
    if let Some((_, surface)) = surface {
        return surface.clone().handle(req).await;
    }
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical().to_string());
    let (parts, body) = req.into_parts();
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let request_id = berth_aws::ids::request_id();
    let wire = app.table.wire_of(method.as_str(), &uri, &headers);
    let from = From {
        request_id: &request_id,
        peer,
    };
    match answer(&app, wire, &method, &uri, &headers, body, from).await {
        Ok((bytes, service)) => wire::ok(bytes, wire, service.info(), &request_id),
        Err((e, service)) => {
            if e.status >= 500 {
                tracing::error!(code = %e.code, message = %e.message, %request_id, "request failed");
            } else {
                tracing::debug!(code = %e.code, message = %e.message, %request_id, "request refused");
            }
            wire::error(&e, wire, service.as_deref().map(|s| s.info()), &request_id)
        }
    }
}

/// Where a request came from: its id, and the peer's address when known.
struct From<'a> {
    request_id: &'a str,
    peer: Option<String>,
}

type Answer = Result<(Vec<u8>, Arc<dyn Service>), (AwsError, Option<Arc<dyn Service>>)>;

async fn answer(
    app: &App,
    wire: Wire,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
    from: From<'_>,
) -> Answer {
    let request_id = from.request_id;
    let routed = app.table.route(wire, uri.path(), headers);
    let service = routed.as_ref().ok().map(|r| r.service.clone());
    let limit = service
        .as_ref()
        .and_then(|s| s.info().max_body_bytes)
        .unwrap_or(app.max_body);
    let body = read_body(body, limit)
        .await
        .map_err(|e| (e, service.clone()))?;
    let fail = |e: AwsError| (e, service.clone());
    let req = berth_sigv4::Request {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query(),
        headers,
        body: &body,
    };
    let mut caller = app
        .keys
        .authenticate(&req, request_id, |name| app.table.signing_region(name))
        .map_err(|mut e| {
            if matches!(wire, Wire::Query | Wire::Ec2) && e.code == crate::auth::EXPIRED_TOKEN {
                e.code = "ExpiredToken".into();
            }
            fail(e)
        })?;
    caller.ctx.source_ip = from.peer;
    let (routed, call_body) = if matches!(wire, Wire::Query | Wire::Ec2) {
        app.table
            .route_query(&caller.signing_name, &body)
            .map_err(|e| (e, None))?
    } else if wire == Wire::Cbor {
        let routed = routed.map_err(fail)?;
        let json = from_cbor(&routed, &body).map_err(fail)?;
        (routed, json)
    } else {
        (routed.map_err(fail)?, body.to_vec())
    };
    let info = routed.service.info();
    // A signature is only good for the service its credential scope names.
    if caller.signing_name != info.signing_name {
        return Err(fail(AwsError::new(
            403,
            "InvalidSignatureException",
            format!(
                "Credential should be scoped to correct service: '{}'.",
                info.signing_name
            ),
        )));
    }
    // The caller's policies decide (who you are is never denied).
    let action = format!("{}:{}", info.signing_name, routed.op);
    if action != "sts:GetCallerIdentity" && caller.made.is_some() {
        // Every resource the call names must be allowed.
        for resource in routed
            .service
            .resources(&caller.ctx, &routed.op, &call_body)
        {
            let policy = routed.service.resource_policy(&caller.ctx, &resource);
            if let Err(why) = app
                .keys
                .authorize(&caller, &action, &resource, policy.as_deref())
            {
                let e = match wire {
                    Wire::Query => AwsError::new(403, "AccessDenied", why),
                    Wire::Ec2 => AwsError::new(403, "UnauthorizedOperation", why),
                    _ => AwsError::new(400, "AccessDeniedException", why),
                };
                return Err(fail(e));
            }
        }
    }
    let call = Call {
        ctx: caller.ctx,
        prefix: routed.prefix,
        op: routed.op,
        body: call_body,
    };
    let op = call.op.clone();
    // The span goes with the call; a guard held across `.await` would chain spans of
    // unrelated requests together.
    let span = tracing::info_span!("call", service = info.name, op = %call.op);
    let service = routed.service;
    let out = match routed.exec {
        Exec::Blocking => {
            let s = service.clone();
            blocking(move || {
                span.in_scope(|| s.call(&call, Lock::Wait)?.wait().map_err(AwsError::from))
            })
            .await
        }
        Exec::Hot => hot(app, &service, call, span).await,
        Exec::Async => service.clone().call_async(call).await,
    };
    let out = match out {
        // A Query (or `ec2`) client gets the answer's document as XML.
        Ok(bytes) if matches!(wire, Wire::Query | Wire::Ec2) => {
            to_query(&service, &op, &bytes, request_id)
        }
        Ok(bytes) if wire == Wire::Cbor => to_cbor(&service, &op, &bytes),
        other => other,
    };
    out.map(|bytes| (bytes, service.clone()))
        .map_err(|e| (e, Some(service)))
}

/// An answer's JSON as the AWS Query (or `ec2`) response of `op`, as the service speaks.
fn to_query(
    service: &Arc<dyn Service>,
    op: &str,
    json: &[u8],
    request_id: &str,
) -> Result<Vec<u8>, AwsError> {
    let schema = service
        .schema()
        .ok_or_else(|| AwsError::server("the service has no schema for AWS Query"))?;
    let doc: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| AwsError::server(format!("the service answered invalid JSON: {e}")))?;
    Ok(match service.info().protocol {
        Protocol::Ec2 => ec2::render_response(schema, op, &doc, request_id),
        _ => query::render_response(schema, op, &doc, request_id),
    })
}

/// An rpc-v2-cbor request's body as the JSON document its service handles.
fn from_cbor(routed: &Routed, body: &[u8]) -> Result<Vec<u8>, AwsError> {
    let schema = routed
        .service
        .schema()
        .ok_or_else(|| AwsError::server("the service has no schema for rpc-v2-cbor"))?;
    let doc = berth_aws::protocol::cbor::decode_request(schema, &routed.op, body)?;
    serde_json::to_vec(&doc)
        .map_err(|e| AwsError::server(format!("encoding the request document: {e}")))
}

/// An answer's JSON as the rpc-v2-cbor response of `op`.
fn to_cbor(service: &Arc<dyn Service>, op: &str, json: &[u8]) -> Result<Vec<u8>, AwsError> {
    let schema = service
        .schema()
        .ok_or_else(|| AwsError::server("the service has no schema for rpc-v2-cbor"))?;
    let doc: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| AwsError::server(format!("the service answered invalid JSON: {e}")))?;
    Ok(berth_aws::protocol::cbor::encode_response(schema, op, &doc))
}

/// A hot call: on this worker if the writer is free, else on the blocking pool; either way
/// its durability is settled by the committer before it answers.
async fn hot(
    app: &App,
    service: &Arc<dyn Service>,
    call: Call,
    span: tracing::Span,
) -> Result<Vec<u8>, AwsError> {
    let inline = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        span.in_scope(|| service.call(&call, Lock::TryOnce))
    }))
    .map_err(|_| panicked())?;
    let staged = match inline {
        Err(e) if e.is_busy() => {
            let s = service.clone();
            blocking(move || span.in_scope(|| s.call(&call, Lock::Wait))).await?
        }
        other => other?,
    };
    let (bytes, durability) = staged.into_parts();
    app.committer.settle(durability).await?;
    Ok(bytes)
}

/// Runs a call on a blocking thread (writes wait for the disk); a panic is a server error.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AwsError> + Send + 'static,
) -> Result<T, AwsError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| panicked())?
}

fn panicked() -> AwsError {
    AwsError::server("handler failed: it panicked")
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, AwsError> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(AwsError::new(
                413,
                "RequestEntityTooLargeException",
                format!("The request body is larger than {limit} bytes."),
            ))
        }
        Err(e) => Err(AwsError::serialization(format!(
            "Could not read the request body: {e}"
        ))),
    }
}
